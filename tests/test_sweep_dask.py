"""Sweeps on Dask: a LocalCluster on loopback, a worker killed while tasks run, and the local multi-process path."""

import csv
import os
import signal
import time
import tomllib

import dask.distributed as distributed  # a core dependency: a missing install must fail, not skip

from morsenet.sweep import RowStore, parse_sweep, run_sweep

SWEEP = """
name = "dask"
seeds = 6
chunk_size = 1
analyses = ["spectra"]

[train]
epochs = 25
batch_size = 32
threshold = 0.6

[[datasets]]
name = "circles"
n_samples = 300

[[models]]
name = "w3"
kind = "mlp"
width = 3
depth = 2
batchnorm = true

[[models]]
name = "resnet"
kind = "resnet"
width = 2
blocks = 3
"""


def _check_complete(out, sweep):
    rows = RowStore(out / "rows.jsonl").read()
    keys = [(r["cell"], r["seed"]) for r in rows]
    expected = {(c.id, s) for c in sweep.cells() for s in sweep.seed_list}
    assert set(keys) == expected
    with open(out / "results.csv", newline="") as fh:
        table = list(csv.DictReader(fh))
    pairs = [(r["cell"], int(r["seed"])) for r in table]
    assert set(pairs) == expected and len(pairs) == len(expected)


def test_killing_a_worker_loses_and_duplicates_no_row(tmp_path):
    sweep = parse_sweep(tomllib.loads(SWEEP), source="dask.toml")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        killed = []

        def kill_a_busy_worker(rows):
            if killed:
                return
            deadline = time.monotonic() + 2.0  # the scheduler's view can lag a moment behind the workers
            busy = []
            while not busy and time.monotonic() < deadline:
                busy = [w for w, keys in client.processing().items() if keys]
                if not busy:
                    time.sleep(0.02)
            if busy:
                pid = client.run(os.getpid, workers=[busy[0]])[busy[0]]
                os.kill(pid, signal.SIGKILL)  # the worker dies mid-task, without any clean-up
                killed.append(busy[0])

        result = run_sweep(
            sweep, tmp_path, scheduler=cluster.scheduler_address, quiet=True, report=False, on_rows=kill_a_busy_worker
        )
    assert killed, "no worker was busy when the first rows arrived"
    assert result.failures == []
    _check_complete(tmp_path, sweep)


def test_local_sweep_uses_worker_processes(tmp_path):
    sweep = parse_sweep(tomllib.loads(SWEEP.replace("seeds = 6", "seeds = 2")), source="dask.toml")
    result = run_sweep(sweep, tmp_path, workers=2, quiet=True, report=False)
    assert result.failures == [] and result.trained == 4
    _check_complete(tmp_path, sweep)
