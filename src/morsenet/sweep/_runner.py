"""Run a sweep: tasks in this process, on a local Dask cluster, or on an existing Dask scheduler."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import statistics
import sys
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import __version__
from .._validation import (
    atomic_write_text,
    bounded_int,
    check_creatable,
    check_text_path,
    device_problem,
    make_folder,
    sigint_ignored,
)
from ..errors import MorsenetError
from ._config import MAX_SEEDS, SweepConfig
from ._store import DirectoryLock, RowStore, write_table
from ._tasks import make_tasks, run_task

Rows = list[dict[str, Any]]


@dataclass
class SweepResult:
    """What a finished sweep wrote.

    Attributes:
        out_dir: the sweep folder.
        rows: every row of the table (one per model).
        table: paths of results.csv (and results.parquet when pyarrow is installed).
        report: path of report.html (None when not written).
        seconds: wall time of this invocation.
        trained: models trained by this invocation (the rest came from an earlier run via --resume).
        failures: one line per task that failed (its rows are missing; rerun with --resume).
    """

    out_dir: Path
    rows: Rows
    table: list[Path]
    report: Path | None
    seconds: float
    trained: int
    failures: list[str] = field(default_factory=list)


# How long to wait for an existing Dask scheduler to answer.
SCHEDULER_TIMEOUT_S = 20
# Local worker processes: more than this is a typo (each is a Python process with torch loaded, ~300 MB).
MAX_WORKERS = 256


def _manifest(sweep: SweepConfig, quick: bool) -> dict[str, Any]:
    return {
        "morsenet_version": __version__,
        "quick": quick,
        "fingerprint": sweep.fingerprint(),
        "sweep": sweep.to_dict(),
        "source": sweep.source,
    }


def _check_out_dir(sweep: SweepConfig, out: Path, store: RowStore, resume: bool, quick: bool) -> None:
    manifest = out / "sweep.json"
    if store.path.is_file() and store.path.stat().st_size > 0 and not resume:
        raise MorsenetError(
            f"{out} already holds sweep rows ({store.path.name}); pass --resume to continue that "
            "sweep, or choose a new --out"
        )
    if resume and manifest.is_file():
        try:
            old = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            old = {}
        if old.get("fingerprint") != sweep.fingerprint():
            raise MorsenetError(
                f"--resume: {out} was started with a different sweep (grid, seeds, training or "
                "analyses differ, or --quick was used for only one of them); use a new --out"
            )
    atomic_write_text(manifest, json.dumps(_manifest(sweep, quick), indent=2) + "\n")


def _serial(tasks: list[dict[str, Any]]) -> Generator[tuple[dict[str, Any], Rows | BaseException], None, None]:
    for task in tasks:
        try:
            rows: Rows | BaseException = run_task(task)
        except Exception as err:  # noqa: BLE001 - reported as a failed task, as on a cluster
            rows = err
        yield task, rows


def _dask(
    tasks: list[dict[str, Any]], client: Any
) -> Generator[tuple[dict[str, Any], Rows | BaseException], None, None]:
    from dask.distributed import as_completed

    futures = {}
    for i, task in enumerate(tasks):
        key = f"morsenet-sweep-{task['cell']}-{task['seeds'][0]}-{os.getpid()}-{time.time_ns()}-{i}"
        # retries covers exceptions raised by a task; a worker that dies is handled by the scheduler, which
        # reschedules its tasks on the remaining workers.
        futures[client.submit(run_task, task, key=key, pure=False, retries=1)] = task
    try:
        for fut in as_completed(list(futures)):
            task = futures[fut]
            try:
                yield task, fut.result()
            except Exception as err:  # noqa: BLE001 - reported as a failed task, the sweep goes on
                yield task, err
            finally:
                fut.release()
    finally:
        for fut in futures:
            fut.cancel()


def _local_cluster(workers: int, quiet: bool):
    from dask.distributed import Client, LocalCluster

    with sigint_ignored():
        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            # no dashboard, and the scheduler's small HTTP server on a free port: its default 8787 may be taken
            # (another cluster), which would print a warning
            scheduler_kwargs={"dashboard": False, "dashboard_address": "127.0.0.1:0"},
            silence_logs=logging.ERROR if quiet else logging.WARNING,
        )
    return cluster, Client(cluster)


def _connect(scheduler: str) -> Any:
    """A client of the Dask scheduler at `scheduler`; one line when it cannot be reached."""
    from dask.distributed import Client

    try:
        return Client(scheduler, timeout=f"{SCHEDULER_TIMEOUT_S}s")
    except (OSError, TimeoutError, ValueError, TypeError) as err:
        reason = " ".join(str(err).split()) or type(err).__name__
        raise MorsenetError(
            f"--scheduler: cannot reach the Dask scheduler at {scheduler!r} ({reason[:200]}); start one with "
            "`dask scheduler` or check the address"
        ) from None


def _check_workers_device(client: Any, device: str) -> None:
    """The device must work on every worker of an existing cluster, too."""
    if device == "cpu":
        return
    problems = {w: p for w, p in client.run(device_problem, device).items() if p}
    if problems:
        worker, problem = next(iter(problems.items()))
        raise MorsenetError(f"--device on the Dask worker {worker}: {problem}")


def _silence_logs() -> None:
    for name in ("distributed", "tornado", "asyncio"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


def _quiet_dask_teardown(client: Any, local: bool) -> None:
    """After Ctrl-C the workers are stopped mid-task: their shutdown errors (lost heartbeats, closed streams) are
    expected, not news. Silence them here and, for a cluster of our own, on its workers."""
    _silence_logs()
    if local:
        with contextlib.suppress(Exception):
            client.run(_silence_logs)


def run_sweep(
    sweep: SweepConfig,
    out_dir: str | Path,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    resume: bool = False,
    device: str = "cpu",
    chunk_size: int | None = None,
    report: bool = True,
    quiet: bool = False,
    on_rows: Callable[[Rows], None] | None = None,
    quick: bool = False,
) -> SweepResult:
    """Train every model of `sweep`, append its row to `out_dir/rows.jsonl` as each chunk finishes, then write
    the table (`results.csv`) and `report.html`.

    Args:
        sweep: a loaded sweep (`load_sweep`).
        out_dir: the sweep folder (created).
        workers: local worker processes (default: all cores); 1 runs the tasks in this process.
        scheduler: address of an existing Dask scheduler ("tcp://host:8786"); overrides `workers`.
        resume: continue the sweep already in `out_dir`, skipping the rows it holds.
        device: torch device for training ("cpu", "cuda", ...), on every worker.
        chunk_size: seeds per task (default: the sweep's `chunk_size`).
        report: write report.html.
        quiet: no progress lines.
        on_rows: called with each finished chunk's rows after they are stored.
        quick: recorded in sweep.json (the sweep itself is already shrunk by `load_sweep(quick=True)`).

    Returns:
        A `SweepResult`.

    Raises:
        MorsenetError: for a folder holding another sweep (or rows without --resume), a bad worker count, a
            device this torch (or a worker) cannot use, a folder that cannot be created, or a scheduler that
            cannot be reached; all but the first are found before anything is written.
        KeyboardInterrupt: passed on after the finished rows are safe in rows.jsonl.
    """
    start = time.perf_counter()
    if workers is not None:
        bounded_int("--workers", workers, 1, MAX_WORKERS, why="local worker processes")
    if chunk_size is not None:
        bounded_int("--chunk-size", chunk_size, 1, MAX_SEEDS, why="seeds per task")
    problem = device_problem(device)
    if problem is not None:
        raise MorsenetError(f"--device: {problem}")
    out = check_text_path("--out", out_dir)
    if out.exists() and not out.is_dir():
        raise MorsenetError(f"--out {str(out)!r} exists and is a file; choose a folder")
    if not out.exists():
        check_creatable("--out", out)
    log = (lambda msg: None) if quiet else (lambda msg: print(msg, file=sys.stderr, flush=True))
    store = RowStore(out / "rows.jsonl")
    failures: list[str] = []
    trained = 0
    cluster: Any = None
    client: Any = _connect(scheduler) if scheduler is not None else None  # before anything is written
    results: Generator[tuple[dict[str, Any], Rows | BaseException], None, None] | None = None
    try:
        if client is not None:
            _check_workers_device(client, device)
        make_folder("--out", out, exist_ok=True)
        lock = DirectoryLock(out)
    except BaseException:
        if client is not None:
            client.close()
        raise
    with lock:
        _check_out_dir(sweep, out, store, resume, quick)
        done = store.keys() if resume else set()
        tasks = make_tasks(sweep, done, device=device, chunk_size=chunk_size)
        n_todo = sum(len(t["seeds"]) for t in tasks)
        log(
            f"sweep {sweep.name}: {sweep.n_models} models in {len(sweep.cells())} cells, "
            f"{sweep.n_models - n_todo} already done, {len(tasks)} tasks to run"
        )
        try:
            if tasks and client is not None:
                results = _dask(tasks, client)
                log(
                    f"running on the Dask cluster at {scheduler} "
                    f"({len(client.scheduler_info().get('workers', {}))} workers)"
                )
            elif tasks and (workers or os.cpu_count() or 1) > 1 and len(tasks) > 1:
                n = min(workers or os.cpu_count() or 1, len(tasks))
                cluster, client = _local_cluster(n, quiet)
                results = _dask(tasks, client)
                log(f"running on a local Dask cluster with {n} worker processes")
            else:
                results = _serial(tasks)
            for i, (task, rows) in enumerate(results, start=1):
                label = f"{task['cell']} seeds {task['seeds'][0]}-{task['seeds'][-1]}"
                if isinstance(rows, BaseException):
                    failures.append(f"{label}: {type(rows).__name__}: {str(rows).splitlines()[0] if str(rows) else ''}")
                    log(f"[{i}/{len(tasks)}] {label}: FAILED ({failures[-1]})")
                    continue
                store.append(rows)
                trained += len(rows)
                if on_rows is not None:
                    on_rows(rows)
                log(f"[{i}/{len(tasks)}] {label}: {_chunk_summary(rows)} ({time.perf_counter() - start:.0f} s)")
        except KeyboardInterrupt:
            if client is not None:
                _quiet_dask_teardown(client, local=cluster is not None)
            raise KeyboardInterrupt(
                f"{len(store.keys())} of {sweep.n_models} rows are safe in {store.path}; continue with --resume"
            ) from None
        finally:
            if results is not None:
                results.close()  # cancels what is still queued while the client is still open
            if client is not None:
                client.close()
            if cluster is not None:
                cluster.close()
        rows = store.read()
        order = [c.id for c in sweep.cells()]
        wanted = {(c, s) for c in order for s in sweep.seed_list}
        rows = [r for r in rows if (r["cell"], r["seed"]) in wanted]
        table = write_table(rows, out, order=order)
        seconds = time.perf_counter() - start
        report_path = None
        if report:
            from ._report import write_report

            report_path = write_report(rows, sweep, out / "report.html", seconds=seconds)
    if failures:
        log(f"{len(failures)} task(s) failed; their rows are missing. Rerun with --resume to retry them.")
    log(f"wrote {len(rows)} rows to {table[0]}" + (f" and {report_path}" if report_path else ""))
    return SweepResult(out, rows, table, report_path, seconds, trained, failures)


def _chunk_summary(rows: Rows) -> str:
    acc = [r["best_accuracy"] for r in rows if r.get("best_accuracy") is not None]
    ok = [r["reached_threshold"] for r in rows if r.get("reached_threshold") is not None]
    tunnels = [r["tunnel"] for r in rows if r.get("tunnel") is not None]
    parts = [f"{len(rows)} models"]
    if acc:
        parts.append(f"mean accuracy {statistics.fmean(acc):.3f}")
    if ok:
        parts.append(f"{sum(ok)}/{len(ok)} reached the threshold")
    if tunnels:
        parts.append(f"{sum(tunnels)}/{len(tunnels)} tunnel")
    return ", ".join(parts)
