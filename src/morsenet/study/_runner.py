"""Run a study: train every model on every data set and write the run folder.

The folder is built under `<out>.partial` and renamed to `<out>` only when every model is trained and
saved, so an interrupted run never leaves a folder that looks complete (what finished is kept).
"""

from __future__ import annotations

import io
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import torch

from .. import __version__
from .._validation import FolderLock, atomic_write_bytes, atomic_write_text, make_folder
from ..datasets import Dataset
from ..errors import MorsenetError
from ..models import count_parameters, read_checkpoint, save
from ..training import StagedResult, train, train_staged
from ._config import Study
from ._folders import PARTIAL, Resumable, default_run_dir, load_resumable, run_dir_for

__all__ = ["default_run_dir", "run_study", "write_basic_report"]


def _completed(old: Resumable, study: Study) -> dict[str, Any]:
    """The metrics of the models an interrupted run finished: in its metrics.json, with a checkpoint that reads
    (and the snapshots file when the study keeps snapshots). The rest is trained again."""
    out = {}
    for name, entry in old.metrics.get("models", {}).items():
        ckpt = old.partial / "models" / f"{name}.pt"
        try:
            read_checkpoint(ckpt)
        except MorsenetError:
            continue
        if study.snapshot_every and not ckpt.with_name(f"{name}.snapshots.pt").is_file():
            continue
        if (
            any(m.stages and n == name for n, _, m in study.entries())
            and not ckpt.with_name(f"{name}.stages.pt").is_file()
        ):
            continue
        out[name] = entry
    return out


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


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
    resume: str | Path | Resumable | None = None,
) -> Path:
    """Train every (data set, model) pair of `study` and write the run folder; returns its path.

    Args:
        study: a resolved study (see `load_study`).
        out: the run folder to create (must not exist or be empty); default runs/<study>-<time>.
        progress: show training progress bars (None: only on a terminal).
        log: receives one line per finished model (default: stderr).
        report: build figures and report.html after training (needs the report module).
        quick: recorded in the manifest (the study itself is already shrunk by `load_study(quick=True)`).
        resume: an interrupted run's `<out>.partial` folder (or its `load_resumable`): finish it, keeping the
            models it saved and training the rest with the same seeds; `study` must then be its stored study
            (`load_resumable(...).study`) and `out` None.

    Raises:
        MorsenetError: for an output folder that exists, cannot be created, or is being written by another
            run, before anything is written; for a folder to resume that is not an interrupted run.
        KeyboardInterrupt: after the manifest says "interrupted"; its message names the folder to resume.
    """
    log = log or (lambda line: print(line, file=sys.stderr, flush=True))
    old: Resumable | None = None
    if resume is not None:
        if out is not None:
            raise MorsenetError("--resume finishes DIR.partial into DIR; --out does not apply to it")
        old = resume if isinstance(resume, Resumable) else load_resumable(resume)
        if old.study.to_dict() != study.to_dict():
            raise MorsenetError(f"--resume {str(old.partial)!r}: the study differs from the one the run started with")
        final, partial, quick = old.final, old.partial, bool(old.manifest.get("quick", quick))
    else:
        final = run_dir_for(study, out)
        partial = final.with_name(final.name + PARTIAL)
        make_folder("--out", final.parent, exist_ok=True)
        make_folder("--out", partial)  # atomic: of two runs started at once, one gets here
    lock = FolderLock(partial)
    if not lock.acquire():
        raise MorsenetError(f"a run is in progress in {str(partial)!r}; wait for it to finish or choose another --out")
    helpers = _report_workers(study, quick) if report else None
    try:
        return _run(
            study, final, partial, lock, old, progress=progress, log=log, report=report, quick=quick, helpers=helpers
        )
    finally:
        if helpers is not None:
            helpers.close()
        lock.release()


def _report_workers(study: Study, quick: bool) -> Any:
    """A report worker started now, while the models train, for a report of core figures (a quick run's):
    its few seconds of work then run on two processes without waiting for one to start. None otherwise (a full
    report starts its own pool: its start is small beside its work), on one core, or where spawning is unsafe."""
    from ..report._jobs import ReportWorkers, spawn_is_safe
    from ..spec._report import figure_set

    if figure_set(study.report.figures, quick=quick) != "core" or (os.cpu_count() or 1) < 2 or not spawn_is_safe():
        return None
    return ReportWorkers(1)


def _run(
    study: Study,
    final: Path,
    partial: Path,
    lock: FolderLock,
    old: Resumable | None,
    *,
    progress: bool | None,
    log: Callable[[str], None],
    report: bool,
    quick: bool,
    helpers: Any = None,
) -> Path:
    (partial / "models").mkdir(exist_ok=True)
    if old is None:
        atomic_write_text(partial / "study.toml", study.dumps())
    kept = _completed(old, study) if old is not None else {}
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
    if old is not None:
        manifest["started"] = old.manifest.get("started", manifest["started"])
        manifest["resumed"] = [*old.manifest.get("resumed", []), _now()]
    _write_json(partial / "manifest.json", manifest)
    metrics: dict[str, Any] = {"complete": False, "models": {}}
    datasets: dict[str, Dataset] = {}
    try:
        for name, dspec, mspec in study.entries():
            if name in kept:  # saved by the interrupted run: its checkpoint, metrics and seeds are kept as they are
                metrics["models"][name] = kept[name]
                assert old is not None
                manifest["seeds"]["models"][name] = old.manifest.get("seeds", {}).get("models", {}).get(name)
                manifest["wall_time_s"][name] = old.manifest.get("wall_time_s", {}).get(name)
                log(f"{name}: kept from the interrupted run")
                continue
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
            staged: StagedResult | None = None
            if mspec.stages or mspec.init:  # staged training / hand-set start (see `training._stages`)
                staged = train_staged(
                    mspec.config,
                    data,
                    cfg,
                    mspec.stages,
                    seed=study.model_seed(mspec),
                    init=mspec.init,
                    callback_factory=callback_factory,
                    progress=progress,
                    desc=name,
                )
                result = staged.result
            else:
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
                **({"staged": staged.meta()} if staged is not None else {}),
            }
            save(result.model, partial / "models" / f"{name}.pt", meta=meta)
            if result.seed in snapshots:
                buf = io.BytesIO()
                torch.save(snapshots[result.seed], buf)
                atomic_write_bytes(partial / "models" / f"{name}.snapshots.pt", buf.getvalue())
            if staged is not None and mspec.stages:  # the state at every stage boundary (before/after figures)
                buf = io.BytesIO()
                torch.save(staged.stages_file(), buf)
                atomic_write_bytes(partial / "models" / f"{name}.stages.pt", buf.getvalue())
            metrics["models"][name] = {
                "dataset": meta["dataset"],
                "model": result.model.config(),
                "parameters": count_parameters(result.model),
                "task": data.task,
                "best_test_accuracy": h.best_accuracy,
                "best_test_loss": h.best_test_loss,
                # which points chose the epoch and the attempt: "test" (the prototype's protocol, so the test
                # accuracy is optimistic) or "validation" (the test points were used for no choice)
                "selection": h.selection,
                "test_accuracy": h.best_accuracy,
                "val_accuracy": h.best_val_accuracy,
                "val_loss": h.best_val_loss,
                "best_epoch": h.best_epoch + 1 if h.best_epoch >= 0 else None,  # 1-based, as the report
                "epochs_run": h.epochs_run,
                "seed": result.seed,
                "attempts": meta["attempts"],
                "threshold": cfg.threshold,
                "reached_threshold": result.reached_threshold,
                "wall_time_s": round(wall, 3),
                "checkpoint": f"models/{name}.pt",
                **(
                    {"injections": [t.to_dict() for t in staged.traces]} if staged is not None and staged.traces else {}
                ),
            }
            manifest["seeds"]["models"][name] = [a.seed for a in result.attempts]
            manifest["wall_time_s"][name] = round(wall, 3)
            _write_json(partial / "metrics.json", metrics)
            _write_json(partial / "manifest.json", manifest)
            chosen = " (epoch chosen on the validation set)" if h.selection == "validation" else ""
            score = (
                f"test accuracy {h.best_accuracy:.3f}{chosen}"
                if h.best_accuracy is not None
                else f"test MSE {h.best_test_loss:.3g}"
            )
            log(f"{name}: {score} after {h.epochs_run} epochs, {len(result.attempts)} attempt(s), {wall:.1f} s")
    except BaseException as err:
        manifest["status"] = "interrupted"
        manifest["finished"] = _now()
        _write_json(partial / "manifest.json", manifest)
        if isinstance(err, KeyboardInterrupt):
            raise KeyboardInterrupt(
                f"the finished models are kept in {partial}; finish with `morsenet run --resume {partial}`"
            ) from None
        raise
    metrics["complete"] = True
    manifest["status"] = "complete"
    manifest["finished"] = _now()
    _write_json(partial / "metrics.json", metrics)
    _write_json(partial / "manifest.json", manifest)
    write_basic_report(partial, study, metrics)
    lock.release()
    partial.rename(final)
    if report:
        from ..report import build_report

        log(f"building figures and report in {final} ...")
        build_report(
            final,
            progress=sys.stderr.isatty() if progress is None else progress,
            box=study.report.box,  # None: the data's box + margin (`default_search_box`)
            resolution=study.report.resolution,
            figures=study.report.figures,  # None: core figures for a quick run, all otherwise
            workers=helpers,  # the worker started before training, or None: the report's own choice
        )
    return final
