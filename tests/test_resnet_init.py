"""ResNet block initialisation: torch's default, the companion code's Xavier-normal with zero bias, init_scale."""

from __future__ import annotations

import math

import pytest
import torch

from morsenet.errors import MorsenetError
from morsenet.models import ResNetConfig, build_model
from morsenet.models._from_dict import config_from_dict


def _config(**kw):
    return ResNetConfig(2, 4, 3, batchnorm=True, **kw)


def test_xavier_normal_statistics_and_zero_bias():
    """Block weights ~ N(0, gain^2 * 2 / (fan_in + fan_out)) over many seeds; block biases exactly zero."""
    gain, w = 1.7, 4
    spec = ResNetConfig(2, w, 3, init="xavier_normal", init_gain=gain)
    template = build_model(spec, seed=0)
    draws = [template.initial_parameters(s) for s in range(400)]
    weights = torch.stack([d[f"block_layers.{i}.weight"] for d in draws for i in range(3)]).flatten()
    want = gain * math.sqrt(2.0 / (w + w))  # closed form of nn.init.xavier_normal_
    assert weights.numel() == 400 * 3 * 16
    assert abs(float(weights.std()) - want) < 0.03 * want  # 19200 draws: std's relative error ~ 0.5 %
    assert abs(float(weights.mean())) < 0.03 * want
    for d in draws[:5]:
        for i in range(3):
            assert torch.equal(d[f"block_layers.{i}.bias"], torch.zeros(w))
    # and the same law as torch's own xavier_normal_
    gen = torch.Generator().manual_seed(1)
    ref = torch.stack([torch.nn.init.xavier_normal_(torch.empty(w, w), gain=gain, generator=gen) for _ in range(1200)])
    assert abs(float(ref.std()) - float(weights.std())) < 0.03 * want


@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"init": "xavier_normal"},
        {"init": "xavier_normal", "init_gain": 0.5, "init_scale": 0.6},
        {"init_scale": 2.0},
    ],
)
@pytest.mark.parametrize("seed", [0, 7])
def test_module_and_stacked_init_are_bit_identical(kw, seed):
    spec = _config(**kw)
    model = build_model(spec, seed=seed)
    drawn = build_model(spec, seed=123).initial_parameters(seed)
    own = dict(model.named_parameters())
    assert set(own) == set(drawn)
    for name, p in own.items():
        assert torch.equal(p.detach(), drawn[name]), name


def test_seed_generator_is_consumed_once():
    """A torch.Generator seed: the module path and the stacked path see the same stream."""
    spec = _config(init="xavier_normal")
    a = build_model(spec, seed=torch.Generator().manual_seed(3))
    b = build_model(spec, seed=0).initial_parameters(torch.Generator().manual_seed(3))
    assert all(torch.equal(p.detach(), b[n]) for n, p in a.named_parameters())


def test_init_scale_multiplies_block_weights_only():
    base = build_model(_config(), seed=4)
    scaled = build_model(_config(init_scale=0.6), seed=4)
    for i in range(3):
        w0, w1 = base.block_layers[i].weight.detach(), scaled.block_layers[i].weight.detach()
        assert torch.allclose(w1, 0.6 * w0, rtol=0, atol=1e-7)
        assert torch.equal(base.block_layers[i].bias, scaled.block_layers[i].bias)
    assert torch.equal(base.input_layer.weight, scaled.input_layer.weight)
    assert torch.equal(base.readout_layer.weight, scaled.readout_layer.weight)


def test_torch_default_unchanged_and_to_dict_only_writes_non_defaults():
    spec = _config()
    assert "init" not in spec.to_dict() and "init_scale" not in spec.to_dict()
    xav = _config(init="xavier_normal", init_gain=2.0)
    d = xav.to_dict()
    assert d["init"] == "xavier_normal" and d["init_gain"] == 2.0 and "init_scale" not in d
    assert config_from_dict(d) == xav
    # torch's default: the modules draw exactly what nn.Linear draws in construction order
    model = build_model(spec, seed=0)
    assert not torch.equal(model.block_layers[0].bias.detach(), torch.zeros(4))


@pytest.mark.parametrize(
    "kw",
    [
        {"init": "kaiming"},
        {"init_gain": 2.0},
        {"init": "xavier_normal", "init_gain": 0.0},
        {"init_scale": -1.0},
        {"init_scale": float("nan")},
        {"init": 3},
    ],
)
def test_bad_init_settings_raise(kw):
    with pytest.raises(MorsenetError):
        _config(**kw)
