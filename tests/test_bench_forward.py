"""benchmarks/bench_forward.py runs in its quick mode (so it cannot rot), and the single model's stacked forward
gives the module layers' logits and gradients bit for bit."""

import importlib.util
from pathlib import Path

import torch

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_forward.py"


def test_quick_benchmark_runs_and_the_two_forwards_agree_exactly(capsys):
    spec = importlib.util.spec_from_file_location("bench_forward", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    threads = torch.get_num_threads()
    try:
        out = module.main(["--quick"])
    finally:
        torch.set_num_threads(threads)
    assert out["identical"] == 1.0
    assert out["stacked_s"] > 0 and out["module_s"] > 0
    assert "ratio stacked / module" in capsys.readouterr().out
