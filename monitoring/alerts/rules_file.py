"""Alert rules to and from a YAML or TOML file, so a team can keep them in version control.

Both formats hold `model` (informational) and a list `rules` of tables with the Rule fields;
`scope`, `segment` and `version` are left out when a rule watches everything (TOML has no null).
"""

import json
import tomllib
from pathlib import Path

import yaml

from monitoring.alerts.rules import FIELDS, Rule, get_rules, save_rules
from monitoring.errors import InputError

FORMATS = {".yaml": "yaml", ".yml": "yaml", ".toml": "toml"}


def format_of(path: str | Path) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise InputError(f"rules file {str(path)!r} must end in .yaml, .yml or .toml")
    return FORMATS[suffix]


def _clean(rule: Rule) -> dict:
    values = rule.to_dict()
    return {k: values[k] for k in FIELDS if values[k] is not None}


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(float(value)) if isinstance(value, float) else str(value)
    return json.dumps(str(value), ensure_ascii=False)


def dumps(model: str, rules: list[Rule], fmt: str) -> str:
    """The rules as YAML or TOML text."""
    if fmt == "yaml":
        return yaml.safe_dump({"model": model, "rules": [_clean(r) for r in rules]}, sort_keys=False)
    lines = [f"# alert rules of model {model}", f"model = {_toml_value(model)}"]
    for rule in rules:
        lines += ["", "[[rules]]"] + [f"{k} = {_toml_value(v)}" for k, v in _clean(rule).items()]
    return "\n".join(lines) + "\n"


def loads(text: str, fmt: str) -> list[Rule]:
    """Parse and validate every rule; the first problem is an InputError naming the rule."""
    try:
        data = yaml.safe_load(text) if fmt == "yaml" else tomllib.loads(text)
    except (yaml.YAMLError, tomllib.TOMLDecodeError) as error:
        raise InputError(f"the rules file is not valid {fmt.upper()}: {error}") from error
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
        raise InputError("a rules file needs a list `rules` (see `python -m monitoring rules export`)")
    rules = []
    for i, item in enumerate(data["rules"], start=1):
        if not isinstance(item, dict):
            raise InputError(f"rule {i} must be a table of fields {', '.join(FIELDS)}")
        values = dict(item)
        if isinstance(values.get("threshold"), int) and not isinstance(values.get("threshold"), bool):
            values["threshold"] = float(values["threshold"])
        rules.append(Rule.from_dict(values))
    return rules


def export_rules(store, model_name: str, path: str | Path) -> int:
    """Write the model's rules to `path` (.yaml/.yml/.toml); return how many."""
    fmt = format_of(path)
    rules = get_rules(store, model_name)
    Path(path).write_text(dumps(model_name, rules, fmt), encoding="utf-8")
    return len(rules)


def import_rules(store, model_name: str, path: str | Path) -> int:
    """Replace the model's rules with those in `path`, all or nothing; return how many."""
    fmt = format_of(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise InputError(f"cannot read rules file {str(path)!r}: {error.strerror}") from error
    rules = loads(text, fmt)
    save_rules(store, model_name, rules)
    return len(rules)
