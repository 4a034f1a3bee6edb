"""Per-layer derivatives of a 1-D network of width 1, each against THAT layer's own input (the companion's figure).

A width-1 chain maps a scalar through layers h_{j+1} = phi_j(h_j): a plain layer `phi(h) = act(w h + b)`, a
residual block `phi(h) = skip h + residual act(w h + b)`, and the read-out `phi(h) = w h + b`. The figure plots
phi_j'(h) for h on the range that h_j takes when x runs over the interval, with the zero crossings marked: the
network's derivative f'(x) = prod_j phi_j'(h_j(x)) vanishes exactly where some layer's derivative does at h_j(x).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from ..errors import MorsenetError
from ..models import MorseModel

__all__ = ["LayerDerivative", "OneDLayers", "one_d_layers", "zero_crossings"]


@dataclass(frozen=True)
class LayerDerivative:
    """One layer's derivative against its own input: `h` on [lo, hi] (the range of the layer's input over the
    interval), `derivative` phi'(h), its `zeros`, and the layer's signed `weight` and `bias`."""

    name: str
    lo: float
    hi: float
    h: np.ndarray
    derivative: np.ndarray
    zeros: tuple[float, ...]
    weight: float
    bias: float


@dataclass(frozen=True)
class OneDLayers:
    """The fitted curve (`x`, `y`) and every layer's derivative (read-out last); `epoch` when from a snapshot."""

    x: np.ndarray
    y: np.ndarray
    layers: tuple[LayerDerivative, ...]
    epoch: int | None = None


def zero_crossings(h: np.ndarray, d: np.ndarray) -> tuple[float, ...]:
    """Where d changes sign along h (linear interpolation between grid points; exact zeros included once)."""
    out: list[float] = []
    for i in range(len(h) - 1):
        a, b = d[i], d[i + 1]
        if a == 0 and (i == 0 or d[i - 1] != 0):
            out.append(float(h[i]))
        elif a * b < 0:
            out.append(float(h[i] - a * (h[i + 1] - h[i]) / (b - a)))
    if len(d) and d[-1] == 0 and (len(d) == 1 or d[-2] != 0):
        out.append(float(h[-1]))
    return tuple(out)


def _check(model: MorseModel) -> tuple[Sequence[Any], Any]:
    chain = model.chain()
    if model.input_dim != 1 or chain is None:
        raise MorsenetError("per-layer 1-D derivatives need a 1-D layer chain (an MLP or ResNet on 1-D inputs)")
    maps = model.named_affine_maps()
    if any(m.weight.shape != (1, 1) for m in maps):
        raise MorsenetError("per-layer 1-D derivatives need width 1 in every layer (each layer maps a number)")
    return chain, maps[-1]


def one_d_layers(
    model: MorseModel, interval: tuple[float, float] = (-1.0, 1.0), resolution: int = 401, *, epoch: int | None = None
) -> OneDLayers:
    """Each layer's derivative phi_j'(h) on the range of its input h_j(x), x in `interval` (float64, eval mode).

    Raises:
        MorsenetError: for a model with inputs other than 1-D or a layer wider than 1.
    """
    chain, readout = _check(model)
    act = model.act
    x = torch.linspace(float(interval[0]), float(interval[1]), int(resolution), dtype=torch.float64)
    num = lambda t: float(t.detach().reshape(()))  # noqa: E731
    steps = [(s.name, num(s.weight), num(s.bias), float(s.skip), float(s.residual), True) for s in chain]
    steps.append(("readout", num(readout.weight), num(readout.bias), 0.0, 1.0, False))
    h = x.clone()
    layers = []
    for name, w, b, skip, residual, nonlinear in steps:
        lo, hi = float(h.min()), float(h.max())
        if hi - lo < 1e-12:  # a constant input: a small neighbourhood so the curve is visible
            lo, hi = lo - 0.5, hi + 0.5
        grid = torch.linspace(lo, hi, int(resolution), dtype=torch.float64).requires_grad_(True)

        def phi(v: torch.Tensor, w: float = w, b: float = b, skip: float = skip, residual: float = residual,
                nonlinear: bool = nonlinear) -> torch.Tensor:  # fmt: skip
            return skip * v + residual * (act(w * v + b) if nonlinear else w * v + b)

        (deriv,) = torch.autograd.grad(phi(grid).sum(), grid)
        hs, ds = grid.detach().numpy(), deriv.detach().numpy()
        layers.append(LayerDerivative(name, lo, hi, hs, ds, zero_crossings(hs, ds), w, b))
        with torch.no_grad():
            h = phi(h)
    return OneDLayers(x.numpy(), h.detach().numpy(), tuple(layers), epoch)
