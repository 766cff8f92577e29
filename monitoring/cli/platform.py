"""CLI commands that wire the library into a platform: serve (the HTTP API), token, watch (a
folder), mlflow-log."""

import signal
import threading

from monitoring.api.auth import DEFAULT_SECRETS, create_token, load_tokens, read_secrets
from monitoring.cli.arguments import add_model, add_no_warm, add_roles, overrides
from monitoring.cli.output import say
from monitoring.cli.registry import command
from monitoring.context import ReportRequest
from monitoring.schema import BATCH_KINDS
from monitoring.store import Store

SECRETS_HELP = "secrets file with the API tokens (default .streamlit/secrets.toml)"


def _secrets_path(args) -> str:
    return args.secrets or str(DEFAULT_SECRETS)


def _serve_args(parser):
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (0.0.0.0: every interface)")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--secrets", help=SECRETS_HELP)
    parser.add_argument(
        "--max-body-mb", type=float, help="largest request body (default $MONITORING_MAX_BODY_MB or 256)"
    )


@command("serve", "serve the HTTP intake API (FastAPI under uvicorn; docs at /docs)", _serve_args)
def serve(args) -> int:
    from monitoring.api.app import max_body_mb, run, serving_host  # defers FastAPI

    secrets_path = _secrets_path(args)
    tokens = load_tokens(read_secrets(secrets_path))
    host, note = serving_host(args.host, tokens)
    if note:
        say(f"note: {note}")
    limit = args.max_body_mb or max_body_mb()
    store = Store(args.db)
    say(
        f"serving the API of {store.path} on http://{host}:{args.port} ({len(tokens)} token(s) from "
        f"{secrets_path}, bodies up to {limit:g} MB; docs at /docs; Ctrl+C stops)"
    )
    run(store, host, args.port, tokens, int(limit * 1024 * 1024))
    return 0


def _token_args(parser):
    leaves = parser.add_subparsers(dest="action", required=True)
    create = leaves.add_parser("create", help="make a token and store its hash in the secrets file")
    create.add_argument("name", help="who or what uses it, e.g. serving-prod")
    create.add_argument("--role", choices=("viewer", "editor"), default="viewer")
    create.add_argument(
        "--model", nargs="+", metavar="NAME", dest="models", help="only these models (default: all)"
    )
    create.add_argument("--secrets", help=SECRETS_HELP)
    listing = leaves.add_parser("list", help="list the tokens (names, roles, models; never the tokens)")
    listing.add_argument("--secrets", help=SECRETS_HELP)


@command("token", "create or list the bearer tokens of the HTTP API", _token_args)
def token(args) -> int:

    path = _secrets_path(args)
    if args.action == "create":
        made = create_token(path, args.name, args.role, args.models)
        say(f"added token {args.name!r} ({args.role}) to {path}; it is shown once, keep it secret:", made)
        return 0
    tokens = load_tokens(read_secrets(path))
    if not tokens:
        say(f"no API tokens in {path}")
    for found in tokens.values():
        say(f"  {found.name}: {found.role}, models: {', '.join(found.models) or 'all'}")
    return 0


def _watch_args(parser):
    parser.add_argument("folder", metavar="DIR")
    add_model(parser)
    parser.add_argument("--kind", required=True, choices=BATCH_KINDS)
    parser.add_argument(
        "--settle", type=float, default=2.0, help="seconds a file must stay unchanged (default 2)"
    )
    parser.add_argument(
        "--require-done", action="store_true", help="ingest a file only once FILE.done exists"
    )
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between scans (default 1)")
    parser.add_argument("--polling", action="store_true", help="poll instead of file-system events")
    parser.add_argument("--keep-bad-values", action="store_true")
    add_no_warm(parser)
    add_roles(parser)


@command("watch", "ingest every complete file dropped into a folder (then done/ or failed/)", _watch_args)
def watch(args) -> int:
    from monitoring.watch import FolderWatch  # defers the ingest and watchdog

    watcher = FolderWatch(
        args.folder,
        Store(args.db),
        args.model,
        args.kind,
        overrides(args),
        keep_bad_values=args.keep_bad_values,
        settle_seconds=args.settle,
        require_marker=args.require_done,
        warm=not args.no_warm,
    )
    complete = (
        "a FILE.done marker" if args.require_done else f"{args.settle:g} s unchanged or a FILE.done marker"
    )
    say(
        f"watching {watcher.folder} for {args.kind} files of {args.model!r} (complete: {complete}; Ctrl+C stops)"
    )
    stop = threading.Event()
    for number in (signal.SIGINT, signal.SIGTERM):  # finish the file at hand, then stop
        signal.signal(number, lambda *_: stop.set())
    how = watcher.run(stop, lambda outcome: say(*outcome.lines), interval=args.interval, polling=args.polling)
    say(f"stopped watching {watcher.folder} ({how} events)")
    return 0


def _mlflow_args(parser):
    add_model(parser)
    parser.add_argument(
        "--tracking-uri", required=True, help="e.g. http://127.0.0.1:5000 or sqlite:///mlflow.db"
    )
    parser.add_argument("--experiment", help="experiment name (default monitoring-<model>)")
    parser.add_argument("--window", help="window size of the logged figures (default: the model's)")
    parser.add_argument("--registered-model", help="registered model name (default: the model setting)")
    parser.add_argument("--model-version", help="registered model version (default: the model setting)")


@command("mlflow-log", "log the per-window figures of a model to MLflow as one run", _mlflow_args)
def mlflow_log(args) -> int:
    from monitoring.mlflow_log import log_report  # defers MLflow (imported inside) and its imports
    from monitoring.report import build_report  # defers the sections and their statistics

    report = build_report(Store(args.db), ReportRequest(model=args.model, window=args.window))
    settings = report.settings
    registered = args.registered_model or settings.mlflow_registered_model
    version = args.model_version or settings.mlflow_model_version
    run_id, count = log_report(report, args.tracking_uri, args.experiment, registered, version)
    tagged = f", tagged {registered} version {version}" if registered or version else ""
    say(f"logged {count} points over {len(report.windows)} windows of {args.model!r} to run {run_id}{tagged}")
    return 0
