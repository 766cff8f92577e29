"""The CLI's command table: `@command(name, help, configure)` registers a function as
`python -m monitoring NAME`; `configure(parser)` declares the arguments it takes besides --db,
which every command has."""

import argparse
from collections.abc import Callable
from dataclasses import dataclass

Configure = Callable[[argparse.ArgumentParser], None]


@dataclass(frozen=True)
class Command:
    run: Callable[[argparse.Namespace], int]
    help: str
    configure: Configure | None = None


COMMANDS: dict[str, Command] = {}


def command(name: str, help_text: str, configure: Configure | None = None):
    def register(function):
        COMMANDS[name] = Command(function, help_text, configure)
        return function

    return register
