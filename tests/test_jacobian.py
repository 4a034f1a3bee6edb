"""jacobian_grid: against finite differences (float64), torch.autograd.functional.jacobian, hand-set maps."""

import math

import pytest
import torch

from morsenet import MorsenetError
from morsenet.analysis import jacobian_grid, singular_values
from morsenet.models import build_model

BOX = ((-1.0, 1.0), (-0.5, 1.5))


def _models():
    return [
        build_model({"kind": "mlp", "widths": [2, 3, 2, 1], "batchnorm": True}, seed=1),
        build_model({"kind": "resnet", "input_dim": 2, "width": 2, "blocks": 3, "skip": 1.0, "residual": 0.5}, seed=2),
        build_model({"kind": "neural_ode", "input_dim": 2, "dim": 3, "steps": 4, "pieces": 2}, seed=3),
    ]


def _trained_bn(model):
    # Give BatchNorm non-trivial running statistics so eval mode is a real affine map.
    gen = torch.Generator().manual_seed(0)
    if getattr(model, "norms", None) is not None:
        for bn in model.norms:
            bn.running_mean.uniform_(-0.5, 0.5, generator=gen)
            bn.running_var.uniform_(0.5, 2.0, generator=gen)
    return model.eval()


@pytest.mark.parametrize("model", _models(), ids=lambda m: m.kind)
def test_gradient_matches_finite_differences_float64(model):
    model = _trained_bn(model).double()
    res = jacobian_grid(model, BOX, 7)
    assert res.points.dtype == res.jacobians.dtype == torch.float64
    assert res.jacobians.shape == (7, 7, 1, 2) and res.singular_values.shape == (7, 7, 1)
    p = res.points.reshape(-1, 2)
    h = 1e-6
    with torch.no_grad():
        fd = torch.stack(
            [(model(p + h * e) - model(p - h * e)) / (2 * h) for e in torch.eye(2, dtype=torch.float64)], dim=1
        )
    torch.testing.assert_close(res.jacobians.reshape(-1, 2), fd, atol=1e-7, rtol=1e-6)
    torch.testing.assert_close(res.singular_values.reshape(-1), fd.norm(dim=1), atol=1e-7, rtol=1e-6)


@pytest.mark.parametrize("model", _models(), ids=lambda m: m.kind)
def test_hidden_layer_matches_autograd_functional(model):
    model = _trained_bn(model).double()
    layer = model.n_layers
    res = jacobian_grid(model, BOX, (4, 3), layer=layer)
    width = model.hidden(torch.zeros(1, 2, dtype=torch.float64), layer).shape[1]
    assert res.jacobians.shape == (3, 4, width, 2)
    assert res.singular_values.shape == (3, 4, min(width, 2))
    for j, i in [(0, 0), (1, 2), (2, 3)]:
        x = res.points[j, i]
        ref = torch.autograd.functional.jacobian(lambda q: model.hidden(q[None], layer)[0], x)
        torch.testing.assert_close(res.jacobians[j, i], ref)
        torch.testing.assert_close(res.singular_values[j, i], torch.linalg.svdvals(ref))
    assert (res.singular_values[..., :-1] >= res.singular_values[..., 1:]).all()


def test_singular_values_of_hand_set_linear_map():
    a = torch.tensor([[3.0, 1.0], [1.0, 3.0]])  # symmetric, eigenvalues 4 and 2

    class Linear(torch.nn.Module):
        n_layers = 1

        def hidden(self, x, layer):
            return x @ a.T

        def forward(self, x):
            return (x @ a.T).sum(1)

    res = jacobian_grid(Linear(), BOX, 5, layer=1)
    torch.testing.assert_close(res.jacobians, a.expand(5, 5, 2, 2))
    torch.testing.assert_close(res.max_singular_value, torch.full((5, 5), 4.0))
    torch.testing.assert_close(res.min_singular_value, torch.full((5, 5), 2.0))
    # the scalar output x -> sum(a x) has constant gradient (4, 4)
    res = jacobian_grid(Linear(), BOX, 5)
    torch.testing.assert_close(res.singular_values, torch.full((5, 5, 1), 4 * math.sqrt(2)))


def test_plain_callable_and_grid_layout():
    res = jacobian_grid(lambda x: x[:, 0] ** 2 + 3 * x[:, 1], ((0.0, 1.0), (0.0, 2.0)), (3, 5))
    assert res.points.shape == (5, 3, 2) and res.points.dtype == torch.float32
    torch.testing.assert_close(res.points[2, 1], torch.tensor([0.5, 1.0]))
    torch.testing.assert_close(res.jacobians[..., 0, 0], 2 * res.points[..., 0])
    torch.testing.assert_close(res.jacobians[..., 0, 1], torch.full((5, 3), 3.0))
    assert res.box == ((0.0, 1.0), (0.0, 2.0))


def test_callable_vmap_cannot_trace_falls_back():
    def f(x):  # data-dependent Python control flow: vmap refuses it, the batched fallback handles it
        if bool((x[:, 0] > 10).any()):
            return x[:, 0]
        return x[:, 0] * x[:, 1]

    res = jacobian_grid(f, BOX, 4, dtype=torch.float64)
    torch.testing.assert_close(res.jacobians[..., 0, 0], res.points[..., 1])
    torch.testing.assert_close(res.jacobians[..., 0, 1], res.points[..., 0])


def test_chunking_gives_the_same_result_and_restores_train_mode():
    model = build_model({"kind": "mlp", "widths": [2, 2, 2, 1], "batchnorm": True}, seed=0)
    model.train()
    full = jacobian_grid(model, BOX, 9)
    chunked = jacobian_grid(model, BOX, 9, chunk_size=10)
    torch.testing.assert_close(full.jacobians, chunked.jacobians)
    assert model.training


def test_float32_and_float64():
    model = build_model({"kind": "resnet", "input_dim": 2, "width": 2, "blocks": 2}, seed=0)
    assert jacobian_grid(model, BOX, 3).singular_values.dtype == torch.float32
    assert jacobian_grid(model.double(), BOX, 3).singular_values.dtype == torch.float64
    assert jacobian_grid(lambda x: x.sum(1), BOX, 3, dtype=torch.float64).jacobians.dtype == torch.float64


def test_batched_singular_values():
    j = torch.tensor([[[0.0, 2.0], [1.0, 0.0]], [[1.0, 0.0], [0.0, 0.0]]])
    torch.testing.assert_close(singular_values(j), torch.tensor([[2.0, 1.0], [1.0, 0.0]]))
    torch.testing.assert_close(singular_values(torch.tensor([[[3.0, 4.0]]])), torch.tensor([[5.0]]))


def test_errors():
    model = build_model({"kind": "neural_ode", "input_dim": 2, "dim": 2, "steps": 2, "pieces": 1}, seed=0)
    with pytest.raises(MorsenetError, match="box"):
        jacobian_grid(model, ((1, 0), (0, 1)), 3)
    with pytest.raises(MorsenetError, match="resolution"):
        jacobian_grid(model, BOX, 1)
    with pytest.raises(MorsenetError, match="layer"):
        jacobian_grid(model, BOX, 3, layer=7)
    with pytest.raises(MorsenetError, match="hidden"):
        jacobian_grid(lambda x: x.sum(1), BOX, 3, layer=1)
    with pytest.raises(MorsenetError, match="scalar outputs"):
        jacobian_grid(lambda x: x, BOX, 3)
