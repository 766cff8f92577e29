"""Changing the roles of a model's columns after its files are stored (`roles --set COL=ROLE[:KIND]`).

Stored rows stay; a change of kind converts the stored values (numbers to text always works; text
to numbers only when every stored value is a number). A change that cannot apply is refused with
the reason, and nothing changes:
- a column the model does not have, a role or kind that does not exist;
- the timestamp and the labels' observed_at: they decide which window a row is in, so they are set
  by the first file and not moved afterwards (start a new model to change them);
- two columns in a role only one may play (two predictions, two ids);
- taking the id away from a model that has labels (they join on it);
- a prediction or target whose kind does not fit the task (numeric for regression, categorical
  for classification);
- text to numbers when some stored values are not numbers (one is named).
"""

from dataclasses import replace

from monitoring.errors import InputError
from monitoring.ingest.roles import ROLES, SINGLE_ROLES
from monitoring.schema import Column, Model

KINDS = ("numeric", "categorical")
FIXED_ROLES = ("timestamp", "observed_at")
FIXED_KINDS = {"id": "id", "score": "numeric", "latency": "numeric", "status": "categorical"}
FIXED_KINDS["version"] = "categorical"


def parse_changes(texts: list[str]) -> dict[str, tuple[str, str | None]]:
    """`["repaid=target", "age=feature:categorical"]` -> {column: (role, kind or None)}."""
    changes = {}
    for text in texts:
        name, sep, wanted = text.rpartition("=")
        role, _, kind = wanted.partition(":")
        if not sep or not name.strip() or not role:
            raise InputError(
                f"cannot read {text!r}; write COLUMN=ROLE or COLUMN=ROLE:KIND, e.g. repaid=target"
            )
        changes[name.strip()] = (role.strip(), kind.strip() or None)
    return changes


def changed_columns(model: Model, changes: dict, *, has_labels: bool) -> list[Column]:
    """The model's columns with `changes` applied, or an InputError saying why not."""
    by_name = {c.name: c for c in model.columns}
    columns = [_changed(model, by_name, name, role, kind) for name, (role, kind) in changes.items()]
    updated = {c.name: c for c in columns}
    result = [updated.get(c.name, c) for c in model.columns]
    _check_single_roles(result)
    if has_labels and model.column("id") and not any(c.role == "id" for c in result):
        raise InputError(
            f"the model has labels, which join its rows by the id {model.column('id').name!r}; keep an id column"
        )
    return result


def _changed(model: Model, by_name: dict, name: str, role: str, kind: str | None) -> Column:
    column = by_name.get(name)
    if column is None:
        raise InputError(f"model {model.name!r} has no column {name!r}; its columns are {', '.join(by_name)}")
    if role not in ROLES:
        raise InputError(f"unknown role {role!r} for {name!r}; use one of {', '.join(ROLES)}")
    if kind is not None and kind not in KINDS:
        raise InputError(f"unknown kind {kind!r} for {name!r}; use numeric or categorical")
    if role in FIXED_ROLES or column.role in FIXED_ROLES:
        if role != column.role:
            raise InputError(
                f"{name!r} decides which window each row is in ({column.role if column.role in FIXED_ROLES else role}); "
                "it is set by the first file and cannot move: start a new model to change it"
            )
    return replace(column, role=role, kind=_kind(model, column, role, kind), inferred=False)


def _kind(model: Model, column: Column, role: str, kind: str | None) -> str:
    if role in FIXED_KINDS:
        return FIXED_KINDS[role]
    if role in ("prediction", "target"):
        fitting = "numeric" if model.task == "regression" else "categorical"
        if kind is not None and kind != fitting:
            raise InputError(
                f"a {role} of a {model.task} model is {fitting}; {column.name!r} cannot be {kind}"
            )
        return fitting
    if kind is not None:
        return kind
    return column.kind if column.kind in KINDS else "categorical"


def _check_single_roles(columns: list[Column]) -> None:
    for role in SINGLE_ROLES:
        playing = [c.name for c in columns if c.role == role]
        if len(playing) > 1:
            raise InputError(
                f"only one column can be the {role}, but {' and '.join(map(repr, playing))} would be"
            )
