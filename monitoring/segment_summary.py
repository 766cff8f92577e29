"""Where it goes wrong, in plain sentences for the summary, the Segments and Versions pages and the
HTML report: the weakest segment and the challenger's comparison."""

from monitoring.summary import NAMES


def weakest_segment(report) -> dict | None:
    """The weak segment of the whole period that is most clearly worse than the rest: ranked
    first among those not flagged small whose 95% interval excludes no difference."""
    for record in report.records("weak_segments"):
        if record.get("window") is not None or record.get("flag") or record.get("difference") is None:
            continue
        lower_better = record["metric"].endswith("_error")
        worse = record["lower"] > 0 if lower_better else record["upper"] < 0
        if worse:
            return record
    return None


def segment_sentence(report) -> str | None:
    """'Weakest segment: region=islands, accuracy 0.45 against 0.73 in the rest ...' (or None)."""
    found = weakest_segment(report)
    if found is None:
        return None
    name = NAMES.get(found["metric"], found["metric"]).lower()
    if found["metric"].endswith("_score"):
        gap = f"{abs(found['difference']) * 100:.1f} points lower"
        span = f"{abs(found['upper']) * 100:.1f} to {abs(found['lower']) * 100:.1f}"
    else:
        gap = f"{found['difference']:.3g} higher"
        span = f"{found['lower']:.3g} to {found['upper']:.3g}"
    drift = found.get("drift_share")
    inputs = "" if drift is None else f"; {drift:.0%} of its inputs drifted"
    return (
        f"Weakest segment: {found['segment']}, {name} {found['value']:.3f} against {found['rest_value']:.3f} "
        f"in the rest ({gap}, 95% interval {span}) over {found['rows']:,} predictions{inputs}."
    )


def challenger(report) -> dict | None:
    """The version comparison to show: the paired one over the most requests over the whole
    period, else the two latest versions unpaired."""
    found = [
        r
        for r in report.records("versions")
        if r.get("window") is None and r.get("metric") != "agreement" and r.get("difference") is not None
    ]
    paired = [r for r in found if r.get("paired")]
    if paired:
        return max(paired, key=lambda r: r["rows"])
    primary = [r for r in found if r["metric"] in ("accuracy_score", "mean_absolute_error")]
    return primary[-1] if primary else None


def challenger_sentence(report) -> str | None:
    """'Challenger 2.0.0-rc on shadow traffic ...: accuracy +1.4 points over 1.5.0 (McNemar p < 0.001)'."""
    found = challenger(report)
    if found is None:
        return None
    name = NAMES.get(found["metric"], found["metric"]).lower()
    a, b = found["version_a"], found["version_b"]
    p = found["p_value"]
    shown = "p < 0.001" if p is not None and p < 0.001 else f"p = {p:.3f}" if p is not None else "no test"
    test = (
        "McNemar" if found["test"] == "mcnemar_exact" else "paired t-test" if found["paired"] else "unpaired"
    )
    if found["metric"].endswith("_score"):
        change = f"{found['difference'] * 100:+.1f} points"
    else:
        change = f"{found['difference']:+.3g}"
    how = (
        f"on shadow traffic ({found['rows']:,} labelled requests both versions scored)"
        if found["paired"]
        else "on its own traffic"
    )
    agreement = next(
        (
            r["value"]
            for r in report.records("versions")
            if r.get("window") is None
            and r.get("metric") == "agreement"
            and (r["version_a"], r["version_b"]) == (a, b)
        ),
        None,
    )
    agree = "" if agreement is None else f"; they agree on {agreement:.0%} of the requests"
    return (
        f"Version {b} {how}: {name} {found['value_b']:.3f} against {found['value_a']:.3f} for {a}, "
        f"{change} ({test}, {shown}){agree}."
    )
