"""Segments for the app and the CLI: saved slices per model and the values of a grouping column,
each in its own short unit of work."""

from monitoring.context import resolve_segment
from monitoring.segments import (
    MAX_GROUP_VALUES,
    Slice,
    check_name,
    check_slice,
    group_column,
    group_columns,
    parse_slice,
    value_segment,
)
from monitoring.store import catalog, segment_sql, window_sql
from monitoring.windows import WindowSpec


def save_segment(store, model_name: str, name: str, conditions: str) -> Slice:
    """Check the conditions against the model's columns and save them under `name`."""
    name = check_name(name)
    with store.transaction() as con:
        model = catalog.get_model(con, model_name)
        found = check_slice(parse_slice(conditions, name), model)
        segment_sql.save_segment(con, model.id, name, found.text)
    return found


def list_segments(store, model_name: str) -> list[tuple[str, str]]:
    """(name, conditions) of the model's saved segments."""
    with store.connect() as con:
        model = catalog.get_model(con, model_name)
        return segment_sql.list_segments(con, model.id)


def delete_segment(store, model_name: str, name: str) -> None:
    with store.transaction() as con:
        segment_sql.delete_segment(con, catalog.get_model(con, model_name), name)


def describe(store, model_name: str, text: str | None) -> Slice | None:
    """The checked slice a segment text or saved name stands for (None for none)."""
    with store.connect() as con:
        return resolve_segment(con, catalog.get_model(con, model_name), text)


def group_values(store, model_name: str, column: str) -> list[tuple[str, int]]:
    """(segment name, production rows) of each value of a categorical column, most rows first."""
    with store.connect() as con:
        model = catalog.get_model(con, model_name)
        name = group_column(model, column)
        if not window_sql.has_rows(con, model, "production"):
            return []
        source, params = window_sql.production_source(con, model, WindowSpec("batch"))
        rows = segment_sql.group_values(con, source, params, name, MAX_GROUP_VALUES)
    return [(value_segment(name, value), count) for value, count in rows[:MAX_GROUP_VALUES]]


def group_columns_of(store, model_name: str) -> list[str]:
    """The model's categorical segment, sensitive and version columns."""
    with store.connect() as con:
        return group_columns(catalog.get_model(con, model_name))
