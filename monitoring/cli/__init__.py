"""`python -m monitoring`: the library from a terminal or a scheduler."""

import argparse

from monitoring.cli import alerts, data, models, platform, report, segments
from monitoring.cli.arguments import add_db
from monitoring.cli.output import say
from monitoring.cli.registry import COMMANDS
from monitoring.errors import MonitoringError

# The command modules register their commands on import; --help lists them in this order.
HELP_ORDER = (data, models, report, segments, alerts, platform)


def _commands_in_help_order() -> list:
    modules = [module.__name__ for module in HELP_ORDER]
    return sorted(COMMANDS.items(), key=lambda item: modules.index(item[1].run.__module__))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m monitoring", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    for name, declared in _commands_in_help_order():
        sub = commands.add_parser(name, help=declared.help)
        add_db(sub)
        if declared.configure:
            declared.configure(sub)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command].run(args)
    except MonitoringError as error:
        say(f"error: {error}", error=True)
        return 2
