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
    # the field's words: winding number on a circle, encloses the disk, can_enclose, class
    assert d["winding_number"] == 1 and d["winding_circle_radius"] == 0.3 and d["encloses_disk"] is True
    assert d["can_enclose"] is True and d["prediction"]["class"] == "morse_generic"
    assert not {"winding", "winding_radius", "encloses", "cls"} & (set(d) | set(d["prediction"]))


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


def _random_width2(depth, scale, seed):
    """A width-2 tanh MLP with N(0, scale^2 / 2) weights and N(0, scale^2) biases (no BatchNorm)."""
    model = _build({"kind": "mlp", "widths": [2] + [2] * depth + [1]})
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for lin in [*model.hidden_layers, model.readout]:
            lin.weight.copy_(torch.randn(lin.weight.shape, generator=gen) * scale / math.sqrt(2))
            lin.bias.copy_(torch.randn(lin.bias.shape, generator=gen) * scale)
    return model


def test_numerically_degenerate_is_its_own_verdict_and_no_disagreement():
    # depth 5, weights x 8: every layer has full rank (class none), but at the near-critical point the product of
    # the layer Jacobians has smallest singular value ~1e-37, far below float64 resolution
    model = _random_width2(5, 8.0, 1)
    a = assess_model(model, ((-2.0, 2.0), (-2.0, 2.0)), n_starts=64)
    assert a.prediction.cls == "none"
    assert a.critical_points.points == [] and a.critical_points.numerically_degenerate
    assert a.measured == "numerically_degenerate" and a.agree, a.verdict
    assert a.numerically_degenerate_sigma_min is not None and a.numerically_degenerate_sigma_min < -20
    assert any("numerically degenerate" in n for n in a.notes) and "DISAGREEMENT" not in a.verdict
    # the same point really has a tiny Jacobian product: an independent product of the layer Jacobians
    p = a.critical_points.numerically_degenerate[0].location
    with torch.no_grad():
        h, jac = p.clone(), torch.eye(2, dtype=torch.float64)
        for lin in model.hidden_layers:
            w, b = lin.weight.double(), lin.bias.double()
            z = w @ h + b
            jac = torch.diag(1 / torch.cosh(z) ** 2) @ w @ jac
            h = torch.tanh(z)
    assert float(torch.linalg.svdvals(jac)[-1]) < 1e-20


def test_assessment_states_completeness_and_reads_a_disk_ring_geometry():
    from morsenet.datasets import DiskRing

    geometry = DiskRing(center=(0.2, -0.1), disk_radius=0.35, ring=(0.6, 1.1))
    a = assess_model(basin_model(), ((-2.2, 2.2), (-2.2, 2.2)), n_starts=64, geometry=geometry)
    assert a.center == (0.2, -0.1) and a.winding_radius == 0.35
    assert a.tunnel is not None and a.tunnel.ring == (0.6, 1.1) and a.tunnel.center == (0.2, -0.1)
    assert a.critical_points.completeness == "complete" and a.completeness == "complete (index-certified)"
    assert any(n.startswith("critical points: complete") for n in a.notes)
    assert a.tunnel.status in ("tunnel", "bounded", "no_inner_region", "undecided")
    d = a.to_dict()
    assert d["completeness"] == "complete" and json.dumps(d)


def _folded(model, center, scale):
    """The same MLP composed with u -> center + scale * u (folded into its first layer): the model in the frame."""
    import copy

    out = copy.deepcopy(model)
    first = out.hidden_layers[0]
    c, s = torch.tensor(center), torch.tensor(scale)
    with torch.no_grad():
        first.bias.add_(first.weight @ c)
        first.weight.mul_(s)
    return out


@pytest.mark.parametrize("make", [basin_model, line_model])
def test_standardised_geometry_measures_the_tunnel_in_the_disk_ring_frame(make):
    from morsenet.datasets import DiskRing

    center, scale = (0.1, -0.05), (1.3, 0.8)
    box = ((-2.5, 2.5), (-2.5, 2.5))
    geometry = DiskRing(center=center, disk_radius=0.3, ring=(0.6, 1.1), scale=scale)
    a = assess_model(make(), box, n_starts=16, resolution=81, geometry=geometry)
    # independent answer: the folded model f(c + s u) with the plain geometry around 0, on the frame's box
    frame_box = tuple(((lo - c) / s, (hi - c) / s) for (lo, hi), c, s in zip(box, center, scale))
    plain = DiskRing(center=(0.0, 0.0), disk_radius=0.3, ring=(0.6, 1.1))
    b = assess_model(_folded(make(), center, scale), frame_box, n_starts=16, resolution=81, geometry=plain)
    assert a.tunnel_frame == "disk_ring" and b.tunnel_frame == "data"
    assert any("disk-and-ring frame" in n for n in a.notes) and a.to_dict()["tunnel_frame"] == "disk_ring"
    assert a.tunnel is not None and b.tunnel is not None
    assert a.tunnel.status == b.tunnel.status and a.tunnel.center == (0.0, 0.0)
    assert a.tunnel.reach_radius == pytest.approx(b.tunnel.reach_radius, rel=1e-6, abs=1e-9)
    assert a.winding == b.winding
    assert a.regions is not None and a.regions.box == box  # the regions stay in data coordinates for plotting


def test_three_d_geometry_has_no_tunnel_test_but_a_note():
    from morsenet.datasets import DiskRing

    model = _build({"kind": "mlp", "widths": [3, 3, 1]})
    geometry = DiskRing(center=(0.0, 0.0, 0.0), disk_radius=0.3, ring=(0.5, 1.0))
    a = assess_model(model, n_starts=8, geometry=geometry)
    assert a.tunnel is None and a.regions is None and a.winding is None
    assert any("3-D disk-and-ring geometry" in n for n in a.notes)
    with pytest.raises(MorsenetError, match="geometry is 3-D"):
        assess_model(_build({"kind": "mlp", "widths": [2, 3, 1]}), n_starts=8, geometry=geometry)
