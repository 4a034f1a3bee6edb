"""The explorer's views, checked against closed forms, finite differences and morsenet's own analyses."""

import base64
import math

import pytest
import torch

from morsenet.analysis import grid_axes, grid_points, jacobian_grid, prediction_grid
from morsenet.datasets import make_circles, make_moons
from morsenet.explore import _views
from morsenet.models import build_model


def _bytes(b64):
    return torch.tensor(list(base64.b64decode(b64)), dtype=torch.int64)


def test_encode_maps_the_range_to_bytes():
    v = torch.tensor([[0.0, 0.5], [1.0, 2.0]])
    assert _bytes(_views.encode(v, 0.0, 1.0)).tolist() == [0, 128, 255, 255]  # clipped above
    assert _bytes(_views.encode(torch.tensor([float("nan")]), -1.0, 1.0)).tolist() == [0]


def test_gradient_norm_matches_jacobian_grid_and_finite_differences():
    model = build_model({"kind": "mlp", "widths": [2, 4, 3, 1], "batchnorm": True}, seed=1).double().eval()
    box = ((-1.5, 1.5), (-1.0, 2.0))
    points = grid_points(*grid_axes(box, 9, torch.float64))
    logits, norm = _views.logits_and_gradient_norm(model, points)
    reference = jacobian_grid(model, box, 9)
    torch.testing.assert_close(norm, reference.singular_values[..., 0], rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(logits, prediction_grid(model, box, 9).logits)
    h, x = 1e-6, points[3, 5]
    with torch.no_grad():
        fd = [(model((x + h * e)[None]) - model((x - h * e)[None])) / (2 * h) for e in torch.eye(2, dtype=x.dtype)]
    assert float(norm[3, 5]) == pytest.approx(math.hypot(float(fd[0]), float(fd[1])), rel=1e-6)


@pytest.mark.parametrize("kind", ["gradient_norm", "min_sv", "max_sv", "logit"])
def test_fast_view_shapes_and_ranges(kind):
    model = build_model({"kind": "mlp", "widths": [2, 2, 2, 1]}, seed=0).eval()
    box = ((-1.0, 1.0), (-1.0, 1.0))
    view = _views.fast_view(model, box, kind)
    n = _views.MAP_RESOLUTION
    probability = _bytes(view["probability"])
    assert probability.numel() == n * n
    expected = prediction_grid(model, box, n).probabilities.flatten()
    assert (probability - (expected * 255).round().long()).abs().max() <= 1
    second = view["second"]
    assert second["kind"] == kind and _bytes(second["values"]).numel() == n * n and second["lo"] < second["hi"]
    if kind in ("min_sv", "max_sv"):
        jac = jacobian_grid(model, box, n, layer=model.n_layers)
        sv = jac.min_singular_value if kind == "min_sv" else jac.max_singular_value
        assert second["hi"] == pytest.approx(float(torch.log10(sv.double()).max()), rel=1e-5)
    assert [s["name"] for s in view["spectra"]] == ["layer 1", "layer 2", "readout"]


@pytest.mark.parametrize("layer, shown", [(0, 3), (1, 1), (2, 2), (3, 3), (99, 3)])
def test_layer_slider_picks_the_hidden_layer_of_the_singular_value_maps(layer, shown):
    model = build_model({"kind": "mlp", "widths": [2, 2, 2, 2, 1]}, seed=1).eval()
    box = ((-1.0, 1.0), (-1.0, 1.0))
    second = _views.fast_view(model, box, "max_sv", layer)["second"]
    assert second["layer"] == shown and second["n_layers"] == 3 and f"(layer {shown} of 3)" in second["label"]
    # the prefix map's own largest singular value: x -> h_k of a 2-width chain (an independent Jacobian per point)
    x = torch.tensor([0.3, -0.2])
    jac = torch.autograd.functional.jacobian(lambda p: model.hidden(p[None], shown)[0], x)
    top = float(torch.linalg.svdvals(jac)[0])
    grid = jacobian_grid(model, box, _views.MAP_RESOLUTION, layer=shown)
    assert second["hi"] == pytest.approx(float(torch.log10(grid.max_singular_value.double()).max()), rel=1e-5)
    assert top <= 10 ** second["hi"] * (1 + 1e-4)


def _minimum_at_origin():
    """f(x) = -sum_k tanh(w_k . x + b) with three unit w_k at 120 degrees: grad f(0) = 0 by symmetry and
    Hess f(0) = -tanh''(b) * (3/2) I, positive definite for b > 0: a non-degenerate minimum at the origin."""
    model = build_model({"kind": "mlp", "widths": [2, 3, 1]}, seed=0).double().eval()
    angles = torch.tensor([0.0, 2 * math.pi / 3, 4 * math.pi / 3], dtype=torch.float64)
    state = {
        "hidden_layers.0.weight": torch.stack([angles.cos(), angles.sin()], 1) * 2.0,
        "hidden_layers.0.bias": torch.full((3,), 0.5, dtype=torch.float64),
        "readout.weight": -torch.ones(1, 3, dtype=torch.float64),
        "readout.bias": torch.tensor([1.3], dtype=torch.float64),
    }
    model.load_state_dict(state)
    return model


def test_analysis_finds_the_hand_set_minimum_and_names_the_theory():
    model = _minimum_at_origin()
    data = make_circles(200, seed=0)
    box = _views.view_box(data)
    assert box[0][0] == -box[0][1] and box[0][1] > data.geometry.ring[1]  # the tunnel circles fit
    a = _views.analysis(model, data, box)
    minima = [p for p in a["critical_points"] if p["kind"] == "minimum"]
    assert len(minima) == 1 and abs(minima[0]["x"]) < 1e-6 and abs(minima[0]["y"]) < 1e-6
    assert a["theory"]["class"] == "morse_generic" and a["theory"]["theorems"]
    assert a["verdict"].startswith("theory says morse_generic")
    assert a["tunnel"]["status"] in ("tunnel", "bounded", "no_inner_region")


def test_analysis_of_a_width2_net_has_no_critical_point_and_a_tunnel():
    model = build_model({"kind": "mlp", "widths": [2, 2, 2, 1]}, seed=3).double().eval()
    data = make_circles(200, seed=0)
    a = _views.analysis(model, data, _views.view_box(data))
    assert a["critical_points"] == [] and a["theory"]["class"] == "none"
    assert a["theory"]["can_enclose"] is False


def test_analysis_without_ring_geometry_skips_the_tunnel():
    data = make_moons(200, seed=0)
    a = _views.analysis(_minimum_at_origin(), data, _views.view_box(data))
    assert a["tunnel"] is None and a["critical_points"]
    assert "tunnel test needs" in a["notes"][0]


def test_trajectories_end_where_the_flow_ends():
    config = {"kind": "neural_ode", "input_dim": 2, "dim": 3, "T": 1.0, "steps": 6, "pieces": 3}
    model = build_model(config, seed=0).eval()
    data = make_circles(400, seed=0)
    paths = _views.trajectories(model, model.spec, data)
    assert len(paths) == _views.TRAJECTORY_POINTS and all(len(p) == 4 for p in paths)
    x = data.x_test[: _views.TRAJECTORY_POINTS]
    with torch.no_grad():
        start, end = model.hidden(x, 1)[:, :2], model.hidden(x, 2)[:, :2]
    got = torch.tensor(paths)
    torch.testing.assert_close(got[:, 0], start, atol=1e-4, rtol=0)
    torch.testing.assert_close(got[:, -1], end, atol=1e-4, rtol=0)
    assert _views.trajectories(_minimum_at_origin(), _minimum_at_origin().spec, data) is None


def test_curves_are_thinned_but_keep_the_last_epoch():
    values = [float(i) for i in range(1000)]
    c = _views.curves_payload(values, values, values)
    assert c["epochs"] == 1000 and len(c["train_loss"]) <= _views.MAX_CURVE_POINTS + 1
    assert c["train_loss"][0] == 0.0 and c["train_loss"][-1] == 999.0
