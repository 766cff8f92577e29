"""Alert rules scoped to a segment, a version, or each value of a column: one alert per breaching
value, deduplicated as any other, and never for a segment smaller than min_segment_rows."""

from dataclasses import replace

import pytest
from segment_setup import make_store

from monitoring import catalog_api
from monitoring.alerts.evaluate import evaluate_model
from monitoring.alerts.history import list_alerts
from monitoring.alerts.rules import Rule, save_rules
from monitoring.errors import InputError

DROP = Rule("drop", "performance_drop", ">", 5.0, "critical", scope="accuracy_score")


@pytest.fixture
def model(store, ingest_frame):
    make_store(store, ingest_frame)
    return store


def _alerts(store) -> list[dict]:
    return [a for a in list_alerts(store, "m", ("open",)) if a["rule"] != "none"]


def test_each_value_of_a_column_alerts_on_its_own_and_small_ones_never(model):
    save_rules(model, "m", [replace(DROP, segment="each region")])
    evaluate_model(model, "m", notify=False)
    assert _alerts(model) == []  # islands is the weak one, but under 200 rows a week: small

    settings = catalog_api.get_model(model, "m").settings
    catalog_api.save_settings(model, "m", replace(settings, min_segment_rows=100))
    evaluate_model(model, "m", notify=False)
    found = _alerts(model)
    assert {a["scope"] for a in found} == {"accuracy_score @ region=islands"}
    assert all(a["message"].startswith("region=islands: Accuracy fell") for a in found)
    evaluate_model(model, "m", notify=False)  # again: the same alerts, not doubled
    assert len(_alerts(model)) == len(found)


def test_a_rule_on_one_segment_and_one_on_a_version(model):
    settings = catalog_api.get_model(model, "m").settings
    catalog_api.save_settings(model, "m", replace(settings, min_segment_rows=100))
    rules = [
        replace(DROP, name="islands", segment="region=islands"),
        replace(DROP, name="north", segment="region=north"),
        Rule("volume", "prediction_count", ">", 10.0, "low", version="1"),
    ]
    save_rules(model, "m", rules)
    evaluate_model(model, "m", notify=False)
    found = {(a["rule"], a["scope"]) for a in _alerts(model)}
    assert ("islands", "accuracy_score @ region=islands") in found
    assert not any(rule == "north" for rule, _ in found)
    assert ("volume", "@ version=1") in found


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (replace(DROP, segment="each amount"), "cannot group by 'amount'"),
        (replace(DROP, segment="planet=mars"), "no column 'planet'"),
        (replace(DROP, segment="no-such-saved-one"), "no saved segment"),
    ],
)
def test_a_rule_whose_segment_does_not_fit_the_model_is_refused(model, rule, message):
    with pytest.raises(InputError, match=message):
        save_rules(model, "m", [rule])


def test_a_rule_watches_a_segment_or_a_version_not_both():
    with pytest.raises(InputError, match="not both"):
        replace(DROP, segment="region=north", version="1")
    with pytest.raises(InputError, match="'each' needs a column"):
        replace(DROP, segment="each ")
