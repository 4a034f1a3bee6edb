"""CLI subcommands: each module has HELP, configure(parser) and execute(args) -> int."""
