"""Tests for morsenet.analysis._flatness: flatness from values on a grid, and plateaus of zero gradient."""

from __future__ import annotations

import math

import pytest
import torch

from morsenet.analysis import find_critical_points
from morsenet.analysis._flatness import value_grid
from morsenet.models import MLP

BOX = ((-2.0, 2.0), (-2.0, 2.0))
F64 = torch.float64


def test_constant_is_flat_and_a_wide_logit_range_is_not():
    assert value_grid(lambda p: torch.full((len(p),), 3.0, dtype=F64), BOX).flat
    assert find_critical_points(lambda p: torch.zeros(len(p), dtype=F64), BOX, n_starts=4).flat
    # a random width-2 net with large weights: tiny gradients at many points, yet its logit spans a wide range
    model = MLP([2, 2, 2, 2, 2, 1], "tanh", False)
    gen = torch.Generator().manual_seed(11)
    with torch.no_grad():
        for lin in [*model.hidden_layers, model.readout]:
            lin.weight.copy_(torch.randn(lin.weight.shape, generator=gen) * 8 / math.sqrt(2))
            lin.bias.copy_(torch.randn(lin.bias.shape, generator=gen) * 8)
    grid = value_grid(lambda p: model.double()(p), BOX)
    lo, hi = grid.value_range
    assert hi - lo > 1.0 and not grid.flat
    r = find_critical_points(model, BOX, n_starts=32)
    assert not r.flat and r.value_range is not None and r.value_range[1] - r.value_range[0] > 1.0
    assert "constant" not in r.summary()


def test_relu_plateau_is_reported_as_a_plateau_not_as_critical_points():
    # relu(x - 0.5) + relu(-x - 0.5) is exactly flat on |x| < 0.5 (a band across the box)
    model = MLP([2, 2, 1], "relu", False)
    with torch.no_grad():
        model.hidden_layers[0].weight.copy_(torch.tensor([[1.0, 0.0], [-1.0, 0.0]]))
        model.hidden_layers[0].bias.fill_(-0.5)
        model.readout.weight.fill_(1.0)
        model.readout.bias.zero_()
    r = find_critical_points(model, BOX, n_starts=64)
    assert r.points == [] and not r.flat
    [plateau] = r.plateaus
    # relu'(0) = 0, so the nodes on |x| = 0.5 are flat too
    assert plateau.bbox[0] == (-0.5, 0.5) and plateau.bbox[1] == (-2.0, 2.0)
    assert plateau.value == 0.0 and plateau.fraction == pytest.approx(9 / 33)  # 9 of the 33 grid columns
    assert "plateau" in r.summary()


def test_isolated_zero_gradient_nodes_are_not_plateaus():
    # the saddle sits exactly on a grid node: one node of zero gradient, a critical point, no plateau
    r = find_critical_points(lambda p: p[:, 0] ** 2 - p[:, 1] ** 2, BOX, n_starts=8)
    assert r.plateaus == () and [p.kind for p in r.points] == ["saddle"]
