"""CLI command `segments`: save, list, show the values of, and delete a model's segments."""

from monitoring.cli.output import say
from monitoring.cli.registry import command
from monitoring.segment_api import delete_segment, group_values, list_segments, save_segment
from monitoring.store import Store


def _segments_args(parser):
    parser.add_argument("--model")
    actions = parser.add_subparsers(dest="action", required=True)
    actions.add_parser("list", help="the saved segments")
    add = actions.add_parser("add", help="save a segment: a name and up to 4 conditions")
    add.add_argument("name")
    add.add_argument("conditions", nargs="+", help="e.g. 'region=north' 'age >= 30' (joined with and)")
    remove = actions.add_parser("delete", help="delete a saved segment")
    remove.add_argument("name")
    values = actions.add_parser("values", help="the values of a column and their rows")
    values.add_argument("column")
    for leaf in (*actions.choices.values(),):
        leaf.add_argument("--model", dest="leaf_model", metavar="NAME")
        leaf.add_argument("--db", dest="leaf_db", metavar="PATH")


@command("segments", "save, list, show values of, or delete a model's segments", _segments_args)
def segments(args) -> int:
    model = args.leaf_model or args.model
    if not model:
        say(f"error: `segments {args.action}` needs --model NAME", error=True)
        return 2
    store = Store(args.leaf_db or args.db)
    if args.action == "add":
        saved = save_segment(store, model, args.name, " & ".join(args.conditions))
        say(f"saved segment {saved.name!r}: {saved.text}")
    elif args.action == "delete":
        delete_segment(store, model, args.name)
        say(f"deleted segment {args.name!r}")
    elif args.action == "values":
        for segment, rows in group_values(store, model, args.column):
            say(f"  {segment}: {rows:,} rows")
    else:
        found = list_segments(store, model)
        say(*(f"  {name}: {text}" for name, text in found) if found else ["no saved segments"])
    return 0
