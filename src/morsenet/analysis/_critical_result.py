"""Result types of the critical-point search: one `CriticalPoint` per point or continuum, and the search."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import torch
from torch import Tensor

from . import _repr
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
        product_sigma_min_log10: log10 of the smallest singular value of the layer Jacobians' product
            dh_L/dx at `location` (layer chains only; None otherwise).
        numerically_degenerate: every layer has full rank but that product is below float64 resolution, so
            float64 cannot decide whether this is a critical point (listed apart, never in `points`).
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
    product_sigma_min_log10: float | None = None
    numerically_degenerate: bool = False

    @property
    def degenerate(self) -> bool:
        return self.kind == "degenerate"

    @property
    def endpoints(self) -> tuple[Tensor, Tensor] | None:
        """First and last member of a continuum (its extent along its main direction); None otherwise."""
        if self.members is None or len(self.members) == 0:
            return None
        return self.members[0], self.members[-1]

    @property
    def length(self) -> float | None:
        """Length of a continuum's polyline through its sorted members (0 for a single member); None otherwise."""
        if self.members is None:
            return None
        if len(self.members) < 2:
            return 0.0
        return float(torch.linalg.vector_norm(self.members[1:] - self.members[:-1], dim=1).sum())

    @property
    def critical_set(self) -> str:
        """The connected set of critical points this one belongs to: "point" (isolated), "line" or "surface" (a
        continuum of that dimension; "continuum" when its dimension is unknown)."""
        if not self.continuum:
            return "point"
        k = None if self.null_directions is None else int(self.null_directions.shape[0])
        return {1: "line", 2: "surface"}.get(k, "continuum") if k is not None else "continuum"

    def __repr__(self) -> str:
        where = (
            "" if self.critical_set == "point" else f", critical_set={self.critical_set!r} of {self.n_merged} members"
        )
        nd = ", numerically_degenerate" if self.numerically_degenerate else ""
        return (
            f"CriticalPoint(kind={self.kind!r}, index={self.index}, location={_repr.numbers(self.location)}, "
            f"value={_repr.num(self.value)}, eigenvalues={_repr.numbers(self.eigenvalues)}, "
            f"gradient_norm={_repr.num(self.gradient_norm)}{where}{nd})"
        )

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "location": self.location.tolist(),
            "value": self.value,
            "kind": self.kind,
            "morse_index": self.index,
            "hessian_eigenvalues": self.eigenvalues.tolist(),
            "gradient_norm": self.gradient_norm,
            "critical_set": self.critical_set,
            "n_merged": self.n_merged,
            "max_preactivation": self.max_preactivation,
            "null_directions": None if self.null_directions is None else self.null_directions.tolist(),
        }
        if self.members is not None:
            d["extent"] = {"first": self.members[0].tolist(), "last": self.members[-1].tolist(), "length": self.length}
        d["product_sigma_min_log10"] = self.product_sigma_min_log10
        d["numerically_degenerate"] = self.numerically_degenerate
        return d


@dataclass(frozen=True)
class Plateau:
    """A connected set of grid nodes where the gradient is exactly zero (a flat region of a ReLU net).

    Attributes:
        n_nodes: grid nodes in it; fraction: its share of the grid's nodes.
        bbox: ((lo, hi), ...) of its nodes per dimension.
        value: f at its first node (f is constant on it).
    """

    n_nodes: int
    fraction: float
    bbox: tuple[tuple[float, float], ...]
    value: float

    def to_dict(self) -> dict[str, Any]:
        return {"n_nodes": self.n_nodes, "fraction": self.fraction, "bbox": [list(b) for b in self.bbox],
                "value": self.value}  # fmt: skip


@dataclass(frozen=True)
class UnresolvedCell:
    """A cell of the index bookkeeping that did not close.

    Attributes:
        box: the cell ((lo, hi), ...).
        reason: why (winding differs from the index sum, gradient vanishes on the boundary, holds a continuum,
            a plateau or a numerically degenerate point, ...).
        winding: the index of grad f on its boundary (None when undefined).
        index_sum: the sum of the indices of the points found inside (None when some index is undefined).
    """

    box: Box
    reason: str
    winding: int | None = None
    index_sum: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"box": [list(b) for b in self.box], "reason": self.reason, "winding": self.winding,
                "index_sum": self.index_sum}  # fmt: skip


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
        flat: True when f is constant on the box to float64 resolution, judged from its values on a grid.
        value_range: (min, max) of f on that grid.
        plateaus: connected grid sets where the gradient is exactly zero (not critical points).
        completeness: "complete" when the index bookkeeping closed on every cell (the list is index-certified),
            "lower_bound" otherwise (see `unresolved_cells`, `completeness_reason`).
        unresolved_cells: the cells that did not close.
        n_cells: cells checked by the bookkeeping.
        n_deterministic_starts: starts placed in cells (on top of the `n_starts` random ones).
        numerically_degenerate: degenerate points float64 cannot resolve (full-rank layers, Jacobian product
            below float64 resolution); they are not in `points`.
        completeness_reason: why the list is only a lower bound (empty when complete).
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
    value_range: tuple[float, float] | None = None
    plateaus: tuple[Plateau, ...] = ()
    completeness: Literal["complete", "lower_bound"] = "lower_bound"
    unresolved_cells: tuple[UnresolvedCell, ...] = ()
    n_cells: int = 0
    n_deterministic_starts: int = 0
    numerically_degenerate: tuple[CriticalPoint, ...] = ()
    completeness_reason: str = ""

    @property
    def complete(self) -> bool:
        return self.completeness == "complete"

    def completeness_summary(self) -> str:
        """ "complete (index-certified)" or "at least N; k cells unresolved" (with the reason when no cell)."""
        if self.complete:
            return "complete (index-certified)"
        k = len(self.unresolved_cells)
        if k:
            return f"at least {len(self.points)}; {k} {'cell' if k == 1 else 'cells'} unresolved"
        return f"at least {len(self.points)} ({self.completeness_reason or 'not certified'})"

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
        extra = self._extras()
        if not self.points:
            return (
                f"no critical points in the box ({self.n_starts} starts, {self.n_rejected} near-critical starts "
                f"rejected){extra}"
            )
        parts = [f"{n} {k if n == 1 else _plural(k)}" for k, n in self.counts.items() if n and k != "degenerate"]
        iso = self.n_degenerate - self.n_continua
        if iso:
            parts.append(f"{iso} isolated degenerate")
        if self.n_continua:
            parts.append(
                f"{self.n_continua} {'continuum' if self.n_continua == 1 else 'continua'} of degenerate critical points"
            )
        head = f"{len(self.points)} critical {'point' if len(self.points) == 1 else 'points'}: " + ", ".join(parts)
        return head + extra

    def _extras(self) -> str:
        out = []
        if self.numerically_degenerate:
            n = len(self.numerically_degenerate)
            out.append(f"{n} numerically degenerate (float64 cannot resolve)")
        if self.plateaus:
            frac = sum(p.fraction for p in self.plateaus)
            out.append(f"{len(self.plateaus)} plateau(s) with zero gradient ({100 * frac:.1f}% of the box)")
        return "".join(f"; {t}" for t in out)

    def __repr__(self) -> str:
        counts = ", ".join(f"{k}={n}" for k, n in self.counts.items() if n)
        extras = "".join(
            f", {name}={n}"
            for name, n in (
                ("continua", self.n_continua),
                ("numerically_degenerate", len(self.numerically_degenerate)),
                ("plateaus", len(self.plateaus)),
                ("unresolved_cells", len(self.unresolved_cells)),
            )
            if n
        )
        flat = ", flat" if self.flat else ""
        return (
            f"CriticalPointSearch(points={len(self.points)}{' (' + counts + ')' if counts else ''}{extras}{flat}, "
            f"completeness={self.completeness!r}, starts={self.n_starts}, box={_repr.box(self.box)})"
        )

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
            "value_range": None if self.value_range is None else list(self.value_range),
            "plateaus": [p.to_dict() for p in self.plateaus],
            "completeness": self.completeness,
            "completeness_summary": self.completeness_summary(),
            "completeness_reason": self.completeness_reason,
            "unresolved_cells": [c.to_dict() for c in self.unresolved_cells],
            "n_cells": self.n_cells,
            "n_deterministic_starts": self.n_deterministic_starts,
            "numerically_degenerate": [p.to_dict() for p in self.numerically_degenerate],
            "summary": self.summary(),
        }


def _plural(kind: str) -> str:
    return {"minimum": "minima", "maximum": "maxima", "saddle": "saddles"}.get(kind, kind)
