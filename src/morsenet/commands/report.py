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
    parser.add_argument(
        "--box",
        metavar="X0,X1,Y0,Y1",
        default=None,
        help="the plot and analysis box of the 2-D models (X0,X1 for 1-D models; default: the data's bounding box "
        "widened by 0.2); use --box=-2,2,-2,2 when it starts with a minus sign",
    )
    parser.add_argument(
        "--resolution",
        type=int,
        default=None,
        metavar="N",
        help="grid nodes per axis of the decision boundary, level sets and surface (default 200, 100 for quick "
        "runs); the singular-value maps get 60%% of it, the training snapshots 40%%",
    )
    parser.add_argument(
        "--figures",
        default=None,
        metavar="SET",
        help="which figures to draw: all, or core (training, decision boundary, singular-value maps, the study's "
        "topic figures and the comparisons; default: the study's report.figures, else core for quick runs and "
        "all otherwise)",
    )
    parser.add_argument(
        "--quiet", action="store_true", help="print only the path of report.html (no progress bar or per-model lines)"
    )


def execute(args: argparse.Namespace) -> int:
    from .._validation import bounded_int
    from ..report import build_report, check_formats
    from ..report._build import check_figures

    if args.dpi is not None:  # a 6x4-inch figure at 1200 dpi is 35 million pixels
        bounded_int("--dpi", args.dpi, 20, 1200, why="a figure's pixels grow with its square")
    if args.workers is not None:
        bounded_int("--workers", args.workers, 1, 64, why="drawing processes")
    if getattr(args, "resolution", None) is not None:
        bounded_int("--resolution", args.resolution, 3, 2001, why="a grid of resolution^2 nodes per figure")
    if args.figures is not None:
        check_figures(args.figures)
    path = build_report(
        args.run_dir,
        formats=check_formats(args.formats),
        progress=False if args.quiet else None,  # progress only on a terminal
        dpi=args.dpi,
        theory=not args.no_theory,
        workers=args.workers,
        box=args.box,
        resolution=args.resolution,
        figures=args.figures,
    )
    print(path)
    return 0
