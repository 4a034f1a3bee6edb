"""Winding number of the gradient field of a 2-D scalar field along a circle."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import Tensor, nn

from ..errors import MorsenetError
from ._scalar_field import ScalarFn, as_point, as_scalar_field, derivatives


def winding_number(
    f: nn.Module | ScalarFn, center: Sequence[float] | Tensor, radius: float, *, n: int = 64, max_points: int = 1 << 15
) -> int:
    """Index of the gradient field of a 2-D scalar field along a circle (degree of grad f / |grad f|).

    Nonzero certifies a critical point inside the circle without finding it: +1 around a non-degenerate
    minimum or maximum, -1 around a saddle, -2 around a monkey saddle, 0 around no critical point.
    The circle is sampled at `n` angles and refined where the gradient direction turns by more than pi/4
    between neighbours, until every step is small or `max_points` is reached.

    Args:
        f: a model or a callable mapping (n, 2) points to values (n,) or (n, 1).
        center: (2,) the circle's centre.
        radius: the circle's radius (> 0).
        n: initial number of angles.
        max_points: refinement budget.

    Returns:
        The winding number, an integer.

    Raises:
        MorsenetError: for bad arguments, or when the gradient vanishes on (or too near) the circle.
    """
    c = as_point(center, 2, "center")
    if not (isinstance(radius, (int, float)) and math.isfinite(radius) and radius > 0):
        raise MorsenetError(f"`radius` must be a positive number, got {radius!r}")
    if isinstance(n, bool) or not isinstance(n, int) or n < 8:
        raise MorsenetError(f"`n` must be an integer >= 8, got {n!r}")
    return winding(as_scalar_field(f), c, float(radius), n=n, max_points=max_points)


def winding(call: ScalarFn, c: Tensor, radius: float, *, n: int, max_points: int) -> int:
    """`winding_number` of the float64 field `call` on checked arguments."""

    def directions(theta: Tensor) -> Tensor:
        pts = c + radius * torch.stack([torch.cos(theta), torch.sin(theta)], dim=1)
        _, g, _ = derivatives(call, pts, hessian=False)
        if not bool(torch.isfinite(g).all()) or bool((g == 0).all(dim=1).any()):
            raise MorsenetError(
                f"winding number undefined: the gradient vanishes on the circle of radius {radius:g} "
                f"around {c.tolist()}"
            )
        return torch.atan2(g[:, 1], g[:, 0])

    theta = torch.linspace(0, 2 * math.pi, n + 1, dtype=torch.float64)[:-1]
    phi = directions(theta)
    while True:
        nxt = torch.roll(phi, -1)
        dphi = torch.remainder(nxt - phi + math.pi, 2 * math.pi) - math.pi
        bad = dphi.abs() > math.pi / 4
        if not bool(bad.any()):
            return round(float(dphi.sum()) / (2 * math.pi))
        if len(theta) + int(bad.sum()) > max_points:
            raise MorsenetError(
                f"winding number undefined: the gradient (nearly) vanishes on the circle of radius "
                f"{radius:g} around {c.tolist()}"
            )
        nxt_theta = torch.roll(theta, -1)
        nxt_theta[-1] += 2 * math.pi
        mid = (theta[bad] + nxt_theta[bad]) / 2
        theta = torch.cat([theta, mid])
        phi = torch.cat([phi, directions(mid)])
        order = torch.argsort(theta)
        theta, phi = theta[order], phi[order]
