"""CLI commands that fix a model afterwards: roles (list or change), rename-model, delete-model."""

import json

from monitoring import catalog_api
from monitoring.cli.arguments import add_model
from monitoring.cli.output import say
from monitoring.cli.registry import command
from monitoring.errors import InputError
from monitoring.ingest.role_changes import parse_changes
from monitoring.store import Store


def _roles_args(parser):
    add_model(parser)
    parser.add_argument("--format", choices=["text", "json"], default="text")
    parser.add_argument(
        "--set",
        nargs="+",
        default=[],
        metavar="COL=ROLE[:KIND]",
        help="change roles, e.g. repaid=target age=feature:categorical (stored rows stay)",
    )


@command("roles", "list a model's columns with role and kind, or change them with --set", _roles_args)
def roles(args) -> int:
    store = Store(args.db)
    if args.set:
        model = catalog_api.change_roles(store, args.model, parse_changes(args.set))
        say(f"{model.name}: {len(args.set)} role change(s) stored; caches dropped and alert rules evaluated")
    else:
        model = catalog_api.get_model(store, args.model)
    found = [{"name": c.name, "role": c.role, "kind": c.kind} for c in model.columns]
    if args.format == "json":
        say(json.dumps(found, indent=2), keep="\n")  # JSON escapes control characters in values itself
    else:
        say(*(f"  {c['name']}: {c['role']}, {c['kind']}" for c in found))
    return 0


def _rename_args(parser):
    parser.add_argument("model", metavar="MODEL")
    parser.add_argument("new_name", metavar="NEW")


@command("rename-model", "give a model a new name", _rename_args)
def rename_model(args) -> int:
    catalog_api.rename_model(Store(args.db), args.model, args.new_name)
    say(f"renamed {args.model!r} to {args.new_name.strip()!r}")
    return 0


def _delete_args(parser):
    parser.add_argument("model", metavar="MODEL")
    parser.add_argument("--yes", action="store_true", help="confirm: everything of the model is deleted")


@command("delete-model", "delete a model and everything of it (needs --yes)", _delete_args)
def delete_model(args) -> int:
    if not args.yes:
        warning = catalog_api.delete_model_warning(Store(args.db), args.model)
        raise InputError(f"deleting {args.model!r} removes {warning}; add --yes")
    catalog_api.delete_model(Store(args.db), args.model)
    say(f"deleted model {args.model!r} and everything of it")
    return 0
