"""Tests for morsenet.analysis._assessment: theory versus measurement on hand-set morsenet models."""

from __future__ import annotations

import json
import math

import pytest
import torch

import morsenet.theory
from morsenet.analysis import assess_model
from morsenet.errors import MorsenetError
from morsenet.models import build_model


def _build(config):
    with torch.random.fork_rng(devices=[]):  # guards the global RNG whatever construction does
        return build_model(config, seed=0).eval()


def _set(linear, weight, bias):
    with torch.no_grad():
        linear.weight.copy_(torch.tensor(weight))
        linear.bias.copy_(torch.tensor(bias))


def basin_model(readout_bias=1.5):
    """THEORY.md 4.3 bounded basin [2,3,1]; logit = Phi + 1.5, so class 0 is the basin {Phi < -1.5}."""
    model = _build({"kind": "mlp", "widths": [2, 3, 1]})
    t = torch.tensor([90.0, 210.0, 330.0]) * math.pi / 180
    _set(model.hidden_layers[0], (4 * torch.stack([t.cos(), t.sin()], 1)).tolist(), [-1.0, -1.0, -1.0])
    _set(model.readout, [[1.0, 1.0, 1.0]], [readout_bias])
    return model


def line_model():
    """THEORY.md 4.3 degenerate line [2,1,2,1], shifted so the centre is class 0."""
    model = _build({"kind": "mlp", "widths": [2, 1, 2, 1]})
    _set(model.hidden_layers[0], [[1.0, 0.0]], [0.0])
    _set(model.hidden_layers[1], [[1.0], [1.0]], [1.0, -1.0])
    _set(model.readout, [[-1.0, 1.0]], [1.0])
    return model


def test_enclosing_model_agrees():
    a = assess_model(basin_model(), n_starts=64, resolution=101)
    assert a.prediction.cls == "morse_generic" and a.prediction.can_enclose is True
    assert a.measured == "morse" and a.encloses is True and a.winding == 1
    assert a.agree and "DISAGREEMENT" not in a.verdict
    assert a.verdict.startswith("theory says morse_generic")
    assert "disk enclosed" in a.verdict


def test_degenerate_line_model_agrees_and_tunnels():
    a = assess_model(line_model(), n_starts=64, resolution=101)
    assert a.prediction.cls == "degenerate_forced"
    assert a.measured == "degenerate" and a.critical_points.n_continua == 1
    assert a.tunnel is not None and a.tunnel.centre_class == 0 and a.tunnel.tunnel
    assert a.winding is None and any("gradient vanishes" in n for n in a.notes)
    assert a.agree


def test_width2_mlp_agrees():
    model = _build({"kind": "mlp", "widths": [2, 2, 1]})
    a = assess_model(model, n_starts=64, resolution=101)
    assert a.prediction.cls == "none" and a.measured == "none" and a.agree


def test_wrong_theory_is_flagged_as_disagreement(monkeypatch):
    # Feed the basin model a prediction that rules out critical points and enclosure: every measurement
    # that contradicts it must be reported.
    fake = morsenet.theory.predict(morsenet.theory.MLPArchitecture((2, 2, 1)))
    monkeypatch.setattr(morsenet.theory, "predict", lambda model: fake)
    a = assess_model(basin_model(), n_starts=64, resolution=101)
    assert not a.agree and "DISAGREEMENT" in a.verdict
    joined = " ".join(a.reasons)
    assert "non-degenerate critical point" in joined and "winding number 1" in joined and "bounded" in joined


def test_preactivations_of_morsenet_models_are_checked():
    from morsenet.analysis import find_critical_points

    result = find_critical_points(basin_model(), ((-2.0, 2.0), (-2.0, 2.0)), n_starts=64)
    [minimum] = [p for p in result.points if p.kind == "minimum"]
    assert minimum.max_preactivation == pytest.approx(1.0, abs=1e-6)  # W1 * 0 + b1 = -1 for every neuron
    resnet = _build({"kind": "resnet", "input_dim": 2, "width": 2, "blocks": 2, "skip": 1.0, "residual": 1.0})
    from morsenet.analysis._scalar_field import preactivation_fn  # private: no public name

    x = torch.tensor([[0.3, -0.2]], dtype=torch.float64)
    z = preactivation_fn(resnet)(x)
    m = resnet.double()
    w_in, b_in = m.input_map()
    h0 = torch.tanh(x @ w_in.T + b_in)
    (w0, b0), (w1, b1) = m.block_maps()
    h1 = h0 + torch.tanh(h0 @ w0.T + b0)
    expected = torch.cat([x @ w_in.T + b_in, h0 @ w0.T + b0, h1 @ w1.T + b1], dim=1)
    torch.testing.assert_close(z, expected)


def test_one_dimensional_model_skips_topology():
    model = _build({"kind": "mlp", "widths": [1, 3, 1]})
    a = assess_model(model, n_starts=32)
    assert a.regions is None and a.tunnel is None and a.winding is None
    assert any("2-D" in n for n in a.notes) and a.agree


def test_to_dict_is_json():
    d = assess_model(basin_model(), n_starts=32, resolution=64).to_dict()
    assert json.loads(json.dumps(d)) == d and d["agree"] is True


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(box=((-1, 1),)), "takes 2-D points"),
        (dict(ring=(1.0, 0.5)), "inner_radius < ring"),
        (dict(inner_radius=0.0), "inner_radius < ring"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(MorsenetError, match=match):
        assess_model(basin_model(), **kwargs)
