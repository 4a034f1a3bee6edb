"""The `morsenet` command line: argument parsing and printing only; the work is done by the library."""

from __future__ import annotations

import argparse
import gc
import importlib
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import NoReturn

from . import __version__
from .errors import MorsenetError

# Subcommand modules in morsenet.commands; each has HELP, configure(parser) and execute(args) -> int.
COMMANDS = ("run", "list", "report", "compare", "theory", "analyze", "sweep", "explore")


class UsageError(SystemExit):
    """An argparse error, already printed as one line (exit status 2)."""


class ArgumentParser(argparse.ArgumentParser):
    """argparse with its errors as one line `morsenet: error: ...` (no usage block); `--help` is unchanged."""

    def error(self, message: str) -> NoReturn:
        where = self.prog.removeprefix("morsenet").strip()
        print(f"morsenet: error: {where + ': ' if where else ''}{message}", file=sys.stderr)
        raise UsageError(2)


def _load_commands() -> dict[str, ModuleType]:
    return {name: importlib.import_module(f"morsenet.commands.{name}") for name in COMMANDS}


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, ModuleType]]:
    commands = _load_commands()
    parser = ArgumentParser(
        prog="morsenet", description="Make the embedding restrictions of narrow neural networks visible and measurable."
    )
    parser.add_argument("--version", action="version", version=f"morsenet {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=ArgumentParser)
    for name, module in commands.items():
        p = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.configure(p)
    return parser, commands


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit status (0 ok, 1 failure, 2 bad input, 130 interrupted).

    Bad input of any kind (an argparse error included) is one line `morsenet: error: ...` on stderr; Ctrl-C is
    one line `morsenet: interrupted` (with where the work so far was kept, when there is something to say).
    """
    try:
        parser, commands = build_parser()
        try:
            args = parser.parse_args(argv)
        except UsageError as err:
            return int(err.code or 2)
        if args.command is None:
            parser.print_help()
            return 2
        return int(commands[args.command].execute(args) or 0)
    except MorsenetError as err:
        print(f"morsenet: error: {one_line(str(err))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as err:
        note = one_line(str(err))
        print(f"morsenet: interrupted{'; ' + note if note else ''}", file=sys.stderr, flush=True)
        return 130


def entry() -> NoReturn:
    """The `morsenet` command and `python -m morsenet`: `main`, then exit with its status.

    The heap is frozen first (`gc.freeze`), so the interpreter's teardown does not walk it: with torch and
    matplotlib loaded that saves about 0.3 s of every command (nothing is left to collect that matters at exit).
    """
    status = main()
    gc.freeze()
    sys.exit(status)


def one_line(text: str) -> str:
    """A message on one line (a user-facing message never spans lines)."""
    return " ".join(text.split())


if __name__ == "__main__":  # pragma: no cover
    entry()
