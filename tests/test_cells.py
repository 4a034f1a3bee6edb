"""Tests for morsenet.analysis._cells: the Poincare-Hopf bookkeeping that certifies completeness."""

from __future__ import annotations

import math

import pytest
import torch

from morsenet.analysis import CellSettings, find_critical_points
from morsenet.analysis._cells import _windings_2d, point_index
from morsenet.analysis._search_core import Found, SearchContext
from morsenet.errors import MorsenetError
from morsenet.models import MLP

F64 = torch.float64


def _ctx(f, box):
    ctx = SearchContext.build(
        f, f, box, gtol=1e-14, eig_rtol=1e-6, max_iter=50, preactivation_bound=None, preactivations=None,
        merge_radius=None,
    )  # fmt: skip
    return ctx.with_scale(10.0)


def two_minima(p):
    return (p[:, 0] ** 2 - 1) ** 2 + p[:, 1] ** 2  # minima (+-1, 0), saddle (0, 0)


def test_windings_of_hand_set_fields_on_rectangles():
    box = ((-2.0, 2.0), (-2.0, 2.0))
    ctx = _ctx(two_minima, box)
    cells = [
        ((0.5, 1.5), (-0.5, 0.5)),  # one minimum: +1
        ((-0.3, 0.3), (-0.4, 0.2)),  # the saddle: -1
        ((-1.6, 1.7), (-0.5, 0.6)),  # all three: 1 + 1 - 1
        ((1.2, 1.9), (0.3, 1.0)),  # nothing: 0
    ]
    assert _windings_2d(ctx, cells, 12) == [1, -1, 1, 0]
    monkey = _ctx(lambda p: p[:, 0] ** 3 - 3 * p[:, 0] * p[:, 1] ** 2, box)
    assert _windings_2d(monkey, [((-0.5, 0.6), (-0.7, 0.4))], 12) == [-2]


def test_two_minima_and_a_saddle_are_certified_complete():
    r = find_critical_points(two_minima, ((-2.0, 2.0), (-2.0, 2.0)), n_starts=16, seed=0)
    assert r.counts == {"minimum": 2, "maximum": 0, "saddle": 1, "degenerate": 0}
    assert r.completeness == "complete" and r.completeness_summary() == "complete (index-certified)"
    assert r.unresolved_cells == () and r.n_cells >= 36


def test_monkey_saddle_has_index_minus_two_and_closes():
    f = lambda p: p[:, 0] ** 3 - 3 * p[:, 0] * p[:, 1] ** 2  # noqa: E731
    r = find_critical_points(f, ((-1.0, 1.0), (-1.0, 1.0)), n_starts=16)
    [p] = r.points
    ctx = _ctx(f, ((-1.0, 1.0), (-1.0, 1.0)))
    assert point_index(ctx, p, Found([p])) == -2
    assert r.completeness == "complete"


def funnel(p):
    """log(|p - a|^2 + 0.05^2): one minimum at a = (1.3, -1.1); concave beyond r = 0.05, so Newton steps from
    farther away run off and only starts close to a converge. (A narrow dip on a slope would not do: it adds a
    minimum and a saddle, index sum 0, which no index bookkeeping can see.)"""
    return torch.log((p[:, 0] - 1.3) ** 2 + (p[:, 1] + 1.1) ** 2 + 0.05**2)


BOX = ((-2.0, 2.0), (-2.0, 2.0))
A = torch.tensor([1.3, -1.1], dtype=F64)


def test_unbalanced_cell_gets_starts_and_subdivisions_until_the_minimum_is_found():
    blind = find_critical_points(funnel, BOX, n_starts=1, seed=0, certify_cells=False)
    assert blind.points == [] and blind.completeness == "lower_bound"
    r = find_critical_points(funnel, BOX, n_starts=1, seed=0)
    [p] = r.points
    assert p.kind == "minimum" and float(torch.linalg.vector_norm(p.location - A)) < 1e-8
    assert r.completeness == "complete" and r.n_deterministic_starts > 36


def test_unbalanced_cells_are_listed_when_the_budget_runs_out():
    r = find_critical_points(funnel, BOX, n_starts=1, seed=0, cells=CellSettings(max_rounds=0))
    assert r.points == [] and r.completeness == "lower_bound"
    [cell] = r.unresolved_cells
    assert (cell.winding, cell.index_sum) == (1, 0)
    assert all(lo <= float(v) <= hi for v, (lo, hi) in zip(A, cell.box))
    assert r.completeness_summary() == "at least 0; 1 cell unresolved"


def test_continuum_cells_are_unresolved_and_one_d_closes():
    r = find_critical_points(lambda p: (p[:, 0] ** 2 - 1) ** 2, ((-2.0, 2.0), (-2.0, 2.0)), n_starts=32)
    assert r.completeness == "lower_bound" and r.unresolved_cells
    assert all("continuum" in c.reason for c in r.unresolved_cells)
    one = find_critical_points(lambda p: (p[:, 0] ** 2 - 1) ** 2, ((-2.0, 2.0),), n_starts=8)
    assert [p.kind for p in one.points] == ["minimum", "maximum", "minimum"] and one.completeness == "complete"


def test_shallow_saddles_of_a_hand_set_net_are_found_and_certified():
    # THEORY.md 4.3 bounded basin [2,3,1] with its first layer scaled by 1/12: saddle eigenvalues ~ -1.1e-3, 3.3e-3
    t = torch.tensor([90.0, 210.0, 330.0]) * math.pi / 180
    model = MLP([2, 3, 1], "tanh", False)
    with torch.no_grad():
        model.hidden_layers[0].weight.copy_(4 * torch.stack([t.cos(), t.sin()], dim=1) / 12)
        model.hidden_layers[0].bias.fill_(-1.0)
        model.readout.weight.fill_(1.0)
        model.readout.bias.zero_()
    r = find_critical_points(model, ((-15.0, 15.0), (-15.0, 15.0)), n_starts=32)
    assert r.counts == {"minimum": 1, "maximum": 0, "saddle": 3, "degenerate": 0}, r.summary()
    saddle_eigs = torch.stack([p.eigenvalues for p in r.points if p.kind == "saddle"])
    assert float(saddle_eigs.abs().max()) < 5e-3 and float(saddle_eigs.abs().min()) > 5e-4
    for p in r.points:
        if p.kind == "saddle":
            assert float(torch.linalg.vector_norm(p.location)) == pytest.approx(12.0, rel=1e-5)
    assert r.completeness == "complete"


def test_three_d_and_relu_are_lower_bounds_and_settings_validate():
    r = find_critical_points(lambda p: (p**2).sum(dim=1), ((-1.0, 1.0),) * 3, n_starts=16)
    assert r.completeness == "lower_bound" and "1-D and 2-D" in r.completeness_reason
    relu = find_critical_points(MLP([2, 3, 1], "relu", False, seed=0), ((-1.0, 1.0),) * 2, n_starts=16)
    assert relu.completeness == "lower_bound"
    with pytest.raises(MorsenetError, match="per_axis must be an integer >= 1"):
        CellSettings(per_axis=0)
