"""CLI commands of the data: ingest, models, batches, demo, hash-password."""

import getpass
import sys
from pathlib import Path

from monitoring.access import hash_password as make_hash
from monitoring.cli.alerts import report_after_ingest
from monitoring.cli.arguments import add_model, add_roles, overrides
from monitoring.cli.output import say
from monitoring.cli.registry import command
from monitoring.errors import InputError
from monitoring.schema import BATCH_KINDS
from monitoring.store import Store, catalog


def _ingest_args(parser):
    add_model(parser)
    parser.add_argument("files", nargs="+", metavar="FILE")
    parser.add_argument("--kind", required=True, choices=BATCH_KINDS)
    parser.add_argument(
        "--keep-bad-values",
        action="store_true",
        help="store unparsable feature values as missing instead of rejecting the file",
    )
    add_roles(parser)


@command("ingest", "store CSV or Parquet files as batches of a model", _ingest_args)
def ingest(args) -> int:
    from monitoring.ingest.pipeline import ingest_file  # defers the reading and ingest modules

    for path in args.files:  # before any file is stored
        if Path(path).is_dir():
            raise InputError(f"{path} is a folder; give the files in it instead, e.g. {path}/*.csv")
    store = Store(args.db)
    for path in args.files:
        result = ingest_file(
            store,
            path,
            model=args.model,
            kind=args.kind,
            overrides=overrides(args),
            keep_bad_values=args.keep_bad_values,
        )
        say(result.summary())
        for change in result.schema_changes:
            say(f"  schema change: {change[0]!r} {change[1]} ({change[2]})")
        for warning in result.warnings:
            say(f"  warning: {warning}")
    report_after_ingest(store, args.model)
    return 0


@command("models", "list the models and their columns")
def models(args) -> int:
    with Store(args.db).connect() as con:
        found = catalog.list_models(con)
    if not found:
        say("no models yet; run `python -m monitoring demo` or ingest a file")
    for model in found:
        say(f"{model.name} ({model.task})")
        for column in model.columns:
            guessed = " (inferred)" if column.inferred else ""
            say(f"  {column.name}: {column.role}, {column.kind}{guessed}")
    return 0


@command("batches", "list the batches of a model", add_model)
def batches(args) -> int:
    with Store(args.db).connect() as con:
        catalog.get_model(con, args.model)
        frame = catalog.list_batches(con, args.model)
    if len(frame):
        table = frame.drop(columns=["content_hash"]).to_string(index=False)
        say(table, keep="\n")  # the table's own line breaks (pandas shows a newline in a cell as \n)
    else:
        say("no batches")
    return 0


@command("demo", "seed the demo database (credit and bikes models)")
def demo(args) -> int:
    from monitoring.demo import seed_demo  # defers pandas and numpy

    for result in seed_demo(Store(args.db), evaluate_alerts=True):
        say(result.summary())
    return 0


@command("hash-password", "print a password hash for .streamlit/secrets.toml (reads the password)")
def hash_password(args) -> int:
    password = getpass.getpass("Password: ") if sys.stdin.isatty() else sys.stdin.readline().rstrip("\n")
    say(make_hash(password))
    return 0
