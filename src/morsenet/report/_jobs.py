"""The report's jobs: each model's analyses and figures, the comparisons, and where they run (this process, a
pool of spawned workers, or this process beside workers started ahead of time by `ReportWorkers`)."""

from __future__ import annotations

import contextlib
import functools
import gc
import multiprocessing
import os
import sys
import threading
import time
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any

from .._progress import Phase
from .._validation import intra_op_threads, sigint_ignored
from ..datasets import Dataset
from ._analyze import ModelAnalysis, Resolutions, analyze_model
from ._comparisons import COMPARISONS, comparison_figure
from ._figures import FigureFile, model_figures, safe_name
from ._run import ModelEntry


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


def _analysis_job(
    entry: ModelEntry,
    resolutions: Resolutions,
    theory: bool,
    cache: dict[str, Dataset] | None = None,
    figures: str = "all",
) -> tuple[ModelAnalysis, float]:
    t = time.perf_counter()
    a = analyze_model(entry, resolutions=resolutions, theory=theory, cache=cache, figures=figures)
    return a, time.perf_counter() - t


@contextlib.contextmanager
def frozen_heap() -> Iterator[None]:
    """Leave the objects alive now out of the garbage collector's full passes while figures are drawn.

    Drawing allocates many short-lived matplotlib objects, which trigger full collections, and each full pass walks
    the whole heap (torch, the analyses): about a tenth of the drawing time of a report. Objects made inside are
    collected as usual; `gc.unfreeze` returns the others to the collector afterwards (a garbage cycle frozen
    with them waits for a later pass: no full collection first, which would cost what freezing saves).
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _figures_job(a: ModelAnalysis, folder: Path, formats: tuple[str, ...], dpi: int) -> tuple[list[FigureFile], float]:
    t = time.perf_counter()
    with frozen_heap():
        figures = model_figures(a, folder, formats=formats, dpi=dpi)
    return figures, time.perf_counter() - t


def _line(a: ModelAnalysis, t_analysis: float, figs: list[FigureFile], t_figures: float) -> str:
    theory = f" (theory {a.seconds['theory']:.1f} s)" if "theory" in a.seconds else ""
    return f"analyses {t_analysis:.1f} s{theory}, {len(figs)} figures {t_figures:.1f} s"


def _init_worker(threads: int) -> None:
    import torch

    torch.set_num_threads(threads)


def _comparison_job(
    kind: str, analyses: list[ModelAnalysis], folder: Path, formats: tuple[str, ...], dpi: int
) -> FigureFile | None:
    with frozen_heap():
        return comparison_figure(kind, analyses, folder, formats=formats, dpi=dpi)


def spawn_is_safe() -> bool:
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


def run_jobs(
    entries: Sequence[ModelEntry],
    folder: Path,
    resolutions: Resolutions,
    formats: tuple[str, ...],
    dpi: int,
    theory: bool,
    workers: int,
    say,
    bar: Phase | None = None,
    cache: dict[str, Dataset] | None = None,
    figures: str = "all",
) -> tuple[list[tuple], list[FigureFile]]:
    """Analyse every model, then draw the per-model and the comparison figures.

    With several workers, the analyses run first (they are quick), then every figure job, per-model and
    comparison alike, goes to the pool at once, so that no worker waits for the largest figure at the end.
    Returns ([(analysis, figures)] in model order, comparison figures).
    """
    folders, n = _folders(entries, folder), len(entries)
    bar = bar or Phase("report", 0, enabled=False)
    if workers <= 1 or n <= 1 or not spawn_is_safe():
        # one intra-op thread, as in the workers: the maps of these tiny models are too small to share, and a
        # second thread that the scheduler has parked costs milliseconds per operation on a busy machine
        with intra_op_threads(1):
            results = []
            for k, (entry, where) in enumerate(zip(entries, folders)):
                bar.note(f"analysing {entry.name}")
                a, t_a = _analysis_job(entry, resolutions, theory, cache, figures)
                bar.step(f"drawing {entry.name}")
                figs, t_f = _figures_job(a, where, formats, dpi)
                bar.step(f"{entry.name} done")
                results.append((a, figs))
                say(f"{entry.name} ({k + 1}/{n}): {_line(a, t_a, figs, t_f)}")
            analyses = [a for a, _ in results]
            comparison: list[FigureFile | None] = []
            for kind in COMPARISONS:
                bar.note(f"drawing {kind}")
                comparison.append(_comparison_job(kind, analyses, folder / "comparison", formats, dpi))
                bar.step(f"{kind} done")
            return results, [f for f in comparison if f is not None]
    threads = max(1, (os.cpu_count() or 1) // workers)
    # spawn, not fork: forking a process that has started torch's thread pools can deadlock.
    ctx = multiprocessing.get_context("spawn")
    # The workers start (on the first submits) with SIGINT ignored, so Ctrl-C, which the terminal sends to the
    # whole process group, reaches only this process: it stops the pool below, and no worker prints a traceback.
    with sigint_ignored():
        pool = ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker, initargs=(threads,))
        try:
            jobs = [(e, pool.submit(_analysis_job, e, resolutions, theory, cache, figures)) for e in entries]
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise
    try:
        bar.note(f"analysing {n} models")
        done = []
        for e, f in jobs:
            done.append(f.result())
            bar.step(f"analysed {e.name}")
        analyses = [a for a, _ in done]
        pending: list[Future[FigureFile | None]] = [
            pool.submit(_comparison_job, kind, analyses, folder / "comparison", formats, dpi)
            for kind in COMPARISONS[:1]
        ]  # the largest figure first
        drawing = [pool.submit(_figures_job, a, where, formats, dpi) for a, where in zip(analyses, folders)]
        pending += [
            pool.submit(_comparison_job, kind, analyses, folder / "comparison", formats, dpi)
            for kind in COMPARISONS[1:]
        ]
        results = []
        for k, ((a, t_a), fut) in enumerate(zip(done, drawing)):
            figs, t_f = fut.result()
            bar.step(f"drew {a.name}")
            results.append((a, figs))
            say(f"{a.name} ({k + 1}/{n}): {_line(a, t_a, figs, t_f)}")
        drawn: list[FigureFile | None] = []
        for job in pending:
            drawn.append(job.result())
            bar.step("drew a comparison")
        return results, [f for f in drawn if f is not None]
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)  # stop queued jobs, then re-raise
        raise
    finally:
        pool.shutdown(wait=True)


def _warm_worker(threads: int) -> None:
    """A report worker's start: one torch thread, and the report's modules imported now (the ahead-of-time
    workers of `ReportWorkers` do this while the run trains)."""
    _init_worker(threads)
    import io

    import numpy as np
    import scipy.ndimage  # noqa: F401

    from . import _content  # noqa: F401
    from ._writer import new_figure

    # one small figure of the kinds the report draws: matplotlib's fonts, text layout and colour maps load now
    fig = new_figure((2.0, 2.0))
    ax = fig.add_subplot(1, 1, 1)
    z = np.outer(np.linspace(-1, 1, 8), np.linspace(-1, 1, 8))
    ax.imshow(z, cmap="RdBu_r")
    ax.contour(z, levels=[0.0], colors="k")
    ax.set_title("warm-up")
    fig.colorbar(ax.images[0], ax=ax)
    fig.savefig(io.BytesIO(), format="png", dpi=40)


class ReportWorkers:
    """Report worker processes started ahead of time, so that their start (importing torch, matplotlib and the
    report, about 2 s each) overlaps other work: `morsenet run` starts one before training a quick study and
    its report then runs on this process and the worker at once (`build_report(workers=...)`).

    A `multiprocessing` pool, not a `ProcessPoolExecutor`: `close` ends the idle workers at once (terminate)
    instead of waiting a second or more for each to shut its interpreter down. Use as a context manager or call
    `close`; workers start with SIGINT ignored (Ctrl-C reaches this process).
    """

    def __init__(self, n: int = 1) -> None:
        ctx = multiprocessing.get_context("spawn")
        with sigint_ignored():
            self.pool = ctx.Pool(n, initializer=_warm_worker, initargs=(1,))
        self.n = n

    def close(self) -> None:
        self.pool.terminate()
        self.pool.join()

    def __enter__(self) -> ReportWorkers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _model_job(
    entry: ModelEntry,
    folder: Path,
    resolutions: Resolutions,
    theory: bool,
    cache: dict[str, Dataset] | None,
    figures: str,
    formats: tuple[str, ...],
    dpi: int,
) -> tuple[ModelAnalysis, float, list[FigureFile], float]:
    """One model's analyses and then its figures (where it runs, its analysis is needed only by the comparisons)."""
    a, t_a = _analysis_job(entry, resolutions, theory, cache, figures)
    figs, t_f = _figures_job(a, folder, formats, dpi)
    return a, t_a, figs, t_f


def _cost(entry: ModelEntry) -> int:
    """A model's expected report cost, for the order of the jobs: its parameter count (deep nets cost most)."""
    n = entry.metrics.get("parameters")
    return n if isinstance(n, int) else 0


def run_beside(
    entries: Sequence[ModelEntry],
    folder: Path,
    resolutions: Resolutions,
    formats: tuple[str, ...],
    dpi: int,
    theory: bool,
    say,
    bar: Phase,
    cache: dict[str, Dataset] | None,
    figures: str,
    workers: ReportWorkers,
) -> tuple[list[tuple], list[FigureFile]]:
    """`run_jobs` on this process and the `workers` at once: the models, largest first, go to whichever is free
    next (a worker takes its next model as it hands one back), then the training comparison goes to a worker and the
    others run here. Returns what `run_jobs` returns."""
    folders = dict(zip((e.name for e in entries), _folders(entries, folder)))
    queue = deque(sorted(entries, key=_cost, reverse=True))
    done: dict[str, tuple[ModelAnalysis, float, list[FigureFile], float]] = {}
    failed: list[BaseException] = []
    cond = threading.Condition()
    busy = [0]
    args = (resolutions, theory, cache, figures, formats, dpi)

    def take() -> ModelEntry | None:
        with cond:
            return queue.popleft() if queue and not failed else None

    def give_worker() -> None:
        e = take()
        if e is None:
            return
        with cond:
            busy[0] += 1
        workers.pool.apply_async(
            _model_job,
            (e, folders[e.name], *args),
            callback=functools.partial(returned, e),
            error_callback=functools.partial(returned, e),
        )

    def returned(e: ModelEntry, result: Any) -> None:  # in the pool's result thread
        with cond:
            busy[0] -= 1
            if isinstance(result, BaseException):
                failed.append(result)
            else:
                done[e.name] = result
            cond.notify_all()
        give_worker()

    with intra_op_threads(1):
        for _ in range(workers.n):
            give_worker()
        while (e := take()) is not None:
            bar.note(f"analysing and drawing {e.name}")
            done[e.name] = _model_job(e, folders[e.name], *args)
            bar.step(f"analysed {e.name}")
            bar.step(f"drew {e.name}")
        with cond:
            while busy[0]:
                cond.wait()
        if failed:
            raise failed[0]
        results = []
        for k, e in enumerate(entries):
            a, t_a, figs, t_f = done[e.name]
            results.append((a, figs))
            say(f"{e.name} ({k + 1}/{len(entries)}): {_line(a, t_a, figs, t_f)}")
        analyses = [a for a, _ in results]
        here = folder / "comparison"
        # the training curves to the worker (what it is sent is small to draw); the map grid, the largest, here
        last = workers.pool.apply_async(_comparison_job, (COMPARISONS[-1], analyses, here, formats, dpi))
        drawn = [_comparison_job(kind, analyses, here, formats, dpi) for kind in COMPARISONS[:-1]]
        drawn.append(last.get())
        for _ in COMPARISONS:
            bar.step("drew a comparison")
        return results, [f for f in drawn if f is not None]
