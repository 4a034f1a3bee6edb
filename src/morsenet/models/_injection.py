"""Critical-point injection and hand-set, frozen or unfrozen parameters (the companion's `ResNet_2d_critgen`).

A ResNet block maps `h -> skip * h + residual * act(W h + b)`; its Jacobian is `skip I + residual diag(act'(z)) W`.
Injecting a critical point at x0 in block k (1-based, as the paper counts: block 1 is the first residual block
after the input layer) sets

    W = -(skip / (residual * act'(0))) I,    b = -W h_k(x0),

with `h_k(x0)` the block's input at x0: the pre-activation `z = W h_k(x0) + b` vanishes at x0, so the block
Jacobian is `skip I - skip I = 0` there, and by the chain rule x0 is a critical point of the whole map.

BatchNorm: the block applies, in eval mode (every analysis and figure), the folded affine map
`scale * (W h + b) + shift` with `scale = gamma / sqrt(running_var + eps)`, `shift = beta - scale * running_mean`.
Injection makes the FOLDED map the one above: the Linear gets W and b, and the BatchNorm's affine parameters
become `gamma = sqrt(running_var + eps)`, `beta = running_mean` (an identity in eval mode). Training mode
normalises with batch statistics and updates the running statistics, so retraining moves the eval-mode map even
when the injected parameters are frozen (buffers are not parameters): that is part of what retraining tests.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn

from ..errors import MorsenetError
from ._common import ACTIVATIONS, FoldableBatchNorm
from ._resnet import ResNet

__all__ = ["Injection", "freeze", "inject_critical_point", "input_gradient_norm", "set_parameters", "unfreeze"]

# |act'(0)| below this cannot carry the construction (relu: torch's derivative at 0 is 0).
_MIN_SLOPE = 1e-12


@dataclass(frozen=True)
class Injection:
    """What `inject_critical_point` did: the point `x0`, the block (1-based), the parameters it set (by name),
    whether they were frozen, and |grad f(x0)| right after (float64; rounding-level when it worked)."""

    x0: tuple[float, ...]
    block: int
    parameters: tuple[str, ...]
    frozen: bool
    gradient_norm: float

    def to_dict(self) -> dict[str, Any]:
        return {"x0": list(self.x0), "block": self.block, "parameters": list(self.parameters),
                "frozen": self.frozen, "gradient_norm": self.gradient_norm}  # fmt: skip

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Injection:
        return cls(tuple(float(v) for v in d["x0"]), int(d["block"]), tuple(str(p) for p in d["parameters"]),
                   bool(d["frozen"]), float(d["gradient_norm"]))  # fmt: skip


def _activation_slope(name: str) -> float:
    z = torch.zeros((), dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(ACTIVATIONS[name](z), z)
    return float(g)


def _point(model: nn.Module, x0: Sequence[float] | Tensor, dim: int) -> Tensor:
    x = torch.as_tensor(x0, dtype=torch.float64).reshape(-1)
    if x.numel() != dim or not bool(torch.isfinite(x).all()):
        raise MorsenetError(f"inject: x0 must be {dim} finite numbers (the model's input dimension), got {x0!r}")
    return x


def input_gradient_norm(model: nn.Module, x0: Sequence[float] | Tensor) -> float:
    """|grad f(x0)| of the model's logit, in float64 and eval mode (the model itself is not changed)."""
    m = copy.deepcopy(model).double().eval()
    x = torch.as_tensor(x0, dtype=torch.float64).reshape(1, -1).clone().requires_grad_(True)
    (g,) = torch.autograd.grad(m(x).sum(), x)
    return float(torch.linalg.vector_norm(g))


def _block_input(model: ResNet, x: Tensor, block: int) -> Tensor:
    """h_k(x): the input of block `block` (1-based), from the eval-mode (folded) chain, in float64."""
    steps = model.chain()
    head = int(model.spec.input_layer)
    act = ACTIVATIONS[model.spec.activation]
    h = x
    for s in steps[: head + block - 1]:
        z = s.weight.detach().double() @ h + s.bias.detach().double()
        h = s.skip * h + s.residual * act(z)
    return h


def inject_critical_point(
    model: nn.Module, x0: Sequence[float] | Tensor, block: int, *, freeze: bool = False
) -> Injection:
    """Make `x0` a critical point of a ResNet's logit by rewriting block `block` (1-based), in place.

    Sets `W = -(skip / (residual * act'(0))) I` and `b = -W h_k(x0)` in the block (the folded map with
    BatchNorm; see the module docstring), so that the block Jacobian `skip I + residual diag(act'(0)) W` is 0 at
    x0. `freeze` turns off gradients of the parameters set (an optimiser then leaves them bit-identical).

    Raises:
        MorsenetError: (one line) for a model that is not a ResNet, a block outside 1..blocks, an x0 of the
            wrong length, skip = 0 or residual = 0, or an activation with act'(0) = 0 (e.g. relu).
    """
    if not isinstance(model, ResNet):
        kind = getattr(getattr(model, "spec", None), "kind", type(model).__name__)
        raise MorsenetError(f"inject: critical-point injection needs a ResNet (kind 'resnet'), not {kind!r}")
    spec = model.spec
    if isinstance(block, bool) or not isinstance(block, int) or not 1 <= block <= spec.blocks:
        raise MorsenetError(f"inject: block must be an integer in 1..{spec.blocks} (1-based), got {block!r}")
    if spec.skip == 0:
        raise MorsenetError("inject: skip = 0 makes W = 0, a constant block (every point critical); it needs skip != 0")
    if spec.residual == 0:
        raise MorsenetError("inject: residual = 0 leaves the block the identity times skip; it needs residual != 0")
    slope = _activation_slope(spec.activation)
    if abs(slope) < _MIN_SLOPE:
        raise MorsenetError(f"inject: activation {spec.activation!r} has act'(0) = {slope:g}; it needs act'(0) != 0")
    x = _point(model, x0, spec.input_dim)
    k = block - 1
    with torch.no_grad():
        h = _block_input(model, x, block)
        w = -(spec.skip / (spec.residual * slope)) * torch.eye(spec.width, dtype=torch.float64)
        b = -(w @ h)
        lin = model.block_layers[k]
        assert isinstance(lin, nn.Linear)
        lin.weight.copy_(w.to(lin.weight.dtype))
        lin.bias.copy_(b.to(lin.bias.dtype))
        names = [f"block_layers.{k}.weight", f"block_layers.{k}.bias"]
        if model.norms is not None:
            bn = model.norms[k]
            assert isinstance(bn, FoldableBatchNorm) and bn.running_var is not None and bn.running_mean is not None
            bn.weight.copy_(torch.sqrt(bn.running_var.double() + bn.eps).to(bn.weight.dtype))
            bn.bias.copy_(bn.running_mean.to(bn.bias.dtype))
            names += [f"norms.{k}.weight", f"norms.{k}.bias"]
    if freeze:
        _set_requires_grad(model, names, False, "inject")
    return Injection(tuple(float(v) for v in x), block, tuple(names), freeze, input_gradient_norm(model, x))


def _parameters(model: nn.Module, names: Iterable[str], what: str) -> dict[str, nn.Parameter]:
    params = dict(model.named_parameters())
    out = {}
    for name in names:
        if name not in params:
            raise MorsenetError(f"{what}: the model has no parameter {name!r}; allowed: {', '.join(params)}")
        out[name] = params[name]
    return out


def _set_requires_grad(model: nn.Module, names: Iterable[str], on: bool, what: str) -> tuple[str, ...]:
    chosen = _parameters(model, names, what)
    for p in chosen.values():
        p.requires_grad_(on)
    return tuple(chosen)


def freeze(model: nn.Module, names: Iterable[str]) -> tuple[str, ...]:
    """Turn off gradients of the named parameters (training leaves them bit-identical); returns the names.

    Raises:
        MorsenetError: naming an unknown parameter and the allowed names.
    """
    return _set_requires_grad(model, names, False, "freeze")


def unfreeze(model: nn.Module, names: Iterable[str]) -> tuple[str, ...]:
    """Turn gradients of the named parameters back on; returns the names (errors as `freeze`)."""
    return _set_requires_grad(model, names, True, "unfreeze")


def set_parameters(model: nn.Module, values: Mapping[str, Any], *, what: str = "set") -> tuple[str, ...]:
    """Copy hand-set values (nested lists or tensors of the parameter's shape) into the named parameters.

    Every name and shape is checked before anything is written. Returns the names set.

    Raises:
        MorsenetError: (one line, prefixed by `what`) for an unknown name (with the allowed names), a value that
            is not numbers of the parameter's shape, or a non-finite value.
    """
    chosen = _parameters(model, values, what)
    tensors: dict[str, Tensor] = {}
    for name, p in chosen.items():
        raw = values[name]
        try:
            t = torch.as_tensor(raw, dtype=torch.float64)
        except (TypeError, ValueError, RuntimeError):
            raise MorsenetError(f"{what}: {name} must be numbers of shape {list(p.shape)}, got {raw!r}") from None
        if tuple(t.shape) != tuple(p.shape):
            raise MorsenetError(f"{what}: {name} has shape {list(p.shape)}, the value given has {list(t.shape)}")
        if not bool(torch.isfinite(t).all()):
            raise MorsenetError(f"{what}: {name} must be finite numbers, got {raw!r}")
        tensors[name] = t
    with torch.no_grad():
        for name, t in tensors.items():
            chosen[name].copy_(t.to(chosen[name].dtype))
    return tuple(chosen)
