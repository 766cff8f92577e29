"""CLI command `report`: the report as JSON or HTML, printed or written to a file."""

from pathlib import Path

from monitoring.cli.arguments import add_engine, add_model, add_period, period
from monitoring.cli.output import say
from monitoring.cli.registry import command
from monitoring.context import ReportRequest
from monitoring.errors import InputError
from monitoring.progress import TerminalBar
from monitoring.settings import ModelSettings
from monitoring.store import Store
from monitoring.windows import BASELINE_HELP, WINDOW_HELP


def _report_args(parser):
    add_model(parser)
    parser.add_argument("--window", help=WINDOW_HELP)
    add_period(parser)
    methods = ModelSettings.choices("drift_method")
    parser.add_argument(
        "--method", choices=methods, metavar="METHOD", help="drift method: " + ", ".join(methods)
    )
    parser.add_argument("--threshold", choices=ModelSettings.choices("drift_threshold"))
    parser.add_argument(
        "--segment",
        metavar="COL=VALUE|NAME",
        help="only the rows of a segment: conditions such as region=north (join up to 4 with &) "
        "or the name of a saved segment",
    )
    parser.add_argument(
        "--by", metavar="COL", help="also every figure per value of this column (segment, sensitive, version)"
    )
    parser.add_argument(
        "--baseline", metavar="BASELINE", help=BASELINE_HELP + " (default: the model's setting)"
    )
    parser.add_argument("--sections", help="comma-separated sections (default: all), e.g. drift")
    add_engine(parser)
    parser.add_argument("--format", choices=["json", "html"], default="json")
    parser.add_argument("-o", "--output", metavar="FILE")


def _sections(text: str | None) -> tuple[str, ...] | None:
    from monitoring.report import SECTIONS  # defers the sections and their statistics

    if not text:
        return None
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    unknown = [name for name in names if name not in SECTIONS]
    if unknown:
        raise InputError(f"unknown section {unknown[0]!r}; use some of {', '.join(SECTIONS)}")
    return names


@command("report", "compute the report as JSON", _report_args)
def report(args) -> int:
    request = ReportRequest(
        model=args.model,
        window=args.window,
        period=period(args),
        method=args.method,
        threshold=args.threshold,
        sections=_sections(args.sections),
        engine=args.engine,
        spark_master=args.spark_master,
        segment=args.segment,
        by=args.by,
        baseline=args.baseline,
    )
    if args.format == "html":
        from monitoring.html_report import build_html_report  # defers pandas and the charts

        text = build_html_report(Store(args.db), request)
    else:
        from monitoring.report import build_report  # defers the sections and their statistics

        store = Store(args.db)
        with store.held(), TerminalBar() as bar:  # the bar: on a terminal only, after 2 s
            text = build_report(store, request, bar).to_json()
    if args.output:
        _write(args.output, text)
        say(f"wrote {args.output}")
    else:
        say(text, keep="\n\t")  # the document's own line breaks and the tabs of its scripts
    return 0


def _write(path: str, text: str) -> None:
    try:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
    except FileNotFoundError:
        folder = Path(path).parent
        raise InputError(
            f"cannot write {path}: the folder {folder} does not exist; create the folder or choose another path"
        ) from None
    except OSError as error:
        raise InputError(f"cannot write {path} ({error.strerror}); choose another path") from None
