"""Scalar fields in float64 and what analyses read off a model: its dtype, eval mode, input dimension, pre-activations."""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence

import torch
from torch import Tensor, nn

from ..errors import MorsenetError
from ..models import MorseModel
from ._grid import EVALUATION_CHUNK, map_chunks

ScalarFn = Callable[[Tensor], Tensor]


def as_scalar_field(f: nn.Module | ScalarFn) -> ScalarFn:
    """Wrap a model or a callable as a float64 function from (n, d) to (n,).

    A module is deep-copied, cast to float64 and put in eval mode (the caller's model is untouched);
    its parameters stop requiring gradients so only input derivatives are built.
    """
    if isinstance(f, nn.Module):
        fn: ScalarFn = float64_copy(f)
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


def evaluate(call: ScalarFn, x: Tensor, *, chunk: int = EVALUATION_CHUNK) -> Tensor:
    """Values of `call` at points x of shape (n, d), without gradients, in chunks; shape (n,)."""
    if not len(x):
        return x.new_zeros(0)
    with torch.no_grad():
        (values,) = map_chunks(lambda p: (call(p),), x, chunk)
    return values


def derivatives(call: ScalarFn, x: Tensor, *, hessian: bool = True) -> tuple[Tensor, Tensor, Tensor | None]:
    """Value (n,), gradient (n, d) and Hessian (n, d, d) of a pointwise scalar field, by batched autograd.

    Rows of `x` must not interact inside `call` (true for eval-mode models), so the gradient of the sum
    is the per-point gradient. A field that computes its own derivatives (a `derivatives(x, hessian=)` method,
    as the exact layer chain of `_exact_field`) is asked directly.
    """
    own = getattr(call, "derivatives", None)
    if callable(own):
        out: tuple[Tensor, Tensor, Tensor | None] = own(x.detach(), hessian=hessian)
        return out
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


def float64_copy(f: nn.Module) -> nn.Module:
    """A float64 eval-mode deep copy of `f` whose parameters do not require gradients (`f` is untouched)."""
    model = copy.deepcopy(f).double().eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model


def preactivation_fn(f: object) -> Callable[[Tensor], Tensor] | None:
    """For a morsenet model with a layer chain: a float64 function x (n, d) -> (n, k) of every hidden
    pre-activation (`MorseModel.preactivations` of a float64 eval copy).

    Saturated neurons (|z| large, sigma' ~ 0 to machine precision) turn a narrow net into a numerical
    bottleneck, whose fake critical continua no gradient tolerance can tell from real ones (THEORY.md 4.2);
    the pre-activations give the direct check. Other objects (neural ODEs, plain callables) give None.
    """
    if not isinstance(f, MorseModel) or f.chain() is None:
        return None
    model = float64_copy(f)
    assert isinstance(model, MorseModel)

    def pre(x: Tensor) -> Tensor:
        z = model.preactivations(x)
        assert z is not None  # the model has a chain
        return z

    return pre


def infer_dtype(f: Callable, dtype: torch.dtype | None) -> torch.dtype:
    """`dtype` if given, else the dtype of the first floating parameter of `f` (a module), else float32."""
    if dtype is not None:
        return dtype
    if isinstance(f, nn.Module):
        for p in f.parameters():
            if p.is_floating_point():
                return p.dtype
    return torch.float32


class eval_mode:
    """Context manager: put a module in eval mode (BatchNorm uses running statistics) and restore it after.

    Analyses describe the trained function; in train mode BatchNorm would couple the points of a batch.
    """

    def __init__(self, f: object) -> None:
        self.module = f if isinstance(f, nn.Module) and f.training else None

    def __enter__(self) -> None:
        if self.module is not None:
            self.module.eval()

    def __exit__(self, *exc: object) -> None:
        if self.module is not None:
            self.module.train()


def check_input_dim(f: object, dim: int, what: str) -> None:
    """A morsenet model must take `dim` inputs for `what`; plain callables are trusted."""
    if isinstance(f, MorseModel) and f.input_dim != dim:
        n = f.input_dim
        raise MorsenetError(
            f"{what} needs a model with {dim} input{'s' if dim > 1 else ''}; this {type(f).__name__} takes {n}"
        )
