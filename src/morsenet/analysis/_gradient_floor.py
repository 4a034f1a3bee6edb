"""The rounding floor of the chain rule: how small a float64 gradient of a layer chain can be resolved."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from ..models import MorseModel
from ._scalar_field import float64_copy


def _gradient_floor_fn(f: object) -> Callable[[Tensor], Tensor] | None:
    """For a morsenet model with a layer chain: x (n, d) -> the rounding floor (n,) of its float64 gradient;
    None for a neural ODE (no chain) or anything that is not a `MorseModel`.

    The gradient is the chain `w^T J_L ... J_1` with layer Jacobians `J_l = skip I + residual D_l W_l`
    (BatchNorm folded, D_l = diag(sigma'(z_l))). A relative rounding error in layer l (in W_l, in D_l, whose
    absolute error is ~eps when a neuron saturates, or in the skip sum) moves the computed gradient by about

        eps * |df/dh_l| * (|skip| + |residual| |W_l|_F) * |dh_{l-1}/dx|_F,

    the product of the layer Jacobian norms along the path with the exact chains above and below layer l
    (THEORY.md 4.2: tolerances scaled by the product of the D_l). The floor is the sum over layers plus the
    read-out term eps * |w| |dh_L/dx|_F. Unlike |Hessian| * diameter it does not grow with the sharpness of
    the field, so it separates a gradient that is truly ~0 from one that is tiny but resolved.
    """
    if not isinstance(f, MorseModel):
        return None
    model = float64_copy(f)
    assert isinstance(model, MorseModel)
    chain = model.chain()
    if chain is None:
        return None
    steps = chain
    w_out = model.readout_map().weight[0]
    act = model.act
    eps = torch.finfo(torch.float64).eps

    def floor(x: Tensor) -> Tensor:
        n, d = x.shape
        h = x.detach()
        jac = torch.eye(d, dtype=torch.float64).expand(n, d, d)  # dh_l/dx
        below, layer_jac, size = [], [], []
        for step in steps:
            z = (h @ step.weight.T + step.bias).requires_grad_(True)
            with torch.enable_grad():
                y = act(z)
                (dz,) = torch.autograd.grad(y.sum(), z)
            a = step.jacobian(z, dz)
            below.append(torch.linalg.matrix_norm(jac))
            size.append(abs(step.skip) + abs(step.residual) * float(torch.linalg.matrix_norm(step.weight)))
            layer_jac.append(a)
            jac = a @ jac
            h = step.combine(h, y.detach())
        v = w_out.expand(n, -1)  # df/dh_l, from the read-out down
        total = torch.linalg.vector_norm(v, dim=1) * torch.linalg.matrix_norm(jac)
        for layer in range(len(steps) - 1, -1, -1):
            total = total + torch.linalg.vector_norm(v, dim=1) * size[layer] * below[layer]
            v = (v[:, None, :] @ layer_jac[layer])[:, 0, :]
        return eps * total

    return floor
