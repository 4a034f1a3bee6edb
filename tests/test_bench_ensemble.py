"""The ensemble benchmark runs end to end in its quick mode (the full run is `python benchmarks/bench_ensemble.py`)."""

import json
import runpy
from pathlib import Path

import pytest
import torch

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_ensemble.py"


@pytest.fixture(scope="module")
def bench():
    return runpy.run_path(str(BENCH), run_name="bench_ensemble")


def test_bench_ensemble_quick(tmp_path, capsys, bench):
    out = tmp_path / "bench.json"
    assert bench["main"](["--quick", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "models/s" in printed and "ratio at M=8" in printed and "ratio at M=16" in printed
    r = json.loads(out.read_text())
    assert [e["models"] for e in r["ensembles"]] == [8, 16] and r["loop_models"] == 1 and r["threads"] == 1
    for e in r["ensembles"]:
        assert e["ratio"] > 0 and e["cpu_ratio"] > 0 and 0 <= e["mean_accuracy"] <= 1
        assert e["gflops"] == pytest.approx(r["flops_per_model"] * e["models"] / e["seconds"] / 1e9)
    assert 0 <= r["loop_mean_accuracy"] <= 1


def test_flop_estimate_by_hand(bench):
    """Depth 1, width 2 on 2-D points: training 3 * (affine 10 + BatchNorm 16 + tanh 2 + read-out 5) per
    training point, evaluation (10 + 4 + 2 + 5) per test point."""
    data = type("D", (), {"x_train": torch.zeros(7, 2), "x_test": torch.zeros(3, 2)})()
    assert bench["flops_per_model"](data, 2, depth=1, width=2) == 2 * (3 * 33 * 7 + 21 * 3)


def test_bench_cuda_without_a_gpu_is_a_clear_error(capsys, bench, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert bench["main"](["--quick", "--device", "cuda"]) == 2
    assert "morsenet: error: device 'cuda' is not available" in capsys.readouterr().out
