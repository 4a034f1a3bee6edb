"""`morsenet report RUN_DIR`: rebuild a run's figures, report.html and report.md from its checkpoints."""

from __future__ import annotations

import argparse

HELP = "rebuild figures/, report.html and report.md of a run folder from its checkpoints (no retraining)"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dir", metavar="RUN_DIR", help="a run folder written by `morsenet run`")
    parser.add_argument(
        "--formats",
        default="png",
        metavar="LIST",
        help="figure formats, comma-separated, from png, svg, pdf (default: png; png is always "
        "written because report.html embeds it)",
    )
    parser.add_argument("--dpi", type=int, default=None, help="PNG resolution (default 150; 100 for quick runs)")
    parser.add_argument("--no-theory", action="store_true", help="skip the theory-and-topology assessment")
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="processes drawing models in parallel (default: one per core, at most 4)",
    )
    parser.add_argument("--quiet", action="store_true", help="print only the path of report.html")


def execute(args: argparse.Namespace) -> int:
    from ..errors import MorsenetError
    from ..report import build_report, check_formats

    if args.dpi is not None and args.dpi < 20:
        raise MorsenetError(f"--dpi must be at least 20, got {args.dpi}")
    if args.workers is not None and args.workers < 1:
        raise MorsenetError(f"--workers must be at least 1, got {args.workers}")
    path = build_report(
        args.run_dir,
        formats=check_formats(args.formats),
        progress=not args.quiet,
        dpi=args.dpi,
        theory=not args.no_theory,
        workers=args.workers,
    )
    print(path)
    return 0
