"""Tests for morsenet.analysis._repr: every result object prints counts, shapes and verdicts, never tensors."""

from __future__ import annotations

import math

import pytest
import torch

from morsenet.analysis import (
    assess_model,
    block_jacobian_eigenvalues,
    decision_regions,
    escape_analysis,
    find_critical_points,
    jacobian_grid,
    prediction_curve,
    prediction_grid,
    training_snapshots,
    tunnel_analysis,
    weight_spectra,
)
from morsenet.models import build_model

BOX = ((-2.0, 2.0), (-2.0, 2.0))


def _short(obj: object) -> str:
    text = repr(obj)
    assert len(text) < 300, text
    assert "tensor(" not in text and "array(" not in text and "\n" not in text, text
    assert text.startswith(type(obj).__name__ + "("), text
    return text


def basin_model():
    """THEORY.md 4.3 bounded basin [2,3,1]: one minimum and three saddles, class 0 a bounded basin at 0."""
    model = build_model({"kind": "mlp", "widths": [2, 3, 1]}, seed=0).eval()
    t = torch.tensor([90.0, 210.0, 330.0]) * math.pi / 180
    with torch.no_grad():
        model.hidden_layers[0].weight.copy_(4 * torch.stack([t.cos(), t.sin()], 1))
        model.hidden_layers[0].bias.fill_(-1.0)
        model.readout.weight.fill_(1.0)
        model.readout.bias.fill_(1.5)
    return model


def strip(width):
    """Class 0 on the disk |x| < 0.43 and on the half-strip {x > 0, |y| < width / 2}: a tunnel along +x."""

    def f(p):
        s = torch.where(p[:, 0] > 0, p[:, 1].abs() - width / 2, torch.ones_like(p[:, 0]))
        return torch.minimum((p**2).sum(dim=1) - 0.43**2, s)

    return f


def test_assessment_and_its_parts_print_their_verdicts():
    a = assess_model(basin_model(), BOX, n_starts=48, resolution=64)
    text = _short(a)
    assert "theory='morse_generic'" in text and "measured='morse'" in text and "winding_number=1" in text
    assert "encloses_disk=True" in text and "tunnel='bounded'" in text and "agree=True" in text
    cps = _short(a.critical_points)
    assert "points=4 (minimum=1, saddle=3)" in cps and "completeness='complete'" in cps
    assert "box=((-2, 2), (-2, 2))" in cps
    point = _short(a.critical_points.points[0])
    assert f"kind={a.critical_points.points[0].kind!r}" in point and "gradient_norm=" in point
    assert a.regions is not None and a.tunnel is not None
    assert "grid=64x64" in _short(a.regions) and "verdict='bounded'" in _short(a.tunnel)


def test_a_prediction_prints_its_class_not_its_explanation():
    from morsenet.theory import MLPArchitecture, predict

    p = predict(MLPArchitecture((2, 1, 2, 1)))
    text = _short(p)
    assert text.startswith("Prediction(class='degenerate_forced', can_enclose=False, effective_widths=[2,1,2,1]")
    assert "T3(b)" in text and p.explanation[:30] not in text
    assert "widths)" in _short(predict(MLPArchitecture((2, *[3] * 200, 1))))


def test_tunnel_and_regions_count_what_they_found():
    t = tunnel_analysis(strip(0.2), BOX, resolution=64)
    text = _short(t)
    assert "verdict='tunnel'" in text and "ring_crossings=1" in text and "certificate=path of " in text
    assert f"narrowest_width={t.narrowest_width:.3g}" in text
    r = _short(decision_regions(lambda p: (p**2).sum(dim=1) - 0.45**2, BOX, resolution=64))
    assert "regions=2: class_0=1 (1 bounded), class_1=1 (0 bounded)" in r and "threshold=0.5" in r


def test_a_continuum_says_it_is_a_critical_line():
    search = find_critical_points(lambda p: (p[:, 0] ** 2 - 1) ** 2, BOX, n_starts=64)
    assert "continua=3" in _short(search)
    line = _short(search.points[0])
    assert "kind='degenerate'" in line and "critical_set='line'" in line
    assert search.points[0].to_dict()["critical_set"] == "line"


def test_a_3d_point_prints_its_numbers_and_a_critical_plane_is_a_surface():
    box3 = [(-1.5, 1.5)] * 3
    [point] = find_critical_points(lambda p: (p**2).sum(dim=1), box3, n_starts=8).points
    text = _short(point)
    assert "kind='minimum', index=0, location=(" in text and "eigenvalues=(2, 2, 2)" in text
    planes = find_critical_points(lambda p: (p[:, 0] ** 2 - 1) ** 2, box3, n_starts=32)
    assert {p.critical_set for p in planes.points} == {"surface"}, planes.points
    assert "critical_set='surface'" in _short(planes.points[0])


def test_long_vectors_give_their_shape():
    from morsenet.analysis import CriticalPoint

    p = CriticalPoint(torch.zeros(6, dtype=torch.float64), 0.0, "minimum", 0, torch.ones(6), 0.0)
    text = _short(p)
    assert "location=<shape (6,)>" in text and "eigenvalues=<shape (6,)>" in text


def test_grids_curves_and_spectra_print_shapes():
    model = basin_model()
    g = _short(prediction_grid(model, BOX, (40, 30)))
    assert "grid=40x30" in g and "task='classification'" in g and "logit range=[" in g
    j = _short(jacobian_grid(model, BOX, 20, layer=1))
    assert "of='layer 1'" in j and "jacobian=3x2" in j and "grid=20x20" in j
    curve_model = build_model({"kind": "mlp", "widths": [1, 3, 1]}, seed=0).eval()
    c = _short(prediction_curve(curve_model, (-1.0, 1.0), 50))
    assert "points=50" in c and "interval=(-1, 1)" in c
    s = weight_spectra(model)
    assert _short(s) == "WeightSpectra(layers=2, shapes=[3x2, 1x3], ranks=[2, 1])"
    layer = _short(s.layers[0])
    assert "shape=3x2" in layer and "rank=2" in layer and "full_rank=True" in layer


def test_deep_models_stay_short():
    deep = build_model({"kind": "mlp", "widths": [2] + [2] * 40 + [1]}, seed=0)
    text = _short(weight_spectra(deep))
    assert text.startswith("WeightSpectra(layers=41, shapes=[2x2, ") and "..., 1x2]" in text


def test_block_jacobians_snapshots_and_escape():
    resnet = build_model({"kind": "resnet", "input_dim": 2, "width": 2, "blocks": 3}, seed=1).eval()
    b = _short(block_jacobian_eigenvalues(resnet, torch.zeros(5, 2)))
    assert "points=5, blocks=3, width=2" in b and "|eigenvalue| range=[" in b
    model = basin_model()
    [snap] = training_snapshots(model.config(), [7], [model.state_dict()], box=BOX, resolution=16)
    assert _short(snap) == "TrainingSnapshot(epoch=7, prediction=grid 16x16, layers=2, ranks=[2, 1])"
    e = _short(escape_analysis(lambda p: (p**2).sum(dim=1), box_radius=2.0, doublings=2, n_radii=12))
    assert "nearest_critical_distance=" in e and "circles=12" in e and "max_radius=8" in e


@pytest.mark.parametrize("n", [0, 1])
def test_empty_results_print(n):
    search = find_critical_points(lambda p: p[:, 0] + 0.1 * n * p[:, 1], BOX, n_starts=8)
    assert "points=0" in _short(search)
