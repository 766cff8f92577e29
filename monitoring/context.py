"""What a report is asked for and what every section of it gets: the model, its effective
settings, the windows, the slice of rows (a segment filter, a column to group by) and the baseline,
and the SQL sources of its rows."""

from dataclasses import dataclass, field, replace
from datetime import datetime

from monitoring.errors import InputError
from monitoring.schema import Model
from monitoring.segments import (
    MAX_GROUP_VALUES,
    Slice,
    check_name,
    check_slice,
    group_column,
    is_condition_text,
    parse_slice,
    value_segment,
)
from monitoring.settings import ModelSettings
from monitoring.store import attached_sql, catalog, segment_sql, window_sql
from monitoring.store.cache import ReportCache, cached_for
from monitoring.windows import (
    TIME_UNITS,
    WHOLE_PERIOD,
    Baseline,
    Period,
    Window,
    WindowSpec,
    check_window_count,
)

SMALL = "small"
WHOLE = "__whole__"  # among the values of a grouping column: the whole (filtered) population


@dataclass(frozen=True)
class ReportRequest:
    model: str
    window: str | None = None
    period: Period = WHOLE_PERIOD
    method: str | None = None
    threshold: str | None = None
    reference_batch: int | None = None
    sections: tuple[str, ...] | None = None  # None: every registered section
    engine: str = "duckdb"  # or "spark": the production scans run on Spark (store/spark_engine.py)
    spark_master: str | None = None  # sc://: Spark Connect; None: $SPARK_REMOTE, else local[*]
    segment: str | None = None  # a slice (region=north, ...) or the name of a saved one
    by: str | None = None  # a categorical column: every record also per value of it
    baseline: str | None = None  # reference, previous or period:A..B (None: the model's setting)


@dataclass(frozen=True)
class Context:
    """What every section needs: the model, its effective settings, the windows and the slice."""

    model: Model
    settings: ModelSettings
    spec: WindowSpec
    period: Period
    windows: list[Window]
    reference_batch: int | None = None
    window_index: dict = field(default_factory=dict)
    only: tuple | None = None  # window keys: production() keeps just their rows
    span: Period | None = None  # with `only` time windows: the time they cover
    memo: dict = field(default_factory=dict)  # what several sections of one report share
    cache: ReportCache = field(default_factory=ReportCache)  # the summary cache as the report reads it
    segment: Slice | None = None  # only the rows of this slice, in production and in the baseline
    by: str | None = None  # group every figure also by this column's values (source column __segment)
    baseline: Baseline = field(default_factory=lambda: Baseline("reference"))
    segment_rows: dict = field(default_factory=dict)  # {(window key, value): rows} when grouped
    baseline_columns: frozenset = frozenset()  # the model's columns the baseline's rows hold

    def production(self, con) -> tuple[str, list]:
        source, params = window_sql.production_source(con, self.model, self.spec, self.period, self.span)
        source, params = segment_sql.filtered(source, params, self.where(), self.by)
        if self.only is None:
            return source, params
        return window_sql.only_windows(source, params, self.only)

    def restricted(self, windows: list[Window]) -> "Context":
        """The same context for some of its windows only (and, with baseline `previous`, the
        windows before them: their rows are the baseline)."""
        if self.previous:
            wanted = {w.index for w in windows} | {w.index - 1 for w in windows}
            windows = [w for w in self.windows if w.index in wanted]
        if len(windows) == len(self.windows):
            return self
        span = None
        if self.spec.unit in TIME_UNITS and windows:
            span = Period(min(w.start for w in windows), max(w.end for w in windows))
        return replace(self, windows=windows, only=tuple(w.key for w in windows), span=span, memo={})

    def reference(self, con, *, sliced: bool = True) -> tuple[str, list]:
        """The baseline's rows (see `baseline_source`): the segment's only, unless `sliced` is False
        (the bins, ranges and categories of a column are those of the whole baseline). A condition
        on a column the baseline does not hold, or on the version column, does not slice it: a
        version is compared with the same baseline as the others."""
        source, params = baseline_source(con, self)
        if not sliced:
            return source, params
        kept = [c for c in self.segment.conditions if self.slices_baseline(c.column)] if self.segment else []
        where = (
            segment_sql.where_sql(self.model, replace(self.segment, conditions=tuple(kept))) if kept else None
        )
        return segment_sql.filtered(source, params, where, self.baseline_by)

    def slices_baseline(self, column: str) -> bool:
        """Whether the baseline is cut by `column` like production (not for the version column)."""
        found = next((c for c in self.model.columns if c.name == column), None)
        return found is not None and found.role != "version" and column in self.baseline_columns

    @property
    def baseline_by(self) -> str | None:
        """The grouping column when the baseline is grouped by it too, else None."""
        return self.by if self.by and self.slices_baseline(self.by) else None

    def baseline_key(self, value):
        """Which slice of the baseline a value of the grouping column is compared with: its own,
        or the whole (filtered) baseline when the baseline is not grouped by that column."""
        return value if self.baseline_by or value == WHOLE else WHOLE

    def has_baseline(self, con) -> bool:
        """Whether there are rows to compare with (the reference batches may not be stored yet)."""
        return self.baseline.kind != "reference" or window_sql.has_rows(con, self.model, "reference")

    def where(self) -> tuple[str, list] | None:
        return None if self.segment is None else segment_sql.where_sql(self.model, self.segment)

    def index_of(self, key) -> int | None:
        return self.window_index.get(key)

    @property
    def previous(self) -> bool:
        """Each window is compared with the one before it (baseline `previous`)."""
        return self.baseline.kind == "previous"

    @property
    def segment_values(self) -> list:
        """The values of the grouping column, most rows first (None, missing, last)."""
        totals: dict = {}
        for (_, value), rows in self.segment_rows.items():
            totals[value] = totals.get(value, 0) + rows
        return sorted(totals, key=lambda v: (v is None, -totals[v], str(v)))

    def holds(self, window_key, value) -> bool:
        """Whether the value of the grouping column has rows in the window."""
        return self.segment_rows.get((window_key, value), 0) > 0

    def segment_name(self, value) -> str:
        return value_segment(self.by, value)

    def tag(self, record: dict, window_key, value, *, whole: bool = False) -> dict:
        """`record` with its segment, the segment's rows in the window and the small flag."""
        if whole:
            return {**record, "segment": None, "segment_rows": None, "flag": record.get("flag")}
        rows = self.segment_rows.get((window_key, value), 0) if window_key is not None else None
        if window_key is None:  # a record of the whole period
            rows = sum(n for (_, v), n in self.segment_rows.items() if v == value)
        small = rows is not None and rows < self.settings.min_segment_rows
        flag = SMALL if small else record.get("flag")
        return {**record, "segment": self.segment_name(value), "segment_rows": rows, "flag": flag}


def baseline_source(con, context: Context) -> tuple[str, list]:
    """The rows production is compared with, whole: the reference batches (baseline `reference`;
    also the bins of `previous` when the model has them), or production rows of a period (with
    their labels) for `period:A..B` (and for `previous` on a model without reference)."""
    baseline, model = context.baseline, context.model
    if baseline.kind == "period":
        return window_sql.production_source(con, model, WindowSpec("batch"), baseline.period)
    if baseline.kind == "previous" and not window_sql.has_rows(con, model, "reference"):
        return window_sql.production_source(con, model, WindowSpec("batch"), context.period)
    return window_sql.reference_source(con, model, context.reference_batch)


def resolve_segment(con, model: Model, text: str | None) -> Slice | None:
    """A saved slice by name, or conditions as text, checked against the model's columns."""
    if text is None or not text.strip():
        return None
    saved = segment_sql.get_segment(con, model.id, text.strip())
    if saved is not None:
        return check_slice(parse_slice(saved, text.strip()), model)
    if not is_condition_text(text):
        names = [name for name, _ in segment_sql.list_segments(con, model.id)]
        known = f"its saved segments are {', '.join(names)}" if names else "it has no saved segments"
        check_name(text)
        raise InputError(
            f"model {model.name!r} has no saved segment {text.strip()!r} ({known}); "
            "or give conditions such as region=north"
        )
    return check_slice(parse_slice(text), model)


def _settings(model: Model, request: ReportRequest) -> ModelSettings:
    settings = model.settings
    for name, value in (
        ("window", request.window),
        ("drift_method", request.method),
        ("drift_threshold", request.threshold),
        ("baseline", request.baseline),
    ):
        if value:
            settings = replace(settings, **{name: value})
    return settings


def make_context(con, request: ReportRequest) -> Context:
    model = catalog.get_model(con, request.model)
    settings = _settings(model, request)
    spec = WindowSpec.parse(settings.window)
    context = Context(
        model=model,
        settings=settings,
        spec=spec,
        period=request.period,
        windows=[],
        reference_batch=request.reference_batch,
        segment=resolve_segment(con, model, request.segment),
        by=group_column(model, request.by) if request.by else None,
        baseline=Baseline.parse(settings.baseline),
    )
    context = replace(context, baseline_columns=frozenset(_baseline_columns(con, context)))
    source, params = context.production(con)
    if context.segment is not None:
        segment_sql.check_has_rows(con, source, params, context.segment.label, model, "production")
    found, batches = _windows_and_batches(con, context)
    check_window_count(len(found), spec)
    _check_baseline(con, context)
    index = {w.key: w.index for w in found}
    # the batches of each window, for the window tokens (window_cache.py): listed in the same pass
    context = replace(context, windows=found, window_index=index, memo={"window_batches": batches})
    return grouped_by(con, context, context.by) if context.by else context


def _windows_and_batches(con, context: Context) -> tuple:
    """window_sql.windows_and_batches of the context's rows, from what each batch's rows list
    (kept while the batch exists: its rows never change), so that a new batch lists only its own.
    Kept for time or batch windows of the whole period and population (an entry per batch: not one
    set per period a user picks): a segment filter may read labels that arrive later, and
    row-count windows renumber when earlier rows arrive."""
    model, spec = context.model, context.spec
    source, params = context.production(con)
    keepable = spec.unit in (*TIME_UNITS, "batch") and context.period == WHOLE_PERIOD
    if (
        not keepable
        or context.segment
        or context.by
        or attached_sql.attached_token(con, model.id, "production")
    ):
        return window_sql.windows_and_batches(con, model, spec, source, params)
    timestamp = model.column("timestamp")
    prefix = f"windows:{timestamp and timestamp.name}:{spec}:batch:"
    batches = [b for b in catalog.batch_token(con, model.id, "production").split(",") if b]
    tokens = {prefix + batch: batch for batch in batches}

    def listed(missing) -> dict:
        found: dict = {key: [] for key in missing}
        for row in window_sql.batch_windows(con, model, source, params, [int(tokens[k]) for k in missing]):
            found[prefix + str(row[0])].append(row)
        return found

    kept = cached_for(con, model.id, tokens, listed, context.cache, hold=True)
    rows = [[int(batch), *map(_as_time, rest)] for pairs in kept.values() for batch, *rest in pairs]
    return window_sql.windows_of_batches(spec, rows)


def _as_time(value):
    """A timestamp kept as text (the cache holds JSON), as it was; numbers as they are."""
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def grouped_by(con, context: Context, column: str) -> Context:
    """The same report's context grouped by `column` (a categorical column of the model)."""
    context = replace(context, by=group_column(context.model, column), memo={})
    source, params = context.production(con)
    return replace(context, segment_rows=_segment_rows(con, context, source, params))


def _baseline_columns(con, context: Context) -> set[str]:
    model, kind = context.model, context.baseline.kind
    if kind == "reference" or (kind == "previous" and window_sql.has_rows(con, model, "reference")):
        return (
            window_sql.stored_columns(con, model, "reference")
            if window_sql.has_rows(con, model, "reference")
            else set()
        )
    return window_sql.stored_columns(con, model, "production")


def _check_baseline(con, context: Context) -> None:
    if context.baseline.kind != "period":
        return
    source, params = context.reference(con, sliced=False)
    if not segment_sql.count_rows(con, source, params):
        raise InputError(
            f"baseline {context.baseline} holds no production rows of model {context.model.name!r}; "
            "choose days that hold production data (the sidebar's From and To show its span)"
        )


def _segment_rows(con, context: Context, source: str, params: list) -> dict:
    rows = window_sql.group_rows(con, source, params, [window_sql.WINDOW, segment_sql.SEGMENT])
    values = {value for (_, value) in rows}
    if len(values) > MAX_GROUP_VALUES:
        raise InputError(
            f"{context.by!r} has {len(values):,} values in this period; group by a column with at "
            f"most {MAX_GROUP_VALUES}, or save slices of it (python -m monitoring segments add)"
        )
    return {key: n for key, n in rows.items() if key[0] in context.window_index}
