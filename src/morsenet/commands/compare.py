"""`morsenet compare RUN_A RUN_B [...]`: the same models of several runs side by side (HTML page and table)."""

from __future__ import annotations

import argparse

HELP = "compare run folders: models side by side (metrics, theory verdicts, critical points, tunnels, boundaries)"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("runs", nargs="+", metavar="RUN_DIR", help="two or more run folders written by `morsenet run`")
    parser.add_argument(
        "--models",
        metavar="LIST",
        default=None,
        help="which models, comma-separated: a name present in every run, or a=b to pair model a of the first "
        "run with model b of the second (runs of different studies); default: every name common to all runs",
    )
    parser.add_argument(
        "--out",
        metavar="DIR",
        default=None,
        help="folder for compare.html and its figure (default: compare-<A>-vs-<B> next to the first run)",
    )
    parser.add_argument(
        "--no-theory", action="store_true", help="skip the theory assessment (critical points, winding, tunnel)"
    )
    parser.add_argument(
        "--resolution",
        type=int,
        default=None,
        metavar="N",
        help="grid nodes per axis of the decision boundaries (default 100)",
    )
    parser.add_argument("--quiet", action="store_true", help="print only the path of compare.html")


def execute(args: argparse.Namespace) -> int:
    import dataclasses

    from ..errors import MorsenetError
    from ..report import Resolutions, compare_runs, render_compare_table

    resolutions = Resolutions.quick()
    if args.resolution is not None:
        if not 8 <= args.resolution <= 2000:
            raise MorsenetError(f"--resolution must be an integer from 8 to 2000, got {args.resolution}")
        n = args.resolution
        resolutions = dataclasses.replace(resolutions, prediction=n, jacobian=max(8, round(0.6 * n)))
    c = compare_runs(
        args.runs,
        models=args.models,
        out=args.out,
        theory=not args.no_theory,
        resolutions=resolutions,
        progress=False if args.quiet else None,
    )
    if not args.quiet:
        print(render_compare_table(c))
        print()
    print(c.html)
    return 0
