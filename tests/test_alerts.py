from datetime import datetime, timedelta

import pytest

from monitoring.alerts.findings import evaluate, observations
from monitoring.alerts.rules import COMPARISONS, METRICS, SEVERITIES, Rule, default_rules
from monitoring.errors import InputError
from monitoring.report import Report

YEAR = datetime.now().year


def windows(n: int, first_day: int = 3, month: int = 11) -> list[dict]:
    return [
        {
            "index": i,
            "start": (datetime(YEAR, month, first_day) + timedelta(days=7 * i)).isoformat(),
            "end": None,
            "rows": 100,
        }
        for i in range(n)
    ]


def perf(values, baseline=0.88, metric="accuracy_score", kind="realized") -> list[dict]:
    return [
        {
            "window": i,
            "metric": metric,
            "value": v,
            "baseline": baseline,
            "kind": kind,
            "lower": None,
            "upper": None,
            "labelled_rows": 100,
        }
        for i, v in enumerate(values)
    ]


def report(n: int, **sections) -> Report:
    return Report({"model": "m", "task": "binary", "window": "week", "windows": windows(n), **sections})


def test_accuracy_drop_message_reads_like_a_sentence():
    found = evaluate(report(1, performance=perf([0.81])), default_rules())
    assert len(found) == 1
    assert (
        found[0].message
        == "Accuracy fell to 0.81, 7.0 points below its baseline of 0.88, in the week of 3 Nov"
    )
    assert found[0].value == pytest.approx(7.0)
    assert found[0].rule.severity == "critical" and found[0].active
    assert found[0].label == "the week of 3 Nov"


def test_drop_within_five_points_does_not_fire_and_estimated_is_watched_too():
    records = perf([0.84]) + perf([0.80], kind="estimated")
    found = evaluate(report(1, performance=records), default_rules())
    assert [f.scope for f in found] == ["accuracy_score/estimated"]
    assert found[0].message.startswith("Estimated accuracy fell to 0.80, 8.0 points below")


def test_regression_error_drop_is_relative_to_the_baseline():
    records = perf([105.0, 110.0], baseline=100.0, metric="mean_absolute_error")
    found = evaluate(report(2, performance=records), default_rules())
    assert len(found) == 1 and found[0].window == 1
    assert found[0].value == pytest.approx(10.0)
    assert (
        found[0].message
        == "Mean absolute error rose to 110, 10.0% above its baseline of 100, in the week of 10 Nov"
    )


def test_consecutive_windows_must_all_breach():
    rule = Rule("lat", "latency_p95", ">", 500.0, "high", consecutive=2)
    p95 = [600, 400, 700, 800, 900, 300]
    ops = [{"window": i, "metric": "latency_p95", "value": v} for i, v in enumerate(p95)]
    found = evaluate(report(6, operations=ops), [rule])
    assert len(found) == 1  # window 0 alone is not enough; windows 2-4 are one episode
    episode = found[0]
    assert episode.window == 4 and episode.value == 900 and not episode.active
    assert episode.first_window_start == windows(6)[2]["start"]
    assert episode.cleared_in == "the week of 8 Dec"
    assert "(3 windows in a row)" in episode.message


def test_missing_values_neither_breach_nor_clear():
    rule = Rule("acc", "performance_drop", ">", 5.0, "critical")
    found = evaluate(report(3, performance=perf([0.80, None, None])), [rule])
    assert len(found) == 1 and found[0].active and found[0].window == 0


def test_flagged_uses_the_sections_verdict_and_counts_drifted_features():
    drift = [
        {
            "window": 0,
            "column": c,
            "role": "feature",
            "kind": "numeric",
            "method": "ks",
            "statistic": s,
            "p_value": p,
            "threshold": 0.05,
            "drifted": p < 0.05,
        }
        for c, s, p in [("a", 0.3, 0.001), ("b", 0.2, 0.01), ("c", 0.25, 0.02), ("d", 0.01, 0.9)]
    ] + [
        {
            "window": 0,
            "column": "score",
            "role": "prediction",
            "kind": "numeric",
            "method": "wasserstein",
            "statistic": 0.05,
            "p_value": None,
            "threshold": 0.1,
            "drifted": False,
        }
    ]
    found = evaluate(report(1, drift=drift), default_rules())
    by_rule = {}
    for f in found:
        by_rule.setdefault(f.rule.name, []).append(f)
    assert sorted(f.scope for f in by_rule["feature-drift"]) == ["a", "b", "c"]
    assert by_rule["many-features-drift"][0].value == 3.0
    assert "prediction-drift" not in by_rule
    assert by_rule["feature-drift"][0].message == (
        "Feature 'a' drifted (ks test, p = 0.001 < 0.05), in the week of 3 Nov"
    )


def test_fairness_quality_and_error_rate_rules():
    sections = {
        "fairness_disparities": [
            {
                "window": 0,
                "attribute": "gender",
                "metric": "demographic_parity",
                "difference": 0.2,
                "ratio": 0.7,
                "passes": False,
            },
            {
                "window": None,
                "attribute": "gender",
                "metric": "demographic_parity",
                "difference": 0.2,
                "ratio": 0.7,
                "passes": False,
            },
        ],
        "data_quality": [
            {
                "window": 0,
                "column": "age",
                "metric": "missing_share",
                "value": 0.06,
                "count": 6,
                "examples": None,
            },
            {
                "window": 0,
                "column": "region",
                "metric": "unseen_category_share",
                "value": 0.3,
                "count": 30,
                "examples": ["online"],
            },
        ],
        "operations": [{"window": 0, "metric": "error_rate", "value": 0.012}],
    }
    messages = sorted(f.message for f in evaluate(report(1, **sections), default_rules()))
    assert messages == [
        "Column 'region' had 30.0% of values in categories unseen in the reference, e.g. online, in the week of 3 Nov",
        "Demographic parity ratio for 'gender' was 0.70 (limit < 0.80), in the week of 3 Nov",
        "Error rate was 1.2% (limit > 1.0%), in the week of 3 Nov",
        "Missing share of column 'age' was 6.0% (limit > 5.0%), in the week of 3 Nov",
    ]


def test_scope_limits_a_rule_to_one_column():
    data_quality = [
        {"window": 0, "column": c, "metric": "missing_share", "value": 0.5, "count": 50, "examples": None}
        for c in ("age", "income")
    ]
    rule = Rule("income-missing", "missing_share", ">", 0.1, "high", scope="income")
    assert [o.scope for o in observations(rule, report(1, data_quality=data_quality))] == ["income"]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"metric": "nope"}, "valid metrics are performance_drop"),
        ({"comparison": "=="}, "valid comparisons are >, >=, <, <=, flagged"),
        ({"severity": "urgent"}, "valid severities are critical, high, medium, low"),
        ({"threshold": "five"}, "threshold must be a number"),
        ({"threshold": None}, "threshold must be a number"),
        ({"consecutive": 0}, "consecutive must be a whole number"),
        ({"comparison": "flagged"}, "latency_p95 has no verdict of its own"),
        ({"scope": "age"}, "latency_p95 is model-wide and takes no scope"),
        ({"threshold": -1.0}, "threshold -1 is negative; latency_p95 never is"),
        (
            {"metric": "error_rate", "threshold": 5.0},
            "threshold 5 is outside 0..1 for error_rate \\(a share: 0.01",
        ),
    ],
)
def test_validation_names_the_valid_choices(values, expected):
    fields = {"name": "r", "metric": "latency_p95", "comparison": ">", "threshold": 500.0, "severity": "high"}
    with pytest.raises(InputError, match=expected):
        Rule(**{**fields, **values})


def test_defaults_cover_the_issue_and_are_valid():
    rules = {r.name: r for r in default_rules()}
    assert len(rules) == 12
    assert (
        rules["no-production-data"].metric == "hours_since_production"
        and rules["no-production-data"].threshold == 24
    )
    assert rules["labels-overdue"].metric == "labels_overdue_days" and rules["labels-overdue"].threshold == 7
    assert rules["business-value-drop"].metric == "business_value_drop"
    assert rules["business-value-drop"].threshold == 20 and rules["business-value-drop"].severity == "high"
    assert rules["performance-drop"].severity == "critical" and rules["performance-drop"].threshold == 5
    assert rules["latency-p95"].threshold == 500 and rules["error-rate"].threshold == 0.01
    assert rules["demographic-parity"].comparison == "<" and rules["demographic-parity"].threshold == 0.8
    assert {r.severity for r in rules.values()} <= set(SEVERITIES)
    assert all(r.metric in METRICS and r.comparison in COMPARISONS for r in rules.values())
    assert default_rules(latency_slo_ms=250)[4].threshold == 250


@pytest.fixture(scope="module")
def credit_report(demo_store):
    from monitoring.report import ReportRequest, build_report

    return build_report(demo_store, ReportRequest(model="credit"))


def test_planted_demo_problems_are_found(credit_report):
    found = evaluate(credit_report, default_rules())
    by_rule = {}
    for f in found:
        by_rule.setdefault(f.rule.name, []).append(f)
    latency = by_rule["latency-p95"][0]  # day 33 = 3 Apr 2024, week of 1 Apr
    assert latency.window_start.startswith("2024-04-01") and not latency.active
    assert by_rule["error-rate"][0].window_start.startswith("2024-04-15")  # day 50 = 20 Apr
    assert by_rule["missing-values"][0].scope == "employment_years"
    assert by_rule["missing-values"][0].window_start.startswith("2024-03-25")  # day 25 = 26 Mar
    assert "online" in by_rule["unseen-categories"][0].message
    assert by_rule["demographic-parity"][0].scope == "gender" and by_rule["demographic-parity"][0].active
    assert "credit_score" in {f.scope for f in by_rule["feature-drift"]}
    # the value an alert reports is the one in the report
    ops = {(r["window"], r["metric"]): r["value"] for r in credit_report["operations"]}
    assert latency.value == ops[(latency.window, "latency_p95")]
