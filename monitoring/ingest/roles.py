"""Which column plays which part, and whether a feature is numeric or categorical.

Inference looks at names first and values second, is always shown to the user, and every guess
can be overridden. Empty or blank values are missing and do not count. The numeric/categorical
rule for features (also in the README):
- booleans, and text (fewer than NUMERIC_SHARE of the values are numbers) -> categorical;
- numbers, if any value has a fractional part -> numeric;
- whole numbers (1, 2.0) with at most MAX_CODE_VALUES distinct values -> categorical (codes such
  as season 1-4 or weekday 0-6); with more -> numeric;
- a column where at least NUMERIC_SHARE of the values are numbers but some are not is taken as
  numeric and the file is rejected with the bad values named, rather than silently becoming text
  (`--categorical COL` or `--keep-bad-values` are the ways out).
Other roles have a fixed kind: score and latency numeric; status and version categorical;
prediction and target categorical for classification, numeric for regression. A column named
like a timestamp becomes the timestamp if at least NUMERIC_SHARE of its values are dates (the
rest are then refused as bad values); without such a name, the first column whose values are all
dates is taken.
"""

from dataclasses import dataclass, field

from monitoring.errors import InputError
from monitoring.ingest.limits import excerpt
from monitoring.ingest.names import role_from_name
from monitoring.schema import Column, ColumnProfile

MAX_CODE_VALUES = 10
MAX_CLASSES = 50

ROLES = (
    "id",
    "timestamp",
    "prediction",
    "score",
    "target",
    "feature",
    "sensitive",
    "latency",
    "status",
    "version",
    "segment",
    "observed_at",
    "ignore",
)
SINGLE_ROLES = ("id", "timestamp", "prediction", "target", "latency", "status", "version", "observed_at")


@dataclass
class RoleOverrides:
    """Roles and kinds the user chose; anything left empty is inferred."""

    task: str | None = None
    id: str | None = None
    timestamp: str | None = None
    prediction: str | None = None
    score: list[str] = field(default_factory=list)
    target: str | None = None
    latency: str | None = None
    status: str | None = None
    version: str | None = None
    observed_at: str | None = None
    sensitive: list[str] = field(default_factory=list)
    segment: list[str] = field(default_factory=list)
    categorical: list[str] = field(default_factory=list)
    numeric: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)

    def chosen_roles(self) -> dict[str, str]:
        chosen = {getattr(self, role): role for role in SINGLE_ROLES if getattr(self, role)}
        for role in ("score", "sensitive", "segment", "ignore"):
            chosen.update({name: role for name in getattr(self, role)})
        return chosen

    def named_columns(self) -> set[str]:
        return set(self.chosen_roles()) | set(self.categorical) | set(self.numeric)

    def only(self, present: set[str]) -> "RoleOverrides":
        """The same choices, without those naming columns that are not in `present`."""
        values = {}
        for name, value in vars(self).items():
            if isinstance(value, list):
                values[name] = [v for v in value if v in present]
            elif name != "task":
                values[name] = value if value in present else None
            else:
                values[name] = value
        return RoleOverrides(**values)


def kind_from_values(profile: ColumnProfile) -> str:
    if profile.is_bool or not profile.mostly_numeric:
        return "categorical"
    if profile.integral == profile.non_null and profile.distinct <= MAX_CODE_VALUES:
        return "categorical"
    return "numeric"


def kind_for_role(role: str, profile: ColumnProfile, task: str | None) -> str:
    if role == "id":
        return "id"
    if role in ("timestamp", "observed_at"):
        return "timestamp"
    if role in ("score", "latency"):
        return "numeric"
    if role in ("status", "version"):
        return "categorical"
    if role in ("prediction", "target"):
        return "numeric" if task == "regression" else "categorical"
    return kind_from_values(profile)


def infer_roles(
    profiles: list[ColumnProfile], overrides: RoleOverrides, taken: frozenset = frozenset()
) -> dict[str, str]:
    """A role for every column: the user's choice, else a name hint, else `feature`."""
    names = {p.name for p in profiles}
    unknown = sorted(overrides.named_columns() - names)
    if unknown:
        raise InputError(
            f"the file has no column {', '.join(map(repr, unknown))}; its columns are "
            f"{excerpt(', '.join(map(repr, sorted(names))))}"
        )
    chosen = overrides.chosen_roles()
    taken = (set(chosen.values()) & set(SINGLE_ROLES)) | set(taken)
    roles = {}
    for profile in profiles:
        if profile.name in chosen:
            roles[profile.name] = chosen[profile.name]
            continue
        role = role_from_name(profile.name)
        if role in ("timestamp", "observed_at") and not profile.mostly_time:
            role = "feature"
        if role in taken:
            role = "feature"
        if role in SINGLE_ROLES:
            taken.add(role)
        roles[profile.name] = role
    if "timestamp" not in roles.values() and "timestamp" not in taken:
        timed = [p.name for p in profiles if p.looks_like_time and roles[p.name] == "feature"]
        if timed:
            roles[timed[0]] = "timestamp"
    return roles


def infer_task(profiles: dict[str, ColumnProfile], roles: dict[str, str]) -> str:
    """binary, multiclass or regression, from the prediction (or target) values."""
    for role in ("prediction", "target"):
        name = next((n for n, r in roles.items() if r == role), None)
        if name is None:
            continue
        profile = profiles[name]
        if profile.distinct <= 2:
            return "binary"
        if profile.mostly_numeric and profile.integral < profile.non_null:
            return "regression"
        if profile.mostly_numeric and profile.distinct > MAX_CLASSES:
            return "regression"
        return "multiclass"
    raise InputError(
        "cannot tell the model's task: the file has no prediction or target column I recognise; "
        "name one with --prediction COL (or --target COL) and the task with --task"
    )


def build_columns(
    profiles: list[ColumnProfile],
    overrides: RoleOverrides,
    task: str | None,
    taken: frozenset = frozenset(),
) -> list[Column]:
    """Columns with roles and kinds; `taken` holds single roles other columns already play."""
    roles = infer_roles(profiles, overrides, taken)
    chosen = overrides.chosen_roles()
    columns = []
    for profile in profiles:
        role = roles[profile.name]
        kind = kind_for_role(role, profile, task)
        if role in ("feature", "sensitive", "segment"):
            if profile.name in overrides.categorical:
                kind = "categorical"
            elif profile.name in overrides.numeric:
                kind = "numeric"
        user_chose = profile.name in chosen or profile.name in overrides.named_columns()
        columns.append(Column(profile.name, role, kind, inferred=not user_chose))
    return columns
