"""Every example runs in its quick mode (so none can rot) and writes its figures."""

import runpy
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("[0-9][0-9]_*.py"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_runs_in_quick_mode(path, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # without --out: the default folder, under runs/, and nothing else is written
    monkeypatch.setattr(sys, "argv", [str(path), "--quick"])
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny tensors: one thread avoids waiting on descheduled threads on a busy machine
    try:
        runpy.run_path(str(path), run_name="__main__")
    finally:
        torch.set_num_threads(threads)
        plt.close("all")
    (out,) = (tmp_path / "runs").iterdir()
    assert [p.name for p in tmp_path.iterdir()] == ["runs"] and out.name.startswith("example-")
    written = {p.name for p in out.iterdir()}
    assert written and all(p.stat().st_size > 0 for p in out.iterdir())
    if path.stem == "01_prototype_study":
        assert {"data.png", "loss.png", "comparison.png", "surface.png", "evolution.png", "evolution.gif"} <= written


def test_examples_use_only_the_public_api():
    for path in EXAMPLES:
        text = path.read_text(encoding="utf-8")
        assert "example_figures" not in text  # no folder in the repository root
        assert "._" not in text.replace("__main__", ""), f"{path.name} imports a private module"
        assert "# %%" in text and text.startswith('"""')
