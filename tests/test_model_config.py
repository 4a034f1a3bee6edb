"""Typed model configs: self-checking without allocation, one bottleneck definition, exact parameter counts."""

import pytest

from morsenet import MorsenetError
from morsenet.models import (
    MAX_PARAMETERS,
    MLPConfig,
    NeuralODEConfig,
    ResNetConfig,
    build_model,
    config_from_dict,
    count_parameters,
    graph_bottleneck,
)

CONFIGS = [
    MLPConfig((2, 3, 3, 1)),
    MLPConfig((2, 2, 2, 1, 2, 1), batchnorm=True),
    MLPConfig((3, 1)),
    ResNetConfig(2, 2, 20, skip=1.0, residual=0.1, batchnorm=True),
    ResNetConfig(2, 2, 3, input_layer=False),
    ResNetConfig(2, 3, 0),
    NeuralODEConfig(2, 3, steps=8, pieces=4),
    NeuralODEConfig(1, 1, vector_field="inside", steps=2, pieces=1),
]


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: c.describe())
def test_parameter_count_matches_the_built_model(config):
    assert config.n_parameters == count_parameters(build_model(config, seed=0))


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: c.describe())
def test_dict_round_trip(config):
    assert config_from_dict(config.to_dict()) == config
    assert build_model(config.to_dict(), seed=0).config() == config.to_dict()


@pytest.mark.parametrize(
    "widths, expected",
    [
        ([2, 4, 2, 2, 1], False),  # narrowing and never widening again: no bottleneck
        ([2, 1, 3, 1], True),  # the input counts: 1 < 2 and 1 < 3
        ([2] + [2] * 13 + [1, 2, 1], True),  # the prototype's FFnet(depth=15, bottleneck=True)
        ([2, 3, 2, 3, 1], True),  # a graph bottleneck whose dip is not below n0
        ([2, 2, 2, 1], False),
        ([2, 1], False),
    ],
)
def test_one_bottleneck_definition(widths, expected):
    assert graph_bottleneck(widths) is expected
    config = MLPConfig(tuple(widths))
    assert build_model(config, seed=0).bottleneck is expected
    assert ("+ bottleneck" in config.family) is expected


def test_resnets_and_odes_have_no_bottleneck():
    assert not build_model(ResNetConfig(3, 2, 4), seed=0).bottleneck
    assert not build_model(NeuralODEConfig(2, 1), seed=0).bottleneck


def test_huge_widths_are_refused_before_allocating():
    with pytest.raises(MorsenetError, match="parameters is more than morsenet builds"):
        MLPConfig((2, 10**9, 1))
    with pytest.raises(MorsenetError, match="more than morsenet builds"):
        config_from_dict({"kind": "mlp", "width": 10**9, "depth": 3}, input_dim=2)
    with pytest.raises(MorsenetError, match="parameters is more than morsenet builds"):
        ResNetConfig(2, 20_000, 1)
    assert MLPConfig((2, 1000, 1)).n_parameters < MAX_PARAMETERS


@pytest.mark.parametrize(
    "values, message",
    [
        ({"kind": "resnet", "width": 2, "blocks": True}, "blocks must be an integer"),
        ({"kind": "resnet", "width": 2, "blocks": 2, "skip": "1"}, "skip must be a finite number"),
        ({"kind": "resnet", "width": 2, "blocks": 2, "skip": float("nan")}, "skip must be a finite number"),
        ({"kind": "neural_ode", "dim": 2, "T": 0}, "T must be > 0"),
        ({"kind": "neural_ode", "dim": 2, "vector_field": "around"}, "vector_field must be one of"),
        ({"kind": "mlp", "widths": [2, 0, 1]}, "every entry >= 1"),
        ({"kind": "mlp", "widths": [2, 3, 2]}, r"\[n, h1, ..., hL, 1\]"),
        ({"kind": "mlp", "width": 2}, "give widths"),
        ({"kind": "mlp", "width": 2, "depth": 2, "widths": [2, 1]}, "not both"),
        ({"kind": "cnn"}, "unknown model kind 'cnn'"),
        ({"kind": "resnet", "width": 2, "blocks": 2, "input_dim": 3}, "input_dim is 3 but the data has 2"),
    ],
)
def test_bad_values_name_the_key(values, message):
    with pytest.raises(MorsenetError, match=message):
        config_from_dict(values, input_dim=2)


def test_configs_are_frozen_and_typed():
    config = MLPConfig([2, 3, 1])  # a list is accepted and stored as a tuple
    assert config.widths == (2, 3, 1) and config.input_dim == 2 and config.depth == 1
    with pytest.raises(AttributeError):
        config.widths = (2, 1)  # type: ignore[misc]
    r = ResNetConfig(2, 3, 4, skip=1, residual=2)
    assert isinstance(r.skip, float) and r.width_sequence == (2, 3, 3, 3, 3, 1)


def test_descriptions():
    assert MLPConfig((2, 2, 2, 2, 1), batchnorm=True).describe() == "MLP 2-2x3-1 tanh, BN"
    assert MLPConfig((2, 2, 1, 2, 1)).describe() == "MLP 2-2-1-2-1 tanh"
    assert ResNetConfig(2, 2, 20, 1.0, 0.1).describe() == "ResNet width 2, 20 blocks, skip 1, residual 0.1 tanh"
    assert NeuralODEConfig(2, 3).describe().startswith("neural ODE dim 3, T=1, 20 RK4 steps, 10 pieces")
