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
    """An exact DOUBLE literal of a float we computed (17 significant digits round-trip; DuckDB
    reads a literal in scientific notation as DOUBLE)."""
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"not a finite number: {value!r}")
    return f"{value:.17e}"


def reference_sample(
    con, source: str, params: list, *, numeric: list[str], categorical: list[str], output, rows: int
):
    """At most `rows` reference rows picked by the hash of their values (the same rows every time;
    above 8x `rows`, among those whose hash falls in one slot of total // (4 x rows)), in hash
    order, as a DataFrame: numeric features as DOUBLE, categorical ones as text and, when
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
    picked = f"hash({', '.join(picked_from)})"
    (total,) = con.execute(f"SELECT count(*) FROM ({source})", params).fetchall()[0]
    step = total // (
        4 * rows
    )  # a hash slot of about 4x the rows wanted: less to sort, the same rows each time
    if step > 1:
        where += f" AND {picked} % {int(step)} = 0"
    query = f"SELECT {', '.join(columns)} FROM ({source}) WHERE {where} ORDER BY {picked} LIMIT {int(rows)}"
    return con.execute(query, params).df()


def _centred(fit: dict) -> tuple[list[str], list]:
    """One SQL expression per fitted input: its value (a categorical one frequency encoded, a
    missing one imputed) minus its centre; and the parameters they bind (the categories)."""
    parts, bound = [], []
    names = [*fit["numeric"], *fit["categorical"]]
    for name, center, fill in zip(names, fit["center"], fit["fill"], strict=True):
        if name in fit["frequencies"]:
            text = f"CAST({quote(name)} AS VARCHAR)"
            listed = fit["frequencies"][name]
            cases = "".join(f" WHEN {text} = ? THEN {_number(share)}" for share in listed.values())
            bound += list(listed)
            value = f"(CASE WHEN {text} IS NULL THEN {_number(fill)}{cases} ELSE 0.0 END)"
        else:
            value = f"coalesce(CAST({quote(name)} AS DOUBLE), {_number(fill)})"
        parts.append(f"{value} - {_number(center)}")
    return parts, bound


def error_query(fit: dict, source: str, group: str | None, order: tuple[str, ...] = ()) -> tuple[str, list]:
    """SQL selecting `__g` (the group), `__o0`, `__o1`... (the `order` expressions, which may name
    the whole row as `__row`) and `__error` (each row's reconstruction error) from `source`, and the
    parameters it binds before `source`'s own.

    `fit["dropped"]` holds the principal components the reconstruction leaves out (rows of an
    orthonormal basis of the standardised inputs): the squared distance between a row and its
    reconstruction from the kept components is the sum of its squared projections on the dropped
    ones. Each projection weighs the centred inputs by component / scale (no division per row).
    """
    centred, bound = _centred(fit)
    names = [f"__d{i}" for i in range(len(centred))]
    inner = ", ".join(f"{e} AS {name}" for e, name in zip(centred, names, strict=True))
    projections = [
        " + ".join(
            f"{name} * {_number(w / s)}" for name, w, s in zip(names, component, fit["scale"], strict=True)
        )
        for component in fit["dropped"]
    ]
    middle = ", ".join(f"({p}) AS __t{i}" for i, p in enumerate(projections)) or "0.0 AS __t0"
    squares = " + ".join(f"__t{i} * __t{i}" for i in range(max(1, len(projections))))
    carried = "".join(f", __o{i}" for i in range(len(order)))
    keys = "".join(f", {e} AS __o{i}" for i, e in enumerate(order))
    query = (
        f"SELECT __g{carried}, sqrt({squares}) AS __error FROM (SELECT __g{carried}, {middle} FROM "
        f"(SELECT {group or 'NULL'} AS __g{keys}, {inner} FROM ({source}) __row))"
    )
    return query, bound


def mean_errors(con, fit: dict, source: str, params: list, group: str | None) -> dict:
    """{group: (mean reconstruction error, rows)} in one pass over `source`."""
    query, bound = error_query(fit, source, group)
    rows = con.execute(
        f"SELECT __g, avg(__error), count(*) FROM ({query}) GROUP BY ALL ORDER BY 1", bound + params
    ).fetchall()
    return {key: (float(mean), int(count)) for key, mean, count in rows}


def chunk_mean_errors(
    con, fit: dict, source: str, params: list, order: tuple[str, ...], size: int
) -> list[tuple]:
    """(mean reconstruction error, rows) of each chunk of `size` consecutive rows of `source` in
    `order` (SQL expressions that leave no ties, e.g. the quoted timestamp and id: a tie would
    fall in either chunk from run to run; empty: the order the rows come in). The errors are
    computed first, so the numbering sorts a few columns, not every column."""
    query, bound = error_query(fit, source, None, order)
    over = f"ORDER BY {', '.join(f'__o{i}' for i in range(len(order)))}" if order else ""
    numbered = f"SELECT (row_number() OVER ({over}) - 1) // {int(size)} AS __chunk, __error FROM ({query})"
    rows = con.execute(
        f"SELECT avg(__error), count(*) FROM ({numbered}) GROUP BY __chunk ORDER BY __chunk", bound + params
    ).fetchall()
    return [(float(mean), int(count)) for mean, count in rows]
