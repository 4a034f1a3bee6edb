"""The record of an injected critical point during retraining: |grad f(x0)| and the nearest critical point.

The trace follows the critical point it found last time (a few Levenberg-Marquardt steps on grad f = 0, float64)
and searches from x0 and a ring of starts around it afresh when that fails and every `FULL_SEARCH_EVERY`
records. The injected point "survives" when, at the end, a critical point lies within `SURVIVAL_RADIUS` of x0.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from ..models import input_gradient_norm

__all__ = ["FULL_SEARCH_EVERY", "SURVIVAL_RADIUS", "InjectionTrace", "nearest_critical_distance",
           "nearest_critical_point"]  # fmt: skip

# The injected critical point "survives" when a critical point lies within this distance of x0 (input units).
SURVIVAL_RADIUS = 0.05
# The trace follows the critical point it found last time and searches around x0 afresh every this many records.
FULL_SEARCH_EVERY = 10


@dataclass
class InjectionTrace:
    """|grad f(x0)| and the distance from x0 to the nearest critical point found, after an injection.

    `epochs[i]` is the number of epochs trained when the values were taken (`injected_at` the first);
    `nearest_distance[i]` is None when no critical point was found near x0."""

    x0: tuple[float, ...]
    block: int
    injected_at: int
    epochs: list[int] = field(default_factory=list)
    gradient_norm: list[float] = field(default_factory=list)
    nearest_distance: list[float | None] = field(default_factory=list)
    radius: float = SURVIVAL_RADIUS
    _last: tuple[float, ...] | None = field(default=None, repr=False, compare=False)

    @property
    def survives(self) -> bool:
        d = self.nearest_distance[-1] if self.nearest_distance else None
        return d is not None and d <= self.radius

    @property
    def verdict(self) -> str:
        d = self.nearest_distance[-1] if self.nearest_distance else None
        point = "(" + ", ".join(f"{v:g}" for v in self.x0) + ")"
        if self.survives:
            return (f"the injected critical point at {point} survives retraining (nearest critical point at "
                    f"distance {d:.3g} <= {self.radius:g})")  # fmt: skip
        where = "none found near x0" if d is None else f"nearest critical point at distance {d:.3g} > {self.radius:g}"
        return f"the injected critical point at {point} is lost ({where})"

    def record(self, epochs: int, model: nn.Module) -> None:
        """Append the values for `model` after `epochs` epochs (a second record at the same count replaces the
        first: the state restored at the end of a stage is the one that counts)."""
        if self.epochs and self.epochs[-1] == epochs:
            self.epochs.pop(), self.gradient_norm.pop(), self.nearest_distance.pop()
        found = None
        if self._last is not None:  # track the critical point found last time (a few Newton steps) ...
            found = nearest_critical_point(model, self.x0, starts=[self._last], ring=False, from_x0=False)
        if found is None or len(self.epochs) % FULL_SEARCH_EVERY == 0:  # ... and search around x0 afresh
            fresh = nearest_critical_point(model, self.x0)
            found = fresh if found is None or (fresh is not None and fresh[0] < found[0]) else found
        self._last = None if found is None else found[1]
        self.epochs.append(epochs)
        self.gradient_norm.append(input_gradient_norm(model, self.x0))
        self.nearest_distance.append(None if found is None else found[0])

    def to_dict(self) -> dict[str, Any]:
        return {"x0": list(self.x0), "block": self.block, "injected_at": self.injected_at, "epochs": self.epochs,
                "gradient_norm": self.gradient_norm, "nearest_distance": self.nearest_distance, "radius": self.radius,
                "survives": self.survives, "verdict": self.verdict}  # fmt: skip

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> InjectionTrace:
        return cls(tuple(float(v) for v in d["x0"]), int(d["block"]), int(d["injected_at"]),
                   [int(e) for e in d["epochs"]], [float(g) for g in d["gradient_norm"]],
                   [None if v is None else float(v) for v in d["nearest_distance"]],
                   float(d.get("radius", SURVIVAL_RADIUS)))  # fmt: skip


def nearest_critical_point(
    model: nn.Module,
    x0: Sequence[float],
    *,
    spread: float = 0.25,
    starts: Sequence[Sequence[float]] = (),
    ring: bool = True,
    from_x0: bool = True,
) -> tuple[float, tuple[float, ...]] | None:
    """(distance, point): the critical point nearest to x0 that Levenberg-Marquardt on grad f = 0 reaches from
    x0 (`from_x0`), from `starts`, and (`ring`) from 8 starts on circles of radius `spread` and 2 `spread` around x0
    (float64, eval mode); None if none converges (|grad f| <= 1e-9, and <= 1e-9 times the largest |grad f| at
    the starts when that is below 1)."""
    from ..analysis._refinement import RefineSettings, refine
    from ..analysis._scalar_field import as_scalar_field, derivatives

    m = copy.deepcopy(model).double().eval()
    call = as_scalar_field(m)
    c = torch.as_tensor(x0, dtype=torch.float64).reshape(1, -1)
    d = c.shape[1]
    points = [c] if from_x0 else []
    points += [torch.as_tensor(p, dtype=torch.float64).reshape(1, d) for p in starts]
    if ring and d == 1:
        points.append(c + spread * torch.tensor([[-1.0], [1.0], [-2.0], [2.0]], dtype=torch.float64))
    elif ring:
        angles = torch.arange(4, dtype=torch.float64) * (math.pi / 2)
        circle = torch.zeros(4, d, dtype=torch.float64)
        circle[:, 0], circle[:, 1] = torch.cos(angles), torch.sin(angles)
        points += [c + spread * circle, c + 2 * spread * circle.roll(1, dims=1)]
    x = torch.cat(points)
    _, g0, _ = derivatives(call, x, hessian=False)
    scale = float(torch.linalg.vector_norm(g0, dim=1).max())
    tol = min(1e-9, 1e-9 * scale) if scale > 0 else 1e-12
    settings = RefineSettings(iters=40, target=tol * 1e-3, max_step=spread, lo=c[0] - 10, hi=c[0] + 10, escape=1.0,
                              stall_window=6)  # fmt: skip
    x, _, g, _ = refine(call, x, settings)
    ok = torch.linalg.vector_norm(g, dim=1) <= tol
    if not bool(ok.any()):
        return None
    dist = torch.linalg.vector_norm(x - c, dim=1).masked_fill(~ok, math.inf)
    k = int(dist.argmin())
    return float(dist[k]), tuple(float(v) for v in x[k])


def nearest_critical_distance(model: nn.Module, x0: Sequence[float], *, spread: float = 0.25) -> float | None:
    """The distance part of `nearest_critical_point` (None when no critical point was found near x0)."""
    found = nearest_critical_point(model, x0, spread=spread)
    return None if found is None else found[0]
