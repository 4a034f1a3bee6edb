"""Tests for the `morsenet theory` and `morsenet analyze` subcommands, called through argparse."""

from __future__ import annotations

import argparse
import json
import math

import pytest
import torch

import morsenet.theory
from morsenet.commands import analyze, theory
from morsenet.errors import MorsenetError
from morsenet.models import build_model, save


def run(module, argv):
    parser = argparse.ArgumentParser(prog=f"morsenet {module.__name__.rsplit('.', 1)[-1]}")
    module.configure(parser)
    return module.execute(parser.parse_args(argv))


def _build(config):
    with torch.random.fork_rng(devices=[]):
        return build_model(config, seed=0).eval()


@pytest.fixture
def basin_path(tmp_path):
    """THEORY.md 4.3 bounded basin [2,3,1] with read-out bias 1.5, saved as a checkpoint."""
    model = _build({"kind": "mlp", "widths": [2, 3, 1]})
    t = torch.tensor([90.0, 210.0, 330.0]) * math.pi / 180
    with torch.no_grad():
        model.hidden_layers[0].weight.copy_(4 * torch.stack([t.cos(), t.sin()], 1))
        model.hidden_layers[0].bias.fill_(-1.0)
        model.readout.weight.fill_(1.0)
        model.readout.bias.fill_(1.5)
    return save(model, tmp_path / "basin.pt")


def test_help_strings_exist():
    assert theory.HELP and analyze.HELP
    parser = argparse.ArgumentParser()
    theory.configure(parser)
    text = parser.format_help()
    for flag in ("--widths", "--ranks", "--resnet", "--node", "--weight-bound", "--rank-lift", "--json"):
        assert flag in text


def test_theory_widths_json(capsys):
    assert run(theory, ["--widths", "2,1,2,1", "--activation", "tanh", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["class"] == "degenerate_forced" and d["can_enclose"] is False
    assert d["effective_widths"] == [2, 1, 2, 1] and "T3(b)" in d["theorems"]


def test_theory_widths_text(capsys):
    assert run(theory, ["--widths", "2,3,1"]) == 0
    out = capsys.readouterr().out
    assert "class:             morse_generic" in out and "T2" in out and "[P]" in out


@pytest.mark.parametrize(
    ("argv", "cls", "seq"),
    [
        (["--widths", "2,3,1", "--ranks", "1,1"], "degenerate_forced", [2, 1, 3, 1]),
        (["--resnet", "2,2,3", "--skip", "1", "--residual", "0.1", "--weight-bound", "5"], "none", [2, 2, 2, 2, 2, 1]),
        (["--resnet", "2,2,2"], "morse_generic", [2, 2, 4, 2, 4, 2, 1]),
        (["--resnet", "2,2,2", "--no-input-layer", "--skip", "0"], "none", [2, 2, 2, 1]),
        (["--node", "2,3", "--rank-lift", "1"], "degenerate_forced", [2, 1, 3, 3, 1]),
        (["--node", "2,2", "--zero-readout"], "constant", [2, 2, 2, 0]),
        (["--widths", "2,2,2,1", "--activation", "relu"], "unsupported", [2, 2, 2, 1]),
    ],
)
def test_theory_forms(capsys, argv, cls, seq):
    assert run(theory, [*argv, "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert (d["class"], d["effective_widths"]) == (cls, seq)


def test_theory_of_a_saved_model(capsys, basin_path, tmp_path):
    assert run(theory, [str(basin_path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["class"] == "morse_generic"
    zero = _build({"kind": "mlp", "widths": [2, 3, 1]})
    with torch.no_grad():
        zero.readout.weight.zero_()
    assert run(theory, [str(save(zero, tmp_path / "zero.pt")), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["class"] == "constant"


@pytest.mark.parametrize(
    ("argv", "match"),
    [
        ([], "exactly one of MODEL.pt, --widths, --resnet or --node"),
        (["--widths", "2,1", "--node", "2,2"], r"exactly one .* \(got widths, node\)"),
        (["--widths", "2,x,1"], "comma-separated integers"),
        (["--widths", "2,3,2"], "last width must be 1"),
        (["--widths", "2,0,1"], "positive integer"),
        (["--widths", "2,3,1", "--activation", "swish2"], "unknown activation"),
        (["--widths", "2,3,1", "--ranks", "3,1"], "must be an integer in 0..2"),
        (["--node", "2,3", "--ranks", "1"], "--ranks applies to --widths only"),
        (["--resnet", "2,2"], "N0,WIDTH,BLOCKS"),
        (["--node", "2"], "N,M"),
        (["does/not/exist.pt"], "no checkpoint"),
    ],
)
def test_theory_errors(argv, match):
    with pytest.raises(MorsenetError, match=match):
        run(theory, argv)


def test_analyze_json(capsys, basin_path):
    assert run(analyze, [str(basin_path), "--json", "--starts", "64", "--resolution", "101"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["model"] == str(basin_path)
    assert d["agree"] is True and d["encloses_disk"] is True and d["winding_number"] == 1
    assert d["can_enclose"] is True and d["winding_circle_radius"] == 0.3
    assert not {"cls", "encloses", "winding", "winding_radius"} & (set(d) | set(d["prediction"]))
    assert d["critical_points"]["counts"] == {"minimum": 1, "maximum": 0, "saddle": 3, "degenerate": 0}
    assert d["tunnel"]["bounded"] is True and d["prediction"]["class"] == "morse_generic"
    assert d["completeness"] == "complete" and d["tunnel"]["verdict"] == "bounded"
    assert d["tunnel"]["certificate_kind"] == "closed_curve" and len(d["tunnel"]["certificate"]) >= 3
    point = d["critical_points"]["points"][0]
    assert point["critical_set"] == "point" and {"morse_index", "hessian_eigenvalues"} <= set(point)
    assert not {"continuum", "index", "eigenvalues"} & set(point)


def test_analyze_text(capsys, basin_path):
    assert run(analyze, [str(basin_path), "--box", "-2,2,-2,2", "--starts", "64", "--resolution", "101"]) == 0
    out = capsys.readouterr().out
    for needle in (
        "theory",
        "critical points: 4 critical points: 1 minimum, 3 saddles",
        "winding number around the origin (radius 0.3): 1",
        "completeness: complete (index-certified)",
        "certificate: closed_curve",
        "decision regions:",
        "tunnel test: bounded",
        "encloses the disk: yes",
        "Morse index 0",
        "Morse index 1",
        "theory says morse_generic",
    ):
        assert needle in out
    assert "DISAGREEMENT" not in out


def test_analyze_flags_disagreement_loudly(capsys, basin_path, monkeypatch):
    fake = morsenet.theory.predict(morsenet.theory.MLPArchitecture((2, 2, 1)))
    monkeypatch.setattr(morsenet.theory, "predict", lambda model: fake)
    argv = [str(basin_path), "--starts", "32", "--resolution", "64"]
    assert run(analyze, argv) == 0
    captured = capsys.readouterr()
    assert "DISAGREEMENT" in captured.out and "DISAGREEMENT" in captured.err
    assert run(analyze, [*argv, "--strict"]) == 1


@pytest.mark.parametrize(
    ("argv", "match"),
    [
        (["--box", "-2,2,-2"], "needs 4 numbers"),
        (["--box", "2,-2,-2,2"], "LO < HI"),
        (["--box", "a,b,c,d"], "comma-separated numbers"),
        (["--ring", "0.5"], "INNER,OUTER"),
        (["--ring", "1.0,0.5"], "inner_radius < ring"),
        (["--starts", "0"], "n_starts must be a positive integer"),
    ],
)
def test_analyze_errors(basin_path, argv, match):
    with pytest.raises(MorsenetError, match=match):
        run(analyze, [str(basin_path), *argv])


def test_analyze_missing_file(tmp_path):
    with pytest.raises(MorsenetError, match="no checkpoint"):
        run(analyze, [str(tmp_path / "missing.pt")])


def test_cli_main_turns_errors_into_status_2(capsys):
    from morsenet.cli import main

    assert main(["theory", "--widths", "2,x"]) == 2
    assert "morsenet: error: --widths must be comma-separated integers" in capsys.readouterr().err
    assert main(["theory", "--widths", "2,2,1", "--json"]) == 0
