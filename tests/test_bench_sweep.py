"""The sweep benchmark runs end to end in its quick mode (the full run is `python benchmarks/bench_sweep.py`)."""

import json
import runpy
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_sweep.py"


def test_bench_sweep_quick(tmp_path, capsys):
    bench = runpy.run_path(str(BENCH), run_name="bench_sweep")
    out = tmp_path / "bench.json"
    assert bench["main"](["--quick", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "analysis / training ratio" in printed and "whole sweep" in printed
    r = json.loads(out.read_text())
    assert r["seeds"] == 2 and len(r["models"]) == 3
    for m in r["models"]:
        assert set(m["analysis_cpu_s"]) == set(r["analyses"]) and m["train_cpu_s"] > 0
        assert m["analysis_total_cpu_s"] == pytest.approx(sum(m["analysis_cpu_s"].values()))
        assert m["ratio"] == pytest.approx(m["analysis_total_cpu_s"] / m["train_cpu_s"])
        assert m["lockstep_cpu_s"] > 0
        assert m["lockstep_speedup"] == pytest.approx(m["analysis_total_cpu_s"] / m["lockstep_cpu_s"])
    assert r["sweep_estimate_s"] == pytest.approx(
        r["sweep_models"] * (r["mean_train_cpu_s"] + r["mean_lockstep_cpu_s"]) / r["workers"]
    )
