"""SQL for the surrogate model and data reconstruction drift (PCA): a reference sample, and the
mean reconstruction error per group evaluated by DuckDB in the scan.

The projection is linear, so each row's reconstruction error is an SQL expression: the features
encoded and standardised, their projections on the principal components the reconstruction drops,
and the root of the sum of their squares (the distance between the row and its reconstruction).
The numbers in the expression are floats the fit computed, rendered as exact literals; the
categories (text from the user's files) are bound as parameters.
"""

import math

from monitoring.store.connection import quote


def _number(value: float) -> str:
    """An exact DOUBLE literal of a float we computed (repr round-trips; DuckDB reads it exactly)."""
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"not a finite number: {value!r}")
    return f"({value!r})::DOUBLE"


def reference_sample(
    con, source: str, params: list, *, numeric: list[str], categorical: list[str], output, rows: int
):
    """At most `rows` reference rows picked by the hash of their values (the same rows every time),
    in hash order, as a DataFrame: numeric features as DOUBLE, categorical ones as text and, when
    `output` (the score or prediction column) is given, `__output` (DOUBLE if `output[1]` is
    numeric, else text)."""
    picked_from = [quote(c) for c in [*numeric, *categorical]]
    columns = [f"CAST({quote(c)} AS DOUBLE) AS {quote(c)}" for c in numeric]
    columns += [f"CAST({quote(c)} AS VARCHAR) AS {quote(c)}" for c in categorical]
    where = "TRUE"
    if output is not None:
        name, kind = output
        columns.append(f"CAST({quote(name)} AS {'DOUBLE' if kind == 'numeric' else 'VARCHAR'}) AS __output")
        picked_from.append(quote(name))
        where = f"{quote(name)} IS NOT NULL"
    picked = f"hash({', '.join(picked_from)})"
    query = f"SELECT {', '.join(columns)} FROM ({source}) WHERE {where} ORDER BY {picked} LIMIT {int(rows)}"
    return con.execute(query, params).df()


def _encoded(fit: dict) -> tuple[list[str], list]:
    """One standardised SQL expression per fitted input (z), and the parameters they bind."""
    parts, bound = [], []
    for name, center, scale, fill in zip(fit["numeric"], *_slices(fit, "numeric"), strict=True):
        value = f"coalesce(CAST({quote(name)} AS DOUBLE), {_number(fill)})"
        parts.append(f"(({value} - {_number(center)}) / {_number(scale)})")
    for name, center, scale, fill in zip(fit["categorical"], *_slices(fit, "categorical"), strict=True):
        text = f"CAST({quote(name)} AS VARCHAR)"
        frequencies = fit["frequencies"][name]
        cases = "".join(f" WHEN {text} = ? THEN {_number(share)}" for share in frequencies.values())
        bound += list(frequencies)
        value = f"(CASE WHEN {text} IS NULL THEN {_number(fill)}{cases} ELSE 0.0::DOUBLE END)"
        parts.append(f"(({value} - {_number(center)}) / {_number(scale)})")
    return parts, bound


def _slices(fit: dict, kind: str) -> tuple[list, list, list]:
    """The centers, scales and fills of the fit's `kind` inputs (numeric first, then categorical)."""
    start = 0 if kind == "numeric" else len(fit["numeric"])
    end = start + len(fit[kind])
    return fit["center"][start:end], fit["scale"][start:end], fit["fill"][start:end]


def error_query(fit: dict, source: str, group: str | None) -> tuple[str, list]:
    """SQL selecting `__g` (the group) and `__error` (each row's reconstruction error) from `source`,
    and the parameters it binds before `source`'s own.

    `fit["dropped"]` holds the principal components the reconstruction leaves out (rows of an
    orthonormal basis of all inputs): the squared distance between a row and its reconstruction
    from the kept components is the sum of its squared projections on the dropped ones.
    """
    encoded, bound = _encoded(fit)
    z = [f"__z{i}" for i in range(len(encoded))]
    inner = ", ".join(f"{e} AS {name}" for e, name in zip(encoded, z, strict=True))
    projections = [
        " + ".join(f"{name} * {_number(w)}" for name, w in zip(z, component, strict=True))
        for component in fit["dropped"]
    ]
    middle = ", ".join(f"({p}) AS __t{i}" for i, p in enumerate(projections)) or "0.0::DOUBLE AS __t0"
    squares = " + ".join(f"__t{i} * __t{i}" for i in range(max(1, len(projections))))
    query = (
        f"SELECT __g, sqrt({squares}) AS __error FROM (SELECT __g, {middle} FROM "
        f"(SELECT {group or 'NULL'} AS __g, {inner} FROM ({source})))"
    )
    return query, bound


def mean_errors(con, fit: dict, source: str, params: list, group: str | None) -> dict:
    """{group: (mean reconstruction error, rows)} in one pass over `source`."""
    query, bound = error_query(fit, source, group)
    rows = con.execute(
        f"SELECT __g, avg(__error), count(*) FROM ({query}) GROUP BY ALL ORDER BY 1", bound + params
    ).fetchall()
    return {key: (float(mean), int(count)) for key, mean, count in rows}
