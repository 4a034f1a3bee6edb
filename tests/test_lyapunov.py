"""Finite-time Lyapunov exponents against closed forms, finite differences and the neighbour-separation estimate."""

import math

import pytest
import torch

from morsenet.analysis._lyapunov import LyapunovMap, lyapunov_exponents, lyapunov_map, separation_exponents
from morsenet.errors import MorsenetError
from morsenet.models import MLP, NeuralODE, ResNet

F64 = torch.float64
BOX = ((-1.0, 1.0), (-1.0, 1.0))
A = torch.tensor([[-0.5, 2.0], [0.0, -1.0]], dtype=F64)  # non-normal: transient growth, top eigenvalue -0.5


def _points(n=6, seed=0):
    return torch.randn(n, 2, generator=torch.Generator().manual_seed(seed), dtype=F64)


def _circle_directions(k=64):
    t = torch.arange(k, dtype=F64) * (2 * math.pi / k)
    return torch.stack([torch.cos(t), torch.sin(t)], dim=1)


def _linear_node(T, steps):
    """A hand-set neural ODE whose vector field is linear: 'inside' field W act(h) + b, identity activation,
    W = A, b = 0, identity lift: its flow is exp(t A)."""
    model = NeuralODE(2, 2, T=T, steps=steps, pieces=1, vector_field="inside", activation="identity").double()
    with torch.no_grad():
        model.field_weight[0].copy_(A)
        model.field_bias.zero_()
        model.lift_layer.weight.copy_(torch.eye(2, dtype=F64))
        model.lift_layer.bias.zero_()
    return model


def test_linear_flow_exponent_is_its_closed_form_and_tends_to_the_top_eigenvalue():
    x = _points(4)
    errors = []
    for T in (2.0, 10.0, 40.0):
        model = _linear_node(T, int(10 * T))
        ftle = lyapunov_exponents(model, x)
        exact = math.log(float(torch.linalg.svdvals(torch.linalg.matrix_exp(T * A))[0])) / T
        torch.testing.assert_close(ftle, torch.full_like(ftle, exact), rtol=0, atol=1e-6)  # RK4, dt = 0.1
        errors.append(abs(float(ftle[0]) - (-0.5)))
    # the limit: the real part of the top eigenvalue, approached like log(C) / T
    assert errors[0] > errors[1] > errors[2] and errors[2] < 0.05
    # the same on the flow as a plain callable
    T = 40.0
    ftle = lyapunov_exponents(lambda h: h @ torch.linalg.matrix_exp(T * A).T, x, T=T)
    assert abs(float(ftle.mean()) + 0.5) < 0.05


def _closed_form_flow(T):
    """x' = x, y' = -y + x^2: x = x0 e^t, y = (y0 - x0^2/3) e^-t + x0^2/3 e^2t."""

    def phi(p):
        x0, y0 = p[:, 0], p[:, 1]
        return torch.stack([x0 * math.exp(T), (y0 - x0**2 / 3) * math.exp(-T) + x0**2 / 3 * math.exp(2 * T)], 1)

    def jac(p):
        x0 = p[:, 0]
        j = torch.zeros(len(p), 2, 2, dtype=F64)
        j[:, 0, 0] = math.exp(T)
        j[:, 1, 0] = 2 * x0 / 3 * (math.exp(2 * T) - math.exp(-T))
        j[:, 1, 1] = math.exp(-T)
        return j

    return phi, jac


def test_hand_built_flow_against_its_closed_form_and_the_separation_estimate():
    T = 1.5
    phi, jac = _closed_form_flow(T)
    x = _points(8)
    ftle = lyapunov_exponents(phi, x, T=T)
    exact = torch.log(torch.linalg.svdvals(jac(x))[:, 0]) / T
    torch.testing.assert_close(ftle, exact, rtol=1e-12, atol=1e-12)
    # neighbours on 64 directions of a circle: within log(cos(pi/64)) / T below, never above
    sep = separation_exponents(phi, x, T=T, delta=1e-7, directions=_circle_directions())
    gap = ftle - sep
    assert bool((gap > -1e-5).all()) and bool((gap < -math.log(math.cos(math.pi / 64)) / T + 1e-5).all())
    # random directions (seeded): a lower estimate that tightens with more of them
    few = separation_exponents(phi, x, T=T, directions=4, seed=1)
    many = separation_exponents(phi, x, T=T, directions=400, seed=1)
    assert bool((few <= ftle + 1e-5).all()) and float((ftle - many).abs().max()) < 5e-3


def test_neural_ode_exponent_against_separation_and_finite_differences():
    model = NeuralODE(2, 2, T=2.0, steps=10, pieces=2, seed=0).double()
    x = _points(6)
    ftle = lyapunov_exponents(model, x)
    sep = separation_exponents(model, x, directions=_circle_directions(), delta=1e-6)
    assert float((ftle - sep).abs().max()) < -math.log(math.cos(math.pi / 64)) / 2.0 + 1e-5
    lifted = x @ model.lift_layer.weight.detach().T + model.lift_layer.bias.detach()
    eps, cols = 1e-6, []
    for i in range(2):
        e = torch.zeros(2, dtype=F64)
        e[i] = eps
        cols.append((model.flow(lifted + e) - model.flow(lifted - e)) / (2 * eps))
    fd = torch.log(torch.linalg.svdvals(torch.stack(cols, -1))[:, 0]) / 2.0
    torch.testing.assert_close(ftle, fd, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize(
    "model", [MLP([2, 3, 3, 2, 1], seed=2).double(), ResNet(2, 2, 4, skip=1.0, residual=0.5, seed=3).double()],
    ids=["mlp", "resnet"],
)  # fmt: skip
def test_depth_exponent_against_finite_differences_and_separation(model):
    x = _points(6)
    n = model.n_layers
    for k in (1, n):
        depth = lyapunov_exponents(model, x, layers=(1, k))
        eps, cols = 1e-6, []
        for i in range(2):
            e = torch.zeros(2, dtype=F64)
            e[i] = eps
            cols.append((model.hidden(x + e, k) - model.hidden(x - e, k)) / (2 * eps))
        fd = torch.log(torch.linalg.svdvals(torch.stack(cols, -1))[:, 0]) / k
        torch.testing.assert_close(depth, fd, rtol=1e-6, atol=1e-8)
    # layers 2..n start from the state entering layer 2 (width 3 for the MLP): random directions, many of them
    inner = lyapunov_exponents(model, x, layers=(2, n))
    sep = separation_exponents(model, x, layers=(2, n), directions=2000, seed=0)
    assert bool((sep <= inner + 1e-6).all()) and float((inner - sep).max()) < 0.02


def test_lyapunov_map_and_errors():
    model = ResNet(2, 2, 3, seed=0).double()
    lmap = lyapunov_map(model, BOX, resolution=(5, 4))
    assert isinstance(lmap, LyapunovMap) and lmap.values.shape == (4, 5) and lmap.layers == (1, 4)
    assert lmap.kind == "depth" and lmap.horizon == 4.0
    pts = torch.stack(torch.meshgrid(lmap.ys, lmap.xs, indexing="ij")[::-1], -1).reshape(-1, 2)
    torch.testing.assert_close(lmap.values.reshape(-1), lyapunov_exponents(model, pts))
    sep = lyapunov_map(model, BOX, resolution=(5, 4), method="separation", directions=_circle_directions())
    assert sep.method == "separation" and float((lmap.values - sep.values).abs().max()) < 1e-3
    text = repr(lmap)
    assert "layers 1..4" in text and "5" in text and "tensor" not in text
    assert "T=3" in repr(lyapunov_map(lambda p: 2 * p, BOX, T=3.0, resolution=3))
    with pytest.raises(MorsenetError, match="T"):
        lyapunov_exponents(lambda p: p, _points())
    with pytest.raises(MorsenetError, match="T"):
        lyapunov_exponents(model, _points(), T=1.0)
    with pytest.raises(MorsenetError, match="layers"):
        lyapunov_exponents(model, _points(), layers=(3, 2))
    with pytest.raises(MorsenetError, match="layers"):
        lyapunov_exponents(NeuralODE(2, 2, seed=0), _points(), layers=(1, 2))
    with pytest.raises(MorsenetError, match="method"):
        lyapunov_map(model, BOX, method="bogus")
    with pytest.raises(MorsenetError, match="delta"):
        separation_exponents(model, _points(), delta=0.0)
    with pytest.raises(MorsenetError, match="directions"):
        separation_exponents(model, _points(), directions=torch.zeros(3, 2))
    with pytest.raises(MorsenetError, match="shape"):
        lyapunov_exponents(model, torch.zeros(4, 3))


def test_depth_exponent_of_a_hand_set_linear_resnet_is_its_closed_form():
    """Blocks h <- h + delta (W_i h + b_i), identity activation, W_i = diag(d_i): layers i..k are the linear map
    diag(prod_j (1 + delta d_j)), so the exponent is log max_l |prod_j (1 + delta d_jl)| / (k - i + 1) everywhere."""
    diag = [(0.5, -1.5), (2.0, 0.25), (-0.75, 1.0), (1.5, -0.5)]
    delta = 0.5
    model = ResNet(2, 2, 4, skip=1.0, residual=delta, activation="identity", input_layer=False, seed=0).double()
    with torch.no_grad():
        for block, d in zip(model.block_layers, diag):
            block.weight.copy_(torch.diag(torch.tensor(d, dtype=F64)))
            block.bias.fill_(0.3)
    model.eval()
    x = _points(5, seed=3)
    for i, k in ((1, 4), (2, 3), (3, 3)):
        scale = [math.prod(1 + delta * d[j] for d in diag[i - 1 : k]) for j in range(2)]
        expected = math.log(max(abs(s) for s in scale)) / (k - i + 1)
        got = lyapunov_exponents(model, x, layers=(i, k))
        torch.testing.assert_close(got, torch.full((5,), expected, dtype=F64), rtol=1e-12, atol=1e-12)
