"""`morsenet sweep`: train a grid of architectures over many seeds and report rates with intervals."""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = (
    "train every model of a sweep file (a grid of data sets x architectures x training over many seeds) as "
    "ensembles, locally or on a Dask cluster; writes results.csv (one row per model) and report.html"
)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "sweep",
        nargs="?",
        default="default",
        metavar="SWEEP",
        help="a sweep .toml file or a bundled sweep name (default: %(default)s)",
    )
    parser.add_argument(
        "--out", type=Path, default=None, help="output folder (default: sweeps/NAME, or sweeps/NAME-quick with --quick)"
    )
    parser.add_argument(
        "--workers", type=int, default=None, help="local worker processes (default: all cores; 1 runs in this process)"
    )
    parser.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="run on an existing Dask cluster, e.g. tcp://10.0.0.5:8786 (overrides --workers)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="smoke test: at most 4 seeds, 15 epochs, 400 points, coarse analyses"
    )
    parser.add_argument(
        "--set",
        metavar="KEY=VALUE",
        action="append",
        default=[],
        dest="overrides",
        help="override a sweep value, e.g. seeds=8, train.epochs=50, models.mlp_w2_d2.depth=3,"
        " datasets.circles.n_samples=500, training.default.lr=0.001 (repeatable)",
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="continue the sweep in --out, skipping models whose rows are already there",
    )
    parser.add_argument("--device", default="cpu", help="torch device for training, e.g. cuda (default: cpu)")
    parser.add_argument(
        "--chunk-size",
        type=int,
        default=None,
        help="seeds per task (default: the sweep file's chunk_size; larger suits a GPU)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress lines")


def execute(args: argparse.Namespace) -> int:
    from ..sweep import load_sweep, run_sweep

    sweep = load_sweep(args.sweep, overrides=args.overrides, quick=args.quick)
    out = args.out or Path("sweeps") / (sweep.name + ("-quick" if args.quick else ""))
    # run_sweep checks the workers, the device, the folder and the scheduler before it writes anything
    result = run_sweep(
        sweep,
        out,
        workers=args.workers,
        scheduler=args.scheduler,
        resume=args.resume,
        device=args.device,
        chunk_size=args.chunk_size,
        quiet=args.quiet,
        quick=args.quick,
    )
    if not args.quiet:
        print(
            f"{len(result.rows)} models in {result.seconds / 60:.1f} min: {result.table[0]}"
            + (f", {result.report}" if result.report else "")
        )
    return 1 if result.failures else 0
