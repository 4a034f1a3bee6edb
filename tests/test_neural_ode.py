"""Neural ODEs: solvers against closed forms and scipy, zero padding, hidden-width fields, the adjoint, the
ensemble trainer, sub-interval flows and the ResNet/Euler equivalence (the paper's appendix)."""

import math

import numpy as np
import pytest
import torch
from scipy.integrate import solve_ivp

from morsenet.datasets import make_circles
from morsenet.ensemble import train_ensemble
from morsenet.errors import MorsenetError
from morsenet.models import NeuralODE, NeuralODEConfig, ResNet, ResNetConfig, build_model, config_from_dict
from morsenet.training import TrainConfig, fit

ALL_SOLVERS = ("euler", "rk4", "dopri5", "dopri8", "bosh3", "fehlberg2", "adaptive_heun")


def _ode(seed: int = 0, **kw) -> NeuralODE:
    spec = NeuralODEConfig(**{"input_dim": 2, "dim": 2, **kw})
    return NeuralODE(spec, seed=seed).double()


def _set(model: NeuralODE, **tensors) -> NeuralODE:
    with torch.no_grad():
        for name, value in tensors.items():
            getattr(model, name).copy_(torch.as_tensor(value, dtype=torch.float64))
    return model


# ----- config -----


def test_default_config_writes_the_old_keys_only():
    c = NeuralODEConfig(2, 3)
    assert c.to_dict() == {"kind": "neural_ode", "input_dim": 2, "dim": 3, "T": 1.0, "steps": 20, "pieces": 10,
                           "vector_field": "outside", "activation": "tanh"}  # fmt: skip
    assert c.describe() == "neural ODE dim 3, T=1, 20 RK4 steps, 10 pieces, outside tanh"
    assert (c.solver, c.rtol, c.atol, c.adjoint, c.augmentation, c.hidden_width) == (
        "rk4", 1e-6, 1e-8, False, "lift", 0)  # fmt: skip


def test_new_keys_round_trip_and_describe():
    c = NeuralODEConfig(2, 3, solver="dopri5", rtol=1e-5, adjoint=True, augmentation="zero", hidden_width=8)
    d = c.to_dict()
    assert {"solver", "rtol", "adjoint", "augmentation", "hidden_width"} <= set(d) and "atol" not in d
    assert config_from_dict(d) == c
    assert c.describe() == "neural ODE dim 3, T=1, dopri5 (rtol 1e-05, atol 1e-08), 10 pieces, hidden 8 tanh, " \
        "zero-padded, adjoint"  # fmt: skip
    assert c.family == "neural ODE dim 3, zero-padded"
    assert NeuralODEConfig(2, 2, solver="euler").describe().startswith("neural ODE dim 2, T=1, 20 Euler steps")


@pytest.mark.parametrize(
    "bad, match",
    [
        (dict(solver="midpoint"), "solver must be one of"),
        (dict(solver=3), "solver must be one of"),
        (dict(rtol=0.0), "rtol must be > 0"),
        (dict(atol=-1e-9), "atol must be > 0"),
        (dict(rtol=math.nan), "rtol must be a finite number"),
        (dict(adjoint=1), "adjoint must be of type bool"),
        (dict(augmentation="pad"), "augmentation must be one of"),
        (dict(augmentation="zero", dim=1), "needs dim >= input_dim"),
        (dict(hidden_width=-1), "hidden_width must be >= 0"),
        (dict(hidden_width=2.0), "hidden_width must be an integer"),
        (dict(hidden_width=4, vector_field="inside"), "vector_field applies to hidden_width = 0 only"),
    ],
)
def test_bad_config_values_are_one_line_errors(bad, match):
    with pytest.raises(MorsenetError, match=match):
        NeuralODEConfig(**{"input_dim": 2, "dim": 3, **bad})


@pytest.mark.parametrize(
    "kw",
    [
        dict(),
        dict(augmentation="zero"),
        dict(hidden_width=5),
        dict(augmentation="zero", hidden_width=4, pieces=3, steps=6),
        dict(vector_field="inside", augmentation="zero", dim=2),
    ],
)
def test_parameter_count_and_initial_parameters_match_the_built_model(kw):
    spec = NeuralODEConfig(**{"input_dim": 2, "dim": 3, **kw})
    template = NeuralODE(spec, seed=0)
    assert spec.n_parameters == sum(p.numel() for p in template.parameters())
    assert ("lift_layer.weight" in dict(template.named_parameters())) == (spec.augmentation == "lift")
    for seed in (0, 7, 2**40):
        built = dict(NeuralODE(spec, seed=seed).named_parameters())
        drawn = template.initial_parameters(seed)
        assert list(drawn) == list(built)
        assert all(torch.equal(drawn[k], v) and drawn[k].dtype == torch.float32 for k, v in built.items())


def test_default_model_parameters_are_unchanged_by_the_new_keys():
    """The same seed gives the same numbers as before the new keys (old checkpoints and studies)."""
    a = dict(NeuralODE(2, 3, seed=4).named_parameters())
    b = dict(NeuralODE(NeuralODEConfig(2, 3, solver="dopri5", adjoint=True), seed=4).named_parameters())
    assert list(a) == ["field_weight", "field_bias", "lift_layer.weight", "lift_layer.bias",
                       "readout_layer.weight", "readout_layer.bias"]  # fmt: skip
    assert all(torch.equal(a[k], b[k]) for k in a)


# ----- solvers -----


@pytest.mark.parametrize("solver", ALL_SOLVERS)
def test_each_solver_on_a_piecewise_constant_field(solver):
    """W = 0: h' = tanh(b_k) on piece k, so phi_T(h) = h + (T / pieces) * sum_k tanh(b_k), for any solver."""
    model = _ode(solver=solver, T=1.5, pieces=3, steps=6, rtol=1e-10, atol=1e-12)
    b = torch.tensor([[0.3, -1.0], [2.0, 0.5], [-0.7, 0.1]], dtype=torch.float64)
    _set(model, field_weight=torch.zeros(3, 2, 2), field_bias=b)
    h = torch.tensor([[0.0, 0.0], [1.0, -2.0]], dtype=torch.float64)
    expected = h + 0.5 * torch.tanh(b).sum(0)
    torch.testing.assert_close(model.flow(h), expected, rtol=0, atol=1e-12)


def _scipy_flow(w, b, h0, T, pieces, outside=True):
    """phi_T by scipy's solve_ivp (DOP853, tight tolerances) piece by piece: the independent answer."""
    out = []
    for y0 in h0:
        y = np.array(y0, dtype=float)
        for k in range(pieces):
            if outside:
                rhs = lambda t, y, k=k: np.tanh(w[k] @ y + b[k])  # noqa: E731
            else:
                rhs = lambda t, y, k=k: w[k] @ np.tanh(y) + b[k]  # noqa: E731
            sol = solve_ivp(rhs, (k * T / pieces, (k + 1) * T / pieces), y, method="DOP853", rtol=1e-13, atol=1e-13)
            y = sol.y[:, -1]
        out.append(y)
    return np.array(out)


@pytest.fixture(scope="module")
def field():
    gen = torch.Generator().manual_seed(3)
    w = torch.randn(2, 2, 2, generator=gen, dtype=torch.float64) * 1.5
    b = torch.randn(2, 2, generator=gen, dtype=torch.float64)
    h = torch.randn(5, 2, generator=gen, dtype=torch.float64)
    return w, b, h


@pytest.mark.parametrize("vector_field", ["outside", "inside"])
def test_dopri5_agrees_with_scipy_at_tight_tolerance(vector_field, field):
    w, b, h = field
    model = _set(_ode(solver="dopri5", T=2.0, pieces=2, steps=2, rtol=1e-10, atol=1e-12, vector_field=vector_field),
                 field_weight=w, field_bias=b)  # fmt: skip
    expected = _scipy_flow(w.numpy(), b.numpy(), h.numpy(), 2.0, 2, vector_field == "outside")
    np.testing.assert_allclose(model.flow(h).detach().numpy(), expected, rtol=0, atol=1e-8)


@pytest.mark.parametrize("solver", ["dopri8", "bosh3"])
def test_other_adaptive_solvers_converge_to_scipy(solver, field):
    """torchdiffeq's global error is well above rtol for these (1e-7 gives ~1e-5): check they converge."""
    w, b, h = field
    expected = _scipy_flow(w.numpy(), b.numpy(), h.numpy(), 2.0, 2)
    errors = []
    for rtol in (1e-5, 1e-7):
        model = _set(_ode(solver=solver, T=2.0, pieces=2, steps=2, rtol=rtol, atol=rtol / 100), field_weight=w,
                     field_bias=b)  # fmt: skip
        errors.append(np.abs(model.flow(h).detach().numpy() - expected).max())
    assert errors[1] < 1e-4 and errors[1] < errors[0] / 3, errors


@pytest.mark.parametrize("solver, order", [("euler", 1), ("rk4", 4)])
def test_fixed_step_order_of_convergence(solver, order, field):
    w, b, h = field
    expected = _scipy_flow(w.numpy(), b.numpy(), h.numpy(), 2.0, 2)
    errors = []
    for steps in (8, 16, 32):
        model = _set(_ode(solver=solver, T=2.0, pieces=2, steps=steps), field_weight=w, field_bias=b)
        errors.append(np.abs(model.flow(h).detach().numpy() - expected).max())
    rates = [math.log2(errors[i] / errors[i + 1]) for i in range(2)]
    assert all(abs(r - order) < 0.3 for r in rates), rates


def test_hidden_width_field_is_integrated_to_scipy(field):
    """h' = W2 tanh(W1 h + b1) + b2 with rk4 at many steps against solve_ivp."""
    gen = torch.Generator().manual_seed(5)
    model = _ode(hidden_width=3, pieces=1, steps=200, T=1.0)
    w1, b1 = torch.randn(1, 3, 2, generator=gen), torch.randn(1, 3, generator=gen)
    w2, b2 = torch.randn(1, 2, 3, generator=gen), torch.randn(1, 2, generator=gen)
    _set(model, field_weight1=w1, field_bias1=b1, field_weight2=w2, field_bias2=b2)
    h = field[2]
    w1n, b1n, w2n, b2n = (t[0].double().numpy() for t in (w1, b1, w2, b2))
    rhs = lambda t, y: w2n @ np.tanh(w1n @ y + b1n) + b2n  # noqa: E731
    expected = [solve_ivp(rhs, (0, 1), y, method="DOP853", rtol=1e-13, atol=1e-13).y[:, -1] for y in h.numpy()]
    np.testing.assert_allclose(model.flow(h).detach().numpy(), np.array(expected), rtol=0, atol=1e-9)


# ----- zero padding, the forward -----


def test_zero_padding_forward_equals_the_hand_computed_map():
    """dim 4, input 2, one Euler step of a hidden-width field: logit = lam . (h0 + T f(h0)) + mu, h0 = [x, 0, 0]."""
    model = _ode(dim=4, augmentation="zero", hidden_width=3, pieces=1, steps=1, solver="euler", T=0.5, seed=2)
    p = {k: v.detach().numpy() for k, v in model.named_parameters()}
    assert set(p) == {"field_weight1", "field_bias1", "field_weight2", "field_bias2", "readout_layer.weight",
                      "readout_layer.bias"}  # fmt: skip
    x = np.array([[0.5, -1.0], [2.0, 0.25], [0.0, 0.0]])
    h0 = np.concatenate([x, np.zeros((3, 2))], axis=1)
    f = np.tanh(h0 @ p["field_weight1"][0].T + p["field_bias1"][0]) @ p["field_weight2"][0].T + p["field_bias2"][0]
    end = h0 + 0.5 * f
    logit = end @ p["readout_layer.weight"][0] + p["readout_layer.bias"][0]
    xt = torch.tensor(x)
    np.testing.assert_allclose(model.hidden(xt, 1).detach().numpy(), h0, rtol=0, atol=0)
    np.testing.assert_allclose(model.hidden(xt, 2).detach().numpy(), end, rtol=0, atol=1e-14)
    np.testing.assert_allclose(model(xt).detach().numpy(), logit, rtol=0, atol=1e-14)
    maps = model.named_affine_maps()
    assert maps[0].name == "lift" and torch.equal(maps[0].weight, torch.eye(4, 2, dtype=torch.float64))
    assert [m.name for m in maps[1:]] == ["field 1 in", "field 1 out", "readout"]


def test_zero_padding_without_augmentation_is_the_identity():
    model = _ode(dim=2, augmentation="zero")
    x = torch.tensor([[0.3, -0.2]], dtype=torch.float64)
    assert torch.equal(model.hidden(x, 1), x)


# ----- the adjoint -----


@pytest.mark.parametrize("kw", [dict(), dict(hidden_width=3, augmentation="zero", dim=3)])
def test_adjoint_gradients_equal_the_direct_ones(kw):
    x = torch.tensor([[0.5, -1.0], [1.5, 0.3], [-0.2, 0.8]], dtype=torch.float64)
    y = torch.tensor([1.0, 0.0, 1.0], dtype=torch.float64)
    grads = []
    for adjoint in (False, True):
        model = _ode(solver="dopri5", rtol=1e-11, atol=1e-12, pieces=2, steps=2, adjoint=adjoint, seed=1, **kw)
        xi = x.clone().requires_grad_(True)
        out = model(xi)
        loss = torch.nn.functional.binary_cross_entropy_with_logits(out, y)
        names = [k for k, _ in model.named_parameters()]
        g = torch.autograd.grad(loss, [*model.parameters(), xi])
        grads.append((out.detach(), dict(zip([*names, "x"], g))))
    (out_d, g_d), (out_a, g_a) = grads
    torch.testing.assert_close(out_a, out_d, rtol=0, atol=1e-12)
    assert list(g_a) == list(g_d)
    for k in g_d:
        torch.testing.assert_close(g_a[k], g_d[k], rtol=1e-6, atol=1e-8, msg=k)


def test_adjoint_with_a_fixed_step_solver_runs_the_same_euler_forward():
    a = _ode(solver="euler", seed=3)
    b = _ode(solver="euler", seed=3, adjoint=True)
    x = torch.tensor([[0.5, -1.0], [1.5, 0.3]], dtype=torch.float64)
    torch.testing.assert_close(b(x), a(x), rtol=0, atol=1e-14)


# ----- sub-interval flows -----


@pytest.mark.parametrize("solver, s, tol", [("rk4", 0.6, 1e-14), ("euler", 0.35, 1e-14), ("dopri5", 0.37, 1e-8)])
def test_flow_over_two_sub_intervals_is_the_flow_over_the_whole(solver, s, tol, field):
    """s on the step grid for the fixed-step solvers (0.6 = 12 steps of 0.05; 0.35 = 7), inside a piece for dopri5."""
    model = _ode(solver=solver, T=1.0, pieces=5, steps=20, rtol=1e-11, atol=1e-12, seed=4)
    h = field[2]
    whole = model.flow(h)
    torch.testing.assert_close(model.flow(model.flow(h, 0.0, s), s, None), whole, rtol=0, atol=tol)
    torch.testing.assert_close(model.flow(h, 0.0, 1.0), whole, rtol=0, atol=0)
    torch.testing.assert_close(model.flow(h, s, s), h, rtol=0, atol=0)


def test_flow_refuses_bad_intervals_and_states():
    model = _ode()
    h = torch.zeros(3, 2, dtype=torch.float64)
    for t0, t1 in ((-0.1, None), (0.5, 0.2), (0.0, 1.5), (0.0, math.inf)):
        with pytest.raises(MorsenetError, match="neural_ode flow"):
            model.flow(h, t0, t1)
    with pytest.raises(MorsenetError, match=r"shape \(n, 2\)"):
        model.flow(torch.zeros(3, 3, dtype=torch.float64))


# ----- the paper's appendix: a ResNet with skip 1, residual dt is an Euler-discretised neural ODE -----


def _resnet_ode_pair(input_layer: bool, width: int, blocks: int = 5, dt: float = 0.1):
    resnet = ResNet(ResNetConfig(input_dim=2, width=width, blocks=blocks, skip=1.0, residual=dt,
                                 input_layer=input_layer), seed=1).double()  # fmt: skip
    spec = NeuralODEConfig(2, width, T=blocks * dt, steps=blocks, pieces=blocks, solver="euler",
                           augmentation="zero" if not input_layer else "lift")  # fmt: skip
    ode = NeuralODE(spec, seed=9).double()
    with torch.no_grad():  # copy the weights by hand
        for k, lin in enumerate(resnet.block_layers):
            ode.field_weight[k].copy_(lin.weight)
            ode.field_bias[k].copy_(lin.bias)
        ode.readout_layer.weight.copy_(resnet.readout_layer.weight)
        ode.readout_layer.bias.copy_(resnet.readout_layer.bias)
    return resnet, ode


def test_resnet_with_skip_one_equals_an_euler_neural_ode_on_the_blocks():
    resnet, ode = _resnet_ode_pair(input_layer=True, width=3)
    x = make_circles(50, seed=0).x_train.double() * 2
    with torch.no_grad():
        h1 = resnet.hidden(x, 1)  # after the input layer: the blocks' input
        end = resnet.hidden(x, resnet.n_layers)
        assert float((ode.flow(h1) - end).abs().max()) < 1e-10
    assert float((end - h1).abs().max()) > 1e-2  # the blocks do move the points


def test_resnet_without_input_layer_equals_a_zero_padded_euler_neural_ode():
    resnet, ode = _resnet_ode_pair(input_layer=False, width=2, blocks=8, dt=0.25)
    x = make_circles(50, seed=1).x_train.double()
    with torch.no_grad():
        assert float((ode(x) - resnet(x)).abs().max()) < 1e-10


# ----- the ensemble trainer -----


def test_ensemble_equals_fit_for_a_zero_padded_hidden_width_euler_model():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        data = make_circles(160, seed=0)
        cfg = dict(kind="neural_ode", dim=3, steps=4, pieces=2, solver="euler", augmentation="zero", hidden_width=4)
        config = TrainConfig(epochs=6, batch_size=64, patience=2, lr=0.02, dtype="float64")
        seeds = [0, 1]
        result = train_ensemble(cfg, data, config, seeds=seeds, progress=False)
        for i, seed in enumerate(seeds):
            alone = build_model(cfg, seed=seed, input_dim=2)
            history = fit(alone, data, config, seed=seed, progress=False)
            ours = result.histories[i]
            assert (ours.best_epoch, ours.epochs_run) == (history.best_epoch, history.epochs_run)
            for key in ("train_loss", "test_loss", "test_accuracy"):
                np.testing.assert_allclose(getattr(ours, key), getattr(history, key), rtol=1e-12, atol=1e-12)
            extracted = result.model(i)
            for (k, a), (k2, b) in zip(alone.state_dict().items(), extracted.state_dict().items()):
                assert k == k2
                torch.testing.assert_close(b, a, rtol=1e-12, atol=1e-12, msg=k)
    finally:
        torch.set_num_threads(threads)
