import json
import os
import tomllib

import pytest

from morsenet.errors import MorsenetError
from morsenet.study import bundled_studies, load_study, parse_study, run_study


def test_bundled_studies_resolve():
    assert {"default", "xor", "square_1d"} <= set(bundled_studies())
    default = load_study("default")
    assert [m.name for m in default.models] == [
        "mlp_width2",
        "mlp_bottleneck",
        "mlp_width3",
        "resnet_node",
        "resnet_mlp",
        "resnet_augmented",
        "resnet_standard",
    ]
    widths = {m.name: m.config.to_dict().get("widths") for m in default.models}
    assert widths["mlp_width2"] == [2] + [2] * 15 + [1]
    assert widths["mlp_bottleneck"] == [2] + [2] * 13 + [1, 2, 1]
    assert widths["mlp_width3"] == [2, 3, 3, 1]
    assert default.train.threshold == 0.95 and default.train.max_attempts >= 1
    xor = load_study("xor")
    assert [d.name for d in xor.datasets] == ["xor", "xor_quadrants"] and len(xor.entries()) == 14
    sq = load_study("square_1d")  # the companion's eleven 1-D cases (PAPER_PARITY.md section 4)
    assert sorted((m.config.blocks, m.config.skip, m.config.residual) for m in sq.models) == [
        (1, 0.0, 1.0), (1, 1.0, 1.0), (2, 0.0, 1.0), (2, 0.01, 1.0), (2, 1.0, 0.3), (2, 1.0, 1.0), (2, 1.0, 1.0),
        (2, 1.0, 10.0), (2, 2.0, 1.0), (2, 20.0, 20.0), (3, 1.0, 1.0),
    ]  # fmt: skip
    assert sq.train.restore == "last" and sq.train.patience == 0 and sq.datasets[0].params["test_fraction"] == 0
    assert {m.name: m.init for m in sq.models}["b2_e1_d03"] == {
        "block_layers.0.weight": [[-5.0]],
        "block_layers.1.weight": [[5.0]],
    }


def test_resolved_study_round_trips_through_toml():
    study = load_study("default", overrides=["train.epochs=7", "models.mlp_width3.widths=[2,5,1]"])
    again = parse_study(tomllib.loads(study.dumps()), source=study.source)
    assert again == study
    assert again.train.epochs == 7 and again.models[2].config.to_dict()["widths"] == [2, 5, 1]


def test_quick_shrinks():
    study = load_study("default", quick=True)
    assert study.train.epochs <= 15 and study.train.max_attempts == 1
    assert study.datasets[0].params["n_samples"] <= 400
    assert all(study.train_config(m).epochs <= 15 for m in study.models)


@pytest.mark.parametrize(
    "override, message",
    [
        ("train.epochs=0", "train.epochs must be an integer >= 1"),
        ("train.epoch=5", "train has no setting 'epoch'; allowed"),
        ("colour=red", "unknown key 'colour'"),
        ("models.nope.depth=3", "no model named 'nope'; the study has"),
        ("models.mlp_width2.depth=2.5", "depth must be an integer"),
        ("datasets.circles.radius=2", "dataset 'circles' has no parameter 'radius'"),
        ("datasets.circles.name=spirals", "unknown dataset 'spirals'"),
        ("models.mlp_width2.kind=cnn", "unknown model kind 'cnn'"),
        ("train.lr", "expected key=value"),
    ],
)
def test_bad_overrides(override, message):
    with pytest.raises(MorsenetError, match=message):
        load_study("default", overrides=[override])


def test_bad_files(tmp_path):
    with pytest.raises(MorsenetError, match="unknown study 'nope'"):
        load_study("nope")
    with pytest.raises(MorsenetError, match="no study file"):
        load_study(str(tmp_path / "missing.toml"))
    bad = tmp_path / "bad.toml"
    bad.write_text("name = \n")
    with pytest.raises(MorsenetError, match="not valid TOML"):
        load_study(str(bad))
    nodata = tmp_path / "nodata.toml"
    nodata.write_text('name = "x"\n[[models]]\nname = "a"\nkind = "mlp"\nwidths = [2, 1]\n')
    with pytest.raises(MorsenetError, match=r"study has no \[\[datasets\]\]"):
        load_study(str(nodata))


def test_run_writes_complete_folder(tmp_path):
    study = load_study(
        "default", quick=True, overrides=["train.epochs=2", "datasets.circles.n_samples=120", "snapshots.every=1"]
    )
    out = run_study(study, out=tmp_path / "run", progress=False, log=lambda s: None, report=False)
    metrics = json.loads((out / "metrics.json").read_text())
    manifest = json.loads((out / "manifest.json").read_text())
    assert metrics["complete"] and manifest["status"] == "complete"
    assert len(metrics["models"]) == 7
    for name, m in metrics["models"].items():
        assert (out / m["checkpoint"]).is_file()
        assert (out / "models" / f"{name}.snapshots.pt").is_file()
        spec = next(s for s in study.models if s.name == name)
        assert m["attempts"][0]["seed"] == 0 and m["epochs_run"] == study.train_config(spec).epochs
        assert name in manifest["wall_time_s"]
    assert metrics["models"]["mlp_width3"]["epochs_run"] == 2
    assert tomllib.loads((out / "study.toml").read_text())["train"]["epochs"] == 2
    assert "| mlp_width3 |" in (out / "report.md").read_text()
    assert not (tmp_path / "run.partial").exists()


def test_interrupted_run_is_not_complete(tmp_path, monkeypatch):
    import morsenet.study._runner as runner

    calls = {"n": 0}
    real_train = runner.train

    def interrupting_train(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return real_train(*args, **kwargs)

    monkeypatch.setattr(runner, "train", interrupting_train)
    study = load_study("default", quick=True, overrides=["train.epochs=1", "datasets.circles.n_samples=100"])
    with pytest.raises(KeyboardInterrupt):
        run_study(study, out=tmp_path / "run", progress=False, log=lambda s: None, report=False)
    assert not (tmp_path / "run").exists()
    partial = tmp_path / "run.partial"
    manifest = json.loads((partial / "manifest.json").read_text())
    metrics = json.loads((partial / "metrics.json").read_text())
    assert manifest["status"] == "interrupted" and metrics["complete"] is False
    assert list(metrics["models"]) == ["mlp_width2"]  # what finished is kept
    assert not list(partial.rglob("*.tmp"))


def test_refuses_nonempty_out(tmp_path):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "x").write_text("")
    study = load_study("default", quick=True)
    with pytest.raises(MorsenetError, match="exists and is not empty"):
        run_study(study, out=tmp_path / "run", progress=False, report=False)


def test_csv_path_is_relative_to_the_study_file(tmp_path):
    (tmp_path / "data.csv").write_text("x1,x2,label\n" + "".join(f"{i},{i % 3},{i % 2}\n" for i in range(30)))
    study_file = tmp_path / "s.toml"
    study_file.write_text(
        'name = "c"\n[[datasets]]\nname = "csv"\npath = "data.csv"\n'
        '[[models]]\nname = "m"\nkind = "mlp"\nwidths = [2, 3, 1]\n'
    )
    study = load_study(str(study_file))
    assert study.datasets[0].build().input_dim == 2
    bad = tmp_path / "b.toml"
    bad.write_text(study_file.read_text().replace("data.csv", "missing.csv"))
    with pytest.raises(MorsenetError, match=r"datasets\[0\]: csv: no such file"):
        load_study(str(bad))


RESUME_STUDY = """
name = "resumable"
seed = 3
[train]
epochs = 4
batch_size = 32
[[datasets]]
name = "circles"
n_samples = 120
[[models]]
name = "a"
kind = "mlp"
widths = [2, 3, 1]
[[models]]
name = "b"
kind = "resnet"
width = 2
blocks = 2
[[models]]
name = "c"
kind = "mlp"
width = 2
depth = 3
"""


def test_resume_finishes_an_interrupted_run_bit_for_bit(tmp_path):
    import torch

    from morsenet.models import read_checkpoint
    from morsenet.study import load_resumable

    study = parse_study(tomllib.loads(RESUME_STUDY))
    ref = run_study(study, out=tmp_path / "ref", report=False, progress=False, log=lambda line: None)

    def stop_after_first(line):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt, match="--resume"):
        run_study(study, out=tmp_path / "run", report=False, progress=False, log=stop_after_first)
    partial = tmp_path / "run.partial"
    assert json.loads((partial / "manifest.json").read_text())["status"] == "interrupted"
    assert sorted(json.loads((partial / "metrics.json").read_text())["models"]) == ["a"]
    kept = (partial / "models" / "a.pt").stat().st_mtime_ns
    with pytest.raises(MorsenetError, match="left from an interrupted run; finish it with `morsenet run --resume"):
        run_study(study, out=tmp_path / "run", report=False)
    with pytest.raises(MorsenetError, match="differs from the one the run started with"):
        load_resumable(partial, overrides=["train.epochs=5"])
    lines = []
    old = load_resumable(partial)
    assert old.study.to_dict() == study.to_dict()
    final = run_study(old.study, resume=old, report=False, progress=False, log=lines.append)
    assert final == tmp_path / "run" and not partial.exists() and not (final / ".lock").exists()
    assert lines[0] == "a: kept from the interrupted run" and (final / "models" / "a.pt").stat().st_mtime_ns == kept
    for name in "abc":
        got, want = (read_checkpoint(d / "models" / f"{name}.pt")["state_dict"] for d in (final, ref))
        assert got.keys() == want.keys() and all(torch.equal(got[k], want[k]) for k in got)
    m_run, m_ref = (json.loads((d / "metrics.json").read_text()) for d in (final, ref))
    assert list(m_run["models"]) == list(m_ref["models"]) == ["a", "b", "c"]
    assert {k: v["best_test_accuracy"] for k, v in m_run["models"].items()} == {
        k: v["best_test_accuracy"] for k, v in m_ref["models"].items()
    }
    manifest = json.loads((final / "manifest.json").read_text())
    assert manifest["status"] == "complete" and len(manifest["resumed"]) == 1
    assert manifest["seeds"]["models"] == json.loads((ref / "manifest.json").read_text())["seeds"]["models"]


def test_a_live_run_holds_its_folder(tmp_path):
    from morsenet._validation import FolderLock
    from morsenet.study import load_resumable

    study = parse_study(tomllib.loads(RESUME_STUDY))
    partial = tmp_path / "run.partial"
    partial.mkdir()
    (partial / "study.toml").write_text(study.dumps())
    lock = FolderLock(partial)
    assert lock.acquire() and lock.holder() == os.getpid()  # flock: a second open file conflicts, in any process
    try:
        with pytest.raises(MorsenetError, match="a run is in progress"):
            run_study(study, out=tmp_path / "run", report=False)
        with pytest.raises(MorsenetError, match="a run is in progress"):
            load_resumable(partial)
    finally:
        lock.release()
    assert not (partial / ".lock").exists()
    load_resumable(partial)  # free again


def _small_study(tmp_path, extra_train=""):
    text = (
        'name = "v"\n[train]\nepochs = 6\nlr = 0.05\nbatch_size = 32\n' + extra_train + "[[datasets]]\n"
        'name = "circles"\nn_samples = 160\n[[models]]\nname = "m"\nkind = "mlp"\nwidths = [2, 3, 1]\n'
    )
    (tmp_path / "s.toml").write_text(text)
    return load_study(str(tmp_path / "s.toml"))


def test_metrics_name_the_selection_protocol(tmp_path):
    from morsenet.training import train

    plain = _small_study(tmp_path)
    out = run_study(plain, out=tmp_path / "plain", progress=False, log=lambda s: None, report=False)
    m = json.loads((out / "metrics.json").read_text())["models"]["m"]
    assert m["selection"] == "test" and m["val_accuracy"] is None
    assert m["test_accuracy"] == m["best_test_accuracy"]
    study = _small_study(tmp_path, "val_fraction = 0.25\nval_seed = 3\n")
    assert study.train.val_fraction == 0.25 and "val_fraction = 0.25" in study.dumps()
    lines: list[str] = []
    out = run_study(study, out=tmp_path / "val", progress=False, log=lines.append, report=False)
    m = json.loads((out / "metrics.json").read_text())["models"]["m"]
    assert m["selection"] == "validation"
    assert tomllib.loads((out / "study.toml").read_text())["train"]["val_fraction"] == 0.25
    # the numbers are those of training alone with the same settings, by name
    ref = train(study.models[0].config, study.datasets[0].build(), study.train, seed=study.model_seed(study.models[0]))
    assert m["test_accuracy"] == ref.history.best_accuracy and m["val_accuracy"] == ref.history.best_val_accuracy
    assert m["val_loss"] == ref.history.best_val_loss
    assert m["best_epoch"] == ref.history.best_epoch + 1
    assert "chosen on the validation set" in lines[0]


def test_bad_val_fraction_in_a_study_is_one_line(tmp_path):
    with pytest.raises(MorsenetError, match=r"train.val_fraction must be a number >= 0 and <= 0.9 .*, got 1.5"):
        _small_study(tmp_path, "val_fraction = 1.5\n")
    _small_study(tmp_path)
    with pytest.raises(MorsenetError, match=r"models\[0\] \('m'\).train: train.val_fraction"):
        load_study(str(tmp_path / "s.toml"), overrides=["models.m.train.val_fraction=-1"])


def test_stages_and_init_round_trip_and_quick():
    """Staged models and hand-set parameters survive the resolved study's TOML; --quick caps stage epochs."""
    inj = load_study("injection")
    stages = inj.models[0].stages
    assert [s.action for s in stages] == ["train", "inject", "train"]
    assert stages[1].x0 == (0.0, 0.0) and stages[1].block == 4 and stages[1].freeze
    assert stages[2].train == {"epochs": 500, "patience": 0, "restore": "last"}
    for study in (inj, load_study("square_1d"), load_study("injection", quick=True)):
        assert parse_study(tomllib.loads(study.dumps())).to_dict() == study.to_dict()
    quick = load_study("injection", quick=True)
    assert [s.train.get("epochs") for s in quick.models[0].stages] == [15, None, 15]
    assert quick.models[1].stages[1].values == {"block_layers.3.bias": [5.0, 5.0]}


def test_string_init_is_not_hand_set(tmp_path):
    """`init = "..."` (a string) belongs to the model config; only a table is hand-set parameters."""
    text = """
name = "t"
[[datasets]]
name = "circles"
n_samples = 60
[[models]]
name = "r"
kind = "resnet"
width = 1
blocks = 2
init = { "block_layers.0.weight" = [[-2.0]] }
"""
    study = parse_study(tomllib.loads(text))
    assert study.models[0].init == {"block_layers.0.weight": [[-2.0]]}
    with pytest.raises(MorsenetError, match="init") as err:
        parse_study(tomllib.loads(text.replace("[[-2.0]]", "[[-2.0, 1.0]]")))
    assert "has shape [1, 1]" in str(err.value)
