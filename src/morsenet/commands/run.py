"""`morsenet run [STUDY]`: train a study's models and write a run folder."""

from __future__ import annotations

import argparse
import sys

from ..errors import MorsenetError

HELP = "train a study (default: the prototype's study) and write a run folder with metrics, checkpoints and report"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "study",
        nargs="?",
        default=None,
        help="a bundled study name (see `morsenet list`) or a .toml file (default: default)",
    )
    parser.add_argument(
        "--resume",
        metavar="DIR.partial",
        default=None,
        help="finish an interrupted run: keep the models it saved, train the rest with the same seeds, rename "
        "DIR.partial to DIR (uses the study stored in it)",
    )
    parser.add_argument("--out", metavar="DIR", help="run folder to create (default: runs/<study>-<time>)")
    parser.add_argument(
        "--set",
        metavar="KEY=VALUE",
        action="append",
        default=[],
        dest="overrides",
        help="override a study value, e.g. train.epochs=50, seed=3, models.mlp_width3.widths=[2,4,1],"
        " datasets.circles.n_samples=500 (repeatable)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="shrink data (<= 400 points), epochs (<= 15) and retries (1) for a fast check",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bars or per-model lines")
    parser.add_argument("--no-report", action="store_true", help="skip figures and report.html")


def execute(args: argparse.Namespace) -> int:
    from ..study import load_resumable, load_study, run_dir_for, run_study

    resume = out = None
    if args.resume is not None:
        if args.out is not None:
            raise MorsenetError("--resume finishes DIR.partial into DIR; --out does not apply to it")
        resume = load_resumable(args.resume, study=args.study, overrides=args.overrides, quick=args.quick)
        study = resume.study
    else:
        study = load_study(args.study or "default", overrides=args.overrides, quick=args.quick)
        out = run_dir_for(study, args.out)  # checked before anything is printed or written
    log = (lambda line: None) if args.quiet else (lambda line: print(line, file=sys.stderr, flush=True))
    log(f"study {study.name!r}: {len(study.entries())} model(s) on {len(study.datasets)} data set(s)")
    path = run_study(
        study,
        out=out,
        resume=resume,
        progress=None if not args.quiet else False,
        log=log,
        report=not args.no_report,
        quick=args.quick,
    )
    print(path)
    return 0
