"""Tests for morsenet.analysis._exact_field: stable slopes, chain derivatives, rounding floor, Jacobian products."""

from __future__ import annotations

import copy
import math

import mpmath
import pytest
import torch

from morsenet.analysis._exact_field import (
    gradient_floor,
    layer_chain,
    product_spectrum,
    sech2,
    sigmoid_slope,
)
from morsenet.analysis._scalar_field import derivatives
from morsenet.models import MLP, ResNet

F64 = torch.float64


def test_sech2_and_sigmoid_slope_are_accurate_in_relative_terms_deep_in_the_tails():
    mpmath.mp.dps = 50
    for z in (0.0, 0.3, -2.0, 19.5, -40.0, 300.0):
        exact = float(1 / mpmath.cosh(mpmath.mpf(z)) ** 2)
        got = float(sech2(torch.tensor(z, dtype=F64)))
        assert got == pytest.approx(exact, rel=1e-13), z
        exact_s = float(mpmath.exp(-abs(mpmath.mpf(z))) / (1 + mpmath.exp(-abs(mpmath.mpf(z)))) ** 2)
        assert float(sigmoid_slope(torch.tensor(z, dtype=F64))) == pytest.approx(exact_s, rel=1e-13)
    # autograd's 1 - tanh^2 is exactly 0 at z = 20: the reason a saturated tail looked critical
    z = torch.tensor(20.0, dtype=F64, requires_grad=True)
    (g,) = torch.autograd.grad(torch.tanh(z), z)
    assert float(g) == 0.0 and float(sech2(z.detach())) > 1e-18


@pytest.mark.parametrize(
    "make",
    [
        lambda: MLP([2, 3, 2, 1], "tanh", True, seed=1),
        lambda: ResNet(2, 2, 4, skip=1.0, residual=0.5, seed=2),
        lambda: MLP([2, 3, 1], "sigmoid", False, seed=4),
        lambda: MLP([2, 3, 1], "softplus", False, seed=5),
    ],
)
def test_chain_derivatives_match_autograd_of_the_model(make):
    model = make().eval()
    chain = layer_chain(model)
    x = torch.rand(40, 2, generator=torch.Generator().manual_seed(0), dtype=F64) * 4 - 2
    v1, g1, h1 = chain.derivatives(x)
    double = copy.deepcopy(model).double()
    v0, g0, h0 = derivatives(lambda p: double(p), x)
    torch.testing.assert_close(v1, v0, atol=1e-12, rtol=1e-12)
    torch.testing.assert_close(g1, g0, atol=1e-12 * float(g0.abs().max()), rtol=1e-10)
    torch.testing.assert_close(h1, h0, atol=1e-11 * float(h0.abs().max()), rtol=1e-9)
    # the autograd path of the chain itself (the custom stable tanh) agrees too
    _, g2, _ = derivatives(lambda p: chain(p), x, hessian=False)
    torch.testing.assert_close(g2, g0, atol=1e-12 * float(g0.abs().max()), rtol=1e-10)


def _mp_gradient(chain, x):
    """60-digit gradient of a plain tanh chain (no skips), an oracle independent of torch."""
    mpmath.mp.dps = 60
    h = [mpmath.mpf(float(v)) for v in x]
    jac = mpmath.eye(len(h))
    for s in chain.steps:
        w, b = s.weight.tolist(), s.bias.tolist()
        z = [sum(mpmath.mpf(w[i][j]) * h[j] for j in range(len(h))) + mpmath.mpf(b[i]) for i in range(len(w))]
        a = mpmath.matrix(
            [[mpmath.mpf(w[i][j]) / mpmath.cosh(z[i]) ** 2 for j in range(len(h))] for i in range(len(w))]
        )
        jac = a * jac
        h = [mpmath.tanh(v) for v in z]
    g = mpmath.matrix([chain.w_out.tolist()]) * jac
    return [float(g[0, j]) for j in range(g.cols)], jac


def test_saturated_gradient_is_resolved_and_the_floor_bounds_its_error():
    gen = torch.Generator().manual_seed(1)
    model = MLP([2, 2, 2, 2, 2, 2, 1], "tanh", False)
    with torch.no_grad():
        for lin in [*model.hidden_layers, model.readout]:
            lin.weight.copy_(torch.randn(lin.weight.shape, generator=gen) * 8 / math.sqrt(2))
            lin.bias.copy_(torch.randn(lin.bias.shape, generator=gen) * 8)
    chain = layer_chain(model)
    x = torch.rand(6, 2, generator=gen, dtype=F64) * 4 - 2
    _, g, _ = chain.derivatives(x, hessian=False)
    floor = gradient_floor(chain, x)
    for i in range(len(x)):
        exact, _ = _mp_gradient(chain, x[i])
        err = math.hypot(*(float(g[i, j]) - exact[j] for j in range(2)))
        assert err <= float(floor[i]), (i, err, float(floor[i]))
        # tiny gradients are resolved to a few digits at least where they are far above the floor
        if math.hypot(*exact) > 1e3 * float(floor[i]):
            assert float(torch.linalg.vector_norm(g[i])) == pytest.approx(math.hypot(*exact), rel=1e-6)


def test_product_spectrum_matches_the_direct_svd_and_survives_underflow():
    model = MLP([2, 3, 2, 2, 1], "tanh", True, seed=7).eval()
    chain = layer_chain(model)
    x = torch.rand(5, 2, generator=torch.Generator().manual_seed(2), dtype=F64)
    spec = product_spectrum(chain, x)
    jacs, _, _ = chain.layer_jacobians(x)
    p = jacs[0]
    for a in jacs[1:]:
        p = a @ p
    sv = torch.linalg.svdvals(p)
    torch.testing.assert_close(spec.log_sigma_max, sv[:, 0].log(), atol=1e-10, rtol=0)
    torch.testing.assert_close(spec.log_sigma_min, sv[:, -1].log(), atol=1e-8, rtol=0)
    assert bool(spec.layers_full_rank.all()) and not bool(spec.below_resolution.any())
    # 200 layers diag(0.1, 0.01): the product (1e-200, 1e-400) underflows, its logs do not
    deep = MLP([2] * 201 + [1], "identity", False)
    with torch.no_grad():
        for lin in deep.hidden_layers:
            lin.weight.copy_(torch.tensor([[0.1, 0.0], [0.0, 0.01]]))
            lin.bias.zero_()
    spec = product_spectrum(layer_chain(deep), torch.zeros(1, 2, dtype=F64))
    assert float(spec.log_sigma_max[0]) / math.log(10) == pytest.approx(
        -200, abs=1e-4
    )  # float32 weights: 0.1 is 0.1 + 1.5e-9
    assert float(spec.log_sigma_min[0]) / math.log(10) == pytest.approx(-400, abs=1e-4)
    assert bool(spec.below_resolution[0]) and bool(spec.layers_full_rank[0])


def test_no_chain_no_exact_field():
    assert layer_chain(lambda p: p.sum(dim=1)) is None
