"""Completeness of the critical-point search by Poincare-Hopf bookkeeping on cells (1-D and 2-D).

The box is cut into cells. On each cell the index of grad f along the boundary (the winding number in 2-D, the
sign change of f' in 1-D) equals the sum of the indices of the critical points inside, if they are isolated:
+1 for a minimum, +1 (2-D) or -1 (1-D) for a maximum, -1 for a saddle, and for an isolated degenerate point the
index on a small circle around it (a monkey saddle has -2). A cell where the two agree is closed; one where they
do not gets more deterministic starts, then is subdivided, within a budget. Cells that never close, or hold a
continuum, a plateau or a point float64 cannot resolve, are returned as unresolved: the list is then a lower bound.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from itertools import product
from typing import Literal

import torch
from torch import Tensor

from ..errors import MorsenetError
from ._critical_result import CriticalPoint, UnresolvedCell
from ._grid import Box
from ._scalar_field import derivatives
from ._search_core import Found, SearchContext, merge_points, search_starts
from ._winding import winding

# Interior cuts sit this fraction of a cell off the uniform positions, so that symmetric test fields do not put
# their critical points on cell edges; a subdivided cell is cut at this fraction of its width.
_CUT_OFFSET = 0.0137
_SPLIT = 0.5137


@dataclass(frozen=True)
class CellSettings:
    """Budget and resolution of the index bookkeeping.

    Attributes:
        per_axis: initial cells per axis (1-D: 4 times as many); the initial grid also places one start per cell.
        starts_per_cell: deterministic starts per axis added to an unbalanced cell (a k x k grid in 2-D).
        max_cells: most cells ever checked.
        max_added_starts: most starts the bookkeeping adds.
        max_rounds: rounds of add-starts-then-subdivide (0: only check the initial cells).
        boundary_samples: initial gradient samples per cell side (refined where the direction turns).
    """

    per_axis: int = 6
    starts_per_cell: int = 3
    max_cells: int = 256
    max_added_starts: int = 512
    max_rounds: int = 3
    boundary_samples: int = 12

    def __post_init__(self) -> None:
        for name in ("per_axis", "starts_per_cell", "max_cells", "max_added_starts", "max_rounds", "boundary_samples"):
            v, low = getattr(self, name), 0 if name == "max_rounds" else 1
            if isinstance(v, bool) or not isinstance(v, int) or v < low:
                raise MorsenetError(f"CellSettings.{name} must be an integer >= {low}, got {v!r}")
        if self.boundary_samples < 4:
            raise MorsenetError(f"CellSettings.boundary_samples must be >= 4, got {self.boundary_samples}")

    def cuts(self, d: int) -> int:
        return self.per_axis * (4 if d == 1 else 1)

    def initial_cells(self, box: Box) -> list[Box]:
        k = self.cuts(len(box))
        edges = []
        for lo, hi in box:
            inner = [lo + (hi - lo) * (i + _CUT_OFFSET) / k for i in range(1, k)]
            edges.append([lo, *inner, hi])
        return [tuple((e[i], e[i + 1]) for e, i in zip(edges, idx)) for idx in product(range(k), repeat=len(box))]

    def initial_starts(self, box: Box) -> Tensor:
        """One deterministic start at the centre of every initial cell."""
        return _centres(self.initial_cells(box))


def _centres(cells: list[Box]) -> Tensor:
    return torch.tensor([[(a + b) / 2 for a, b in c] for c in cells], dtype=torch.float64)


def _cell_starts(cells: list[Box], k: int) -> Tensor:
    offs = [(i + 0.5) / k for i in range(k)]
    pts = [[a + (b - a) * t for (a, b), t in zip(c, ts)] for c in cells for ts in product(offs, repeat=len(c))]
    return torch.tensor(pts, dtype=torch.float64).reshape(-1, len(cells[0]) if cells else 1)


def _subdivide(cell: Box) -> list[Box]:
    halves = [((a, a + (b - a) * _SPLIT), (a + (b - a) * _SPLIT, b)) for a, b in cell]
    return [tuple(p) for p in product(*halves)]


@dataclass
class CellBook:
    """Outcome of the bookkeeping: the (enlarged) finds, the verdict and the cells that did not close."""

    found: Found
    status: Literal["complete", "lower_bound"]
    unresolved: tuple[UnresolvedCell, ...] = ()
    n_cells: int = 0
    n_added_starts: int = 0
    reason: str = ""
    windings: dict[Box, int | None] = field(default_factory=dict)


def certify(ctx: SearchContext, found: Found, settings: CellSettings) -> CellBook:
    """Close the Poincare-Hopf bookkeeping on cells (see the module docstring)."""
    d = len(ctx.box)
    if d == 3:
        return CellBook(found, "lower_bound", reason="index bookkeeping is implemented for 1-D and 2-D inputs")
    if ctx.piecewise_linear:
        return CellBook(
            found, "lower_bound",
            reason="piecewise-linear activation: the gradient jumps, so the index bookkeeping does not apply",
        )  # fmt: skip
    cells = settings.initial_cells(ctx.box)
    n_cells, added = len(cells), 0
    link = 0.02 * ctx.diam
    unresolved: list[UnresolvedCell] = []
    windings: dict[Box, int | None] = {}
    for rnd in range(settings.max_rounds + 1):
        w = _windings(ctx, cells, settings.boundary_samples)
        windings.update(zip(cells, w))
        pending = []
        for cell, wc in zip(cells, w):
            verdict = _balance(ctx, found, cell, wc)
            if verdict is None:
                continue
            pending.append((cell, wc, verdict))
        if not pending:
            cells = []
            break
        last = rnd == settings.max_rounds
        # only a winding that differs from the index sum can close with more starts or smaller cells; the other
        # reasons (a continuum, an unresolvable point, grad f vanishing on the boundary) are final
        retry = [(c, wc) for c, wc, v in pending if v.index_sum is not None and wc is not None]
        unresolved += [v for c, wc, v in pending if not (v.index_sum is not None and wc is not None)]
        if last or not retry:
            unresolved += [_balance(ctx, found, c, wc) or UnresolvedCell(c, "?") for c, wc in retry]
            cells = []
            break
        k = settings.starts_per_cell
        n_new = len(retry) * k**d
        if added + n_new <= settings.max_added_starts:
            new = search_starts(ctx, _cell_starts([c for c, _ in retry], k))
            found = merge_points(found, new, radius=ctx.merge_radius, link=link)
            added += n_new
        still = [(c, wc) for c, wc in retry if _balance(ctx, found, c, wc) is not None]
        children: list[Box] = []
        for c, wc in still:
            if wc is not None and n_cells + 2**d <= settings.max_cells:
                kids = _subdivide(c)
                children += kids
                n_cells += len(kids)
            else:
                unresolved.append(_balance(ctx, found, c, wc) or UnresolvedCell(c, "?"))
        cells = children
    status: Literal["complete", "lower_bound"] = "complete" if not unresolved else "lower_bound"
    reason = (
        ""
        if not unresolved
        else f"{len(unresolved)} cell(s) did not close: "
        + "; ".join(sorted({u.reason.split(":")[0] for u in unresolved}))
    )
    return CellBook(found, status, tuple(unresolved), n_cells, added, reason, windings)


def _inside(loc: Tensor, cell: Box, tol: float) -> bool:
    return all(a - tol <= float(v) <= b + tol for v, (a, b) in zip(loc.tolist(), cell))


def _balance(ctx: SearchContext, found: Found, cell: Box, wc: int | None) -> UnresolvedCell | None:
    """None when the cell closes; else why not."""
    tol = 1e-9 * ctx.diam
    for p in found.points:
        if p.continuum:
            mem = p.members if p.members is not None else p.location[None]
            if any(_inside(m, cell, 1e-3 * ctx.diam) for m in mem):
                return UnresolvedCell(cell, "holds a continuum of critical points (no isolated index)", wc, None)
    for p in found.unresolved:
        if _inside(p.location, cell, 1e-3 * ctx.diam):
            return UnresolvedCell(cell, "holds a numerically degenerate point (float64 cannot resolve it)", wc, None)
    if wc is None:
        return UnresolvedCell(cell, "winding undefined: grad f (numerically) vanishes on the cell boundary", None, None)
    total = 0
    for p in found.points:
        if not p.continuum and _inside(p.location, cell, tol):
            idx = point_index(ctx, p, found)
            if idx is None:
                return UnresolvedCell(cell, "index of a degenerate point undefined", wc, None)
            total += idx
    if total != wc:
        return UnresolvedCell(cell, f"winding {wc} differs from the index sum {total}", wc, total)
    return None


def point_index(ctx: SearchContext, p: CriticalPoint, found: Found) -> int | None:
    """The index of grad f at an isolated critical point (see the module docstring); None when undefined."""
    d = len(ctx.box)
    if p.kind in ("minimum", "maximum", "saddle"):
        if d == 1:
            return 1 if p.kind == "minimum" else -1
        return 1 if p.kind in ("minimum", "maximum") else -1
    others = [q.location for q in found.points if q is not p]
    r = 0.01 * ctx.diam
    if others:
        r = min(r, 0.3 * float(torch.cdist(p.location[None], torch.stack(others)).min()))
    r = max(r, 1e-9 * ctx.diam)
    if d == 1:
        x = p.location + torch.tensor([[-r], [r]], dtype=torch.float64)
        _, g, _ = derivatives(ctx.field, x, hessian=False)
        s = torch.sign(g[:, 0])
        if bool((s == 0).any()):
            return None
        return int((s[1] - s[0]) / 2)
    try:
        return winding(ctx.field, p.location, r, n=64, max_points=1 << 12)
    except MorsenetError:
        return None


def _windings(ctx: SearchContext, cells: list[Box], n_side: int) -> list[int | None]:
    if not cells:
        return []
    if len(ctx.box) == 1:
        return _windings_1d(ctx, cells)
    return _windings_2d(ctx, cells, n_side)


def _resolved(ctx: SearchContext, x: Tensor, g: Tensor) -> Tensor:
    """(n,) whether float64 resolves the gradient's direction at x: nonzero, finite, above the rounding floor."""
    gn = torch.linalg.vector_norm(g, dim=1)
    ok = torch.isfinite(gn) & (gn > 0)
    small = ok & (gn < 1e-6 * ctx.grad_scale)
    if bool(small.any()):
        idx = small.nonzero().squeeze(1)
        if ctx.floor_fn is not None:
            floor = 8 * ctx.floor_fn(x[idx])
        else:
            floor = torch.full((len(idx),), 16 * float(torch.finfo(torch.float64).eps) * ctx.grad_scale)
        ok[idx] = gn[idx] > floor
    return ok


def _windings_1d(ctx: SearchContext, cells: list[Box]) -> list[int | None]:
    ends = torch.tensor([[c[0][0], c[0][1]] for c in cells], dtype=torch.float64).reshape(-1, 1)
    _, g, _ = derivatives(ctx.field, ends, hessian=False)
    ok = _resolved(ctx, ends, g).reshape(-1, 2)
    s = torch.sign(g[:, 0]).reshape(-1, 2)
    return [int((s[i, 1] - s[i, 0]) / 2) if bool(ok[i].all()) else None for i in range(len(cells))]


def _perimeter(cells: Tensor, s: Tensor, which: Tensor) -> Tensor:
    """Points at perimeter parameter s in [0, 4) (counter-clockwise from the lower-left corner) of cells[which]."""
    lo, hi = cells[which, :, 0], cells[which, :, 1]
    side = torch.clamp(s.floor(), 0, 3).long()
    t = s - side
    x = torch.where(side == 0, lo[:, 0] + t * (hi[:, 0] - lo[:, 0]),
                    torch.where(side == 1, hi[:, 0], torch.where(side == 2, hi[:, 0] - t * (hi[:, 0] - lo[:, 0]),
                                                                 lo[:, 0])))  # fmt: skip
    y = torch.where(side == 0, lo[:, 1],
                    torch.where(side == 1, lo[:, 1] + t * (hi[:, 1] - lo[:, 1]),
                                torch.where(side == 2, hi[:, 1], hi[:, 1] - t * (hi[:, 1] - lo[:, 1]))))  # fmt: skip
    return torch.stack([x, y], dim=1)


def _windings_2d(ctx: SearchContext, cells: list[Box], n_side: int, rounds: int = 40) -> list[int | None]:
    """Winding numbers of grad f along every cell's boundary, all cells refined together."""
    m = len(cells)
    ct = torch.tensor(cells, dtype=torch.float64)  # (m, 2, 2)
    base = torch.arange(4 * n_side, dtype=torch.float64) / n_side
    s_list = [base.clone() for _ in range(m)]
    which = torch.arange(m).repeat_interleave(len(base))
    s_all = torch.cat(s_list)
    pts = _perimeter(ct, s_all, which)
    _, g, _ = derivatives(ctx.field, pts, hessian=False)
    ok = _resolved(ctx, pts, g)
    phi_all = torch.atan2(g[:, 1], g[:, 0])
    phis = list(phi_all.split(len(base)))
    good = [bool(v) for v in ok.reshape(m, -1).all(dim=1)]
    result: list[int | None] = [None] * m
    pending = [i for i in range(m) if good[i]]
    for _ in range(rounds + 1):
        new_s, new_which, still = [], [], []
        for i in pending:
            s, phi = s_list[i], phis[i]
            dphi = torch.remainder(torch.roll(phi, -1) - phi + math.pi, 2 * math.pi) - math.pi
            bad = dphi.abs() > math.pi / 4
            if not bool(bad.any()):
                result[i] = round(float(dphi.sum()) / (2 * math.pi))
                continue
            if len(s) > 4096:
                continue
            nxt = torch.roll(s, -1)
            nxt[-1] = nxt[-1] + 4.0
            new_s.append(((s + nxt) / 2)[bad] % 4.0)
            new_which.append(torch.full((int(bad.sum()),), i))
            still.append(i)
        if not still:
            break
        s_new, w_new = torch.cat(new_s), torch.cat(new_which)
        p_new = _perimeter(ct, s_new, w_new)
        _, g_new, _ = derivatives(ctx.field, p_new, hessian=False)
        ok_new = _resolved(ctx, p_new, g_new)
        phi_new = torch.atan2(g_new[:, 1], g_new[:, 0])
        pending = []
        for i in still:
            sel = w_new == i
            if not bool(ok_new[sel].all()):
                continue
            s = torch.cat([s_list[i], s_new[sel]])
            phi = torch.cat([phis[i], phi_new[sel]])
            order = torch.argsort(s)
            s_list[i], phis[i] = s[order], phi[order]
            pending.append(i)
    return result
