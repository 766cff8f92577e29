"""Rules that require significance: they fire only where the whole 95% interval is beyond the line."""

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from monitoring.alerts.evaluate import evaluate_model
from monitoring.alerts.history import list_alerts
from monitoring.alerts.rules import Rule, breaches, save_rules
from monitoring.alerts.rules_file import dumps, loads
from monitoring.alerts.watch import Observation
from monitoring.catalog_api import get_model, save_settings
from monitoring.errors import InputError
from monitoring.ingest.roles import RoleOverrides
from monitoring.intervals import wilson

ROLES = RoleOverrides(task="binary", id="id", timestamp="ts", prediction="prediction", target="label")
# (day, rows, correct rows): day 1 straddles 0.78, day 2 is good, day 3 lies wholly below 0.78
DAYS = ((1, 150, 114), (2, 400, 360), (3, 2000, 1400))


def _day(day: int, rows: int, correct: int) -> pd.DataFrame:
    label = np.tile([0, 1], rows // 2 + 1)[:rows]
    prediction = np.where(np.arange(rows) < correct, label, 1 - label)
    return pd.DataFrame(
        {
            "id": [f"{day}-{i}" for i in range(rows)],
            "ts": pd.Timestamp(f"2024-03-0{day}") + pd.to_timedelta(np.arange(rows), unit="s"),
            "x": np.arange(rows, dtype=float),
            "prediction": prediction,
            "label": label,
        }
    )


def test_the_fixture_days_straddle_and_lie_beyond_the_threshold():
    low, high = wilson(114, 150)
    assert low < 0.78 < high and 114 / 150 < 0.78
    assert wilson(1400, 2000)[1] < 0.78
    assert wilson(360, 400)[0] > 0.78


def test_a_rule_requiring_significance_fires_only_where_the_whole_interval_is_beyond(store, ingest_frame):
    frame = pd.concat([_day(*d) for d in DAYS], ignore_index=True)
    ingest_frame(store, frame, model="m", kind="production", overrides=ROLES)
    save_settings(store, "m", replace(get_model(store, "m").settings, window="day"))
    save_rules(
        store,
        "m",
        [
            Rule("plain", "performance", "<", 0.78, "high", scope="accuracy_score"),
            Rule("sure", "performance", "<", 0.78, "high", scope="accuracy_score", require_significant=True),
        ],
    )
    evaluate_model(store, "m", notify=False)
    starts = {}
    for alert in list_alerts(store, "m"):
        starts.setdefault(alert["rule"], []).append(str(alert["window_start"])[:10])
    assert sorted(starts["plain"]) == ["2024-03-01", "2024-03-03"]
    assert starts["sure"] == ["2024-03-03"]


def test_significance_reads_the_interval_end_nearest_the_threshold():
    above = Rule("r", "performance", ">", 0.5, "low", require_significant=True)
    below = Rule("r", "performance", "<=", 0.5, "low", require_significant=True)
    straddling = Observation(0, "accuracy_score", 0.6, lower=0.45, upper=0.7)
    beyond = Observation(0, "accuracy_score", 0.6, lower=0.55, upper=0.7)
    assert breaches(above, straddling) is False and breaches(above, beyond) is True
    assert breaches(below, Observation(0, "", 0.4, lower=0.3, upper=0.5)) is True
    assert breaches(above, Observation(0, "", 0.9)) is None  # no interval: nothing to judge
    assert breaches(Rule("r", "performance", ">", 0.5, "low"), Observation(0, "", 0.9)) is True


def test_rules_files_round_trip_require_significant_and_leave_it_out_when_false():
    rules = [
        Rule("sure", "demographic_parity_ratio", "<", 0.8, "high", require_significant=True),
        Rule("plain", "latency_p95", ">", 500.0, "high"),
    ]
    for fmt in ("yaml", "toml"):
        text = dumps("m", rules, fmt)
        assert text.count("require_significant") == 1
        assert loads(text, fmt) == rules


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"metric": "latency_p95", "comparison": ">", "threshold": 500.0}, "needs a figure with an interval"),
        ({"metric": "prediction_drift", "comparison": "flagged"}, "needs a figure with an interval"),
        ({"metric": "performance", "comparison": ">", "threshold": 0.5, "significant": 1}, "unknown rule"),
    ],
)
def test_require_significant_is_refused_where_there_is_no_interval(values, expected):
    values = {"name": "r", "severity": "high", "require_significant": True, **values}
    with pytest.raises(InputError, match=expected):
        Rule.from_dict(values)
