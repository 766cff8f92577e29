"""Rules applied to a report: every run of consecutive breaching windows ("episode") of a rule
becomes a Finding with a plain-language message and whether the condition still holds in the
latest window that has a value. Pure over a Report: no store, no report building."""

from dataclasses import dataclass

from monitoring.alerts.messages import message
from monitoring.alerts.rules import Rule, breaches
from monitoring.alerts.watch import METRICS, Observation


def observations(rule: Rule, report: dict) -> list[Observation]:
    """The rule's metric in every window, filtered to its scope."""
    found = METRICS[rule.metric].observe(report)
    scope = rule.scope
    if scope is None and rule.metric == "performance_drop":
        scope = report.primary_metric
    return [o for o in found if scope is None or o.scope == scope]


@dataclass(frozen=True)
class Finding:
    """A run of consecutive breaching windows of one rule and scope (one alert in the history)."""

    rule: Rule
    scope: str
    window: int  # the latest breaching window of the run
    window_start: str | None
    first_window_start: str | None
    value: float | None
    threshold: float | None
    message: str
    active: bool  # the run reaches the latest window that has a value
    label: str = ""  # the latest breaching window in words ("the week of 3 Nov")
    cleared_in: str | None = None  # label of the window where the condition cleared

    @property
    def key(self) -> str:
        start = self.first_window_start or f"#{self.window}"
        return f"{self.rule.name}|{self.scope}|{start}"


def _runs(
    judged: list[tuple[Observation, bool]], needed: int
) -> list[tuple[list[Observation], bool, int | None]]:
    """Runs of consecutive breaches at least `needed` long: (observations, active, cleared window)."""
    runs, current = [], []
    for observation, breached in judged:
        if breached:
            current.append(observation)
            continue
        if len(current) >= needed:
            runs.append((current, False, observation.window))
        current = []
    if len(current) >= needed:
        runs.append((current, True, None))
    return runs


def _start(report, index: int) -> str | None:
    return (report.window(index) or {}).get("start")


def evaluate(report, rules: list[Rule]) -> list[Finding]:
    """Every episode of every enabled rule over the report's windows."""
    findings = []
    for rule in rules:
        if not rule.enabled:
            continue
        by_identity: dict[str, list[tuple[Observation, bool]]] = {}
        for observation in sorted(observations(rule, report), key=lambda o: o.window):
            breached = breaches(rule, observation)
            if breached is not None:
                by_identity.setdefault(observation.identity, []).append((observation, breached))
        for identity, judged in by_identity.items():
            for run, active, cleared in _runs(judged, rule.consecutive):
                last = run[-1]
                findings.append(
                    Finding(
                        rule=rule,
                        scope=identity,
                        window=last.window,
                        window_start=_start(report, last.window),
                        first_window_start=_start(report, run[0].window),
                        value=last.value,
                        threshold=rule.threshold if rule.comparison != "flagged" else last.baseline,
                        message=message(rule, last, report.window_phrase(last.window), report.unit, len(run)),
                        active=active,
                        label=report.window_phrase(last.window),
                        cleared_in=None if cleared is None else report.window_phrase(cleared),
                    )
                )
    return findings
