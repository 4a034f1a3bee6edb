"""Run a study: train every model on every data set and write the run folder.

The folder is built under `<out>.partial` and renamed to `<out>` only when every model is trained and
saved, so an interrupted run never leaves a folder that looks complete (what finished is kept).
"""

from __future__ import annotations

import io
import json
import platform
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import torch

from .. import __version__
from .._validation import atomic_write_bytes, atomic_write_text
from ..datasets import Dataset
from ..errors import MorsenetError
from ..models import count_parameters, save
from ..training import train
from ._config import Study


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def default_run_dir(study: Study, root: Path = Path("runs")) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    path = root / f"{study.name}-{stamp}"
    k = 2
    while path.exists() or path.with_name(path.name + ".partial").exists():
        path, k = root / f"{study.name}-{stamp}-{k}", k + 1
    return path


def _write_json(path: Path, data: Any) -> None:
    atomic_write_text(path, json.dumps(data, indent=2) + "\n")


def write_basic_report(run_dir: Path, study: Study, metrics: dict[str, Any]) -> None:
    """report.md with the metrics table (the report's own); `morsenet.report.build_report` replaces it with the
    full report."""
    from ..report import render_metrics_table  # the report's plotting stack loads only once a run is done

    text = (
        f"# Study `{study.name}`\n\n{study.description}\n\n## Metrics\n\n{render_metrics_table(metrics)}\n\n"
        "## Figures\n\nFigures are written by `morsenet report RUN_DIR`.\n"
    )
    atomic_write_text(run_dir / "report.md", text)


def run_study(
    study: Study,
    *,
    out: str | Path | None = None,
    progress: bool | None = None,
    log: Callable[[str], None] | None = None,
    report: bool = True,
    quick: bool = False,
) -> Path:
    """Train every (data set, model) pair of `study` and write the run folder; returns its path.

    Args:
        study: a resolved study (see `load_study`).
        out: the run folder to create (must not exist or be empty); default runs/<study>-<time>.
        progress: show training progress bars (None: only on a terminal).
        log: receives one line per finished model (default: stderr).
        report: build figures and report.html after training (needs the report module).
        quick: recorded in the manifest (the study itself is already shrunk by `load_study(quick=True)`).
    """
    log = log or (lambda line: print(line, file=sys.stderr, flush=True))
    final = Path(out) if out is not None else default_run_dir(study)
    if final.exists() and (not final.is_dir() or any(final.iterdir())):
        raise MorsenetError(f"output folder {str(final)!r} exists and is not empty; choose a new --out")
    partial = final.with_name(final.name + ".partial")
    if partial.exists():
        raise MorsenetError(f"{str(partial)!r} is left from an interrupted run; move it away or choose a new --out")
    (partial / "models").mkdir(parents=True)

    atomic_write_text(partial / "study.toml", study.dumps())
    manifest: dict[str, Any] = {
        "study": study.name,
        "source": study.source,
        "status": "running",
        "quick": quick,
        "morsenet_version": __version__,
        "torch_version": torch.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "started": _now(),
        "finished": None,
        "seeds": {
            "study": study.seed,
            "datasets": {d.label: d.params.get("seed") for d in study.datasets},
            "models": {},
        },
        "wall_time_s": {},
    }
    _write_json(partial / "manifest.json", manifest)
    metrics: dict[str, Any] = {"complete": False, "models": {}}
    datasets: dict[str, Dataset] = {}
    try:
        for name, dspec, mspec in study.entries():
            data = datasets.get(dspec.label) or datasets.setdefault(dspec.label, dspec.build())
            cfg = study.train_config(mspec)
            snapshots: dict[int, dict[str, list]] = {}

            def callback_factory(attempt_seed: int, _store=snapshots):
                if not study.snapshot_every:
                    return None
                record = _store.setdefault(attempt_seed, {"epochs": [], "states": []})

                def callback(epoch, model, history):
                    if epoch == 0 or (epoch + 1) % study.snapshot_every == 0:
                        record["epochs"].append(epoch + 1)
                        record["states"].append({k: v.detach().clone() for k, v in model.state_dict().items()})

                return callback

            t0 = time.perf_counter()
            result = train(
                mspec.config,
                data,
                cfg,
                seed=study.model_seed(mspec),
                callback_factory=callback_factory,
                progress=progress,
                desc=name,
            )
            wall = time.perf_counter() - t0
            h = result.history
            meta = {
                "name": name,
                "study": study.name,
                "dataset": {"label": dspec.label, "name": dspec.name, "params": dspec.params},
                "train": cfg.to_dict(),
                "seed": result.seed,
                "history": h.to_dict(),
                "attempts": [a.to_dict() for a in result.attempts],
            }
            save(result.model, partial / "models" / f"{name}.pt", meta=meta)
            if result.seed in snapshots:
                buf = io.BytesIO()
                torch.save(snapshots[result.seed], buf)
                atomic_write_bytes(partial / "models" / f"{name}.snapshots.pt", buf.getvalue())
            metrics["models"][name] = {
                "dataset": meta["dataset"],
                "model": result.model.config(),
                "parameters": count_parameters(result.model),
                "task": data.task,
                "best_test_accuracy": h.best_accuracy,
                "best_test_loss": h.best_test_loss,
                "best_epoch": h.best_epoch,
                "epochs_run": h.epochs_run,
                "seed": result.seed,
                "attempts": meta["attempts"],
                "threshold": cfg.threshold,
                "reached_threshold": result.reached_threshold,
                "wall_time_s": round(wall, 3),
                "checkpoint": f"models/{name}.pt",
            }
            manifest["seeds"]["models"][name] = [a.seed for a in result.attempts]
            manifest["wall_time_s"][name] = round(wall, 3)
            _write_json(partial / "metrics.json", metrics)
            _write_json(partial / "manifest.json", manifest)
            score = (
                f"test accuracy {h.best_accuracy:.3f}"
                if h.best_accuracy is not None
                else f"test MSE {h.best_test_loss:.3g}"
            )
            log(f"{name}: {score} after {h.epochs_run} epochs, {len(result.attempts)} attempt(s), {wall:.1f} s")
    except BaseException:
        manifest["status"] = "interrupted"
        manifest["finished"] = _now()
        _write_json(partial / "manifest.json", manifest)
        raise
    metrics["complete"] = True
    manifest["status"] = "complete"
    manifest["finished"] = _now()
    _write_json(partial / "metrics.json", metrics)
    _write_json(partial / "manifest.json", manifest)
    write_basic_report(partial, study, metrics)
    partial.rename(final)
    if report:
        from ..report import build_report

        log(f"building figures and report in {final} ...")
        build_report(final, progress=sys.stderr.isatty() if progress is None else progress)
    return final
