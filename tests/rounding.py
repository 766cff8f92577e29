"""Reports compared to 10 significant digits: DuckDB's parallel sums may differ in the last bits
between runs (and a change of 1e-16 against 2e-16, within 1e-12 of zero, counts as zero)."""

import json


def rounded(data):
    """`data` (records, a section, a whole report's dict) with every float rounded."""
    return json.loads(json.dumps(data, default=str), parse_float=_close, parse_constant=str)


def _close(text: str) -> float:
    value = float(text)
    return 0.0 if abs(value) < 1e-12 else float(f"{value:.10g}")
