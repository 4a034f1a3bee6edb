"""Result types of the critical-point search: one `CriticalPoint` per point or continuum, and the search."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from torch import Tensor

from ._grid import Box

KINDS = ("minimum", "maximum", "saddle", "degenerate")


@dataclass(frozen=True)
class CriticalPoint:
    """One critical point, or one connected continuum of degenerate critical points.

    Attributes:
        location: (d,) the point (for a continuum: the member closest to the box centre).
        value: f at `location`.
        kind: minimum, maximum, saddle or degenerate.
        index: Morse index, the number of negative Hessian eigenvalues (null directions excluded).
        eigenvalues: (d,) Hessian eigenvalues, ascending.
        gradient_norm: |grad f| at `location` after refinement.
        continuum: True when the point lies on a curve or surface of critical points.
        null_directions: (k, d) unit directions along which grad f stays ~0 (k = continuum dimension).
        n_merged: how many refined starts ended here (for a continuum: how many members were merged).
        members: (n_merged, d) the merged points of a continuum, sorted along its main direction; None otherwise.
        max_preactivation: largest |pre-activation| of any hidden neuron at `location` (None when unknown).
    """

    location: Tensor
    value: float
    kind: str
    index: int
    eigenvalues: Tensor
    gradient_norm: float
    continuum: bool = False
    null_directions: Tensor | None = None
    n_merged: int = 1
    members: Tensor | None = None
    max_preactivation: float | None = None

    @property
    def degenerate(self) -> bool:
        return self.kind == "degenerate"

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "location": self.location.tolist(),
            "value": self.value,
            "kind": self.kind,
            "index": self.index,
            "eigenvalues": self.eigenvalues.tolist(),
            "gradient_norm": self.gradient_norm,
            "continuum": self.continuum,
            "n_merged": self.n_merged,
            "max_preactivation": self.max_preactivation,
            "null_directions": None if self.null_directions is None else self.null_directions.tolist(),
        }
        if self.members is not None:
            d["extent"] = {"first": self.members[0].tolist(), "last": self.members[-1].tolist()}
        return d


@dataclass(frozen=True)
class CriticalPointSearch:
    """Result of `find_critical_points`.

    Attributes:
        points: critical points (continua merged into one entry each), sorted by location.
        box: the searched box.
        n_starts: number of random starts.
        seed: the seed given (None when a generator or None was passed).
        grad_scale: largest |grad f| over the starts; tolerances are relative to it.
        tolerance: |grad f| below which a refined point becomes a candidate (1e-6 * grad_scale); candidates
            must then pass the local tests described in `find_critical_points`.
        n_converged: starts whose refinement reached the tolerance inside the box.
        n_rejected: converged starts rejected by the local checks: |grad f| not growing symmetrically
            around the point (a saturated tail), a hidden pre-activation beyond `preactivation_bound`, or a
            gradient along a flat Hessian direction above the rounding floor of the chain rule (a near-critical
            valley of a nearly rank-deficient net).
        flat: True when f is numerically constant on the box (grad f = 0 at every start).
    """

    points: list[CriticalPoint]
    box: Box
    n_starts: int
    seed: int | None
    grad_scale: float
    tolerance: float
    n_converged: int
    n_rejected: int
    flat: bool = False

    @property
    def counts(self) -> dict[str, int]:
        """Number of points of each kind (all of `KINDS`, zeros included)."""
        return {k: sum(p.kind == k for p in self.points) for k in KINDS}

    @property
    def n_continua(self) -> int:
        return sum(p.continuum for p in self.points)

    @property
    def n_nondegenerate(self) -> int:
        return sum(not p.degenerate for p in self.points)

    @property
    def n_degenerate(self) -> int:
        return sum(p.degenerate for p in self.points)

    def summary(self) -> str:
        """One line, e.g. "2 critical points: 1 minimum, 1 saddle" or "1 continuum of degenerate critical points"."""
        if self.flat:
            return "f is constant on the box: every point is critical (degenerate)"
        if not self.points:
            return (
                f"no critical points in the box ({self.n_starts} starts, {self.n_rejected} near-critical starts "
                "rejected)"
            )
        parts = [f"{n} {k if n == 1 else _plural(k)}" for k, n in self.counts.items() if n and k != "degenerate"]
        iso = self.n_degenerate - self.n_continua
        if iso:
            parts.append(f"{iso} isolated degenerate")
        if self.n_continua:
            parts.append(
                f"{self.n_continua} {'continuum' if self.n_continua == 1 else 'continua'} of degenerate critical points"
            )
        return f"{len(self.points)} critical {'point' if len(self.points) == 1 else 'points'}: " + ", ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "points": [p.to_dict() for p in self.points],
            "counts": dict(self.counts),
            "n_continua": self.n_continua,
            "box": [list(b) for b in self.box],
            "n_starts": self.n_starts,
            "seed": self.seed,
            "grad_scale": self.grad_scale,
            "tolerance": self.tolerance,
            "n_converged": self.n_converged,
            "n_rejected": self.n_rejected,
            "flat": self.flat,
            "summary": self.summary(),
        }


def _plural(kind: str) -> str:
    return {"minimum": "minima", "maximum": "maxima", "saddle": "saddles"}.get(kind, kind)
