"""Tests for morsenet.analysis._critical_points: analytic fields, THEORY.md 4.3 fixtures, saturation, winding."""

from __future__ import annotations

import copy
import json
import math

import pytest
import torch
from torch import nn

from morsenet.analysis import CellSettings, CriticalPointSearch, find_critical_points, winding_number
from morsenet.analysis._critical_points import _gradient_floor_fn
from morsenet.errors import MorsenetError
from morsenet.models import MLP, ResNet
from morsenet.theory import predict

SQUARE = ((-1.0, 1.0), (-1.0, 1.0))
BIG = ((-2.0, 2.0), (-2.0, 2.0))
F64 = torch.float64


def paraboloid(p):
    return (p**2).sum(dim=1)


def saddle(p):
    return p[:, 0] ** 2 - p[:, 1] ** 2


def monkey(p):
    return p[:, 0] ** 3 - 3 * p[:, 0] * p[:, 1] ** 2


def double_well_lines(p):
    return (p[:, 0] ** 2 - 1) ** 2  # lines of critical points x = -1, 0, 1


class DegenerateLine(nn.Module):
    """THEORY.md 4.3 `[2,1,2,1]`: h = tanh(x1), Phi = tanh(h + 1) - tanh(h - 1); grad Phi = 0 on x1 = 0."""

    def forward(self, x):
        h = torch.tanh(x[:, :1])
        return (torch.tanh(h + 1) - torch.tanh(h - 1))[:, 0]


class BoundedBasin(nn.Module):
    """THEORY.md 4.3 `[2,3,1]`: rows (cos t, sin t) * 4 for t = 90, 210, 330 degrees, b1 = -1, W2 = (1, 1, 1)."""

    def __init__(self):
        super().__init__()
        t = torch.tensor([90.0, 210.0, 330.0]) * math.pi / 180
        self.w = nn.Parameter(4 * torch.stack([t.cos(), t.sin()], dim=1))

    def forward(self, x):
        return torch.tanh(x @ self.w.T.to(x.dtype) - 1).sum(dim=1)


def no_critical_221(p):
    """[2,2,1] with an invertible W1 and a nonzero W2 (T1: no critical points)."""
    w1 = torch.tensor([[1.5, -0.7], [0.4, 2.0]], dtype=F64)
    h = torch.tanh(p @ w1.T + torch.tensor([0.3, -0.2], dtype=F64))
    return h @ torch.tensor([1.0, -2.0], dtype=F64)


def random_mlp(depth: int, scale: float, seed: int):
    """A width-2 tanh MLP [2, 2, ..., 2, 1] with weights scaled by `scale`, and its pre-activations."""
    gen = torch.Generator().manual_seed(seed)
    widths = [2] + [2] * depth + [1]
    maps = [
        (
            torch.randn(b, a, generator=gen, dtype=F64) * scale / math.sqrt(a),
            torch.randn(b, generator=gen, dtype=F64) * scale,
        )
        for a, b in zip(widths[:-1], widths[1:])
    ]

    def f(x):
        h = x
        for w, b in maps[:-1]:
            h = torch.tanh(h @ w.T + b)
        w, b = maps[-1]
        return (h @ w.T + b)[:, 0]

    def pre(x):
        h, zs = x, []
        for w, b in maps[:-1]:
            zs.append(h @ w.T + b)
            h = torch.tanh(zs[-1])
        return torch.cat(zs, dim=1)

    return f, pre


def fd_hessian(f, x, h=1e-4):
    """Central finite-difference Hessian of f at x (d,), an oracle independent of autograd."""
    d = x.numel()
    out = torch.zeros(d, d, dtype=F64)
    e = torch.eye(d, dtype=F64) * h
    for i in range(d):
        for j in range(d):
            pts = torch.stack([x + e[i] + e[j], x + e[i] - e[j], x - e[i] + e[j], x - e[i] - e[j]])
            v = f(pts)
            out[i, j] = (v[0] - v[1] - v[2] + v[3]) / (4 * h * h)
    return out


def fd_grad(f, x, h=1e-6):
    d = x.numel()
    e = torch.eye(d, dtype=F64) * h
    return torch.stack([(f((x + e[i])[None]) - f((x - e[i])[None]))[0] / (2 * h) for i in range(d)])


# ----------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("f", "kind", "index", "eigs"),
    [
        (paraboloid, "minimum", 0, [2.0, 2.0]),
        (lambda p: -paraboloid(p), "maximum", 2, [-2.0, -2.0]),
        (saddle, "saddle", 1, [-2.0, 2.0]),
    ],
)
def test_quadratics(f, kind, index, eigs):
    result = find_critical_points(f, SQUARE, seed=0)
    assert isinstance(result, CriticalPointSearch)
    [cp] = result.points
    assert cp.kind == kind and cp.index == index and not cp.continuum
    torch.testing.assert_close(cp.location, torch.zeros(2, dtype=F64), atol=1e-10, rtol=0)
    torch.testing.assert_close(cp.eigenvalues, torch.tensor(eigs, dtype=F64), atol=1e-8, rtol=0)
    assert result.counts[kind] == 1 and sum(result.counts.values()) == 1
    assert cp.n_merged == result.n_converged == 256 + result.n_deterministic_starts
    assert result.completeness == "complete"


def test_shifted_minimum_location():
    result = find_critical_points(lambda p: ((p - torch.tensor([0.3, -0.6], dtype=F64)) ** 2).sum(1), SQUARE)
    [cp] = result.points
    torch.testing.assert_close(cp.location, torch.tensor([0.3, -0.6], dtype=F64), atol=1e-10, rtol=0)
    assert cp.value == pytest.approx(0.0, abs=1e-18)


def test_monkey_saddle_is_one_isolated_degenerate_point():
    result = find_critical_points(monkey, SQUARE, seed=1)
    [cp] = result.points
    assert cp.kind == "degenerate" and not cp.continuum
    assert cp.location.abs().max() < 1e-6
    assert winding_number(monkey, (0.0, 0.0), 0.5) == -2


def test_lines_of_degenerate_points_are_merged_into_three_continua():
    result = find_critical_points(double_well_lines, BIG, seed=0)
    assert len(result.points) == 3 and result.n_continua == 3
    xs = sorted(round(float(p.location[0]), 6) for p in result.points)
    assert xs == [-1.0, 0.0, 1.0]
    for p in result.points:
        assert p.kind == "degenerate" and p.continuum
        assert p.null_directions.shape == (1, 2)
        assert abs(float(p.null_directions[0, 1])) == pytest.approx(1.0, abs=1e-8)  # null direction = y axis
        assert p.n_merged > 10 and p.members.shape[0] >= p.n_merged and p.members.shape[1] == 2  # + traced ends
        assert float(p.members[:, 1].max() - p.members[:, 1].min()) > 3.0  # spans the box along the line
        assert p.index == (1 if abs(float(p.location[0])) < 0.5 else 0)  # x = 0 is a ridge, x = +-1 are valleys
    assert result.counts["degenerate"] == 3


def test_circle_of_minima_is_one_curved_continuum():
    result = find_critical_points(lambda p: ((p**2).sum(1) - 1) ** 2, BIG, seed=0)
    assert result.counts == {"minimum": 0, "maximum": 1, "saddle": 0, "degenerate": 1}
    [ring] = [p for p in result.points if p.continuum]
    radii = torch.linalg.vector_norm(ring.members, dim=1)
    torch.testing.assert_close(radii, torch.ones_like(radii), atol=1e-8, rtol=0)
    angles = torch.atan2(ring.members[:, 1], ring.members[:, 0])
    assert ring.n_merged > 100 and float(angles.max() - angles.min()) > 6.0  # all the way round
    tangent = torch.stack([-ring.location[1], ring.location[0]])
    assert abs(float(ring.null_directions[0] @ tangent)) == pytest.approx(1.0, abs=1e-6)


def test_degenerate_line_fixture_of_theory():
    model = DegenerateLine()
    result = find_critical_points(model, BIG, seed=0)
    [cp] = result.points
    assert cp.continuum and cp.kind == "degenerate"
    assert abs(float(cp.location[0])) < 1e-9
    assert abs(float(cp.null_directions[0, 1])) == pytest.approx(1.0, abs=1e-8)
    # oracle: central differences vanish all along x1 = 0, and not off the line
    f = lambda p: model(p)
    for y in (-1.7, -0.3, 0.9, 1.8):
        assert fd_grad(f, torch.tensor([0.0, y], dtype=F64)).abs().max() < 1e-9
    assert fd_grad(f, torch.tensor([0.2, 0.0], dtype=F64)).abs().max() > 1e-2


def test_bounded_basin_fixture_of_theory():
    model = BoundedBasin()
    result = find_critical_points(model, BIG, seed=0)
    assert result.counts == {"minimum": 1, "maximum": 0, "saddle": 3, "degenerate": 0}
    [minimum] = [p for p in result.points if p.kind == "minimum"]
    assert minimum.location.abs().max() < 1e-6  # float32 weights: cos(90 deg) ~ -4e-8 moves it off 0
    assert minimum.value == pytest.approx(-2.285, abs=1e-3)  # THEORY.md 4.3
    hess = fd_hessian(lambda p: model(p), minimum.location)
    torch.testing.assert_close(minimum.eigenvalues, torch.linalg.eigvalsh(hess), atol=1e-4, rtol=1e-5)
    assert model.w.dtype == torch.float32  # the caller's model is untouched
    for p in result.points:
        if p.kind == "saddle":
            assert winding_number(model, p.location, 0.05) == -1
    assert winding_number(model, (0.0, 0.0), 0.25) == 1


def test_no_critical_points_for_full_rank_221():
    result = find_critical_points(no_critical_221, BIG, seed=0)
    assert result.points == [] and not result.flat
    assert result.summary().startswith("no critical points")


def test_constant_function_is_flat():
    result = find_critical_points(lambda p: torch.zeros(len(p), dtype=p.dtype), SQUARE)
    assert result.flat and result.points == []
    assert "constant" in result.summary()


def test_one_dimensional_double_well():
    result = find_critical_points(lambda p: p[:, 0] ** 4 - p[:, 0] ** 2, ((-2.0, 2.0),), seed=0)
    kinds = [(round(float(p.location[0]), 8), p.kind) for p in result.points]
    r = round(1 / math.sqrt(2), 8)
    assert kinds == [(-r, "minimum"), (0.0, "maximum"), (r, "minimum")]
    eig = [float(p.eigenvalues[0]) for p in result.points]
    assert eig == pytest.approx([4.0, -2.0, 4.0], abs=1e-8)  # f'' = 12 x^2 - 2


def test_three_dimensional_saddle_and_line():
    result = find_critical_points(lambda p: p[:, 0] ** 2 - p[:, 1] ** 2 + p[:, 2] ** 2, ((-1.0, 1.0),) * 3)
    [cp] = result.points
    assert cp.kind == "saddle" and cp.index == 1
    line = find_critical_points(lambda p: p[:, 0] ** 2 + p[:, 1] ** 2, ((-1.0, 1.0),) * 3, n_starts=64)
    [cont] = line.points
    assert cont.continuum and cont.index == 0
    assert abs(float(cont.null_directions[0, 2])) == pytest.approx(1.0, abs=1e-8)  # the z axis


def test_plane_of_critical_points_in_3d_has_two_null_directions():
    [plane] = find_critical_points(lambda p: p[:, 0] ** 2, ((-1.0, 1.0),) * 3, n_starts=64).points
    assert plane.continuum and plane.null_directions.shape == (2, 3)
    assert plane.null_directions[:, 0].abs().max() < 1e-8  # both null directions lie in the plane x = 0


@pytest.mark.parametrize("depth", [2, 4, 6, 8])
def test_random_width2_tanh_mlps_have_no_critical_points(depth):
    for seed in range(3):
        f, _ = random_mlp(depth, 3.0, seed)
        result = find_critical_points(f, BIG, seed=seed, n_starts=128)
        assert result.points == [], (depth, seed, result.summary())


def random_model(depth: int, scale: float, seed: int):
    """`random_mlp` with the same weights as a morsenet MLP (so the search sees its layer chain)."""
    gen = torch.Generator().manual_seed(seed)
    widths = [2] + [2] * depth + [1]
    maps = [
        (
            torch.randn(b, a, generator=gen, dtype=F64) * scale / math.sqrt(a),
            torch.randn(b, generator=gen, dtype=F64) * scale,
        )
        for a, b in zip(widths[:-1], widths[1:])
    ]
    model = MLP(widths, "tanh", False)
    with torch.no_grad():
        for lin, (w, b) in zip([*model.hidden_layers, model.readout], maps):
            lin.weight.copy_(w.float())
            lin.bias.copy_(b.float())
    return model


@pytest.mark.parametrize("depth", [3, 5, 7])
def test_heavily_saturated_width2_morsenet_mlps_have_no_critical_points_without_a_cutoff(depth):
    # Exact sech^2 slopes: a saturated tail keeps its true (tiny, resolved) gradient, so no pre-activation
    # cutoff is needed (the old default cutoff 12 let a point with max |z| = 11.97 through).
    for seed in range(2):
        model = random_model(depth, 8.0, seed)
        result = find_critical_points(model, BIG, seed=seed, n_starts=64, cells=CellSettings(per_axis=3))
        assert result.points == [], (depth, seed, result.summary())
        # what float64 cannot resolve is listed apart, with a Jacobian product below float64 resolution
        assert all(p.product_sigma_min_log10 < math.log10(64 * 2.3e-16) for p in result.numerically_degenerate)


def test_large_weight_depth5_width2_nets_give_no_critical_point():
    # The false positive: depth 5, weights x 8, well-conditioned; more seeds than above.
    for seed in range(3, 7):
        result = find_critical_points(
            random_model(5, 8.0, seed), BIG, seed=0, n_starts=32, cells=CellSettings(per_axis=3)
        )
        assert result.points == [], (seed, result.summary())


def test_preactivation_bound_is_opt_in_for_plain_callables():
    # Scale 8 saturates a first-layer neuron (|z| ~ 15): autograd's 1 - tanh^2 has no relative accuracy there,
    # so a plain callable shows a fake critical continuum; an explicit bound on the pre-activations removes it,
    # and the same weights as a morsenet MLP need no bound (exact slopes).
    f, pre = random_mlp(4, 8.0, 5)
    blind = find_critical_points(f, BIG, seed=5, n_starts=128)
    assert blind.points and all(p.degenerate for p in blind.points)
    seeing = find_critical_points(f, BIG, seed=5, n_starts=128, preactivations=pre, preactivation_bound=12.0)
    assert seeing.n_rejected > 0 and all(p.max_preactivation <= 12.0 for p in seeing.points)
    assert float(pre(blind.points[0].location[None]).abs().max()) > 12
    assert find_critical_points(random_model(4, 8.0, 5), BIG, seed=5, n_starts=128).points == []


def _set_mlp(widths, weights):
    """A morsenet tanh MLP with hand-set (W, b) for every layer, read-out last."""
    model = MLP(widths, "tanh", False)
    with torch.no_grad():
        for lin, (w, b) in zip([*model.hidden_layers, model.readout], weights):
            lin.weight.copy_(torch.as_tensor(w, dtype=torch.float32))
            lin.bias.copy_(torch.as_tensor(b, dtype=torch.float32))
    return model


def nearly_rank_deficient_ridge(k=6, delta=0.01, s=4.0):
    """[2, 2 x (k+1), 1], full rank (condition numbers 1/delta and ~s): k layers diag(1, delta), then the fold
    tanh(s t + eta + 1) - tanh(s t - eta - 1) of h = (t, eta). T1 allows no critical point, but on the ridge
    x1 = 0 the gradient is (0, 2 sech^2(1 + eta_k) prod_l delta sech^2(delta eta_{l-1})) ~ 0.84 delta^k: tiny,
    resolved in float64, and far below the Hessian-relative tolerance (|Hessian| ~ 1.3 s^2)."""
    diag = ([[1.0, 0.0], [0.0, delta]], [0.0, 0.0])
    fold = ([[s, 1.0], [s, -1.0]], [1.0, -1.0])
    return _set_mlp([2] + [2] * (k + 1) + [1], [diag] * k + [fold, ([[1.0, -1.0]], [0.0])])


def test_nearly_rank_deficient_mlp_has_no_fake_continuum():
    # Regression: sweep `default`, mlp_w2_d15 seed 43 (smallest folded singular value 0.0069) reported a
    # continuum where |grad f| ~ 1.2e-12 (exact, 60 digits) is ~50 times its rounding floor.
    k, delta = 6, 0.01
    model = nearly_rank_deficient_ridge(k, delta)
    assert predict(model).cls == "none"
    # the exact gradient on the ridge is nonzero and float64 autograd resolves it
    for y in (-1.5, 0.0, 0.5, 1.7):
        eta, prod = y, 1.0
        for _ in range(k):
            prod *= delta / math.cosh(delta * eta) ** 2
            eta = math.tanh(delta * eta)
        exact = 2 / math.cosh(1 + eta) ** 2 * prod
        assert 5e-13 < exact < 1e-12
        x = torch.tensor([[0.0, y]], dtype=F64, requires_grad=True)
        (g,) = torch.autograd.grad(copy.deepcopy(model).double()(x).sum(), x)
        assert float(g[0, 0]) == 0.0 and float(g[0, 1]) == pytest.approx(exact, rel=1e-9)
    result = find_critical_points(model, BIG, seed=0, n_starts=64)
    assert result.points == [] and result.n_rejected > 0, result.summary()
    assert find_critical_points(model, BIG, seed=0, n_starts=16).points == []
    # a plain callable hides the layers, so only the Hessian-relative tolerance applies and it is fooled
    as_callable = copy.deepcopy(model).double()
    blind = find_critical_points(lambda p: as_callable(p), BIG, seed=0, n_starts=64)
    assert [p.kind for p in blind.points] == ["degenerate"] and blind.points[0].continuum
    assert abs(float(blind.points[0].location[0])) < 1e-9


def _deep_bump(depth, seed):
    """[2, 2 x depth, 1, 2, 1]: a random width-2 front, a width-1 neuron s, then tanh(s + 1) - tanh(s - 1),
    which is even in s: a genuine curve of degenerate critical points {s = 0} seen through a deep net."""
    gen = torch.Generator().manual_seed(seed)
    front = [
        (torch.randn(2, 2, generator=gen) * 1.5 / math.sqrt(2), torch.randn(2, generator=gen) * 0.3)
        for _ in range(depth)
    ]
    neck = (torch.randn(1, 2, generator=gen), torch.randn(1, generator=gen) * 0.1)
    tail = [([[1.0], [1.0]], [1.0, -1.0]), ([[1.0, -1.0]], [0.0])]
    return _set_mlp([2] + [2] * depth + [1, 2, 1], front + [neck] + tail)


@pytest.mark.parametrize(
    ("make", "counts", "n_continua"),
    [
        (
            lambda: _set_mlp([2, 3, 1], [(BoundedBasin().w.detach(), [-1.0] * 3), ([[1.0, 1.0, 1.0]], [0.0])]),
            {"minimum": 1, "maximum": 0, "saddle": 3, "degenerate": 0},
            0,
        ),
        (
            lambda: _set_mlp(
                [2, 1, 2, 1], [([[1.0, 0.0]], [0.0]), ([[1.0], [1.0]], [1.0, -1.0]), ([[1.0, -1.0]], [0.0])]
            ),
            {"minimum": 0, "maximum": 0, "saddle": 0, "degenerate": 1},
            1,
        ),
        (lambda: _deep_bump(10, 1), {"minimum": 0, "maximum": 0, "saddle": 0, "degenerate": 1}, 1),
    ],
)
def test_rounding_floor_keeps_real_critical_points_of_morsenet_models(make, counts, n_continua):
    # THEORY.md 4.3 fixtures built as morsenet MLPs (so the rounding-floor check applies), and a real
    # continuum behind 10 generic layers: every real critical point survives.
    model = make()
    assert _gradient_floor_fn(model) is not None
    result = find_critical_points(model, BIG, seed=0, n_starts=64)
    assert result.counts == counts and result.n_continua == n_continua, result.summary()


def test_gradient_floor_bounds_the_gradient_and_needs_a_morsenet_model():
    x = torch.rand(32, 2, generator=torch.Generator().manual_seed(0), dtype=F64) * 4 - 2
    for model in (
        MLP([2, 3, 2, 1], "tanh", True, seed=1),
        ResNet(2, 2, 4, skip=1.0, residual=0.5, seed=2),
        ResNet(2, 2, 3, input_layer=False, batchnorm=True, seed=3),
    ):
        floor = _gradient_floor_fn(model.eval())(x)
        xg = x.clone().requires_grad_(True)
        (g,) = torch.autograd.grad(copy.deepcopy(model).double().eval()(xg).sum(), xg)
        # each term of the floor is eps times a product of norms that bounds |grad f|
        assert bool((floor >= torch.finfo(F64).eps * torch.linalg.vector_norm(g, dim=1)).all())
        assert bool(torch.isfinite(floor).all())
    assert _gradient_floor_fn(paraboloid) is None and _gradient_floor_fn(BoundedBasin()) is None


def test_deep_width2_mlp_search_is_batched():
    """The search evaluates all starts together: 16x more starts cost (almost) no more calls of the field.

    (Counting calls instead of timing them: a timed test fails under load; wall time is for benchmarks/.)
    """
    f, _ = random_mlp(15, 1.0, 0)
    calls = {"n": 0, "points": 0}

    def counted(x):
        calls["n"] += 1
        calls["points"] += len(x)
        return f(x)

    few = find_critical_points(counted, BIG, n_starts=16, seed=0)
    n_few, calls["n"] = calls["n"], 0
    result = find_critical_points(counted, BIG, n_starts=256, seed=0)
    assert result.points == [] and few.points == []
    assert calls["n"] <= 2 * n_few + 20, (calls["n"], n_few)
    assert calls["points"] >= 256  # every start was evaluated


def test_deterministic_given_seed_and_generator_accepted():
    a = find_critical_points(BoundedBasin(), BIG, seed=3, n_starts=64)
    b = find_critical_points(BoundedBasin(), BIG, seed=3, n_starts=64)
    assert a.to_dict() == b.to_dict()
    c = find_critical_points(BoundedBasin(), BIG, seed=torch.Generator().manual_seed(3), n_starts=64)
    assert [p.kind for p in c.points] == [p.kind for p in a.points] and c.seed is None


def test_to_dict_is_json():
    d = find_critical_points(double_well_lines, BIG, n_starts=64).to_dict()
    assert json.loads(json.dumps(d)) == d
    assert d["n_continua"] == 3 and "extent" in d["points"][0]
    assert [p["critical_set"] for p in d["points"]] == ["line"] * 3 and "continuum" not in d["points"][0]
    assert d["points"][0]["morse_index"] == 0 and len(d["points"][0]["hessian_eigenvalues"]) == 2


def test_output_of_shape_n_by_1_is_accepted():
    [cp] = find_critical_points(lambda p: paraboloid(p)[:, None], SQUARE, n_starts=16).points
    assert cp.kind == "minimum"


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(box=((1.0, -1.0), (0.0, 1.0))), "finite lo < hi"),
        (dict(box="square"), r"sequence of \(lo, hi\) pairs"),
        (dict(box=((-1, 1),) * 4), "1, 2 or 3"),
        (dict(box=SQUARE, n_starts=0), "n_starts must be a positive integer"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(MorsenetError, match=match):
        find_critical_points(paraboloid, **kwargs)


def test_wrong_output_shape_is_reported():
    with pytest.raises(MorsenetError, match=r"values of shape \(n,\)"):
        find_critical_points(lambda p: p, SQUARE)


@pytest.mark.parametrize(
    ("f", "center", "expected"),
    [
        (paraboloid, (0.0, 0.0), 1),
        (lambda p: -paraboloid(p), (0.0, 0.0), 1),
        (saddle, (0.0, 0.0), -1),
        (saddle, (0.95, 0.0), -1),  # the critical point sits just inside the circle: fast turning, refined
        (monkey, (0.0, 0.0), -2),
        (paraboloid, (3.0, 0.0), 0),
        (no_critical_221, (0.0, 0.0), 0),
    ],
)
def test_winding_numbers(f, center, expected):
    assert winding_number(f, center, 1.0, n=8) == expected


def test_winding_number_undefined_when_the_gradient_vanishes_on_the_circle():
    with pytest.raises(MorsenetError, match="gradient"):
        winding_number(DegenerateLine(), (0.0, 0.0), 1.0)
    with pytest.raises(MorsenetError, match="radius"):
        winding_number(paraboloid, (0.0, 0.0), -1.0)


@pytest.mark.parametrize("n_starts", [32, 256])
def test_bottleneck_critical_line_is_one_entry_with_its_extent_and_null_direction(n_starts):
    # [2,1,2,1]: s = x1 + 0.5 x2 + 0.2, Phi = tanh(tanh(s) + 1) - tanh(tanh(s) - 1) is even in s, so the whole
    # line s = 0 is critical; in [-2, 2]^2 it runs from (-1.2, 2) to (0.8, -2), length sqrt(20)
    model = _set_mlp([2, 1, 2, 1], [([[1.0, 0.5]], [0.2]), ([[1.0], [1.0]], [1.0, -1.0]), ([[1.0, -1.0]], [0.0])])
    r = find_critical_points(model, BIG, n_starts=n_starts, seed=1)
    [line] = r.points
    assert line.kind == "degenerate" and line.continuum and r.counts["degenerate"] == 1
    assert line.length == pytest.approx(math.sqrt(20), rel=1e-6)
    ends = sorted(tuple(round(v, 6) for v in e.tolist()) for e in line.endpoints)
    assert ends == [(-1.2, 2.0), (0.8, -2.0)]
    u = line.null_directions[0]
    assert abs(float(u @ torch.tensor([1.0, 0.5], dtype=F64))) < 1e-8  # along the line
    assert float((line.members @ torch.tensor([1.0, 0.5], dtype=F64) + 0.2).abs().max()) < 1e-8
    assert r.completeness == "lower_bound" and all("continuum" in c.reason for c in r.unresolved_cells)
    assert "isolated" not in r.summary()
