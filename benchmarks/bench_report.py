"""Cost of drawing one model's report figures, per figure, against that model's training, in one process.

Trains one model of the bundled `default` study with `--quick` settings (`--model`, default `resnet_standard`, the
2-D model with the most figures: the inside-the-network maps with the block Jacobians and the R1 ratio), runs
the report's analyses on it (`Resolutions.quick()`, as a quick run's report does), and then draws its full figure
set with the library's current code, exactly as `morsenet report` draws one model (`model_figures`, one process,
the quick report's dpi), plus the side-by-side comparison figure with that model as its one row. It prints one
line per figure, `figure KEY SECONDS RATIO` (RATIO: the figure's seconds over the model's training seconds), and
a total line. GIFs are timed under their own keys (`evolution.gif`, ...).

    python benchmarks/bench_report.py            # the full figure set (about 15-30 s on 2 shared cores)
    python benchmarks/bench_report.py --quick    # two figures only (the data set and the evolution GIF)
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

DPI = 100  # the quick report's dpi (`report/_build.py: QUICK_DPI`)


class FigureClock:
    """Seconds per figure key: the time since the previous mark (or `start`) lands on the key that ends it."""

    def __init__(self, timer: Callable[[], float] = time.perf_counter) -> None:
        self.seconds: dict[str, float] = {}
        self.timer = timer
        self.last = timer()

    def start(self) -> None:
        self.last = self.timer()

    def mark(self, key: str) -> None:
        now = self.timer()
        self.seconds[key] = self.seconds.get(key, 0.0) + now - self.last
        self.last = now


def _timed(fn: Callable[..., Any], clock: FigureClock, key: str) -> Callable[..., Any]:
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        out = fn(*args, **kwargs)
        clock.mark(key)
        return out

    return wrapped


def _instrument(clock: FigureClock) -> Callable[[], None]:
    """Mark every written figure (`FigureWriter.figure`) and every GIF writer on `clock`; returns the undo."""
    import morsenet.plotting as P
    import morsenet.report._figures_1d as F1
    from morsenet.report._writer import FigureWriter

    saved = [(FigureWriter, "figure", FigureWriter.figure)]
    saved += [(P, name, getattr(P, name)) for name in ("animate_snapshots", "animate_trajectories")]
    saved += [(F1, "animate_one_d", F1.animate_one_d)]
    original = FigureWriter.figure

    def figure(self: Any, key: str, *args: Any, **kwargs: Any) -> None:
        original(self, key, *args, **kwargs)
        clock.mark(key)

    FigureWriter.figure = figure  # type: ignore[method-assign]
    P.animate_snapshots = _timed(P.animate_snapshots, clock, "evolution.gif")  # type: ignore[assignment]
    P.animate_trajectories = _timed(P.animate_trajectories, clock, "flow_trajectories.gif")  # type: ignore[assignment]
    F1.animate_one_d = _timed(F1.animate_one_d, clock, "one_d_layers.gif")  # type: ignore[assignment]

    def undo() -> None:
        for owner, name, value in saved:
            setattr(owner, name, value)

    return undo


def train_one(model_name: str, out: Path) -> float:
    """Train `model_name` of the default study (quick settings) into the run folder `out`; returns seconds."""
    from morsenet.study import load_study, run_study

    study = load_study("default", quick=True)
    models = [m for m in study.models if m.name == model_name]
    if not models:
        raise SystemExit(f"no model {model_name!r} in the default study; choose from "
                         f"{', '.join(m.name for m in study.models)}")  # fmt: skip
    study = replace(study, models=tuple(models))
    t = time.perf_counter()
    run_study(study, out=out, progress=False, log=lambda line: None, report=False, quick=True)
    return time.perf_counter() - t


def draw_all(a: Any, folder: Path, clock: FigureClock) -> None:
    """The model's full figure set and the comparison figure with it as the only row."""
    from morsenet.report._comparisons import comparison_figure
    from morsenet.report._figures import model_figures

    clock.start()
    model_figures(a, folder, dpi=DPI)
    clock.start()
    comparison_figure("compare_2d", [a], folder / "comparison", dpi=DPI)


def draw_quick(a: Any, folder: Path, clock: FigureClock) -> None:
    """Two figures: the data set (`FigureWriter.panels`) and the training-evolution GIF."""
    import morsenet.plotting as P
    from morsenet.report._writer import FigureWriter

    w = FigureWriter(folder, ("png",), DPI)
    clock.start()
    w.panels("data", "Data set", "", (5.2, 5.4), [lambda ax: P.plot_dataset(a.data, ax)], bottom=1.4)
    clock.start()
    if a.snapshots:
        P.animate_snapshots(a.snapshots, folder / "evolution.gif", data=a.data, tunnel=a.tunnel)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="resnet_standard", help="a model of the default study")
    parser.add_argument("--quick", action="store_true", help="draw two figures only")
    parser.add_argument("--json", type=Path, help="also write the numbers to this file")
    args = parser.parse_args(argv)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot  # noqa: F401  (imported before any timing, as a report process has it loaded)

    from morsenet.report._analyze import Resolutions, analyze_model
    from morsenet.report._run import read_run

    with tempfile.TemporaryDirectory() as tmp:
        run_dir = Path(tmp) / "run"
        train_s = train_one(args.model, run_dir)
        (entry,) = read_run(run_dir).models
        t = time.perf_counter()
        a = analyze_model(entry, resolutions=Resolutions.quick())
        analysis_s = time.perf_counter() - t
        clock = FigureClock()
        undo = _instrument(clock)
        try:
            (draw_quick if args.quick else draw_all)(a, Path(tmp) / "figures", clock)
        finally:
            undo()
    seconds = clock.seconds
    total = sum(seconds.values())
    print(f"model {args.model} (default study, quick): training {train_s:.3f} s, analyses {analysis_s:.3f} s")
    print("figure KEY SECONDS RATIO (ratio: figure seconds / training seconds)")
    for key, s in sorted(seconds.items(), key=lambda kv: -kv[1]):
        print(f"figure {key} {s:.3f} {s / train_s:.3f}")
    print(f"total {len(seconds)} figures {total:.3f} s, training {train_s:.3f} s, ratio {total / train_s:.3f}")
    if args.json is not None:
        out = {"model": args.model, "quick": args.quick, "train_s": train_s, "analysis_s": analysis_s,
               "figures_s": seconds, "total_s": total, "ratio": total / train_s}  # fmt: skip
        args.json.write_text(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
