"""Cost of the default sweep's analysis phase per model, against its training phase, measured in one process.

For every model of the bundled `default` sweep, trains `--seeds` models as one ensemble (the sweep's own
training settings, `--epochs` to shorten them) and then times each per-model analysis the sweep runs
(`spectra`, `theory`, `tunnel`, `critical_points`, and `escape` when asked) on every trained model, one
thread, one model at a time (`morsenet.sweep._tasks.analyze`), and then all of them together in lockstep, as a
sweep task runs them (`analyze_models`, `morsenet.analysis._lockstep`). It prints, per model and in total, the
seconds per model of training and of each analysis, the lockstep seconds and speed-up, and the ratios analysis /
training: the sweep's analysis phase costs no more than its training when that ratio is <= 1. The extrapolated
time of the whole sweep (550 models, lockstep analyses) on `--workers` processes is printed too (a model's cost
times the models per worker).

    python benchmarks/bench_sweep.py                 # every model of the default sweep, 4 seeds, full epochs
    python benchmarks/bench_sweep.py --escape        # with the escape analysis (opt-in in sweeps)
    python benchmarks/bench_sweep.py --quick         # 3 models, 2 seeds, 3 epochs: seconds (used by the tests)
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import torch

from morsenet.ensemble import train_ensemble
from morsenet.sweep import load_sweep
from morsenet.sweep._tasks import analyze, analyze_models


def _cpu() -> float:
    return time.process_time()


def bench_model(sweep, model_spec, data, *, seeds: list[int], analyses: list[str]) -> dict:
    """Train `seeds` as one ensemble, then time every analysis on each trained model (wall and CPU seconds)."""
    config = replace(sweep.train, **model_spec.train) if model_spec.train else sweep.train
    t0, c0 = time.perf_counter(), _cpu()
    result = train_ensemble(model_spec.config.to_dict(), data, config, seeds=seeds, progress=False)
    train_wall, train_cpu = (time.perf_counter() - t0) / len(seeds), (_cpu() - c0) / len(seeds)
    per_analysis: dict[str, float] = {name: 0.0 for name in analyses}
    for i in range(len(seeds)):
        model = result.model(i)
        for name in analyses:
            c = _cpu()
            analyze(model, data, [name], sweep.analysis)
            per_analysis[name] += (_cpu() - c) / len(seeds)
    analysis_cpu = sum(per_analysis.values())
    models = result.models()
    c = _cpu()
    analyze_models(models, data, analyses, sweep.analysis)  # the whole chunk at once, as a sweep task runs it
    lockstep_cpu = (_cpu() - c) / len(seeds)
    return {
        "model": model_spec.name,
        "train_cpu_s": train_cpu,
        "train_wall_s": train_wall,
        "analysis_cpu_s": per_analysis,
        "analysis_total_cpu_s": analysis_cpu,
        "ratio": analysis_cpu / train_cpu if train_cpu > 0 else float("inf"),
        "lockstep_cpu_s": lockstep_cpu,
        "lockstep_speedup": analysis_cpu / lockstep_cpu if lockstep_cpu > 0 else float("inf"),
        "lockstep_ratio": lockstep_cpu / train_cpu if train_cpu > 0 else float("inf"),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=4, help="models trained (and analysed) per sweep model")
    parser.add_argument("--epochs", type=int, default=None, help="shorten training to this many epochs")
    parser.add_argument("--escape", action="store_true", help="also time the escape analysis")
    parser.add_argument("--workers", type=int, default=2, help="processes for the extrapolated sweep time")
    parser.add_argument("--quick", action="store_true", help="3 models, 2 seeds, 3 epochs")
    parser.add_argument("--json", type=Path, help="also write the numbers to this file")
    args = parser.parse_args(argv)
    sweep = load_sweep("default")
    models = list(sweep.models)
    seeds, epochs = args.seeds, args.epochs
    if args.quick:
        models, seeds, epochs = [models[0], models[4], models[-1]], 2, 3
    if epochs is not None:
        sweep = replace(sweep, train=replace(sweep.train, epochs=epochs))
        models = [replace(m, train={k: v for k, v in m.train.items() if k != "epochs"}) for m in models]
    analyses = list(sweep.analyses) + (["escape"] if args.escape and "escape" not in sweep.analyses else [])
    data = sweep.datasets[0].build()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        rows = [bench_model(sweep, m, data, seeds=list(range(seeds)), analyses=analyses) for m in models]
    finally:
        torch.set_num_threads(threads)
    width = max(len(r["model"]) for r in rows)
    print(f"default sweep, {seeds} seed(s) per model, one thread; CPU seconds per model")
    head = "  ".join(f"{a:>15}" for a in analyses)
    print(f"{'model':<{width}}  {'train':>7}  {head}  ratio  lockstep  speed-up  ratio")
    for r in rows:
        cells = "  ".join(f"{r['analysis_cpu_s'][a]:>15.3f}" for a in analyses)
        print(
            f"{r['model']:<{width}}  {r['train_cpu_s']:>7.3f}  {cells}  {r['ratio']:>5.2f}  "
            f"{r['lockstep_cpu_s']:>8.3f}  {r['lockstep_speedup']:>8.2f}  {r['lockstep_ratio']:.2f}"
        )
    train = sum(r["train_cpu_s"] for r in rows) / len(rows)
    analysis = sum(r["analysis_total_cpu_s"] for r in rows) / len(rows)
    lockstep = sum(r["lockstep_cpu_s"] for r in rows) / len(rows)
    n_models = sweep.n_models
    sweep_s = n_models * (train + lockstep) / max(args.workers, 1)
    print(
        f"mean per model: training {train:.3f} s, analyses {analysis:.3f} s one model at a time, {lockstep:.3f} s "
        f"in lockstep ({analysis / lockstep:.2f}x); analysis / training ratio {analysis / train:.2f} "
        f"(lockstep {lockstep / train:.2f}); whole sweep ({n_models} models, lockstep) on {args.workers} processes "
        f"about {sweep_s:.0f} s"
    )
    if args.json is not None:
        out = {"seeds": seeds, "epochs": epochs, "analyses": analyses, "models": rows,
               "mean_train_cpu_s": train, "mean_analysis_cpu_s": analysis, "ratio": analysis / train,
               "mean_lockstep_cpu_s": lockstep, "lockstep_ratio": lockstep / train,
               "sweep_models": n_models, "workers": args.workers, "sweep_estimate_s": sweep_s}  # fmt: skip
        args.json.write_text(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
