"""benchmarks/bench_jacobian.py runs in its quick mode (so it cannot rot) and its two methods agree."""

import importlib.util
from pathlib import Path

import torch

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_jacobian.py"


def _load():
    spec = importlib.util.spec_from_file_location("bench_jacobian", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_quick_benchmark_runs_and_agrees(capsys):
    bench = _load()
    threads = torch.get_num_threads()
    try:
        out = bench.main(["--quick", "--resolution", "8", "--big", "64"])
    finally:
        torch.set_num_threads(threads)
    assert out["agree"]
    assert [r["dtype"] for r in out["compare"]] == ["float32", "float64", "float64"]
    assert all(r["max_abs_diff"] < 1e-9 for r in out["compare"][1:])  # float64: equal up to rounding
    assert out["big"][0]["result_mb"] > 0
    text = capsys.readouterr().out
    assert "speed-up" in text and "64x64 grid" in text
