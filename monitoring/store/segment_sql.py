"""SQL of segments: a checked slice as a WHERE clause (values bound, columns quoted), saved slices
per model, and the values of a grouping column."""

from monitoring.errors import InputError, NotFoundError
from monitoring.schema import Model
from monitoring.segments import Slice
from monitoring.store.connection import quote

SEGMENT = "__segment"  # a source's column holding the value of the column a report groups by


def condition_sql(model: Model, column: str, operator: str, values: tuple) -> tuple[str, list]:
    """One condition as SQL over a source that exposes the model's columns by name."""
    kind = next(c.kind for c in model.columns if c.name == column)
    name = quote(column)
    if operator == "is missing":
        return f"{name} IS NULL", []
    numeric = kind == "numeric"
    expression = name if numeric else f"CAST({name} AS VARCHAR)"
    bound = [float(v) for v in values] if numeric else [str(v) for v in values]
    if operator == "in":
        return f"list_contains(?::{'DOUBLE' if numeric else 'VARCHAR'}[], {expression})", [bound]
    if operator == "!=":  # a missing value is not equal to the value, so the row stays
        return f"{expression} IS DISTINCT FROM ?", bound
    return f"{expression} {operator} ?", bound


def where_sql(model: Model, found: Slice) -> tuple[str, list]:
    """The slice's conditions joined by AND, and their parameters."""
    parts, params = [], []
    for condition in found.conditions:
        sql, bound = condition_sql(model, condition.column, condition.operator, condition.values)
        parts.append(f"({sql})")
        params += bound
    return " AND ".join(parts), params


def filtered(
    source: str, params: list, where: tuple[str, list] | None, group: str | None
) -> tuple[str, list]:
    """`source` keeping the rows of `where` and, with `group`, exposing that column's value as text
    in __segment (NULL where it is missing)."""
    if where is None and group is None:
        return source, params
    segment = f", CAST({quote(group)} AS VARCHAR) AS {SEGMENT}" if group else ""
    sql = f"SELECT *{segment} FROM ({source})"
    if where is None:
        return sql, params
    return f"{sql} WHERE {where[0]}", [*params, *where[1]]


def count_rows(con, source: str, params: list) -> int:
    return con.execute(f"SELECT count(*) FROM ({source})", params).fetchall()[0][0]


def group_values(con, source: str, params: list, column: str, limit: int) -> list[tuple]:
    """(value as text or None, rows) of `column` over `source`, most rows first, at most `limit`+1."""
    name = quote(column)
    return con.execute(
        f"SELECT CAST({name} AS VARCHAR) AS v, count(*) AS n FROM ({source}) GROUP BY 1 "
        f"ORDER BY n DESC, v NULLS LAST LIMIT {int(limit) + 1}",
        params,
    ).fetchall()


def save_segment(con, model_id: int, name: str, text: str) -> None:
    con.execute(
        "INSERT OR REPLACE INTO segments (model_id, name, conditions) VALUES (?, ?, ?)",
        [model_id, name, text],
    )


def list_segments(con, model_id: int) -> list[tuple[str, str]]:
    """(name, conditions) of the model's saved slices, by name."""
    return con.execute(
        "SELECT name, conditions FROM segments WHERE model_id = ? ORDER BY name", [model_id]
    ).fetchall()


def get_segment(con, model_id: int, name: str) -> str | None:
    rows = con.execute(
        "SELECT conditions FROM segments WHERE model_id = ? AND name = ?", [model_id, name]
    ).fetchall()
    return rows[0][0] if rows else None


def delete_segment(con, model: Model, name: str) -> None:
    if get_segment(con, model.id, name) is None:
        raise NotFoundError(f"model {model.name!r} has no saved segment {name!r}")
    con.execute("DELETE FROM segments WHERE model_id = ? AND name = ?", [model.id, name])


def check_has_rows(con, source: str, params: list, label: str, model: Model, where: str) -> None:
    """InputError when a slice keeps no row of `source` (a value that never occurs, say)."""
    if not count_rows(con, source, params):
        raise InputError(
            f"segment {label!r} keeps no {where} row of model {model.name!r}; check the values "
            "(the Segments page and `python -m monitoring segments values` list them)"
        )
