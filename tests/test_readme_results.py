"""scripts/readme_results.py: the README's results block is generated from a run folder's files."""

import json
import runpy
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "readme_results.py"


@pytest.fixture(scope="module")
def script():
    return runpy.run_path(str(SCRIPT))


def _run(tmp_path: Path) -> Path:
    run = tmp_path / "default-20260101-000000"
    run.mkdir(parents=True)
    metrics = {
        "models": {
            "w2": {"best_test_accuracy": 0.97712, "best_epoch": 300},
            "w3": {"best_test_accuracy": 0.9951, "best_epoch": 41},
        }
    }
    summary = {
        "models": {
            "w2": {
                "class": "none",
                "can_enclose": False,
                "critical_points": {"minimum": 0, "maximum": 0, "saddle": 0, "degenerate": 0, "continua": 0},
                "disk_region": {"status": "tunnel", "narrowest_width": 0.1412},
                "agrees": True,
            },
            "w3": {
                "class": "morse_generic",
                "can_enclose": True,
                "critical_points": {"minimum": 1, "maximum": 0, "saddle": 2, "degenerate": 0, "continua": 0},
                "disk_region": {"status": "bounded", "narrowest_width": None},
                "agrees": False,
            },
        }
    }
    (run / "metrics.json").write_text(json.dumps(metrics))
    (run / "summary.json").write_text(json.dumps(summary))
    (run / "manifest.json").write_text(json.dumps({"study": "default", "seeds": {"study": 0}}))
    return run


def test_block_is_built_from_the_run(script, tmp_path):
    block = script["results_block"](_run(tmp_path))
    assert "`default` study shows (seed 0;" in block and "default-20260101-000000" in block
    assert "| w2 | 0.977 | 300 | none | no | none | tunnel (narrowest width 0.14) | agree |" in block
    assert "| w3 | 0.995 | 41 | morse_generic | yes | 1 min, 2 saddle | bounded | DISAGREE |" in block


def test_rewrites_only_the_marked_block_and_checks(script, tmp_path, capsys):
    run = _run(tmp_path)
    readme = tmp_path / "README.md"
    readme.write_text("intro\n<!-- results:begin -->\nold 0.995\n<!-- results:end -->\nrest\n")
    main = script["main"]
    assert main([str(run), "--readme", str(readme), "--check"]) == 1
    assert main([str(run), "--readme", str(readme)]) == 0
    text = readme.read_text()
    assert text.startswith("intro\n<!-- results:begin -->\nWhat the") and text.endswith("<!-- results:end -->\nrest\n")
    assert "old 0.995" not in text and "0.977" in text
    assert main([str(run), "--readme", str(readme), "--check"]) == 0
    (run / "summary.json").unlink()
    assert main([str(run), "--readme", str(readme)]) == 2
    assert "summary.json: missing (build it with `morsenet report RUN_DIR`)" in capsys.readouterr().err
    readme.write_text("no markers\n")
    assert main([str(_run(tmp_path / "again")), "--readme", str(readme)]) == 2


def test_the_repository_readme_has_the_block():
    text = (SCRIPT.parents[1] / "README.md").read_text(encoding="utf-8")
    assert text.count("<!-- results:begin -->") == 1 and text.count("<!-- results:end -->") == 1
    assert "runs/default-*" not in text  # paths that break as soon as two default runs exist
