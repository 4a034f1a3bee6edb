"""Trajectories through a neural ODE's flow and the sub-interval flow-Jacobian maps, against closed forms and
finite differences."""

import pytest
import torch

from morsenet.analysis import FlowJacobianMaps, FlowTrajectories, default_intervals, flow_jacobian_maps, trajectories
from morsenet.errors import MorsenetError
from morsenet.models import MLP, NeuralODE, NeuralODEConfig


@pytest.fixture(autouse=True)
def _one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _translation_model(**kw) -> NeuralODE:
    """W = 0: h' = tanh(b_k) on piece k, so h(t) = h0 + integral_0^t tanh(b(s)) ds (piecewise linear)."""
    model = NeuralODE(NeuralODEConfig(**{"input_dim": 2, "dim": 3, "T": 2.0, "pieces": 2, "steps": 8, **kw}), seed=0)
    with torch.no_grad():
        model.field_weight.zero_()
        model.field_bias.copy_(torch.tensor([[0.5, -1.0, 2.0], [-0.3, 0.2, 0.0]]))
    return model


def test_trajectories_of_a_translation_flow_are_the_closed_form():
    model = _translation_model()
    x = torch.tensor([[0.0, 0.0], [1.0, -1.0], [0.5, 2.0]])
    traj = trajectories(model, x)
    assert isinstance(traj, FlowTrajectories) and traj.states.dtype == torch.float64
    torch.testing.assert_close(traj.times, torch.arange(9, dtype=torch.float64) * 0.25)  # the step grid
    assert traj.states.shape == (9, 3, 3) and (traj.n_points, traj.dim, traj.T) == (3, 3, 2.0)
    m64 = model.double()
    with torch.no_grad():
        h0 = m64.hidden(x.double(), 1)
    v = torch.tanh(m64.field_bias.detach())
    t = traj.times[:, None, None]
    expected = h0[None] + torch.minimum(t, torch.tensor(1.0)) * v[0] + torch.clamp(t - 1, min=0) * v[1]
    torch.testing.assert_close(traj.states, expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("kw", [dict(), dict(solver="dopri5"), dict(augmentation="zero", hidden_width=4)])
def test_trajectories_start_at_the_lift_and_end_at_the_flow(kw):
    model = NeuralODE(NeuralODEConfig(2, 3, **kw), seed=1).double()
    x = torch.tensor([[0.3, -0.7], [1.2, 0.4]], dtype=torch.float64)
    traj = trajectories(model, x, n_times=5)
    with torch.no_grad():
        torch.testing.assert_close(traj.states[0], model.hidden(x, 1), rtol=0, atol=0)
        tol = 1e-12 if not model.spec.adaptive else 1e-6
        torch.testing.assert_close(traj.states[-1], model.hidden(x, 2), rtol=0, atol=tol)
    if kw.get("augmentation") == "zero":
        assert torch.equal(traj.states[0, :, 2], torch.zeros(2, dtype=torch.float64))


def test_trajectories_refuse_bad_input():
    model = NeuralODE(NeuralODEConfig(2, 3), seed=0)
    x = torch.zeros(4, 2)
    with pytest.raises(MorsenetError, match="needs a neural ODE"):
        trajectories(MLP([2, 3, 1]), x)
    with pytest.raises(MorsenetError, match=r"shape \(n, 2\)"):
        trajectories(model, torch.zeros(4, 3))
    with pytest.raises(MorsenetError, match="increase strictly"):
        trajectories(model, x, times=[0.0, 0.5, 0.4])
    with pytest.raises(MorsenetError, match="increase strictly"):
        trajectories(model, x, times=[0.0, 2.0])
    with pytest.raises(MorsenetError, match="n_times"):
        trajectories(model, x, n_times=1)
    with pytest.raises(MorsenetError, match="not both"):
        trajectories(model, x, times=[0.0, 1.0], n_times=3)


def test_default_intervals():
    assert default_intervals(3.0, 10) == ((0.0, 1.0), (1.0, 2.0), (2.0, 3.0))
    assert default_intervals(2.5, 10) == ((0.0, 1.0), (1.0, 2.0))
    assert default_intervals(1.0, 4) == ((0.0, 0.25), (0.25, 0.5), (0.5, 0.75), (0.75, 1.0))
    ivs = default_intervals(20.0, 10)
    assert len(ivs) == 8 and ivs[0] == (0.0, 1.0) and ivs[-1] == (19.0, 20.0)


def test_a_translation_flow_has_unit_singular_values():
    maps = flow_jacobian_maps(_translation_model(), ((-1, 1), (-1, 1)), 5)
    assert isinstance(maps, FlowJacobianMaps) and maps.values.shape == (2, 5, 5, 3)
    assert maps.intervals == ((0.0, 1.0), (1.0, 2.0))
    torch.testing.assert_close(maps.values, torch.ones_like(maps.values), rtol=0, atol=1e-12)


@pytest.mark.parametrize(
    "kw, tol",
    [(dict(), 1e-7), (dict(solver="euler", augmentation="zero", hidden_width=3), 1e-7), (dict(solver="dopri5"), 1e-5)],
)
def test_flow_jacobian_maps_match_finite_differences(kw, tol):
    model = NeuralODE(NeuralODEConfig(2, 3, T=2.0, pieces=4, steps=8, **kw), seed=2)
    intervals = [(1.0, 2.0), (0.5, 1.0)]  # out of order on purpose: the second restarts from the lift
    maps = flow_jacobian_maps(model, ((-1.5, 1.0), (-0.5, 2.0)), (3, 2), intervals=intervals)
    assert maps.values.shape == (2, 2, 3, 3)
    m64 = model.double()
    eye = torch.eye(3, dtype=torch.float64)
    eps = 1e-6
    with torch.no_grad():
        for k, (a, b) in enumerate(intervals):
            for j, y in enumerate(maps.ys.tolist()):
                for i, x in enumerate(maps.xs.tolist()):
                    h0 = m64.hidden(torch.tensor([[x, y]], dtype=torch.float64), 1)
                    ha = m64.flow(h0, 0.0, a)
                    cols = [(m64.flow(ha + eps * e, a, b) - m64.flow(ha - eps * e, a, b))[0] / (2 * eps) for e in eye]
                    sv = torch.linalg.svdvals(torch.stack(cols, dim=1))
                    torch.testing.assert_close(maps.values[k, j, i], sv, rtol=0, atol=tol)
    assert torch.equal(maps.maximum, maps.values[..., 0]) and torch.equal(maps.minimum, maps.values[..., -1])


def test_flow_jacobian_maps_refuse_bad_input():
    model = NeuralODE(NeuralODEConfig(2, 3), seed=0)
    box = ((-1, 1), (-1, 1))
    with pytest.raises(MorsenetError, match="2 inputs"):
        flow_jacobian_maps(NeuralODE(NeuralODEConfig(3, 3), seed=0), ((-1, 1),) * 3, 4)
    with pytest.raises(MorsenetError, match="intervals"):
        flow_jacobian_maps(model, box, 4, intervals=[(0.5, 0.2)])
    with pytest.raises(MorsenetError, match="intervals"):
        flow_jacobian_maps(model, box, 4, intervals=[(0.0, 1.5)])
    with pytest.raises(MorsenetError, match="intervals"):
        flow_jacobian_maps(model, box, 4, intervals=3)
    with pytest.raises(MorsenetError, match="needs a neural ODE"):
        flow_jacobian_maps(MLP([2, 3, 1]), box, 4)
