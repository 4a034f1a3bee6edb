"""The `morsenet` command line: argument parsing and printing only; the work is done by the library."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from types import ModuleType

from . import __version__
from .errors import MorsenetError

# Subcommand modules in morsenet.commands; each has HELP, configure(parser) and execute(args) -> int.
COMMANDS = ("run", "list", "report", "theory", "analyze", "sweep")


def _load_commands() -> dict[str, ModuleType]:
    return {name: importlib.import_module(f"morsenet.commands.{name}") for name in COMMANDS}


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, ModuleType]]:
    commands = _load_commands()
    parser = argparse.ArgumentParser(
        prog="morsenet", description="Make the embedding restrictions of narrow neural networks visible and measurable."
    )
    parser.add_argument("--version", action="version", version=f"morsenet {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module in commands.items():
        p = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.configure(p)
    return parser, commands


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit status (0 ok, 1 failure, 2 bad input, 130 interrupted)."""
    parser, commands = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return int(commands[args.command].execute(args) or 0)
    except MorsenetError as err:
        print(f"morsenet: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("morsenet: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
