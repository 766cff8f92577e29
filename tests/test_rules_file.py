import tomllib

import pytest
import yaml

from monitoring.alerts.rules import Rule, default_rules, get_rules, save_rules
from monitoring.alerts.rules_file import dumps, export_rules, import_rules, loads
from monitoring.errors import InputError

CUSTOM = [
    Rule("slow", "latency_p99", ">=", 800.0, "medium", consecutive=3),
    Rule("income-missing", "missing_share", ">", 0.2, "high", scope='inc"ome'),
    Rule("fair", "demographic_parity_ratio", "flagged", None, "low", enabled=False),
]


@pytest.mark.parametrize("fmt", ["yaml", "toml"])
def test_rules_round_trip_through_text(fmt):
    text = dumps("credit", CUSTOM, fmt)
    assert loads(text, fmt) == CUSTOM
    parsed = yaml.safe_load(text) if fmt == "yaml" else tomllib.loads(text)
    assert parsed["model"] == "credit" and "scope" not in parsed["rules"][0]
    assert parsed["rules"][1]["scope"] == 'inc"ome' and parsed["rules"][0]["consecutive"] == 3


@pytest.mark.parametrize("suffix", [".yaml", ".yml", ".toml"])
def test_export_import_through_the_store(small_credit, tmp_path, suffix):
    store = small_credit(until_day=8)
    path = tmp_path / f"rules{suffix}"
    assert export_rules(store, "credit", path) == 12  # a new model starts with the defaults
    assert loads(path.read_text(), "toml" if suffix == ".toml" else "yaml") == default_rules()
    save_rules(store, "credit", CUSTOM)
    assert get_rules(store, "credit") == CUSTOM
    assert import_rules(store, "credit", path) == 12
    assert get_rules(store, "credit") == default_rules()


def test_bad_files_are_clear_errors_and_change_nothing(small_credit, tmp_path):
    store = small_credit(until_day=8)
    save_rules(store, "credit", CUSTOM)
    bad = tmp_path / "rules.toml"
    bad.write_text(
        '[[rules]]\nname = "x"\nmetric = "speed"\ncomparison = ">"\nthreshold = 1\nseverity = "high"\n'
    )
    with pytest.raises(InputError, match="unknown metric 'speed'; valid metrics are performance_drop"):
        import_rules(store, "credit", bad)
    bad.write_text("rules = [")
    with pytest.raises(InputError, match="not valid TOML"):
        import_rules(store, "credit", bad)
    with pytest.raises(InputError, match="must end in .yaml, .yml or .toml"):
        import_rules(store, "credit", tmp_path / "rules.json")
    with pytest.raises(InputError, match="unknown rule fields \\['colour'\\]"):
        loads(
            "rules:\n- {name: a, metric: error_rate, comparison: '>', threshold: 0.1, severity: low, colour: red}\n",
            "yaml",
        )
    with pytest.raises(InputError, match="appear more than once"):
        save_rules(store, "credit", [CUSTOM[0], CUSTOM[0]])
    assert get_rules(store, "credit") == CUSTOM
