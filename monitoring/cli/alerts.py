"""CLI commands of alerts: check (the CI/CD gate), alerts, ack, resolve, rules, webhook,
metrics-server."""

import argparse
import time

from monitoring.alerts.history import at_or_above, change_status, list_alerts
from monitoring.alerts.rules import SEVERITIES, default_rules, get_rules, save_rules
from monitoring.cli.arguments import add_engine, add_model
from monitoring.cli.output import say
from monitoring.cli.registry import command
from monitoring.errors import MonitoringError
from monitoring.progress import TerminalBar
from monitoring.store import Store


def describe(alert: dict) -> list[str]:
    """An alert as lines: the alert, then where its notification went (when it was sent)."""
    status = "" if alert["status"] == "open" else f" [{alert['status']} by {alert['changed_by']}]"
    line = f"  {alert['severity'].upper():8} #{alert['id']} {alert['message']} (rule {alert['rule']}){status}"
    return [line, f"      notification: {alert['delivery']}"] if alert.get("delivery") else [line]


def _describe_all(alerts: list[dict]) -> list[str]:
    return [line for alert in alerts for line in describe(alert)]


def report_after_ingest(store, model_name: str) -> None:
    """Evaluate the rules after a CLI ingest and say what opened; never fails the ingest."""
    from monitoring.alerts.evaluate import evaluate_after_ingest  # defers building the report

    try:
        with TerminalBar() as bar:
            result = evaluate_after_ingest(store, model_name, progress=bar)
    except MonitoringError as error:
        say(f"  warning: alert rules were not evaluated: {error}")
        return
    if result is None:
        return
    for alert in result.opened + result.reopened:
        first, *notification = describe(alert)
        say("  new alert:" + first[1:], *notification)
    line = f"  alerts: {len(result.open)} open, {len(result.opened)} new, {len(result.resolved)} resolved"
    if result.cleared:
        line += f", {len(result.cleared)} opened and cleared within the data (stored as resolved, not sent)"
    say(line)


def warm_after_ingest(store, model_name: str) -> None:
    """Prepare the model's default view after a CLI ingest (see monitoring/warm.py); never fails
    the ingest."""
    from monitoring.warm import warm_default_view  # defers building the report

    try:
        with TerminalBar() as bar:
            warm_default_view(store, model_name, bar)
    except MonitoringError as error:
        say(f"  warning: the default view was not prepared: {error}")


def _check_args(parser):
    add_model(parser)
    parser.add_argument(
        "--fail-on",
        choices=SEVERITIES,
        default="high",
        help="exit 1 when an open alert is this severe or worse",
    )
    add_engine(parser)


@command("check", "evaluate the alert rules; exit 1 if an alert at or above --fail-on is open", _check_args)
def check(args) -> int:
    from monitoring.alerts.evaluate import evaluate_model  # defers building the report

    store = Store(args.db)
    result = evaluate_model(store, args.model, engine=args.engine, spark_master=args.spark_master)
    failing = at_or_above([a for a in result.open if a["status"] == "open"], args.fail_on)
    others = [a for a in result.open if a not in failing]
    if failing:
        say(f"{args.model}: {len(failing)} open alert(s) at or above {args.fail_on}:")
        say(*_describe_all(failing))
    else:
        say(f"{args.model}: no open alerts at or above {args.fail_on}")
    if others:
        say(f"also open or acknowledged ({len(others)}):")
        say(*_describe_all(others))
    return 1 if failing else 0


def _alerts_args(parser):
    add_model(parser)
    parser.add_argument("--status", nargs="+", choices=["open", "acknowledged", "resolved"])


@command("alerts", "list the alert history of a model", _alerts_args)
def alerts(args) -> int:
    found = list_alerts(Store(args.db), args.model, tuple(args.status) if args.status else None)
    if not found:
        say("no alerts")
    for alert in found:
        *lines, last = describe(alert)
        say(*lines, last + f"  first seen {alert['first_seen']}, last seen {alert['last_seen']}")
    return 0


def _change_args(parser):
    parser.add_argument("alert", type=int, help="alert id (see `alerts`)")
    parser.add_argument("--by", required=True, help="who makes the change")
    parser.add_argument("--note", default="")


def _change(args, status: str) -> int:
    alert = change_status(Store(args.db), args.alert, status, args.by, args.note)
    say(f"alert #{alert['id']} is now {status} (by {alert['changed_by']})")
    return 0


@command("ack", "acknowledge an alert", _change_args)
def ack(args) -> int:
    return _change(args, "acknowledged")


@command("resolve", "resolve an alert by hand", _change_args)
def resolve(args) -> int:
    return _change(args, "resolved")


def _actions(parser, actions: dict[str, tuple[str, str] | None]):
    """Sub-actions (`rules export FILE`) that accept --model and --db before or after them."""
    parser.add_argument("--model")
    leaves = parser.add_subparsers(dest="action", required=True)
    for name, positional in actions.items():
        leaf = leaves.add_parser(name)
        leaf.add_argument("--model", default=argparse.SUPPRESS)
        leaf.add_argument("--db", default=argparse.SUPPRESS)
        if positional:
            leaf.add_argument(positional[0], help=positional[1])
    return leaves


def _needs_model(args) -> bool:
    if not args.model:
        say(f"error: `{args.command} {args.action}` needs --model NAME", error=True)
    return bool(args.model)


def _rules_args(parser):
    rules_file = ("file", "a .yaml, .yml or .toml file")
    _actions(parser, {"list": None, "export": rules_file, "import": rules_file, "reset": None})


@command("rules", "list, export, import or reset the alert rules of a model", _rules_args)
def rules(args) -> int:
    from monitoring.alerts.rules_file import export_rules, import_rules  # defers yaml and tomllib

    if not _needs_model(args):
        return 2
    store = Store(args.db)
    if args.action == "export":
        say(f"wrote {export_rules(store, args.model, args.file)} rules to {args.file}")
    elif args.action == "import":
        say(f"imported {import_rules(store, args.model, args.file)} rules from {args.file}")
    elif args.action == "reset":
        save_rules(store, args.model, default_rules())
        say("restored the default rules")
    else:
        for rule in get_rules(store, args.model):
            say(f"  {rule.name}: {rule.describe()}{'' if rule.enabled else ' (disabled)'}")
    return 0


def _webhook_args(parser):
    leaves = _actions(
        parser, {"list": None, "add": ("target", "the webhook URL"), "remove": ("target", "id")}
    )
    leaves.choices["add"].add_argument("--min-severity", choices=SEVERITIES, default="high")


@command("webhook", "send a model's new alerts to a Slack-compatible webhook", _webhook_args)
def webhook(args) -> int:
    from monitoring.alerts.notify import (  # defers http and ssl
        add_webhook,
        list_webhooks,
        masked_url,
        remove_webhook,
    )

    if not _needs_model(args):
        return 2
    store = Store(args.db)
    if args.action == "add":
        say(f"webhook #{add_webhook(store, args.model, args.target, args.min_severity)} added")
    elif args.action == "remove":
        removed = args.target.isdigit() and remove_webhook(store, args.model, int(args.target))
        say(f"webhook #{args.target} removed" if removed else f"no webhook #{args.target}")
        return 0 if removed else 2
    else:
        for hook_id, url, severity in list_webhooks(store, args.model):
            say(f"  #{hook_id} {masked_url(url)} (alerts at or above {severity})")
    return 0


def _metrics_args(parser):
    parser.add_argument("--port", type=int, default=9108)
    parser.add_argument(
        "--host",
        "--addr",
        dest="addr",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1: this machine only; 0.0.0.0 for every interface, unauthenticated)",
    )


@command("metrics-server", "serve the latest figures of every model to Prometheus", _metrics_args)
def metrics_server(args) -> int:
    from monitoring.prometheus import serve  # defers prometheus_client and http.server

    server, _ = serve(Store(args.db), args.port, args.addr)
    say(f"serving Prometheus metrics on http://{args.addr}:{server.server_port}/metrics (Ctrl+C stops)")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.shutdown()
    return 0
