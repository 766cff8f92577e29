"""A labels file's columns: which of its columns are the id, the target and the time the label
was observed, and how each is read into the labels table."""

from monitoring.errors import SchemaError
from monitoring.ingest.limits import excerpt
from monitoring.ingest.values import cast_for, check_values
from monitoring.schema import Column
from monitoring.store import ingest_sql as sql


def _label_sources(model, profiles, overrides, file_name) -> tuple[Column, str, str | None]:
    """(the model's id column, the file's target column, its observed_at column or None)."""
    id_column, target = model.column("id"), model.column("target")
    if id_column is None:
        raise SchemaError(
            f"model {model.name!r} has no id column, so labels cannot be joined to predictions; "
            "ingest production files with --id COL"
        )
    names = [p.name for p in profiles]
    target_name = overrides.target or (target.name if target else None)
    if target_name is None:
        target_name = next((n for n in names if n.lower() in ("target", "label", "y_true", "actual")), None)
    if any(n is None or n not in names for n in (id_column.name, target_name)):
        raise SchemaError(
            f"{file_name} needs the id column {id_column.name!r} and a target column "
            f"({target_name or 'none found'}); it has {excerpt(', '.join(map(repr, names)))}; rename the "
            "columns or name the target with --target COL"
        )
    observed = overrides.observed_at or next(
        (n for n in names if n.lower() in ("observed_at", "label_time", "labelled_at")), None
    )
    return id_column, target_name, observed


def label_expressions(
    con, model, profiles, overrides, source: str, guard: bool = False
) -> tuple[Column, list[Column], dict]:
    """The labels' id column, the model's columns (the target added when it is new) and the casts
    of id, target and observed_at from the file's columns, after checking the file's values (or,
    with `guard`, with the checks in the casts: see one_pass)."""
    id_column, target_name, observed = _label_sources(model, profiles, overrides, source)
    by_name = {p.name: p for p in profiles}
    target_kind = "numeric" if model.task == "regression" else "categorical"
    columns = list(model.columns)
    if model.column("target") is None:
        columns.append(Column(target_name, "target", target_kind, inferred=overrides.target is None))
    target_column = Column(target_name, "target", target_kind)
    checked = [target_column] + ([Column(observed, "observed_at", "timestamp")] if observed else [])
    if not guard:
        check_values(con, checked, by_name, source, False, model)
    expressions = {
        "id": sql.cast_expression(id_column.name, "id", by_name[id_column.name].sql_type),
        "target": cast_for(target_column, by_name[target_name], model.task),
    }
    if observed:
        expressions["observed_at"] = sql.cast_expression(observed, "timestamp", by_name[observed].sql_type)
    if guard:
        for key, column in zip(("target", "observed_at"), checked, strict=False):
            sql_type = by_name[column.name].sql_type
            expressions[key] = sql.guarded(column.name, column.kind, sql_type, expressions[key], True)
    return id_column, columns, expressions
