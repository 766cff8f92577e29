"""What a report is asked for and what every section of it gets: the model, its effective
settings, the windows and the SQL sources of its rows."""

from dataclasses import dataclass, field, replace

from monitoring.schema import Model
from monitoring.settings import ModelSettings
from monitoring.store import catalog, window_sql
from monitoring.windows import WHOLE_PERIOD, Period, Window, WindowSpec, check_window_count


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
    spark_master: str | None = None  # None: $SPARK_REMOTE (Spark Connect), else local[*]


@dataclass(frozen=True)
class Context:
    """What every section needs: the model, its effective settings and the windows."""

    model: Model
    settings: ModelSettings
    spec: WindowSpec
    period: Period
    windows: list[Window]
    reference_batch: int | None = None
    window_index: dict = field(default_factory=dict)
    only: tuple | None = None  # window keys: production() keeps just their rows
    memo: dict = field(default_factory=dict)  # what several sections of one report share

    def production(self, con) -> tuple[str, list]:
        source, params = window_sql.production_source(con, self.model, self.spec, self.period)
        if self.only is None:
            return source, params
        return window_sql.only_windows(source, params, self.only)

    def restricted(self, windows: list[Window]) -> "Context":
        """The same context for some of its windows only."""
        if len(windows) == len(self.windows):
            return self
        return replace(self, windows=windows, only=tuple(w.key for w in windows), memo={})

    def reference(self, con) -> tuple[str, list]:
        return window_sql.reference_source(con, self.model, self.reference_batch)

    def index_of(self, key) -> int | None:
        return self.window_index.get(key)


def make_context(con, request: ReportRequest) -> Context:
    model = catalog.get_model(con, request.model)
    settings = model.settings
    if request.window:
        settings = replace(settings, window=request.window)
    if request.method:
        settings = replace(settings, drift_method=request.method)
    if request.threshold:
        settings = replace(settings, drift_threshold=request.threshold)
    spec = WindowSpec.parse(settings.window)
    found = window_sql.list_windows(con, model, spec, request.period)
    check_window_count(len(found), spec)
    return Context(
        model=model,
        settings=settings,
        spec=spec,
        period=request.period,
        windows=found,
        reference_batch=request.reference_batch,
        window_index={w.key: w.index for w in found},
    )
