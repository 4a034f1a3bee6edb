"""The critical point "shifted to infinity": how close a critical point comes, and how small |grad f| gets,
on circles of growing radius around the centre (the tunnel effect's mechanism, KKW-Tunnel).

A width-2 network trained to enclose a disk would need a minimum inside it; it cannot have one, so training
pushes the would-be minimum outwards: min |grad f| over the circle of radius r keeps falling as r grows, and no
critical point appears up to any radius. The analysis samples |grad f| on circles out to
`box_radius * 2**doublings`, refines the smallest samples of every circle into critical points (the usual
local checks), and reports the nearest one's distance or "none up to R".
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from ..errors import MorsenetError
from . import _repr
from ._critical_result import CriticalPoint
from ._exact_field import flush_denormals
from ._grid import Box
from ._scalar_field import ScalarFn, as_point, as_scalar_field, derivatives
from ._search_core import SearchContext, search_starts


@dataclass(frozen=True)
class EscapeAnalysis:
    """min |grad f| on circles of growing radius and the nearest critical point.

    Attributes:
        center: the circles' centre.
        radii: (m,) the radii, geometric from box_radius / 64 to `max_radius`.
        min_gradient: (m,) the smallest |grad f| sampled on each circle (then refined by the search).
        box_radius: the radius of the analysed box (where the ordinary search stops).
        max_radius: the largest radius searched.
        points: critical points found up to `max_radius`, nearest first.
        nearest_critical_distance: distance of the nearest critical point from the centre; None when none was
            found up to `max_radius` (the sweep column of the same name).
    """

    center: tuple[float, float]
    radii: np.ndarray
    min_gradient: np.ndarray
    box_radius: float
    max_radius: float
    points: tuple[CriticalPoint, ...]
    nearest_critical_distance: float | None

    @property
    def nearest(self) -> CriticalPoint | None:
        return self.points[0] if self.points else None

    def __repr__(self) -> str:
        g = self.min_gradient
        fall = "" if not len(g) else f", min |grad f| {g[0]:.2g} -> {g[-1]:.2g}"
        return (
            f"EscapeAnalysis(nearest_critical_distance={_repr.num(self.nearest_critical_distance)}, "
            f"critical_points={len(self.points)}, circles={len(self.radii)}, box_radius={_repr.num(self.box_radius)}, "
            f"max_radius={_repr.num(self.max_radius)}{fall})"
        )

    def summary(self) -> str:
        if self.nearest is None:
            return (
                f"no critical point up to R = {self.max_radius:.3g} ({self.max_radius / self.box_radius:.0f} x the "
                f"box radius); min |grad f| falls from {self.min_gradient[0]:.2g} to {self.min_gradient[-1]:.2g}"
            )
        return (
            f"nearest critical point at distance {self.nearest_critical_distance:.3g} from the centre "
            f"({self.nearest.kind}); searched up to R = {self.max_radius:.3g}"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "center": list(self.center),
            "radii": self.radii.tolist(),
            "min_gradient": self.min_gradient.tolist(),
            "box_radius": self.box_radius,
            "max_radius": self.max_radius,
            "nearest_critical_distance": self.nearest_critical_distance,
            "points": [p.to_dict() for p in self.points],
            "summary": self.summary(),
        }


def escape_analysis(
    f: nn.Module | ScalarFn,
    center: Sequence[float] = (0.0, 0.0),
    *,
    box_radius: float = 2.0,
    doublings: int = 4,
    n_radii: int = 48,
    n_angles: int = 256,
    starts_per_circle: int = 2,
) -> EscapeAnalysis:
    """min |grad f| on circles around `center` out to `box_radius * 2**doublings`, and the nearest critical point.

    Args:
        f: a 2-D model or a callable mapping (n, 2) points to values (n,) or (n, 1).
        center: (2,) centre of the circles (the disk's centre).
        box_radius: radius of the analysed box; the circles start at box_radius / 64.
        doublings: how many times the radius doubles beyond the box.
        n_radii: circles (geometrically spaced).
        n_angles: gradient samples per circle.
        starts_per_circle: the smallest samples of every circle refined as critical-point starts.

    Returns:
        An `EscapeAnalysis`.

    Raises:
        MorsenetError: for bad arguments.
    """
    c = as_point(center, 2, "center")
    for name, v, low in (("doublings", doublings, 0), ("n_radii", n_radii, 4), ("n_angles", n_angles, 8),
                         ("starts_per_circle", starts_per_circle, 1)):  # fmt: skip
        if isinstance(v, bool) or not isinstance(v, int) or v < low:
            raise MorsenetError(f"`{name}` must be an integer >= {low}, got {v!r}")
    if not (isinstance(box_radius, (int, float)) and math.isfinite(box_radius) and box_radius > 0):
        raise MorsenetError(f"`box_radius` must be a positive number, got {box_radius!r}")
    with flush_denormals():
        return _escape(f, c, float(box_radius), doublings, n_radii, n_angles, starts_per_circle)


def _escape(
    f: nn.Module | ScalarFn, c: torch.Tensor, box_radius: float, doublings: int, n_radii: int, n_angles: int,
    starts_per_circle: int,
) -> EscapeAnalysis:  # fmt: skip
    call = as_scalar_field(f)
    r_max = float(box_radius) * 2**doublings
    radii = torch.logspace(math.log10(box_radius / 64), math.log10(r_max), n_radii, dtype=torch.float64)
    theta = (torch.arange(n_angles, dtype=torch.float64) + 0.5) * 2 * math.pi / n_angles
    pts = c + radii[:, None, None] * torch.stack([theta.cos(), theta.sin()], dim=1)[None]
    box: Box = ((float(c[0]) - r_max, float(c[0]) + r_max), (float(c[1]) - r_max, float(c[1]) + r_max))
    ctx = SearchContext.build(
        f, call, box, gtol=1e-14, eig_rtol=1e-6, max_iter=100, preactivation_bound=None, preactivations=None,
        merge_radius=None,
    )  # fmt: skip
    _, g, _ = derivatives(ctx.field, pts.reshape(-1, 2), hessian=False)
    gn = torch.nan_to_num(torch.linalg.vector_norm(g, dim=1), nan=math.inf).reshape(n_radii, n_angles)
    k = min(starts_per_circle, n_angles)
    low = torch.topk(gn, k, dim=1, largest=False).indices
    starts = torch.gather(pts, 1, low[:, :, None].expand(-1, -1, 2)).reshape(-1, 2)
    ctx = ctx.with_scale(float(torch.nan_to_num(gn, posinf=0.0).max()))
    found = search_starts(ctx, starts) if ctx.grad_scale > 0 else None
    points = [] if found is None else [p for p in found.points if _dist(p, c) <= r_max]
    points.sort(key=lambda p: _dist(p, c))
    return EscapeAnalysis(
        center=(float(c[0]), float(c[1])),
        radii=radii.numpy(),
        min_gradient=gn.min(dim=1).values.numpy(),
        box_radius=float(box_radius),
        max_radius=r_max,
        points=tuple(points),
        nearest_critical_distance=_dist(points[0], c) if points else None,
    )


def _dist(p: CriticalPoint, c: torch.Tensor) -> float:
    if p.continuum and p.members is not None:
        return float(torch.linalg.vector_norm(p.members - c, dim=1).min())
    return float(torch.linalg.vector_norm(p.location - c))
