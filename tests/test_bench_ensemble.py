"""The ensemble benchmark runs end to end in its quick mode (the full run is `python benchmarks/bench_ensemble.py`)."""

import json
import runpy
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_ensemble.py"


def test_bench_ensemble_quick(tmp_path, capsys):
    main = runpy.run_path(str(BENCH), run_name="bench_ensemble")["main"]
    out = tmp_path / "bench.json"
    assert main(["--quick", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "models/s" in printed and "ratio" in printed
    r = json.loads(out.read_text())
    assert r["models"] == 8 and r["loop_models"] == 1 and r["ratio"] > 0 and r["threads"] == 1
    assert 0 <= r["ensemble_mean_accuracy"] <= 1 and 0 <= r["loop_mean_accuracy"] <= 1
