import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from morsenet.cli import main


def _cli(*args, cwd=None):
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).parents[1] / "src"))
    return subprocess.run(
        [sys.executable, "-m", "morsenet", *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=600
    )


def test_list(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for word in ("circles", "xor_quadrants", "square_1d", "csv", "mlp", "resnet", "neural_ode", "default"):
        assert word in out


@pytest.mark.parametrize(
    "args, message",
    [
        (["run", "nope"], "unknown study 'nope'"),
        (["run", "--set", "train.epochs=-3"], "train.epochs must be an integer >= 1"),
        (["run", "--set", "models.mlp_width2.activation=gelu"], "unknown activation 'gelu'"),
        (["run", "missing.toml"], "no study file 'missing.toml'"),
    ],
)
def test_bad_input_exits_2_with_one_line_and_no_folder(tmp_path, capsys, args, message):
    assert main([*args, "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert message in err and err.startswith("morsenet: error:") and err.count("\n") == 1
    assert "Traceback" not in err
    assert not any(tmp_path.iterdir())


def test_subprocess_error_has_no_traceback(tmp_path):
    proc = _cli("run", "--set", "colour=red", "--out", str(tmp_path / "r"))
    assert proc.returncode == 2
    assert "unknown key 'colour'" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "r").exists()


def test_run_quick_end_to_end(tmp_path):
    out = tmp_path / "run"
    proc = _cli("run", "--quick", "--quiet", "--out", str(out), "--set", "train.epochs=3")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(out)
    metrics = json.loads((out / "metrics.json").read_text())
    assert len(metrics["models"]) == 7
    assert (out / "report.md").is_file() and (out / "study.toml").is_file()


def test_report_refuses_an_unknown_figure_set_in_one_line(tmp_path):
    proc = _cli("report", str(tmp_path), "--figures", "most")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().endswith("--figures must be one of all, core, got 'most'")
    assert proc.stderr.count("\n") == 1 and not any(tmp_path.iterdir())
