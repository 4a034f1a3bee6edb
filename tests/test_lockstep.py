"""Tests for morsenet.analysis._lockstep: stacked chains and analyses of several models run in lockstep."""

from __future__ import annotations

import pytest
import torch

from morsenet.analysis import find_critical_points, tunnel_analysis
from morsenet.analysis._exact_field import layer_chain
from morsenet.analysis._lockstep import Lockstep, StackedChain, run_lockstep
from morsenet.analysis._scalar_field import preactivation_fn
from morsenet.errors import MorsenetError
from morsenet.models import MLP, ResNet, inject_critical_point

F64 = torch.float64
BOX = ((-1.5, 1.5), (-1.5, 1.5))


def _points(n: int, seed: int) -> torch.Tensor:
    return torch.rand(n, 2, generator=torch.Generator().manual_seed(seed), dtype=F64) * 3 - 1.5


@pytest.mark.parametrize(
    "make",
    [
        lambda s: MLP([2, 3, 2, 1], "tanh", True, seed=s),
        lambda s: ResNet(2, 2, 4, skip=1.0, residual=0.5, seed=s),
        lambda s: MLP([2, 4, 4, 1], "relu", False, seed=s),
        lambda s: MLP([2, 3, 1], "softplus", False, seed=s),
    ],
)
def test_a_stack_gives_each_point_the_numbers_of_its_own_chain(make):
    chains = [layer_chain(make(s).eval()) for s in range(3)]
    stack = StackedChain(chains)
    xs = [_points(n, seed=n) for n in (5, 1, 7)]
    which = torch.cat([torch.full((len(x),), m) for m, x in enumerate(xs)])
    v, g, h = stack.derivatives(which, torch.cat(xs))
    values = stack.values(which, torch.cat(xs))
    for m, (part, x) in enumerate(zip(torch.cat(xs).split([5, 1, 7]), xs)):
        v0, g0, h0 = chains[m].derivatives(x)
        sl = which == m
        # equal to rounding: a vectorised elementwise kernel may round a point differently from its scalar tail
        for got, want in ((v[sl], v0), (g[sl], g0), (h[sl], h0), (values[sl], chains[m](x))):
            torch.testing.assert_close(got, want, rtol=1e-14, atol=1e-14 * float(want.abs().max()))
    # and the chain's values are the model's own function (to rounding)
    model = make(0).eval().double()
    torch.testing.assert_close(chains[0](xs[0]), model(xs[0]).reshape(-1), rtol=1e-12, atol=1e-12)


def test_a_stack_refuses_chains_of_different_architectures():
    a = layer_chain(MLP([2, 3, 1], "tanh", False, seed=0))
    b = layer_chain(MLP([2, 2, 1], "tanh", False, seed=0))
    c = layer_chain(MLP([2, 3, 1], "sigmoid", False, seed=0))
    with pytest.raises(MorsenetError, match="architecture"):
        StackedChain([a, b])
    with pytest.raises(MorsenetError, match="architecture"):
        StackedChain([a, c])


def _injected(seed: int, x0: tuple[float, float]) -> ResNet:
    model = ResNet(2, 2, 4, skip=1.0, residual=0.5, seed=seed)
    inject_critical_point(model, x0, 2)
    return model.eval()


def test_critical_point_searches_in_lockstep_equal_the_searches_alone_and_find_the_injected_points():
    centres = [(0.3, -0.2), (-0.5, 0.4), (0.0, 0.9), (0.7, 0.1)]
    models = [_injected(s, x0) for s, x0 in enumerate(centres)] + [MLP([2, 2, 2, 1], "tanh", False, seed=9).eval()]
    chains = [layer_chain(m) for m in models[:4]]  # one architecture: the injected ResNets
    alone = [find_critical_points(m, BOX, n_starts=16, seed=0) for m in models[:4]]
    together, passes = run_lockstep(
        chains,
        lambda m, f: find_critical_points(f, BOX, n_starts=16, seed=0, preactivations=preactivation_fn(models[m])),
    )
    for a, b, x0 in zip(alone, together, centres):
        assert not isinstance(b, Exception)
        assert [p.kind for p in a.points] == [p.kind for p in b.points]
        assert all(torch.allclose(p.location, q.location, rtol=0, atol=1e-10) for p, q in zip(a.points, b.points))
        assert (a.completeness, a.n_cells, a.n_converged) == (b.completeness, b.n_cells, b.n_converged)
        assert [p.max_preactivation for p in a.points] == pytest.approx([p.max_preactivation for p in b.points])
        # the injected critical point is among those found, at x0
        assert min(float(torch.linalg.vector_norm(p.location - torch.tensor(x0, dtype=F64))) for p in b.points) < 1e-6
    # far fewer stacked passes than the evaluations the searches made one by one
    assert 0 < passes


def test_tunnel_tests_in_lockstep_equal_the_tests_alone():
    models = [MLP([2, 2, 2, 1], "tanh", True, seed=s).eval() for s in range(3)]
    chains = [layer_chain(m) for m in models]
    kwargs = dict(inner_radius=0.3, ring=(0.5, 1.0), resolution=33, n_radii=12, n_angles=64, k_minima=4)
    alone = [tunnel_analysis(c, BOX, **kwargs) for c in chains]
    together, _ = run_lockstep(chains, lambda m, f: tunnel_analysis(f, BOX, **kwargs))
    for a, b in zip(alone, together):
        assert not isinstance(b, Exception)
        assert (a.status, a.narrowest_width, a.thin, a.ring_area_fraction_class0) == (
            b.status,
            b.narrowest_width,
            b.thin,
            b.ring_area_fraction_class0,
        )


def test_a_failing_analysis_is_its_own_result_and_the_others_finish():
    chains = [layer_chain(MLP([2, 3, 1], "tanh", False, seed=s).eval()) for s in range(4)]
    x = _points(6, seed=1)

    def job(m, f):
        if m == 1:
            raise ValueError("before asking")
        v = f(x)
        if m == 2:
            raise RuntimeError("after one evaluation")
        for _ in range(m):  # different numbers of evaluations per analysis
            v = v + f.derivatives(x)[0]
        return v

    results, passes = run_lockstep(chains, job)
    assert isinstance(results[1], ValueError) and isinstance(results[2], RuntimeError)
    torch.testing.assert_close(results[0], chains[0](x), rtol=0, atol=0)
    expected = chains[3](x)
    for _ in range(3):
        expected = expected + chains[3](x)
    assert torch.equal(results[3], expected)
    assert passes == 4  # the values of 0, 2, 3 together; then model 3's three derivative calls alone


def test_an_evaluation_that_fails_is_raised_in_the_analysis_that_asked():
    chains = [layer_chain(MLP([2, 3, 1], "tanh", False, seed=s).eval()) for s in range(2)]
    lock = Lockstep(chains)
    bad = torch.zeros(3, 5, dtype=F64)  # 5 inputs for a 2-input chain

    good = _points(2, seed=0)
    results = lock.run([lambda f: f(bad), lambda f: f(good)])
    assert isinstance(results[0], RuntimeError)  # the stacked pass failed: each was answered alone
    assert torch.equal(results[1], chains[1](good))
    with pytest.raises(MorsenetError, match="3 jobs for 2 models"):
        lock.run([lambda f: None] * 3)
