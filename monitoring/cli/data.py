"""CLI commands of the data: ingest, models, batches, settings, demo, hash-password."""

import getpass
import json
import sys
from dataclasses import replace
from pathlib import Path

from monitoring.access import hash_password as make_hash
from monitoring.cli.alerts import report_after_ingest, warm_after_ingest
from monitoring.cli.arguments import add_model, add_no_warm, add_roles, overrides
from monitoring.cli.output import say
from monitoring.cli.registry import command
from monitoring.errors import InputError
from monitoring.ingest.names import class_of_score
from monitoring.progress import TerminalBar
from monitoring.schema import BATCH_KINDS
from monitoring.settings import VALUE_MATRIX_HELP, parse_value_matrix
from monitoring.store import Store, attached_sql, catalog


def _ingest_args(parser):
    add_model(parser)
    parser.add_argument("files", nargs="+", metavar="FILE")
    parser.add_argument("--kind", required=True, choices=BATCH_KINDS)
    parser.add_argument(
        "--keep-bad-values",
        action="store_true",
        help="store unparsable feature values as missing instead of rejecting the file",
    )
    add_no_warm(parser)
    add_roles(parser)


@command("ingest", "store CSV or Parquet files as batches of a model", _ingest_args)
def ingest(args) -> int:
    from monitoring.ingest.pipeline import ingest_file  # defers the reading and ingest modules

    for path in args.files:  # before any file is stored
        if Path(path).is_dir():
            raise InputError(f"{path} is a folder; give the files in it instead, e.g. {path}/*.csv")
    store = Store(args.db)
    with store.held():  # one open of the file for the ingest and the rules after it
        for path in args.files:
            with TerminalBar() as bar:  # on a terminal only, once the file has taken 2 s
                result = ingest_file(
                    store,
                    path,
                    model=args.model,
                    kind=args.kind,
                    overrides=overrides(args),
                    keep_bad_values=args.keep_bad_values,
                    progress=bar,
                )
            say(result.summary())
            for change in result.schema_changes:
                say(f"  schema change: {change[0]!r} {change[1]} ({change[2]})")
            for warning in result.warnings:
                say(f"  warning: {warning}")
        report_after_ingest(store, args.model)
        if not args.no_warm:
            warm_after_ingest(store, args.model)
    return 0


def _attach_args(parser):
    add_model(parser)
    parser.add_argument("path", metavar="PATH", help="a Parquet file, a glob, or a (Hive-partitioned) folder")
    parser.add_argument("--kind", required=True, choices=BATCH_KINDS)
    add_roles(parser)


@command("attach", "register a Parquet dataset as a model's rows, read in place (never copied)", _attach_args)
def attach(args) -> int:
    from monitoring.ingest.attach import attach_dataset  # defers the reading and ingest modules

    store = Store(args.db)
    result = attach_dataset(store, args.path, model=args.model, kind=args.kind, overrides=overrides(args))
    say(result.summary())
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
            named = class_of_score(column.name) if column.role == "score" else None
            of_class = f" of class {named!r}" if named is not None else ""
            say(f"  {column.name}: {column.role}{of_class}, {column.kind}{guessed}")
    return 0


@command("batches", "list the batches of a model", add_model)
def batches(args) -> int:
    with Store(args.db).connect() as con:
        catalog.get_model(con, args.model)
        frame = catalog.list_batches(con, args.model)
        attached = attached_sql.list_attached(con, args.model)
    for row in attached.itertuples():
        say(
            f"attached {row.kind} dataset (batch {row.batch_id}): {row.path}, {row.files} file(s), read in place"
        )
    if len(frame):
        table = frame.drop(columns=["content_hash"]).to_string(index=False)
        say(table, keep="\n")  # the table's own line breaks (pandas shows a newline in a cell as \n)
    else:
        say("no batches")
    return 0


def _settings_args(parser):
    add_model(parser)
    matrix = parser.add_mutually_exclusive_group()
    matrix.add_argument("--value-matrix", metavar="FILE.json", help=VALUE_MATRIX_HELP.replace("%", "%%"))
    matrix.add_argument("--no-value-matrix", action="store_true", help="remove the value matrix")


def read_value_matrix(path: str) -> dict:
    """The JSON object in `path`, or an InputError saying what is wrong with the file."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(
            f"{path} does not exist; give the path of a JSON file with the value matrix"
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"cannot read {path} ({error}); give a UTF-8 JSON file") from None
    if not text.strip():
        raise InputError(f"{path} is empty; write the value matrix in it, or use --no-value-matrix")
    return parse_value_matrix(text, path)


@command("settings", "show a model's settings, or set its value matrix", _settings_args)
def settings(args) -> int:
    from monitoring.catalog_api import get_model, save_settings  # defers the sections it validates with

    store = Store(args.db)
    current = get_model(store, args.model).settings
    if args.value_matrix or args.no_value_matrix:
        matrix = {} if args.no_value_matrix else read_value_matrix(args.value_matrix)
        save_settings(store, args.model, replace(current, value_matrix=matrix))
        current = get_model(store, args.model).settings
        say(
            "removed the value matrix"
            if args.no_value_matrix
            else f"set the value matrix from {args.value_matrix}"
        )
    say(json.dumps(current.to_dict(), indent=2), keep="\n")
    return 0


@command("demo", "seed the demo database (credit, bikes and tickets models)")
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
