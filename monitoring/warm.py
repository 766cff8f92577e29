"""The model's default view kept ready: a finished report kept whole, and the warm-up an ingest
ends with, so that the first page after an ingest reads its report instead of computing it.

A kept report is valid while everything it was computed from is unchanged: the model's batches of
every kind (an attached dataset's files included), its data version, columns and settings, its
saved segments, and the request itself. Any change gives another token, so the report is computed
again (its sections still reuse the summaries of the windows that did not change, see
window_cache.py), and other code drops every kept report (store/cache.py). Its freshness and
alerts records, which change with the clock and with the alert history rather than with the data,
are read anew on every use.
"""

import hashlib
import json
from dataclasses import asdict
from datetime import datetime

from monitoring.alerts.history import alert_records
from monitoring.context import ReportRequest
from monitoring.freshness import freshness_record, utc_now
from monitoring.progress import Progress, silent
from monitoring.report import SECTIONS, Report, build_report, finite
from monitoring.schema import BATCH_KINDS
from monitoring.settings import ModelSettings
from monitoring.store import catalog, segment_sql
from monitoring.store.cache import forget_other_versions, keep, kept_entry
from monitoring.store.window_sql import has_rows

STEP = "preparing the default view"
KEY_PREFIX = "report:"


def cached_report(store, request: ReportRequest, progress: Progress = silent) -> Report:
    """The report of `request`, read whole from the store when nothing it depends on changed,
    else computed (and kept, while the model's kept reports made from older data are dropped).
    Grouped reports and reports of some sections only are not kept."""
    if request.by is not None or request.sections is not None:
        return build_report(store, request, progress)
    with store.connect() as con:
        model = catalog.get_model(con, request.model)
        token = _token(con, model)  # the token before the report: see below
        key = _key(request, token)
        kept = kept_entry(con, model.id, key)
        if kept is not None:
            return Report(_refreshed(con, model, kept[1]))
    # Read before the report's snapshot: an ingest committed in between is in the report but not
    # in the token, so the next read computes again; never the reverse (a stale report kept).
    report = build_report(store, request, progress)
    with store.connect() as con:
        keep(con, model.id, key, token, report.to_dict())
        forget_other_versions(con, model.id, KEY_PREFIX, key.rsplit(":", 1)[1])
    return report


def warm_default_view(store, model_name: str, progress: Progress = silent) -> bool:
    """Compute and keep the model's default view (every section, its default window, period,
    reference and baseline), as the dashboard's first page asks for it; False when the model has
    no production rows yet (nothing to show)."""
    with store.connect() as con:
        if not has_rows(con, catalog.get_model(con, model_name), "production"):
            return False
    progress(STEP, 0.0)

    def step(name: str, fraction: float) -> None:
        progress(f"{STEP}: {name}", fraction)

    cached_report(store, ReportRequest(model_name), step)
    return True


def _key(request: ReportRequest, token: str) -> str:
    """`report:<the request>:<what the model's reports are made from>`, each as a hash."""
    described = json.dumps([list(SECTIONS), asdict(request)], default=str, sort_keys=True)
    return f"{KEY_PREFIX}{_hash(described)}:{_hash(token)}"


def _hash(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()


def _token(con, model) -> str:
    """What the model's reports are made from, as text."""
    return json.dumps(
        {
            "batches": {kind: catalog.batch_token(con, model.id, kind) for kind in BATCH_KINDS},
            "data_version": model.data_version,
            "columns": repr(model.columns),
            "settings": model.settings.to_dict(),
            "segments": segment_sql.list_segments(con, model.id),
        },
        default=str,
        sort_keys=True,
    )


def _refreshed(con, model, data: dict) -> dict:
    """A kept report's data with its freshness and alerts read now."""
    windows = data.get("windows") or []
    latest = windows[-1]["index"] if windows else None
    delay = ModelSettings.from_dict(data.get("settings") or {}).label_delay_days
    fresh = {
        "generated_at": datetime.now().isoformat(timespec="seconds"),
        "freshness": [freshness_record(con, model, delay, utc_now(), latest)],
        "alerts": alert_records(con, model, {w["start"]: w["index"] for w in windows}),
    }
    return {**data, **{k: finite(v) for k, v in fresh.items() if k in data}}
