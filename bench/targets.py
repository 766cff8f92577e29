"""The targets of issue 18, each with a "met / not met" line, from the measurements of bench/run.py.

Every figure is read from one run's stored results (bench/out/pipeline/results.json): ratios
divide figures measured side by side in the same run.
"""

import json

RULE = "- {what}: **{verdict}** ({detail})."


def _inner(result: dict | None) -> dict:
    """The JSON a step printed last (its own timings), or {}."""
    try:
        return json.loads((result or {}).get("output") or "{}")
    except json.JSONDecodeError:
        return {}


def _ok(result: dict | None) -> bool:
    return bool(result) and result.get("status") == "ok" and result.get("seconds") is not None


def _line(what: str, met: bool | None, detail: str) -> str:
    verdict = "not measured" if met is None else ("target met" if met else "target NOT met")
    return RULE.format(what=what, verdict=verdict, detail=detail)


def ingest(found: dict, label: str) -> str:
    result = found.get("ours_ingest")
    inner = _inner(result).get("inner_seconds")
    if not _ok(result) or not isinstance(inner, dict):
        return _line(f"Ingest at {label}: 1M rows/s, peak under 1 GB", None, "no ingest step at this size")
    rows = result["rows"]
    rate = rows / inner["production"]
    met = rate >= 1_000_000 and result["peak_mb"] < 1024
    return _line(
        f"Ingest at {label}: 1M rows/s, peak under 1 GB",
        met,
        f"the production file's {rows:,} rows in {inner['production']:.1f} s = {rate:,.0f} rows/s"
        f"{_against_raw(inner['production'], found.get('raw_write'))} (the rules after it: "
        f"{inner['production_rules']:.1f} s; the reference's 1M rows: {inner['reference']:.1f} s); peak "
        f"{result['peak_mb']:.0f} MB for the whole step",
    )


def _against_raw(seconds: float, raw: dict | None) -> str:
    """', X× the raw write of the same file (Y s)', when that step ran."""
    limit = _inner(raw).get("inner_seconds")
    if not (_ok(raw) and isinstance(limit, float | int) and limit):
        return ""
    return f", {seconds / limit:.2f}× DuckDB's raw write of the same file ({limit:.1f} s)"


def csv_ingest(found: dict, label: str) -> str:
    result = found.get("csv_ingest")
    inner = _inner(result).get("inner_seconds")
    what = f"CSV ingest at {label}: 300k rows/s"
    if not _ok(result) or not isinstance(inner, dict):
        return _line(what, None, "not run at this size")
    rate = result["rows"] / inner["production"]
    return _line(
        what,
        rate >= 300_000,
        f"{result['rows']:,} rows in {inner['production']:.1f} s = {rate:,.0f} rows/s"
        f"{_against_raw(inner['production'], found.get('csv_raw_write'))}; peak {result['peak_mb']:.0f} MB",
    )


def next_day(found: dict, label: str) -> str:
    result = found.get("ours_next_day")
    inner = _inner(result).get("inner_seconds")
    if not _ok(result) or not isinstance(inner, dict):
        return _line(f"Next day at {label} under 3 s", None, "not run at this size")
    total = inner["ingest"] + inner["report"]
    return _line(
        f"Next day at {label} (ingest one day + rules + drift report) under 3 s",
        total < 3,
        f"{total:.2f} s in the process: ingest and rules {inner['ingest']:.2f} s, report "
        f"{inner['report']:.2f} s; {result['seconds']:.1f} s wall with Python's start and writing "
        f"the day's file; peak {result['peak_mb']:.0f} MB",
    )


def drift_floor(found: dict, label: str) -> str:
    drift, floor = found.get("ours_drift"), found.get("duckdb_pass")
    ours, scan = _inner(drift).get("inner_seconds"), _inner(floor).get("inner_seconds")
    if not (_ok(drift) and _ok(floor) and ours and scan):
        return _line(f"Cold drift report at {label} within 3× one DuckDB pass", None, "not run")
    ratio = ours / scan
    return _line(
        f"Cold drift report at {label} within 3× one DuckDB pass over the monitored columns",
        ratio <= 3,
        f"report {ours:.2f} s, pass {scan:.2f} s: {ratio:.1f}×",
    )


def nannyml_drift(found: dict, label: str) -> str:
    ours, theirs = found.get("ours_drift"), found.get("nannyml_drift")
    if not (_ok(ours) and _ok(theirs)):
        return _line(f"Drift at {label}: 20× faster than NannyML, under 1/10 of its memory", None, "not run")
    fast, small = theirs["seconds"] / ours["seconds"], ours["peak_mb"] / theirs["peak_mb"]
    return _line(
        f"Drift at {label}: 20× faster than NannyML's univariate drift, under 1/10 of its memory",
        fast >= 20 and small < 0.1,
        f"{fast:.1f}× faster, {small:.2f} of its memory",
    )


def cbpe(found: dict, label: str) -> str:
    ours, theirs = found.get("ours_report"), found.get("nannyml_cbpe")
    if not (_ok(ours) and _ok(theirs)):
        return _line(f"Full report at {label} faster than NannyML's CBPE alone", None, "not run")
    return _line(
        f"Full report at {label} faster than NannyML's CBPE alone",
        ours["seconds"] < theirs["seconds"],
        f"ours {ours['seconds']:.1f} s, CBPE {theirs['seconds']:.1f} s",
    )


def end_to_end(found: dict, label: str) -> str:
    ingest, report, theirs = (
        found.get("ours_ingest"),
        found.get("ours_report"),
        found.get("evidently_drift_once"),
    )
    what = (
        f"End to end at {label} (ingest both files + one full report) 30× faster than Evidently's "
        "DataDriftPreset run once"
    )
    if not (_ok(ingest) and _ok(report) and theirs):
        return _line(what, None, "not run")
    ours = ingest["seconds"] + report["seconds"]
    if theirs.get("seconds") is None:
        at_least = theirs.get("limit_s", 0) / ours
        return _line(
            what,
            True if at_least >= 30 else None,
            f"ours {ours:.1f} s; Evidently {theirs['status']}, so more than {at_least:.0f}×",
        )
    fast = theirs["seconds"] / ours
    return _line(what, fast >= 30, f"ours {ours:.1f} s, Evidently {theirs['seconds']:.1f} s: {fast:.1f}×")


def against_drift_tools(found: dict, ours: dict) -> list[str]:
    """The drift targets: 50x faster than Evidently, 10x than NannyML, under a quarter of the memory."""
    lines = []
    for tool, speed in (("evidently_drift", 50), ("nannyml_drift", 10)):
        theirs = found.get(tool)
        if not theirs or not ours.get("seconds"):
            continue
        if theirs.get("seconds") is None:
            fast = theirs.get("limit_s", 0) / ours["seconds"]
            lines.append(
                f"- {tool}: {theirs['status']}; our drift report (nothing cached) finished in "
                f"{ours['seconds']} s, so we are more than {fast:.0f}× faster."
            )
            continue
        fast = theirs["seconds"] / ours["seconds"]
        small = ours["peak_mb"] / theirs["peak_mb"]
        met = "met" if fast >= speed and small < 0.25 else "NOT met"
        lines.append(
            f"- Target against {tool} ({speed}× faster, under ¼ of its memory): {met} "
            f"(our drift report, nothing cached, is {fast:.1f}× faster and uses {small:.2f} of its memory)."
        )
    return lines + [""] if lines else []


STEPS_50M = {
    "ours_ingest": "ingest and rules",
    "ours_report": "cold full report",
    "ours_next_day": "next day",
}


def fifty_million(found: dict | None) -> str:
    """Every 50M step finishes with a peak under 2 GB (the warm page: `## Dashboard pages`)."""
    what = "50M production rows: ingest, cold full report and next day each under 2 GB"
    steps = {name: (found or {}).get(step) for step, name in STEPS_50M.items()}
    if not all(_ok(result) for result in steps.values()):
        return _line(what, None, "not every step ran at 50M")
    met = all(result["peak_mb"] < 2048 for result in steps.values())
    detail = "; ".join(f"{name} {r['seconds']:.0f} s, {r['peak_mb']:,.0f} MB" for name, r in steps.items())
    return _line(what, met, detail)


def lines(results: dict) -> list[str]:
    """The '### Targets' block: every target at every size it applies to."""
    out = ["### Targets (issue 18)", ""]
    for label, found in results.items():
        out += [
            ingest(found, label),
            csv_ingest(found, label),
            next_day(found, label),
            drift_floor(found, label),
            cbpe(found, label),
        ]
        if label == "10m":
            out.append(nannyml_drift(found, label))
        if label == "1m":
            out.append(end_to_end(found, label))
    out.append(fifty_million(results.get("50m")))
    out += [
        _line(
            "Dashboard at 10M: warm pages under 1 s, the first after an ingest under 2 s",
            None,
            "bench/pages.py measures it apart: see `## Dashboard pages`",
        ),
        "",
    ]
    return out
