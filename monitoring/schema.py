"""The domain's plain values, below the store and every section: a model, its columns, and what
one pass over a staged file tells about a column."""

from dataclasses import dataclass, field

from monitoring.errors import InputError
from monitoring.settings import ModelSettings

ROW_KINDS = ("reference", "production")
BATCH_KINDS = ("reference", "production", "labels")
TASKS = ("binary", "multiclass", "regression")
NUMERIC_SHARE = 0.95  # at least this share of numbers makes a column numeric (see ingest/roles.py)


def quote(identifier: str) -> str:
    """Quote a column or table name from a user file so that it is never read as SQL (the one rule
    the store uses for every identifier)."""
    return '"' + str(identifier).replace('"', '""') + '"'


@dataclass(frozen=True)
class Column:
    name: str
    role: str
    kind: str
    inferred: bool = True


@dataclass(frozen=True)
class Model:
    id: int
    name: str
    task: str
    settings: ModelSettings
    data_version: int
    columns: tuple[Column, ...] = field(default=())

    def columns_with(self, *roles: str) -> list[Column]:
        return [c for c in self.columns if c.role in roles]

    def column(self, role: str) -> Column | None:
        found = self.columns_with(role)
        return found[0] if found else None

    @property
    def features(self) -> list[Column]:
        return self.columns_with("feature", "sensitive", "segment")

    def table(self, kind: str) -> str:
        """The quoted name of this model's table of reference rows, production rows or labels."""
        if kind not in BATCH_KINDS:
            raise InputError(f"unknown kind {kind!r}; use one of {', '.join(BATCH_KINDS)}")
        return quote(f"m{self.id}_{kind}")


@dataclass(frozen=True)
class ColumnProfile:
    """What one SQL pass over a staged file tells about a column."""

    name: str
    sql_type: str
    non_null: int
    numeric: int
    integral: int
    distinct: int
    timestamps: int
    longest: int = 0  # characters of the longest value read as text (0 for numbers, times, booleans)

    @property
    def is_text(self) -> bool:
        return self.sql_type == "VARCHAR"

    @property
    def is_bool(self) -> bool:
        return self.sql_type == "BOOLEAN"

    @property
    def mostly_numeric(self) -> bool:
        return self.non_null > 0 and not self.is_bool and self.numeric >= NUMERIC_SHARE * self.non_null

    @property
    def looks_like_time(self) -> bool:
        """Every value is a date or time (or the file's own type says so)."""
        if "TIMESTAMP" in self.sql_type or self.sql_type == "DATE":
            return True
        return self.is_text and self.non_null > 0 and self.timestamps == self.non_null

    @property
    def mostly_time(self) -> bool:
        """At least NUMERIC_SHARE of the values are dates: enough for a column named like one."""
        if self.looks_like_time:
            return True
        return self.is_text and self.non_null > 0 and self.timestamps >= NUMERIC_SHARE * self.non_null
