import tomllib

import pytest

from morsenet.errors import MorsenetError
from morsenet.models import MLPConfig
from morsenet.spec import QUICK, DatasetSpec, ModelSpec, ReportSpec, apply_overrides, expect, parse_override
from morsenet.study import load_study, parse_study
from morsenet.sweep import load_sweep, parse_sweep

MIXED = """
name = "mixed"
[[datasets]]
name = "circles"
n_samples = 100
[[datasets]]
label = "line"
name = "square_1d"
n_samples = 50
[[models]]
name = "mlp_width2"
kind = "mlp"
widths = [2, 2, 1]
"""

SWEEP = """
name = "s"
seeds = 6
chunk_size = 6
[train]
epochs = 40
patience = 30
[[datasets]]
name = "circles"
n_samples = 1000
[[models]]
name = "w3"
kind = "mlp"
width = 3
depth = 1
[[training]]
label = "slow"
lr = 0.001
"""


def test_one_spec_class_for_studies_and_sweeps():
    import morsenet.study as study
    import morsenet.sweep as sweep

    assert study.DatasetSpec is sweep.DatasetSpec is DatasetSpec
    assert study.ModelSpec is sweep.ModelSpec is ModelSpec
    model = load_study("default").models[0]
    assert isinstance(model.config, MLPConfig) and model.config.widths[0] == 2


def test_mixed_dimensions_fail_at_load_naming_model_and_data_set(tmp_path):
    path = tmp_path / "mixed.toml"
    path.write_text(MIXED)
    with pytest.raises(MorsenetError) as err:
        load_study(str(path))
    msg = str(err.value)
    assert "\n" not in msg
    assert msg.startswith("model 'mlp_width2' cannot take data set 'line' (1-D inputs): widths start with 2")


def test_shorthand_adapts_to_each_data_set(tmp_path):
    path = tmp_path / "mixed.toml"
    path.write_text(MIXED.replace("widths = [2, 2, 1]", "width = 2\ndepth = 1"))
    study = load_study(str(path))
    widths = {run: m.config.widths for run, _, m in study.entries()}
    assert widths == {"circles-mlp_width2": (2, 2, 1), "line-mlp_width2": (1, 2, 1)}
    assert parse_study(tomllib.loads(study.dumps()), source=study.source) == study
    sweep_data = tomllib.loads(MIXED.replace("widths = [2, 2, 1]", "width = 2\ndepth = 1"))
    with pytest.raises(MorsenetError, match="one sweep per input dimension"):
        parse_sweep(sweep_data)


def test_quick_validates_before_shrinking():
    with pytest.raises(MorsenetError, match="train.epochs must be an integer >= 1 and <= 1,000,000, got 'abc'"):
        load_study("default", overrides=['train.epochs="abc"'], quick=True)
    with pytest.raises(MorsenetError, match="train.epochs must be an integer >= 1 and <= 1,000,000, got 'abc'"):
        load_study("default", overrides=["models.resnet_node.train.epochs=abc"], quick=True)
    with pytest.raises(MorsenetError, match="n_samples"):
        load_study("default", overrides=["datasets.circles.n_samples=abc"], quick=True)
    with pytest.raises(MorsenetError, match="train.epochs must be an integer >= 1 and <= 1,000,000, got 'abc'"):
        load_sweep("default", overrides=["train.epochs=abc"], quick=True)


def test_one_quick_table():
    study = load_study("default", quick=True)
    sweep = parse_sweep(tomllib.loads(SWEEP), quick=True)
    assert study.datasets[0].params["n_samples"] == QUICK.n_samples == sweep.datasets[0].params["n_samples"]
    assert study.datasets[0].build().x_train.shape[0] + study.datasets[0].build().x_test.shape[0] == 400
    assert study.train.epochs == QUICK.epochs == sweep.train.epochs
    assert study.train.max_attempts == QUICK.max_attempts and study.snapshot_every == QUICK.snapshot_every
    assert sweep.seeds == QUICK.seeds == sweep.chunk_size and sweep.train.patience == QUICK.patience
    assert all(c.train.epochs <= QUICK.epochs for c in sweep.cells())


def test_sweep_overrides():
    sweep = load_sweep(
        "default",
        overrides=[
            "seeds=3",
            "train.epochs=20",
            "models.mlp_w3_d1.depth=3",
            "datasets.circles.n_samples=300",
            "training.default.lr=0.001",
            "analysis.tunnel_radii=8",
        ],
    )
    assert sweep.seeds == 3 and sweep.train.epochs == 20 and sweep.analysis.tunnel_radii == 8
    model = next(m for m in sweep.models if m.name == "mlp_w3_d1")
    assert model.config.depth == 3 and sweep.datasets[0].params["n_samples"] == 300
    assert all(c.train.lr == 0.001 for c in sweep.cells())
    with pytest.raises(MorsenetError, match="no model named 'nope'; the sweep has"):
        load_sweep("default", overrides=["models.nope.depth=3"])
    with pytest.raises(MorsenetError, match="no training setting named 'x'"):
        load_sweep("default", overrides=["training.x.lr=0.1"])
    with pytest.raises(MorsenetError, match="unknown key 'colour'"):
        load_sweep("default", overrides=["colour=red"])
    with pytest.raises(MorsenetError, match="address one entry"):
        load_sweep("default", overrides=["datasets.circles=3"])


def test_labels_with_dots_load_and_take_overrides(tmp_path):
    """docs/sweeps.md labels a training setting "lr0.01": dotted labels load, and `--set` finds them."""
    data = tomllib.loads(SWEEP.replace('label = "slow"', 'label = "lr0.01"'))
    apply_overrides(data, ["training.lr0.01.lr=0.02"], what="sweep", keys=list(data))
    sweep = parse_sweep(data)
    assert [t.label for t in sweep.training] == ["lr0.01"]
    assert all(c.train.lr == 0.02 for c in sweep.cells())
    with pytest.raises(MorsenetError, match="no training setting named 'lr0'"):
        apply_overrides(tomllib.loads(SWEEP), ["training.lr0.01.lr=0.02"], what="sweep", keys=list(data))
    study = tomllib.loads(
        MIXED.replace('label = "line"', 'label = "line.v2"').replace("widths = [2, 2, 1]", "width = 2\ndepth = 1")
    )
    assert [d.label for d in parse_study(study).datasets] == ["circles", "line.v2"]
    with pytest.raises(MorsenetError, match="must be a name of 1-100 characters: letters, digits, .-., ._.$"):
        parse_study({**tomllib.loads(MIXED), "models": [{"name": "a.b", "kind": "mlp", "width": 2, "depth": 1}]})


def test_override_parsing_and_checker():
    assert parse_override("a.b=[1, 2]") == (["a", "b"], [1, 2])
    assert parse_override("a=word") == (["a"], "word")
    data = {"training": {"lr": 0.1}}
    apply_overrides(data, ["training.default.epochs=3"], what="sweep", keys=("training",))
    assert data == {"training": [{"lr": 0.1, "epochs": 3}]}
    with pytest.raises(MorsenetError, match="x must be an integer, got True"):
        expect("x", True, int, "an integer")


def test_csv_path_resolution(tmp_path):
    (tmp_path / "data.csv").write_text("x1,x2,label\n" + "".join(f"{i},{i % 3},{i % 2}\n" for i in range(30)))
    text = (
        'name = "c"\n[[datasets]]\nname = "csv"\npath = "data.csv"\n'
        '[[models]]\nname = "m"\nkind = "mlp"\nwidths = [2, 3, 1]\n'
    )
    (tmp_path / "s.toml").write_text(text)
    study = load_study(str(tmp_path / "s.toml"))
    assert study.datasets[0].params["path"] == str((tmp_path / "data.csv").resolve())
    sweep_file = tmp_path / "w.toml"
    sweep_file.write_text(text)
    assert load_sweep(sweep_file).datasets[0].params["path"] == str((tmp_path / "data.csv").resolve())
    with pytest.raises(MorsenetError, match=r"datasets\[0\]: csv: no such file"):
        parse_study(tomllib.loads(text), source="bundled:x")


def test_report_table_and_unknown_tables_are_refused():
    data = tomllib.loads(MIXED.replace("widths = [2, 2, 1]", "width = 2\ndepth = 1"))
    with pytest.raises(MorsenetError, match=r"report has no key 'plots'; allowed: box, resolution"):
        parse_study({**data, "report": {"plots": True}})
    with pytest.raises(MorsenetError, match="report.figures must be one of all, core, got True"):
        parse_study({**data, "report": {"figures": True}})
    study = parse_study({**data, "report": {"figures": "core"}})
    assert study.report.figures == "core" and study.to_dict()["report"] == {"figures": "core"}
    with pytest.raises(MorsenetError, match="study has no key 'plots'"):
        parse_study({**data, "plots": {}})


def test_data_seed_defaults():
    data = tomllib.loads(MIXED.replace("widths = [2, 2, 1]", "width = 2\ndepth = 1"))
    assert [d.params["seed"] for d in parse_study({**data, "seed": 7}).datasets] == [7, 7]
    assert [d.params["seed"] for d in parse_sweep(tomllib.loads(SWEEP)).datasets] == [0]


def test_cli_mixed_dimensions_exit_2_one_line_no_folder(tmp_path, capsys, monkeypatch):
    from morsenet.cli import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "mixed.toml").write_text(MIXED)
    assert main(["run", "mixed.toml", "--quiet", "--no-report"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("morsenet: error: model 'mlp_width2' cannot take data set 'line'") and err.count("\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mixed.toml"]
    assert main(["sweep", "default", "--set", "seeds=abc", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "seeds must be an integer >= 1" in err and err.count("\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mixed.toml"]


# --- [report]: the analysis box and resolution (ReportSpec) ---

CIRCLES = """
name = "r"
[[datasets]]
name = "circles"
n_samples = 60
[[models]]
name = "m"
kind = "mlp"
widths = [2, 3, 1]
"""


def test_report_table_gives_a_typed_report_spec(tmp_path):
    data = tomllib.loads(CIRCLES + "[report]\nbox = [-2, 2, -1.5, 1.5]\nresolution = 101\n")
    study = parse_study(data)
    assert isinstance(study.report, ReportSpec)
    assert study.report.box == ((-2.0, 2.0), (-1.5, 1.5)) and study.report.resolution == 101
    again = parse_study(tomllib.loads(study.dumps()))
    assert again.report == study.report
    plain = parse_study(tomllib.loads(CIRCLES))
    assert plain.report == ReportSpec() and plain.report.box is None and plain.report.resolution is None
    assert "report" not in plain.to_dict()  # a study without [report] is written as before
    sweep = parse_sweep(tomllib.loads(CIRCLES + "[report]\nbox = [-3, 3, -3, 3]\n"))
    assert sweep.report.box == ((-3.0, 3.0), (-3.0, 3.0))
    assert parse_sweep(tomllib.loads(CIRCLES)).report.box is None
    with pytest.raises(MorsenetError, match="report has no key 'resolution'; allowed: box"):
        parse_sweep(tomllib.loads(CIRCLES + "[report]\nresolution = 11\n"))
    (tmp_path / "s.toml").write_text(CIRCLES)
    overridden = load_study(str(tmp_path / "s.toml"), overrides=["report.box=[-1, 1, -1, 1]", "report.resolution=51"])
    assert overridden.report == ReportSpec(((-1.0, 1.0), (-1.0, 1.0)), 51)


@pytest.mark.parametrize(
    "table, message",
    [
        ("box = [-2, 2, -2]", r"report.box must be a list of 4 numbers \[x0, x1, y0, y1\]"),
        ("box = [2, -2, -2, 2]", "report.box: need x0 < x1, got x0=2, x1=-2"),
        ("box = [-2, 2, 1, 1]", "report.box: need y0 < y1"),
        ("box = [-2, 2, -2, inf]", "report.box must be a list of 4 numbers .* \\(finite\\)"),
        ("box = [-2, 2, -2, 1e9]", "report.box: coordinates must be within"),
        ('box = "-2,2,-2,2"', "report.box must be a list of 4 numbers"),
        ("box = [-1, 1, -1, 1, -1, 1]", "report.box has 3 axes but data set 'circles' has 2-D inputs; give 4 numbers"),
        ("resolution = 5000", "report.resolution must be an integer >= 3 and <= 2,001, got 5000"),
        ("resolution = 2", "report.resolution must be an integer >= 3"),
        ("resolution = 10.5", "report.resolution must be an integer"),
        ("resolution = true", "report.resolution must be an integer"),
    ],
)
def test_bad_report_tables(table, message):
    with pytest.raises(MorsenetError, match=message) as err:
        parse_study(tomllib.loads(CIRCLES + "[report]\n" + table + "\n"))
    assert "\n" not in str(err.value)


def test_report_must_be_a_table():
    with pytest.raises(MorsenetError, match="report must be a table"):
        parse_study({**tomllib.loads(CIRCLES), "report": [1, 2]})


def test_csv_with_a_declared_ring_in_a_study_and_a_sweep(tmp_path):
    import math

    rows = []
    for i in range(80):
        r = 0.3 * (i % 5) / 5 if i % 2 == 0 else 1.0 + 0.1 * (i % 5)
        t = 2 * math.pi * i / 80
        rows.append(f"{r * math.cos(t)!r},{r * math.sin(t)!r},{i % 2}\n")
    (tmp_path / "c.csv").write_text("x1,x2,label\n" + "".join(rows))
    text = (
        'name = "c"\n[[datasets]]\nname = "csv"\npath = "c.csv"\ndisk_radius = 0.5\nring = [1.0, 1.5]\n'
        '[[models]]\nname = "m"\nkind = "mlp"\nwidths = [2, 3, 1]\n'
    )
    (tmp_path / "s.toml").write_text(text)
    study = load_study(str(tmp_path / "s.toml"))
    g = study.datasets[0].build().geometry
    assert g is not None and g.ring == (1.0, 1.5) and g.center == (0.0, 0.0)
    assert study.datasets[0].params["ring"] == [1.0, 1.5]
    assert parse_study(tomllib.loads(study.dumps())).datasets[0].build().geometry == g
    (tmp_path / "w.toml").write_text(text)
    assert load_sweep(tmp_path / "w.toml").datasets[0].build().geometry == g
    (tmp_path / "bad.toml").write_text(text.replace("ring = [1.0, 1.5]", "ring = [0.4, 1.5]"))
    with pytest.raises(MorsenetError, match=r"datasets\[0\]: dataset 'csv': need 0 < disk_radius < ring\[0\]"):
        load_study(str(tmp_path / "bad.toml"))


def test_model_spec_stages_and_init_keys():
    """`stages` and a table `init` become typed ModelSpec fields (checked at load), refused in sweeps."""
    text = """
name = "t"
[[datasets]]
name = "circles"
n_samples = 60
[[models]]
name = "r"
kind = "resnet"
width = 2
blocks = 3
stages = [{ epochs = 2 }, { action = "inject", x0 = [0.1, 0.2], block = 2 }, { epochs = 1, restore = "last" }]
init = { "readout_layer.bias" = [0.5] }
"""
    (m,) = parse_study(tomllib.loads(text)).models
    assert isinstance(m, ModelSpec) and [s.action for s in m.stages] == ["train", "inject", "train"]
    assert m.init == {"readout_layer.bias": [0.5]}
    with pytest.raises(MorsenetError, match="inject needs a ResNet"):
        parse_study(
            tomllib.loads(
                text.replace('kind = "resnet"\nwidth = 2\nblocks = 3', 'kind = "mlp"\nwidths = [2, 2, 1]').replace(
                    'init = { "readout_layer.bias" = [0.5] }', ""
                )
            )
        )
    sweep = text.replace('name = "t"', 'name = "t"\nseeds = 1')
    with pytest.raises(MorsenetError, match="not sweeps"):
        parse_sweep(tomllib.loads(sweep))
