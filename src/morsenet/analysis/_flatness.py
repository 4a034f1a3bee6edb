"""Flatness and plateaus of a scalar field, decided from its values and gradients on a grid over the box.

"f is constant on the box" is a statement about values: it holds when the values on the grid agree to float64
resolution, never because the gradient happens to be tiny at some starts (a random width-2 net whose logit spans
[-37, 21] has such starts). Plateaus are the connected sets of grid nodes where the gradient is exactly zero,
the flat regions of ReLU networks; they are reported as plateaus, not as critical points.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from scipy import ndimage

from ._critical_result import Plateau
from ._grid import Box, axis
from ._scalar_field import ScalarFn, derivatives

_EPS = float(torch.finfo(torch.float64).eps)

# Grid nodes per axis in 1, 2 and 3 dimensions.
FLATNESS_NODES = {1: 257, 2: 33, 3: 13}


@dataclass(frozen=True)
class ValueGrid:
    """Values of the field on a grid: whether it is constant, its range, its largest |grad f|, its plateaus."""

    flat: bool
    value_range: tuple[float, float]
    grad_scale: float
    plateaus: tuple[Plateau, ...]


def value_grid(field: ScalarFn, box: Box, nodes: int | None = None) -> ValueGrid:
    """Evaluate `field` and its gradient on a uniform grid over `box` (see the module docstring)."""
    d = len(box)
    n = FLATNESS_NODES[d] if nodes is None else nodes
    axes = [axis(lo, hi, n) for lo, hi in box]
    mesh = torch.meshgrid(*axes, indexing="ij")
    pts = torch.stack([m.reshape(-1) for m in mesh], dim=1)
    v, g, _ = derivatives(field, pts, hessian=False)
    finite = torch.isfinite(v)
    vf = v[finite]
    vmin, vmax = (float(vf.min()), float(vf.max())) if vf.numel() else (0.0, 0.0)
    scale = max(abs(vmin), abs(vmax))
    flat = bool(finite.all()) and (vmax - vmin) <= 64 * _EPS * scale
    gn = torch.nan_to_num(torch.linalg.vector_norm(g, dim=1), nan=0.0, posinf=0.0)
    zero = ((g == 0).all(dim=1) & finite).reshape((n,) * d).numpy()
    plateaus = () if flat else _plateaus(zero, axes, v.reshape((n,) * d).numpy())
    return ValueGrid(flat, (vmin, vmax), float(gn.max()) if gn.numel() else 0.0, plateaus)


def _plateaus(zero: np.ndarray, axes: list[torch.Tensor], values: np.ndarray) -> tuple[Plateau, ...]:
    if not zero.any():
        return ()
    labels, k = ndimage.label(zero)  # face-connected components
    interior = ndimage.binary_erosion(zero, border_value=1)  # nodes whose face neighbours are all flat too
    total = zero.size
    out = []
    for lab in range(1, k + 1):
        if not interior[labels == lab].any():
            continue  # a line or an isolated node of zero gradient (critical points), not a flat region
        idx = np.nonzero(labels == lab)
        bbox = tuple((float(a[i.min()]), float(a[i.max()])) for a, i in zip(axes, idx))
        first = tuple(int(i[0]) for i in idx)
        out.append(Plateau(int(len(idx[0])), len(idx[0]) / total, bbox, float(values[first])))
    return tuple(sorted(out, key=lambda p: -p.n_nodes))
