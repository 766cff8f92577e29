"""Arguments that several commands share: --db, --model, the role flags, the period."""

from dataclasses import fields
from datetime import datetime

from monitoring.errors import InputError
from monitoring.ingest.roles import RoleOverrides
from monitoring.schema import TASKS
from monitoring.settings import DB_ENV_VAR
from monitoring.windows import Period

SINGLE_ROLE_FLAGS = ("timestamp", "id", "target", "prediction", "latency", "status", "version", "observed-at")
LIST_ROLE_FLAGS = ("sensitive", "segment", "categorical", "numeric", "ignore")


def add_db(parser):
    parser.add_argument("--db", help=f"database file (default: ${DB_ENV_VAR} or data/monitoring.duckdb)")


def add_model(parser):
    parser.add_argument("--model", required=True)


def add_no_warm(parser):
    parser.add_argument(
        "--no-warm",
        action="store_true",
        help="do not prepare the model's default view after storing (the dashboard's first page "
        "then computes it)",
    )


def add_roles(parser):
    group = parser.add_argument_group("column roles (override what is inferred)")
    group.add_argument("--task", choices=TASKS)
    for role in SINGLE_ROLE_FLAGS:
        group.add_argument(f"--{role}", metavar="COL")
    group.add_argument(
        "--score", nargs="+", metavar="COL", default=[], help="score or class-probability columns"
    )
    for role in LIST_ROLE_FLAGS:
        group.add_argument(f"--{role}", nargs="+", metavar="COL", default=[])


def overrides(args) -> RoleOverrides:
    """The role flags of `add_roles` (each named like its RoleOverrides field)."""
    return RoleOverrides(**{field.name: getattr(args, field.name) for field in fields(RoleOverrides)})


def add_period(parser):
    parser.add_argument("--start", help="first day (ISO date) of the period")
    parser.add_argument("--end", help="day after the period (ISO date)")


def period(args) -> Period:
    return Period(_day(args.start, "--start"), _day(args.end, "--end"))


def _day(text: str | None, flag: str) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError as error:
        raise InputError(
            f"{flag} {text!r} is not a date ({error}); use an ISO date such as 2024-03-01"
        ) from None


def add_engine(parser):
    parser.add_argument(
        "--engine",
        choices=["duckdb", "spark"],
        default="duckdb",
        help="where the scans of the production rows run: the local DuckDB file (default) or Apache Spark",
    )
    parser.add_argument(
        "--spark-master",
        metavar="URL",
        help="Spark master for --engine spark, e.g. local[4], spark://host:7077 or a Spark Connect "
        "server sc://host:15002 (default: $SPARK_REMOTE for Spark Connect, else local[*])",
    )
