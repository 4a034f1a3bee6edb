"""The bundled `injection` and `square_1d` studies run with --quick and write the new figures; bad stages and
hand-set parameters give one line and exit 2 through the CLI, writing nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from morsenet.cli import main

STAGED = """
name = "tiny"
[train]
epochs = 2
[[datasets]]
name = "circles"
n_samples = 100
[[models]]
name = "r"
kind = "resnet"
width = 2
blocks = 3
"""


def _listing(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        ('init = { "block_layers.9.weight" = [[1.0]] }', "no parameter 'block_layers.9.weight'; allowed:"),
        ('init = { "block_layers.0.weight" = [1.0] }', "has shape [2, 2], the value given has [1]"),
        ('stages = [{ action = "inject", x0 = [0.0, 0.0], block = 4 }]', "block must be in 1..3"),
        ('stages = [{ action = "inject", x0 = [0.0], block = 1 }]', "x0 must have 2 numbers"),
        ('stages = [{ action = "fly" }]', "action must be one of"),
        ("stages = [{ epochs = -1 }]", "train.epochs"),
        ('stages = [{ action = "freeze", parameters = ["nope"] }, { epochs = 1 }]', "no parameter 'nope'"),
        ('stages = [{ action = "set", parameters = { "readout_layer.bias" = ["x"] } }]', "readout_layer.bias"),
        ("stages = 3", "non-empty array"),
    ],
)
def test_bad_stage_or_init_exit_2(tmp_path, monkeypatch, capsys, extra, needle) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "s.toml").write_text(STAGED + extra + "\n")
    before = _listing(tmp_path)
    code = main(["run", "s.toml", "--out", "out", "--quiet"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith("morsenet: error: ") and err.count("\n") == 1, err
    assert needle in err, err
    assert _listing(tmp_path) == before


def test_sweeps_refuse_stages(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    sweep = STAGED.replace('name = "tiny"', 'name = "tiny"\nseeds = 1\nanalyses = ["spectra"]')
    (tmp_path / "w.toml").write_text(sweep + "stages = [{ epochs = 1 }]\n")
    code = main(["sweep", "w.toml", "--out", "out", "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and "stages and hand-set init parameters are for studies, not sweeps" in err, err


def _report(run: Path) -> None:
    assert main(["report", str(run), "--no-theory", "--workers", "2", "--quiet"]) == 0


def test_injection_quick(tmp_path) -> None:
    out = tmp_path / "inj"
    assert main(["run", "injection", "--quick", "--no-report", "--quiet", "--out", str(out)]) == 0
    metrics = json.loads((out / "metrics.json").read_text())["models"]
    (trace,) = metrics["inject_block4"]["injections"]
    assert trace["gradient_norm"][0] < 1e-6  # float32 training: rounding of float32 weights
    assert trace["epochs"][0] == 15 and trace["epochs"][-1] == 30
    assert "survives" in trace["verdict"] or "is lost" in trace["verdict"]
    stages = torch.load(out / "models" / "inject_block4.stages.pt", weights_only=True)
    assert stages["epochs"] == [0, 15, 15, 30]
    ckpt = torch.load(out / "models" / "inject_block4.pt", weights_only=False)
    frozen = stages["states"][2]["block_layers.3.weight"]
    assert torch.equal(frozen, ckpt["state_dict"]["block_layers.3.weight"])  # frozen through retraining
    assert stages["states"][2]["block_layers.3.bias"].shape == (2,)
    bias = torch.load(out / "models" / "bias5_block4.stages.pt", weights_only=True)
    assert bias["states"][2]["block_layers.3.bias"].tolist() == [5.0, 5.0]
    _report(out)
    figs = out / "figures"
    for name in ("stages_loss", "stages_boundaries", "stages_level_sets", "injection_trace"):
        assert (figs / "inject_block4" / f"{name}.png").is_file(), name
    assert (figs / "bias5_block4" / "stages_loss.png").is_file()
    summary = json.loads((out / "summary.json").read_text())["models"]
    assert summary["inject_block4"]["injections"][0]["verdict"] == trace["verdict"]
    assert "injection_trace" in (out / "report.md").read_text()


def test_square_1d_quick(tmp_path) -> None:
    out = tmp_path / "sq"
    assert main(["run", "square_1d", "--quick", "--no-report", "--quiet", "--out", str(out)]) == 0
    metrics = json.loads((out / "metrics.json").read_text())["models"]
    assert len(metrics) == 11
    rec = metrics["b2_e1_d03"]
    assert rec["best_epoch"] == rec["epochs_run"] == 15  # restore = "last", no early stopping
    ckpt = torch.load(out / "models" / "b1_e1_d1.pt", weights_only=False)
    assert ckpt["state_dict"]["block_layers.0.weight"].item() != 0
    _report(out)
    figs = out / "figures" / "b2_e1_d03"
    assert (figs / "one_d_layers.png").is_file() and (figs / "one_d_layers.gif").is_file()
