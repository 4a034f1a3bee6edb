"""The explorer's settings: flat strings checked as a one-model study, with the study layer's own messages."""

import pytest

from morsenet.errors import MorsenetError
from morsenet.explore import DEFAULTS, options, parse_settings
from morsenet.explore._settings import format_value, parse_value
from morsenet.models import MLPConfig, NeuralODEConfig, ResNetConfig
from morsenet.study import load_study, parse_study


def test_defaults_are_the_width3_mlp_on_circles():
    s = parse_settings({})
    assert s.config == MLPConfig((2, 3, 3, 1), "tanh", True)
    assert s.data.name == "circles" and s.data.x.shape == (1000, 2)
    assert s.train.max_attempts == 1 and s.train.threshold is None and s.train.patience == 0
    assert s.values == dict(sorted(DEFAULTS.items()))
    assert s.view == {"map": "gradient_norm", "layer": "0"}


def test_values_are_read_as_toml_reads_them():
    assert parse_value("true") is True and parse_value("false") is False
    assert parse_value("12") == 12 and isinstance(parse_value("12"), int)
    assert parse_value("0.5") == 0.5 and parse_value("1e-3") == 1e-3
    assert parse_value("tanh") == "tanh"
    assert format_value([2, 3, 1]) == "2,3,1" and format_value(True) == "true" and format_value(1.0) == "1.0"


def test_shorthand_resnet_and_neural_ode():
    s = parse_settings({"kind": "mlp", "m.width": "2", "m.depth": "15", "m.bottleneck": "true"})
    assert s.config.widths == (2,) + (2,) * 13 + (1, 2, 1)
    r = parse_settings({"kind": "resnet", "m.width": "3", "m.blocks": "4", "m.skip": "1", "m.residual": "0.1"})
    assert r.config == ResNetConfig(2, 3, 4, 1.0, 0.1)
    n = parse_settings({"kind": "neural_ode"})  # a kind alone takes its defaults
    assert isinstance(n.config, NeuralODEConfig) and n.config.dim == 3


def test_query_round_trips():
    s = parse_settings({"m.widths": "2,5,1", "t.lr": "0.005", "seed": "3", "v.map": "min_sv"})
    again = parse_settings(dict(kv.split("=", 1) for kv in s.query.split("&")))
    assert again.values == s.values and again.config == s.config and again.seed == 3
    assert again.training_key() == s.training_key()
    assert parse_settings({**s.values, "v.map": "logit"}).training_key() == s.training_key()


def _study_error(table_edit):
    table = {"name": "explore", "seed": 0, "train": {"max_attempts": 1}, "datasets": [{"name": "circles"}],
             "models": [{"name": "explored", "kind": "mlp", "widths": [2, 3, 1]}]}  # fmt: skip
    table_edit(table)
    with pytest.raises(MorsenetError) as err:
        parse_study(table)
    return str(err.value)


@pytest.mark.parametrize(
    "values, edit",
    [
        ({"t.lr": "-1"}, lambda t: t["train"].update(lr=-1)),
        ({"t.epochs": "2.5"}, lambda t: t["train"].update(epochs=2.5)),
        ({"m.activation": "swish"}, lambda t: t["models"][0].update(activation="swish")),
        ({"m.widths": "2,3,2"}, lambda t: t["models"][0].update(widths=[2, 3, 2])),
        ({"d.noise": "0.1"}, lambda t: t["datasets"][0].update(noise=0.1)),
        ({"d.inner_radius": "2"}, lambda t: t["datasets"][0].update(inner_radius=2)),
    ],
)
def test_errors_are_the_study_layers(values, edit):
    """The same bad value gives the same message as a study file would (`morsenet run`)."""
    base = {"m.widths": "2,3,1", "d.n_samples": "2000"}
    with pytest.raises(MorsenetError) as err:
        parse_settings({**base, **values})
    assert str(err.value) == _study_error(edit)


@pytest.mark.parametrize(
    "values, words",
    [
        ({"data": "nope"}, "unknown dataset 'nope'"),
        ({"data": "square_1d"}, "unknown dataset 'square_1d'"),
        ({"data": "spheres", "d.dim": "3"}, "2-D classification"),
        ({"kind": "transformer"}, "unknown model kind"),
        ({"m.widths": "2,x,1"}, "list of integers"),
        ({"colour": "red"}, "unknown setting 'colour'"),
        ({"t.threshold": "0.9"}, "no setting 'threshold'"),
        ({"v.map": "hessian"}, "v.map must be one of"),
        ({"d.n_samples": "10000000"}, "n_samples <= 20000"),
        ({"m.widths": "2,1000,1000,1"}, "up to 200,000 parameters"),
        ({"data": "csv"}, "upload a CSV file first"),
        ({"data": "csv", "d.path": "/etc/passwd"}, "upload a CSV file instead"),
        ({"data": "csv", "d.upload": "../../etc/passwd"}, "unknown CSV upload"),
        ({"seed": "x"}, "seed must be an integer"),
        ({"m.widths": ["2", {"a": 1}]}, None),
        ({"m.batchnorm": None}, "must be a string or a number"),
    ],
)
def test_bad_settings_raise_one_line(values, words):
    with pytest.raises(MorsenetError) as err:
        parse_settings(values)
    assert "\n" not in str(err.value)
    if words:
        assert words in str(err.value)


def test_export_is_a_study_that_builds_the_same_model(tmp_path):
    s = parse_settings({"kind": "resnet", "m.width": "3", "m.blocks": "2", "t.epochs": "7", "seed": "5"})
    path = tmp_path / "s.toml"
    path.write_text(s.export_toml())
    study = load_study(path)
    [(name, dataset, model)] = study.entries()
    assert model.config == s.config
    assert study.train_config(model) == s.train
    assert study.model_seed(model) == 5
    assert dataset.params == s.study.datasets[0].params
    assert study.datasets[0].build().x.equal(s.data.x)


def test_options_lists_every_2d_generator_and_kind():
    o = options()
    assert set(o["datasets"]) == {"circles", "xor", "xor_quadrants", "moons", "spheres", "csv"}
    assert "noise" in o["datasets"]["moons"] and "path" not in o["datasets"]["csv"]
    assert set(o["kinds"]) == {"mlp", "resnet", "neural_ode"}
    assert "skip" in o["kinds"]["resnet"] and "input_dim" not in o["kinds"]["resnet"]
    for kind, defaults in o["kind_defaults"].items():
        assert parse_settings({"kind": kind, **defaults}).config.kind == kind


def test_view_layer_is_a_small_integer():
    assert parse_settings({"v.map": "min_sv", "v.layer": "3"}).view == {"map": "min_sv", "layer": "3"}
    assert parse_settings({}).view["layer"] == "0"
    for bad in ("-1", "x", "1.5", "100000"):
        with pytest.raises(MorsenetError, match="v.layer must be an integer"):
            parse_settings({"v.layer": bad})


def test_a_default_written_out_or_left_out_is_the_same_model():
    short = parse_settings({"m.widths": "2,2,1", "t.lr": "0.02"})
    full = parse_settings({**short.values, "d.disk_radius": "0.3", "m.activation": "tanh", "v.map": "min_sv"})
    assert full.training_key() == short.training_key()
    assert parse_settings({**short.values, "d.disk_radius": "0.25"}).training_key() != short.training_key()
