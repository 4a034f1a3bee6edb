"""Faults: Ctrl-C (SIGINT to the whole process group, as a terminal sends it) and SIGKILL of `morsenet run` and of
a local and a Dask `morsenet sweep`, each followed by `--resume`.

A resumed run must equal an uninterrupted one bit for bit (torch.equal on every weight); an interrupted
command prints one line `morsenet: interrupted...` (a sweep at most two lines in all) and exits 130.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from morsenet.cli import main
from morsenet.models import read_checkpoint
from morsenet.sweep import RowStore, load_sweep, run_sweep

STUDY = """
name = "faults"
seed = 1
[train]
epochs = 30
batch_size = 32
[[datasets]]
name = "circles"
n_samples = 1200
[[models]]
name = "a"
kind = "mlp"
widths = [2, 3, 1]
[[models]]
name = "b"
kind = "resnet"
width = 2
blocks = 3
[[models]]
name = "c"
kind = "mlp"
width = 2
depth = 4
[[models]]
name = "d"
kind = "mlp"
widths = [2, 4, 4, 1]
"""
N_MODELS = 4
# Not --quick: each model must take long enough (about a second) that the fault lands between two of them.
RUN_ARGS = ["study.toml", "--no-report", "--quiet"]

SWEEP = """
name = "faults"
seeds = 6
chunk_size = 1
analyses = ["spectra"]
[train]
epochs = 30
batch_size = 32
[[datasets]]
name = "circles"
n_samples = 1500
[[models]]
name = "w3"
kind = "mlp"
width = 3
depth = 3
"""


def _start(args: list[str], cwd: Path) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).parents[1] / "src"), MPLBACKEND="Agg")
    return subprocess.Popen(
        [sys.executable, "-m", "morsenet", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group: the signal reaches it and its workers, as from a terminal
        preexec_fn=_as_from_a_terminal,
    )


def _as_from_a_terminal() -> None:
    """SIGINT delivered and handled as in a shell: a child inherits ignored and blocked signals from this test
    process, whatever earlier tests or libraries left there (seen in full-suite runs), so reset both."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    proc = _start(args, cwd)
    out, err = proc.communicate(timeout=300)
    return subprocess.CompletedProcess(args, proc.returncode, out, err)


def _wait_for(condition, proc: subprocess.Popen, timeout: float = 120) -> None:
    end = time.monotonic() + timeout
    while not condition():
        if proc.poll() is not None:
            pytest.fail(f"finished before the fault was injected: {proc.stderr.read() if proc.stderr else ''}")
        if time.monotonic() > end:
            os.killpg(proc.pid, signal.SIGKILL)
            pytest.fail("timed out waiting for the first result")
        time.sleep(0.05)


def _inject(proc: subprocess.Popen, sig: int) -> tuple[int, str]:
    os.killpg(proc.pid, sig)
    _, err = proc.communicate(timeout=120)
    if sig == signal.SIGKILL:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # any worker left over
        except ProcessLookupError:
            pass
    return proc.returncode, err


def _weights(run: Path) -> dict[str, dict[str, torch.Tensor]]:
    paths = [p for p in sorted((run / "models").glob("*.pt")) if not p.name.endswith(".snapshots.pt")]
    return {p.stem: read_checkpoint(p)["state_dict"] for p in paths}


def _assert_same_weights(a: Path, b: Path) -> None:
    wa, wb = _weights(a), _weights(b)
    assert wa.keys() == wb.keys() and len(wa) == N_MODELS
    for name in wa:
        assert wa[name].keys() == wb[name].keys()
        for key in wa[name]:
            assert torch.equal(wa[name][key], wb[name][key]), (name, key)


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    """An uninterrupted run of STUDY (what a resumed run must equal), trained in this process."""
    cwd = tmp_path_factory.mktemp("reference")
    (cwd / "study.toml").write_text(STUDY)
    here = Path.cwd()
    os.chdir(cwd)
    try:
        assert main(["run", *RUN_ARGS, "--out", "ref"]) == 0
    finally:
        os.chdir(here)
    return cwd / "ref"


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "kill"])
def test_run_interrupted_then_resumed_equals_uninterrupted(tmp_path, monkeypatch, capsys, reference, sig):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "study.toml").write_text(STUDY)
    proc = _start(["run", *RUN_ARGS, "--out", "run"], tmp_path)
    partial = tmp_path / "run.partial"
    _wait_for(lambda: (partial / "metrics.json").is_file(), proc)  # written right after the first checkpoint
    code, err = _inject(proc, sig)
    manifest = json.loads((partial / "manifest.json").read_text())
    if sig == signal.SIGINT:
        assert code == 130
        assert err.count("\n") == 1 and err.startswith("morsenet: interrupted"), err
        assert "--resume run.partial" in err and "Traceback" not in err
        assert manifest["status"] == "interrupted"
        assert not (partial / ".lock").exists()
    else:
        assert code == -signal.SIGKILL and manifest["status"] == "running"
    assert not (tmp_path / "run").exists()
    saved = json.loads((partial / "metrics.json").read_text())["models"]
    kept = {name: (partial / "models" / f"{name}.pt").stat().st_mtime_ns for name in saved}
    assert 1 <= len(kept) < N_MODELS, "the fault must land mid-run"
    # a new run on the same --out is told to resume (the killed run's lock is not held: its pid is dead)
    assert main(["run", *RUN_ARGS, "--out", "run"]) == 2
    err = capsys.readouterr().err
    assert "--resume run.partial" in err and err.count("\n") == 1
    assert main(["run", "--resume", "run.partial", "--quiet", "--no-report"]) == 0
    assert capsys.readouterr().out.strip() == "run"
    final = tmp_path / "run"
    assert not partial.exists() and not (final / ".lock").exists()
    metrics = json.loads((final / "metrics.json").read_text())
    assert metrics["complete"] is True and list(metrics["models"]) == ["a", "b", "c", "d"]
    for name, mtime in kept.items():  # the models the interrupted run saved are kept as they are
        assert (final / "models" / f"{name}.pt").stat().st_mtime_ns == mtime
    manifest = json.loads((final / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["quick"] is False and len(manifest["resumed"]) == 1
    _assert_same_weights(final, reference)
    ref_metrics = json.loads((reference / "metrics.json").read_text())
    for name, entry in metrics["models"].items():
        assert entry["best_test_accuracy"] == ref_metrics["models"][name]["best_test_accuracy"]
        assert entry["seed"] == ref_metrics["models"][name]["seed"]


def test_two_runs_on_one_out_the_loser_is_told_a_run_is_in_progress(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "study.toml").write_text(STUDY.replace("epochs = 30", "epochs = 100000"))
    proc = _start(["run", "study.toml", "--no-report", "--quiet", "--out", "run"], tmp_path)
    try:
        _wait_for(lambda: (tmp_path / "run.partial" / ".lock").exists(), proc)
        assert main(["run", "study.toml", "--no-report", "--out", "run"]) == 2
        err = capsys.readouterr().err
        assert "a run is in progress" in err and f"pid {proc.pid}" in err and err.count("\n") == 1, err
        assert "move it away" not in err
    finally:
        _inject(proc, signal.SIGKILL)


def _sweep_rows(out: Path) -> int:
    return len(RowStore(out / "rows.jsonl").read())


@pytest.mark.parametrize(
    "workers, sig",
    [("1", signal.SIGINT), ("2", signal.SIGINT), ("1", signal.SIGKILL), ("2", signal.SIGKILL)],
    ids=["local-ctrl-c", "dask-ctrl-c", "local-kill", "dask-kill"],
)
def test_sweep_interrupted_is_quiet_and_resumes(tmp_path, workers, sig):
    (tmp_path / "f.toml").write_text(SWEEP)
    proc = _start(["sweep", "f.toml", "--out", "sw", "--workers", workers, "--quiet"], tmp_path)
    out = tmp_path / "sw"
    _wait_for(lambda: (out / "rows.jsonl").is_file() and _sweep_rows(out) >= 1, proc)
    code, err = _inject(proc, sig)
    n_before = _sweep_rows(out)
    if sig == signal.SIGINT:
        assert code == 130, err
        assert err.count("\n") <= 2 and "Traceback" not in err, err
        assert err.splitlines()[-1].startswith("morsenet: interrupted") and "--resume" in err
        assert not (out / ".lock").exists()
    assert 1 <= n_before < 6, "the fault must land mid-sweep"
    # resume here, in this process (the executor does not matter to what is skipped)
    sweep = load_sweep(str(tmp_path / "f.toml"))
    result = run_sweep(sweep, out, resume=True, workers=1, report=False, quiet=True)
    assert not result.failures and result.trained == 6 - n_before
    rows = RowStore(out / "rows.jsonl").read()
    assert sorted(r["seed"] for r in rows) == list(range(6))
    assert not (out / ".lock").exists()
    assert json.loads((out / "sweep.json").read_text())["quick"] is False


def test_quick_sweep_manifest_says_quick(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "f.toml").write_text(SWEEP)
    sweep = load_sweep("f.toml", overrides=["seeds=1", "train.epochs=2"], quick=True)
    run_sweep(sweep, "sw", workers=1, report=False, quiet=True, quick=True)
    assert json.loads((tmp_path / "sw" / "sweep.json").read_text())["quick"] is True
    assert sorted(p.name for p in (tmp_path / "sw").iterdir()) == ["results.csv", "rows.jsonl", "sweep.json"]
