"""Critical-point injection, hand-set parameters, freezing: checked against the chain rule and hand-set values."""

from __future__ import annotations

import pytest
import torch
from torch.func import jacrev

from morsenet.errors import MorsenetError
from morsenet.models import (
    MLP,
    ResNet,
    freeze,
    inject_critical_point,
    input_gradient_norm,
    set_parameters,
    unfreeze,
)


def _resnet(skip: float, act: str, batchnorm: bool, *, blocks: int = 6, residual: float = 1.0) -> ResNet:
    model = ResNet(2, 2, blocks, skip, residual, act, batchnorm, seed=3).double()
    if batchnorm:  # running statistics that are not the identity
        gen = torch.Generator().manual_seed(5)
        model.train()
        with torch.no_grad():
            for _ in range(20):
                model(torch.randn(64, 2, generator=gen, dtype=torch.float64) * 1.5 + 0.3)
    return model.eval()


def _grad(model: ResNet, x0: torch.Tensor) -> torch.Tensor:
    x = x0.reshape(1, -1).clone().requires_grad_(True)
    (g,) = torch.autograd.grad(model(x).sum(), x)
    return g[0]


@pytest.mark.parametrize("batchnorm", [False, True])
@pytest.mark.parametrize("act", ["tanh", "softplus"])
@pytest.mark.parametrize("skip", [0.5, 1.0, 2.0])
def test_injection_makes_x0_critical(skip: float, act: str, batchnorm: bool) -> None:
    model = _resnet(skip, act, batchnorm)
    x0 = torch.tensor([0.3, -0.2], dtype=torch.float64)
    before = float(torch.linalg.vector_norm(_grad(model, x0)))
    assert before > 1e-3  # a generic point is not critical
    inj = inject_critical_point(model, x0.tolist(), 4)
    after = float(torch.linalg.vector_norm(_grad(model, x0)))
    assert after < 1e-12 * max(before, 1.0)
    assert inj.gradient_norm == pytest.approx(after, abs=1e-15)
    assert inj.block == 4 and inj.x0 == (0.3, -0.2)
    # the block Jacobian at x0, from the eval-mode (folded) chain, vanishes: skip I + residual diag(act'(0)) W
    step = model.chain()[1 + 3]
    h = x0
    for s in model.chain()[:4]:
        h = s.skip * h + s.residual * model.act(s.weight @ h + s.bias)
    jac = jacrev(lambda v: step.skip * v + step.residual * model.act(step.weight @ v + step.bias))(h)
    assert float(jac.abs().max()) <= 1e-15 * skip
    # the gradient elsewhere is not zero: x0 is an isolated critical point, not a flat map
    assert float(torch.linalg.vector_norm(_grad(model, x0 + 0.3))) > 1e-6


def test_injection_exact_for_binary_scales() -> None:
    """skip 1, residual 1, tanh: W = -I exactly, the pre-activation is exactly 0, the Jacobian exactly 0."""
    model = _resnet(1.0, "tanh", False)
    inject_critical_point(model, [0.1, 0.2], 2)
    assert torch.equal(model.block_layers[1].weight, -torch.eye(2, dtype=torch.float64))
    assert input_gradient_norm(model, [0.1, 0.2]) < 1e-15


def test_injection_with_batchnorm_sets_folded_map() -> None:
    model = _resnet(1.0, "tanh", True)
    inj = inject_critical_point(model, [0.0, 0.0], 3, freeze=True)
    w, _ = model.block_maps()[2]
    assert torch.allclose(w, -torch.eye(2, dtype=torch.float64), atol=1e-15)
    assert inj.parameters == ("block_layers.2.weight", "block_layers.2.bias", "norms.2.weight", "norms.2.bias")
    params = dict(model.named_parameters())
    assert all(not params[n].requires_grad for n in inj.parameters)
    assert params["block_layers.1.weight"].requires_grad


def test_injection_refuses_what_does_not_apply() -> None:
    with pytest.raises(MorsenetError, match="needs a ResNet"):
        inject_critical_point(MLP([2, 3, 1], seed=0), [0.0, 0.0], 1)
    with pytest.raises(MorsenetError, match="skip = 0"):
        inject_critical_point(_resnet(0.0, "tanh", False), [0.0, 0.0], 1)
    with pytest.raises(MorsenetError, match="act'\\(0\\)"):
        inject_critical_point(ResNet(2, 2, 3, 1.0, 1.0, "relu", seed=0), [0.0, 0.0], 1)
    with pytest.raises(MorsenetError, match=r"1\.\.6"):
        inject_critical_point(_resnet(1.0, "tanh", False), [0.0, 0.0], 7)
    with pytest.raises(MorsenetError, match="x0 must be 2"):
        inject_critical_point(_resnet(1.0, "tanh", False), [0.0], 1)
    for err in (MorsenetError,):
        try:
            inject_critical_point(_resnet(0.0, "tanh", False), [0.0, 0.0], 1)
        except err as e:
            assert "\n" not in str(e)


def test_set_parameters_bit_identical_and_checked() -> None:
    model = ResNet(1, 1, 2, 1.0, 0.3, "tanh", input_layer=False, seed=0)
    names = set_parameters(model, {"block_layers.0.weight": [[-5.0]], "block_layers.1.weight": [[5.0]]})
    assert names == ("block_layers.0.weight", "block_layers.1.weight")
    assert model.block_layers[0].weight.item() == -5.0 and model.block_layers[1].weight.item() == 5.0
    with pytest.raises(MorsenetError, match="no parameter 'block_layers.5.weight'; allowed: block_layers.0.weight"):
        set_parameters(model, {"block_layers.5.weight": [[1.0]]})
    with pytest.raises(MorsenetError, match=r"shape \[1, 1\], the value given has \[2\]"):
        set_parameters(model, {"block_layers.0.weight": [1.0, 2.0]})
    with pytest.raises(MorsenetError, match="must be numbers"):
        set_parameters(model, {"block_layers.0.weight": "big"})
    before = model.block_layers[0].bias.clone()
    with pytest.raises(MorsenetError):  # nothing is written when one entry is bad
        set_parameters(model, {"block_layers.0.bias": [9.0], "nope": [1.0]})
    assert torch.equal(model.block_layers[0].bias, before)


def test_freeze_unfreeze() -> None:
    model = ResNet(2, 2, 2, seed=0)
    freeze(model, ["block_layers.0.weight"])
    assert not model.block_layers[0].weight.requires_grad and model.block_layers[0].bias.requires_grad
    unfreeze(model, ["block_layers.0.weight"])
    assert model.block_layers[0].weight.requires_grad
    with pytest.raises(MorsenetError, match="freeze: the model has no parameter 'x'"):
        freeze(model, ["x"])
