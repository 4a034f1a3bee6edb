"""Private helpers shared by the critical-point and topology analyses: scalar fields in float64 and boxes."""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Sequence

import torch
from torch import Tensor, nn

from ..errors import MorsenetError

Box = tuple[tuple[float, float], ...]
ScalarFn = Callable[[Tensor], Tensor]


def check_box(box: object, dim: int | None = None, *, name: str = "box") -> Box:
    """Normalise `box` to ((lo, hi), ...) with finite lo < hi; `dim`, when given, is the required length.

    Raises:
        MorsenetError: for anything else.
    """
    try:
        pairs = tuple((float(lo), float(hi)) for lo, hi in box)  # type: ignore[union-attr]
    except (TypeError, ValueError):
        raise MorsenetError(f"`{name}` must be a sequence of (lo, hi) pairs, one per dimension, got {box!r}") from None
    if not pairs or len(pairs) > 3:
        raise MorsenetError(f"`{name}` must have 1, 2 or 3 (lo, hi) pairs, got {len(pairs)}")
    if dim is not None and len(pairs) != dim:
        raise MorsenetError(f"`{name}` has {len(pairs)} (lo, hi) pairs but the function takes {dim}-D points")
    for lo, hi in pairs:
        if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
            raise MorsenetError(f"`{name}` needs finite lo < hi in every dimension, got {pairs}")
    return pairs


def box_tensors(box: Box) -> tuple[Tensor, Tensor]:
    """Lower and upper corners, each of shape (d,), float64."""
    lo = torch.tensor([p[0] for p in box], dtype=torch.float64)
    hi = torch.tensor([p[1] for p in box], dtype=torch.float64)
    return lo, hi


def as_scalar_field(f: nn.Module | ScalarFn) -> ScalarFn:
    """Wrap a model or a callable as a float64 function from (n, d) to (n,).

    A module is deep-copied, cast to float64 and put in eval mode (the caller's model is untouched);
    its parameters stop requiring gradients so only input derivatives are built.
    """
    if isinstance(f, nn.Module):
        model = copy.deepcopy(f).double().eval()
        for p in model.parameters():
            p.requires_grad_(False)
        fn: ScalarFn = model
    elif callable(f):
        fn = f
    else:
        raise MorsenetError(
            f"expected a model or a callable mapping (n, d) points to (n,) values, got {type(f).__name__}"
        )

    def call(x: Tensor) -> Tensor:
        y = fn(x)
        if not isinstance(y, Tensor):
            raise MorsenetError(f"the function must return a tensor, got {type(y).__name__}")
        if y.ndim == 2 and y.shape[1] == 1:
            y = y[:, 0]
        if y.shape != (x.shape[0],):
            raise MorsenetError(
                f"the function must map points of shape (n, {x.shape[1]}) to values of shape (n,) "
                f"or (n, 1), got {tuple(y.shape)}"
            )
        return y.to(torch.float64)

    return call


def evaluate(call: ScalarFn, x: Tensor, *, chunk: int = 65536) -> Tensor:
    """Values of `call` at points x of shape (n, d), without gradients, in chunks; shape (n,)."""
    with torch.no_grad():
        return (
            torch.cat([call(x[i : i + chunk]) for i in range(0, max(len(x), 1), chunk)]) if len(x) else x.new_zeros(0)
        )


def derivatives(call: ScalarFn, x: Tensor, *, hessian: bool = True) -> tuple[Tensor, Tensor, Tensor | None]:
    """Value (n,), gradient (n, d) and Hessian (n, d, d) of a pointwise scalar field, by batched autograd.

    Rows of `x` must not interact inside `call` (true for eval-mode models), so the gradient of the sum
    is the per-point gradient.
    """
    d = x.shape[1]
    x = x.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        y = call(x)
        if not y.requires_grad:
            zero = torch.zeros_like(x)
            return y.detach(), zero, (torch.zeros(*x.shape, d, dtype=x.dtype) if hessian else None)
        (g,) = torch.autograd.grad(y.sum(), x, create_graph=hessian)
        h = None
        if hessian:
            if g.requires_grad:
                rows = []
                for i in range(d):
                    (r,) = torch.autograd.grad(g[:, i].sum(), x, retain_graph=i < d - 1, allow_unused=True)
                    rows.append(torch.zeros_like(x) if r is None else r)
                h = torch.stack(rows, dim=1)
                h = 0.5 * (h + h.transpose(1, 2))
            else:
                h = torch.zeros(*x.shape, d, dtype=x.dtype)
    return y.detach(), g.detach(), None if h is None else h.detach()


def as_point(p: Sequence[float] | Tensor, d: int, name: str) -> Tensor:
    t = torch.as_tensor(p, dtype=torch.float64).reshape(-1)
    if t.numel() != d or not bool(torch.isfinite(t).all()):
        raise MorsenetError(f"`{name}` must be {d} finite numbers, got {p!r}")
    return t


def preactivation_fn(f: object) -> Callable[[Tensor], Tensor] | None:
    """For a morsenet MLP or ResNet: a float64 function x (n, d) -> (n, k) of every hidden pre-activation.

    Saturated neurons (|z| large, sigma' ~ 0 to machine precision) turn a narrow net into a numerical
    bottleneck, whose fake critical continua no gradient tolerance can tell from real ones (THEORY.md 4.2);
    the pre-activations give the direct check. Other objects (neural ODEs, plain callables) give None.
    """
    if not isinstance(f, nn.Module) or not callable(getattr(f, "config", None)):
        return None
    try:
        kind = f.config().get("kind")
    except Exception:  # a module with an unrelated config() is simply not ours
        return None
    if kind not in ("mlp", "resnet"):
        return None
    model = copy.deepcopy(f).double().eval()
    maps = model.affine_maps()[:-1]  # every affine map inside an activation (BatchNorm folded)

    def pre(x: Tensor) -> Tensor:
        with torch.no_grad():
            zs = []
            for layer, (w, b) in enumerate(maps):
                h = x if layer == 0 else model.hidden(x, layer)
                zs.append(h @ w.T + b)
            return torch.cat(zs, dim=1) if zs else x.new_zeros(len(x), 0)

    return pre
