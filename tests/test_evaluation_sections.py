"""The alert evaluation after an ingest builds only the report sections its rules read."""

from datetime import datetime

import pytest

from monitoring import freshness
from monitoring import report as report_module
from monitoring.alerts.evaluate import evaluate_model
from monitoring.alerts.findings import evaluate
from monitoring.alerts.rules import load_rules
from monitoring.alerts.watch import METRICS, SECTION_OF, sections_for
from monitoring.report import ReportRequest, build_report
from monitoring.store import catalog

T1 = datetime(2026, 1, 1, 9)


def _rules(store):
    with store.connect() as con:
        return load_rules(con, catalog.get_model(con, "credit"))


@pytest.fixture
def one_clock(monkeypatch):
    """Every report reads the same time: the age of the newest row, read twice, could round apart."""
    monkeypatch.setattr(freshness, "utc_now", lambda: datetime(2026, 12, 2, 12, 0))


def test_every_metric_reads_only_the_section_named_for_it(small_credit, one_clock):
    store = small_credit(until_day=35)
    full = build_report(store, ReportRequest("credit"))
    assert set(SECTION_OF) == set(METRICS)
    for name, spec in METRICS.items():
        alone = build_report(store, ReportRequest("credit", sections=(SECTION_OF[name],)))
        assert _comparable(spec.observe(alone)) == _comparable(spec.observe(full)), name


def _comparable(observations):
    return [(o.window, o.scope, o.value, o.flagged, o.detail) for o in observations]


def test_the_findings_of_the_rules_sections_equal_those_of_the_full_report(small_credit, one_clock):
    store = small_credit(until_day=35)
    rules = [r for r in _rules(store) if not r.segment and not r.version]
    full = evaluate(build_report(store, ReportRequest("credit")), rules)
    needed = evaluate(build_report(store, ReportRequest("credit", sections=sections_for(rules))), rules)
    assert full  # the credit demo breaches some default rules
    assert [(f.key, f.value, f.message, f.active) for f in needed] == [
        (f.key, f.value, f.message, f.active) for f in full
    ]


def test_an_evaluation_never_computes_weak_segments_versions_or_the_alert_history(small_credit, monkeypatch):
    store = small_credit(until_day=35)
    computed = []
    for name, compute in list(report_module.SECTIONS.items()):
        monkeypatch.setitem(
            report_module.SECTIONS,
            name,
            lambda con, ctx, n=name, f=compute: computed.append(n) or f(con, ctx),
        )
    result = evaluate_model(store, "credit", notify=False, at=T1)
    assert result.opened
    assert {"weak_segments", "versions", "alerts"}.isdisjoint(computed)
    assert set(computed) == set(sections_for(_rules(store)))
