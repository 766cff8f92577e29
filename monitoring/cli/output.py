"""What the CLI prints goes through say(): values from files (category examples, column and model
names) may hold terminal escape sequences that would retitle or clear the terminal, recolour the
output or fake a line; printable() shows them as escapes like \\x1b instead."""

import functools
import re
import sys

CONTROL_CODES = [*range(0x00, 0x20), *range(0x7F, 0xA0)]  # C0, DEL and C1
# bidirectional controls, which reorder what a terminal shows (U+202E turns text around)
CONTROL_CODES += [0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]


@functools.cache
def _controls(keep: str) -> re.Pattern:
    return re.compile(
        "[" + "".join(re.escape(chr(code)) for code in CONTROL_CODES if chr(code) not in keep) + "]"
    )


def printable(text: object, keep: str = "") -> str:
    """`text` with each control character not in `keep` written as \\xNN."""
    return _controls(keep).sub(_escape, str(text))


def _escape(found: re.Match) -> str:
    code = ord(found.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def say(*lines: object, keep: str = "", error: bool = False) -> None:
    """Print each line, made printable, on stdout (stderr when `error`).

    `keep` names the control characters the CLI itself put in a block it formatted, e.g. "\\n"
    for a table whose cells pandas has already escaped.
    """
    print("\n".join(printable(line, keep) for line in lines), file=sys.stderr if error else sys.stdout)
