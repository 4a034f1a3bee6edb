"""build_report: run folder -> figures/, report.html and report.md, from the saved checkpoints alone."""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import shutil
import sys
import time
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

from .. import __version__
from .._validation import atomic_write_text
from ..errors import MorsenetError
from ..models import read_checkpoint
from ._analyze import ModelAnalysis, Resolutions, analyze_model
from ._content import Report, report_document
from ._figures import COMPARISONS, FigureFile, comparison_figure, model_figures, safe_name
from ._run import ModelEntry, read_run
from ._writers import render_html, render_markdown

FORMATS = ("png", "svg", "pdf")
DPI, QUICK_DPI = 150, 100


def check_formats(formats: Sequence[str] | str) -> tuple[str, ...]:
    """Validate figure formats: a subset of png, svg, pdf (png is always written: the HTML embeds it)."""
    if isinstance(formats, str):
        formats = formats.split(",")
    out = tuple(dict.fromkeys(f.strip().lower().lstrip(".") for f in formats if f.strip()))
    bad = [f for f in out if f not in FORMATS]
    if bad:
        raise MorsenetError(f"unknown figure format {bad[0]!r}; choose from {', '.join(FORMATS)} (e.g. png,svg)")
    return out or ("png",)


def _relocate(figs: list[FigureFile], old: Path, new: Path) -> list[FigureFile]:
    def move(p: Path) -> Path:
        return new / p.relative_to(old)

    return [dataclasses.replace(f, png=move(f.png), files=tuple(move(p) for p in f.files)) for f in figs]


def _folders(entries: Sequence[ModelEntry], root: Path) -> list[Path]:
    """One figure folder per model, named after it (made file-safe, and unique)."""
    seen: set[str] = set()
    out = []
    for entry in entries:
        name, k = safe_name(entry.name), 2
        while name.lower() in seen or name == "comparison":
            name, k = f"{safe_name(entry.name)}_{k}", k + 1
        seen.add(name.lower())
        out.append(root / name)
    return out


def _analysis_job(entry: ModelEntry, resolutions: Resolutions, theory: bool) -> tuple[ModelAnalysis, float]:
    t = time.perf_counter()
    return analyze_model(entry, resolutions=resolutions, theory=theory), time.perf_counter() - t


def _figures_job(a: ModelAnalysis, folder: Path, formats: tuple[str, ...], dpi: int) -> tuple[list[FigureFile], float]:
    t = time.perf_counter()
    return model_figures(a, folder, formats=formats, dpi=dpi), time.perf_counter() - t


def _line(a: ModelAnalysis, t_analysis: float, figs: list[FigureFile], t_figures: float) -> str:
    theory = f" (theory {a.seconds['theory']:.1f} s)" if "theory" in a.seconds else ""
    return f"analyses {t_analysis:.1f} s{theory}, {len(figs)} figures {t_figures:.1f} s"


def _init_worker(threads: int) -> None:
    import torch

    torch.set_num_threads(threads)


def _comparison_job(
    kind: str, analyses: list[ModelAnalysis], folder: Path, formats: tuple[str, ...], dpi: int
) -> FigureFile | None:
    return comparison_figure(kind, analyses, folder, formats=formats, dpi=dpi)


def _spawn_is_safe() -> bool:
    """Whether worker processes can start: spawn re-imports the caller's `__main__` script in each worker.

    That is harmless for notebooks, `python -c`, `python -m ...` and the `morsenet` command, and for scripts
    whose work sits under `if __name__ == "__main__":`; a script that calls `build_report` at top level
    would run again in every worker, so it gets the sequential path instead.
    """
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if path is None or getattr(main, "__spec__", None) is not None:
        return True
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return "__name__" in text and "__main__" in text


def _run_jobs(
    entries: Sequence[ModelEntry],
    folder: Path,
    resolutions: Resolutions,
    formats: tuple[str, ...],
    dpi: int,
    theory: bool,
    workers: int,
    say,
) -> tuple[list[tuple], list[FigureFile]]:
    """Analyse every model, then draw the per-model and the comparison figures.

    With several workers, the analyses run first (they are quick), then every figure job, per-model and
    comparison alike, goes to the pool at once, so that no worker waits for the largest figure at the end.
    Returns ([(analysis, figures)] in model order, comparison figures).
    """
    folders, n = _folders(entries, folder), len(entries)
    if workers <= 1 or n <= 1 or not _spawn_is_safe():
        results = []
        for k, (entry, where) in enumerate(zip(entries, folders)):
            a, t_a = _analysis_job(entry, resolutions, theory)
            figs, t_f = _figures_job(a, where, formats, dpi)
            results.append((a, figs))
            say(f"{entry.name} ({k + 1}/{n}): {_line(a, t_a, figs, t_f)}")
        analyses = [a for a, _ in results]
        comparison = [_comparison_job(kind, analyses, folder / "comparison", formats, dpi) for kind in COMPARISONS]
        return results, [f for f in comparison if f is not None]
    threads = max(1, (os.cpu_count() or 1) // workers)
    # spawn, not fork: forking a process that has started torch's thread pools can deadlock.
    ctx = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker, initargs=(threads,))
    try:
        done = [f.result() for f in [pool.submit(_analysis_job, e, resolutions, theory) for e in entries]]
        analyses = [a for a, _ in done]
        pending: list[Future[FigureFile | None]] = [
            pool.submit(_comparison_job, kind, analyses, folder / "comparison", formats, dpi)
            for kind in COMPARISONS[:1]
        ]  # the largest figure first
        figures = [pool.submit(_figures_job, a, where, formats, dpi) for a, where in zip(analyses, folders)]
        pending += [
            pool.submit(_comparison_job, kind, analyses, folder / "comparison", formats, dpi)
            for kind in COMPARISONS[1:]
        ]
        results = []
        for k, ((a, t_a), fut) in enumerate(zip(done, figures)):
            figs, t_f = fut.result()
            results.append((a, figs))
            say(f"{a.name} ({k + 1}/{n}): {_line(a, t_a, figs, t_f)}")
        return results, [f for f in (fut.result() for fut in pending) if f is not None]
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)  # stop queued jobs, then re-raise
        raise
    finally:
        pool.shutdown(wait=True)


def build_report(
    run_dir: str | Path,
    *,
    formats: Sequence[str] = ("png",),
    progress: bool = False,
    dpi: int | None = None,
    resolutions: Resolutions | None = None,
    theory: bool = True,
    workers: int | None = None,
) -> Path:
    """Build `figures/`, `report.html` and `report.md` of a run folder from its checkpoints (no training).

    Args:
        run_dir: a folder written by `morsenet run` (metrics.json, manifest.json, study.toml, models/).
        formats: figure formats, from png, svg, pdf; PNG is always written (report.html embeds it).
        progress: print one line per model to stderr.
        dpi: PNG resolution; default 150 (100 for a quick run).
        resolutions: grid sizes of the analyses; default `Resolutions()` (`Resolutions.quick()` for a quick run).
        theory: run the theory assessment (`morsenet.analysis.assess_model`) for 1- to 3-D models.
        workers: processes drawing models in parallel; default min(models, CPU cores, 4). Workers are spawned,
            so a script calling this at top level (outside `if __name__ == "__main__":`) runs sequentially.

    Returns:
        The path of report.html.

    Raises:
        MorsenetError: for a missing folder, a folder that is not a run folder, a corrupt checkpoint or an
            unknown format.
    """
    t0 = time.perf_counter()
    formats = check_formats(formats)
    run = read_run(run_dir)
    for entry in run.models:  # fail fast on a missing or corrupt checkpoint, before any drawing
        read_checkpoint(entry.checkpoint)
    quick = bool(run.manifest.get("quick"))
    resolutions = resolutions or (Resolutions.quick() if quick else Resolutions())
    dpi = dpi or (QUICK_DPI if quick else DPI)
    if workers is None:
        workers = min(len(run.models), os.cpu_count() or 1, 4)
    say = (lambda s: print(f"report: {s}", file=sys.stderr, flush=True)) if progress else (lambda s: None)
    building = run.path / ".figures.building"
    final = run.path / "figures"
    shutil.rmtree(building, ignore_errors=True)
    try:
        results, comparison = _run_jobs(run.models, building, resolutions, formats, dpi, theory, workers, say)
        analyses = [a for a, _ in results]
        if final.exists():
            shutil.rmtree(final)
        building.rename(final)
    finally:
        shutil.rmtree(building, ignore_errors=True)
    per_model = {a.name: _relocate(figs, building, final) for a, figs in results}
    report = Report(
        run,
        analyses,
        per_model,
        _relocate(comparison, building, final),
        resolutions,
        datetime.now(UTC).isoformat(timespec="seconds"),
        __version__,
    )
    report.seconds = time.perf_counter() - t0
    document = report_document(report)
    atomic_write_text(run.path / "report.md", render_markdown(document))
    html_path = run.path / "report.html"
    atomic_write_text(html_path, render_html(document))
    say(f"wrote {html_path} in {time.perf_counter() - t0:.1f} s")
    return html_path
