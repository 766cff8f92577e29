"""`python -m monitoring`: the library from a terminal or a scheduler."""

import argparse
import sys
from datetime import datetime

from monitoring.errors import InputError, MonitoringError
from monitoring.ingest.roles import RoleOverrides
from monitoring.schema import BATCH_KINDS, TASKS
from monitoring.settings import DB_ENV_VAR, ModelSettings
from monitoring.store import Store
from monitoring.windows import WINDOW_HELP, Period

COMMANDS = {}


def command(name: str, help_text: str):
    def register(function):
        COMMANDS[name] = (function, help_text)
        return function

    return register


def _add_db(parser):
    parser.add_argument("--db", help=f"database file (default: ${DB_ENV_VAR} or data/monitoring.duckdb)")


def _add_roles(parser):
    group = parser.add_argument_group("column roles (override what is inferred)")
    group.add_argument("--task", choices=TASKS)
    for role in ("timestamp", "id", "target", "prediction", "latency", "status", "version", "observed-at"):
        group.add_argument(f"--{role}", metavar="COL")
    group.add_argument(
        "--score", nargs="+", metavar="COL", default=[], help="score or class-probability columns"
    )
    for role in ("sensitive", "segment", "categorical", "numeric", "ignore"):
        group.add_argument(f"--{role}", nargs="+", metavar="COL", default=[])


def _overrides(args) -> RoleOverrides:
    return RoleOverrides(
        task=args.task,
        id=args.id,
        timestamp=args.timestamp,
        prediction=args.prediction,
        score=args.score,
        target=args.target,
        latency=args.latency,
        status=args.status,
        version=args.version,
        observed_at=args.observed_at,
        sensitive=args.sensitive,
        segment=args.segment,
        categorical=args.categorical,
        numeric=args.numeric,
        ignore=args.ignore,
    )


def _period(args) -> Period:
    parse = lambda text: datetime.fromisoformat(text) if text else None  # noqa: E731
    return Period(parse(getattr(args, "start", None)), parse(getattr(args, "end", None)))


@command("ingest", "store CSV or Parquet files as batches of a model")
def ingest(args) -> int:
    from monitoring.ingest.pipeline import ingest_file

    store = Store(args.db)
    for path in args.files:
        result = ingest_file(
            store,
            path,
            model=args.model,
            kind=args.kind,
            overrides=_overrides(args),
            keep_bad_values=args.keep_bad_values,
        )
        print(result.summary())
        for change in result.schema_changes:
            print(f"  schema change: {change[0]!r} {change[1]} ({change[2]})")
        for warning in result.warnings:
            print(f"  warning: {warning}")
    from monitoring.cli.alerts import report_after_ingest

    report_after_ingest(store, args.model)
    return 0


@command("models", "list the models and their columns")
def models(args) -> int:
    from monitoring.store import catalog

    store = Store(args.db)
    with store.connect() as con:
        found = catalog.list_models(con)
    if not found:
        print("no models yet; run `python -m monitoring demo` or ingest a file")
    for model in found:
        print(f"{model.name} ({model.task})")
        for column in model.columns:
            guessed = " (inferred)" if column.inferred else ""
            print(f"  {column.name}: {column.role}, {column.kind}{guessed}")
    return 0


@command("batches", "list the batches of a model")
def batches(args) -> int:
    from monitoring.store import catalog

    with Store(args.db).connect() as con:
        catalog.get_model(con, args.model)
        frame = catalog.list_batches(con, args.model)
    print(frame.drop(columns=["content_hash"]).to_string(index=False) if len(frame) else "no batches")
    return 0


@command("demo", "seed the demo database (credit and bikes models)")
def demo(args) -> int:
    from monitoring.demo import seed_demo

    for result in seed_demo(Store(args.db), evaluate_alerts=True):
        print(result.summary())
    return 0


@command("hash-password", "print a password hash for .streamlit/secrets.toml (reads the password)")
def hash_password(args) -> int:
    import getpass

    from monitoring.access import hash_password as make_hash

    print(
        make_hash(getpass.getpass("Password: ") if sys.stdin.isatty() else sys.stdin.readline().rstrip("\n"))
    )
    return 0


def _sections(text: str | None) -> tuple[str, ...] | None:
    from monitoring.report import SECTIONS

    if not text:
        return None
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    unknown = [name for name in names if name not in SECTIONS]
    if unknown:
        raise InputError(f"unknown section {unknown[0]!r}; use some of {', '.join(SECTIONS)}")
    return names


@command("report", "compute the report as JSON")
def report(args) -> int:
    from monitoring.report import ReportRequest, build_report

    request = ReportRequest(
        model=args.model,
        window=args.window,
        period=_period(args),
        method=args.method,
        threshold=args.threshold,
        sections=_sections(args.sections),
    )
    if getattr(args, "format", "json") == "html":
        from monitoring.html_report import build_html_report

        text = build_html_report(Store(args.db), request)
    else:
        text = build_report(Store(args.db), request).to_json()
    if args.output:
        with open(args.output, "w", encoding="utf-8") as handle:
            handle.write(text)
        print(f"wrote {args.output}")
    else:
        print(text)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m monitoring", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    for name, (_, help_text) in COMMANDS.items():
        sub = commands.add_parser(name, help=help_text)
        _add_db(sub)
        if name in ("ingest", "batches", "report"):
            sub.add_argument("--model", required=True)
    found = commands.choices
    found["ingest"].add_argument("files", nargs="+", metavar="FILE")
    found["ingest"].add_argument("--kind", required=True, choices=BATCH_KINDS)
    found["ingest"].add_argument(
        "--keep-bad-values",
        action="store_true",
        help="store unparsable feature values as missing instead of rejecting the file",
    )
    _add_roles(found["ingest"])
    found["report"].add_argument("--window", help=WINDOW_HELP)
    found["report"].add_argument("--start", help="first day (ISO date) of the period")
    found["report"].add_argument("--end", help="day after the period (ISO date)")
    found["report"].add_argument(
        "--method",
        choices=ModelSettings.choices("drift_method"),
        metavar="METHOD",
        help="drift method: " + ", ".join(ModelSettings.choices("drift_method")),
    )
    found["report"].add_argument("--threshold", choices=ModelSettings.choices("drift_threshold"))
    found["report"].add_argument("--sections", help="comma-separated sections (default: all), e.g. drift")
    found["report"].add_argument("--format", choices=["json", "html"], default="json")
    found["report"].add_argument("-o", "--output", metavar="FILE")
    for name, (function, _) in COMMANDS.items():
        if hasattr(function, "configure"):  # a command that declares its own arguments
            function.configure(found[name])
    return parser


import monitoring.cli.alerts  # noqa: E402, F401  (registers check, alerts, ack, resolve, rules, ...)


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    function, _ = COMMANDS[args.command]
    try:
        return function(args)
    except MonitoringError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
