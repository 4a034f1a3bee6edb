"""morsenet compare: two tiny run folders side by side, as an HTML page and a terminal table."""

import json
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402
import torch  # noqa: E402

import morsenet  # noqa: E402
from morsenet import MorsenetError  # noqa: E402
from morsenet.cli import main  # noqa: E402
from morsenet.report import Resolutions, compare_runs, match_models, read_run, render_compare_table  # noqa: E402
from morsenet.report._compare import boundary_figure  # noqa: E402
from morsenet.training import TrainConfig, train  # noqa: E402

GRIDS = Resolutions(prediction=32, jacobian=16, snapshot=16, curve=101)
DATA = ("circles", {"n_samples": 120, "seed": 3})


def _run(root: Path, folder: str, models: dict[str, tuple[list[int], int]]) -> Path:
    """A run folder as `morsenet run` writes it: metrics.json (1-based best epoch), manifest, checkpoints."""
    run = root / folder
    (run / "models").mkdir(parents=True)
    data = morsenet.get_dataset(DATA[0], **DATA[1])
    cfg = TrainConfig(epochs=3, patience=0, batch_size=32)
    metrics = {"complete": True, "models": {}}
    for name, (widths, seed) in models.items():
        result = train({"kind": "mlp", "widths": widths}, data, cfg, seed=seed)
        h = result.history
        dataset = {"label": DATA[0], "name": DATA[0], "params": DATA[1]}
        meta = {"name": name, "dataset": dataset, "seed": seed, "history": h.to_dict(), "attempts": []}
        morsenet.save(result.model, run / "models" / f"{name}.pt", meta=meta)
        metrics["models"][name] = {
            "dataset": dataset,
            "model": result.model.config(),
            "parameters": sum(p.numel() for p in result.model.parameters()),
            "best_test_accuracy": h.best_accuracy,
            "best_test_loss": h.best_test_loss,
            "best_epoch": h.best_epoch + 1,
            "epochs_run": h.epochs_run,
            "seed": seed,
            "checkpoint": f"models/{name}.pt",
        }
    (run / "metrics.json").write_text(json.dumps(metrics))
    (run / "manifest.json").write_text(json.dumps({"study": folder, "started": "2026-01-01T00:00:00+00:00"}))
    return run


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("runs")
    try:
        a = _run(root, "default-a", {"w2": ([2, 2, 1], 1), "w3": ([2, 3, 1], 2)})
        b = _run(root, "default-b", {"w2": ([2, 2, 1], 5), "other": ([2, 3, 1], 6)})
    finally:
        torch.set_num_threads(threads)
    return a, b


def test_matching_by_name_and_by_explicit_pairs(runs):
    a, b = (read_run(r) for r in runs)
    assert match_models([a, b]) == [("w2", "w2")]  # the common names, in the first run's order
    assert match_models([a, b], "w2,w3=other") == [("w2", "w2"), ("w3", "other")]
    assert match_models([a, b], ["w3=other"]) == [("w3", "other")]
    for models, message in [
        ("w3", "run 'default-b' has no model 'w3'; it has w2, other"),
        ("w2=w2=w2", "names 3 models for 2 runs"),
        (" , ", "--models is empty"),
    ]:
        with pytest.raises(MorsenetError, match=re.escape(message)):
            match_models([a, b], models)
    c = read_run(runs[1])
    only_other = type(c)(c.path, c.manifest, c.metrics, c.study_text, c.models[1:])
    with pytest.raises(MorsenetError, match="no model name in common.*--models a=b"):
        match_models([a, only_other])


def test_compare_page_and_table(runs, tmp_path):
    out = tmp_path / "cmp"
    c = compare_runs(runs, models="w2,w3=other", out=out, resolutions=GRIDS, theory=True, dpi=40, progress=False)
    assert c.html == out / "compare.html" and c.figure == out / "figures" / "boundaries.png"
    assert [(r.model, r.run, r.name) for r in c.rows] == [
        ("w2", "default-a", "w2"),
        ("w2", "default-b", "w2"),
        ("w3", "default-a", "w3"),
        ("w3", "default-b", "other"),
    ]
    metrics = [json.loads((r / "metrics.json").read_text())["models"] for r in runs]
    assert c.rows[0]["test accuracy"] == f"{metrics[0]['w2']['best_test_accuracy']:.3f}"
    assert c.rows[3]["best epoch"] == str(metrics[1]["other"]["best_epoch"])
    assert all(r["predicted class"] in ("none", "morse_generic") for r in c.rows)  # the theory ran for each
    assert c.rows[0]["can enclose"].startswith("no") and c.rows[2]["can enclose"] == "yes"
    text = c.html.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and not re.search(r"https?://", text)
    assert text.count("data:image/png;base64,") == 1
    for needle in ["default-a", "default-b", "Models side by side", "winding number", "disk region", "w3"]:
        assert needle in text, needle
    table = render_compare_table(c)
    lines = table.splitlines()
    assert lines[0].split()[:3] == ["model", "run", "accuracy"] and len(lines) == 2 + 4
    assert lines[3].startswith(" ")  # the model's name is not repeated on its second run's line
    assert "default-b" in lines[3] and "Comparison(2 runs" in repr(c)


def test_boundaries_share_one_colour_scale_and_box(runs, tmp_path):
    from morsenet.report import analyze_model

    grid = [[analyze_model(e, resolutions=GRIDS, theory=False) for e in read_run(r).models[:1]] for r in runs]
    fig = boundary_figure([[grid[0][0], grid[1][0]]], ["A", "B"], ["w2"])
    maps = [ax for ax in fig.axes if ax.images]
    assert len(maps) == 2 and all(ax.images[0].get_clim() == (0, 1) for ax in maps)
    assert maps[0].get_xlim() == maps[1].get_xlim() and maps[0].get_ylim() == maps[1].get_ylim()
    bars = [ax for ax in fig.axes if not ax.images and ax.get_ylabel().startswith("probability")]
    assert len(bars) == 1  # one colour bar for every panel


def test_cli_compare(runs, tmp_path, capsys):
    out = tmp_path / "cli"
    args = ["compare", str(runs[0]), str(runs[1]), "--out", str(out), "--no-theory", "--resolution", "24"]
    assert main(args) == 0
    printed = capsys.readouterr().out.strip().splitlines()
    assert printed[-1] == str(out / "compare.html") and printed[0].startswith("model")
    assert (out / "compare.html").is_file()
    for bad, message in [
        (["compare", str(runs[0])], "at least two run folders"),
        (["compare", str(runs[0]), str(tmp_path / "nope")], "no run folder"),
        (["compare", str(runs[0]), str(runs[1]), "--models", "zzz"], "has no model 'zzz'"),
    ]:
        assert main(bad) == 2
        err = capsys.readouterr().err
        assert err.startswith("morsenet: error:") and message in err and len(err.strip().splitlines()) == 1
