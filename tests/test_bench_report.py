"""The report-figure benchmark runs end to end in its quick mode (the full run is `python benchmarks/bench_report.py`)."""

import json
import re
import runpy
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_report.py"
LINE = re.compile(r"^figure (\S+) (\d+\.\d+) (\d+\.\d+)$")


def test_bench_report_quick(tmp_path, capsys):
    bench = runpy.run_path(str(BENCH), run_name="bench_report")
    out = tmp_path / "bench.json"
    assert bench["main"](["--quick", "--json", str(out)]) == 0
    printed = capsys.readouterr().out.splitlines()
    rows = [LINE.match(line) for line in printed if line.startswith("figure ") and "KEY" not in line]
    assert rows and all(rows), printed
    seconds = {m.group(1): float(m.group(2)) for m in rows}
    assert set(seconds) == {"data", "evolution.gif"}
    r = json.loads(out.read_text())
    assert r["quick"] and r["train_s"] > 0 and set(r["figures_s"]) == set(seconds)
    for m in rows:  # the printed ratio is the figure's seconds over the training's
        assert float(m.group(3)) == pytest.approx(r["figures_s"][m.group(1)] / r["train_s"], abs=2e-3)
    total = [line for line in printed if line.startswith("total ")]
    assert len(total) == 1 and f"ratio {r['ratio']:.3f}" in total[0]
    assert r["total_s"] == pytest.approx(sum(r["figures_s"].values()))
