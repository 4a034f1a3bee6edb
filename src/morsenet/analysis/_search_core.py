"""The core of the critical-point search: refine a batch of starts, keep what passes the local checks, classify.

`search_starts` is run on the first starts and again on every batch of starts the cell bookkeeping adds;
`merge_points` folds the new finds into the old ones.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import torch
from torch import Tensor

from ._continua import continuum_points, dedupe
from ._critical_result import CriticalPoint
from ._exact_field import PIECEWISE_LINEAR, LayerChain, gradient_floor, layer_chain, product_spectrum
from ._gradient_floor import _gradient_floor_fn
from ._grid import Box, box_tensors
from ._local_checks import classify, validate
from ._refinement import RefineSettings, newton_polish, refine
from ._scalar_field import ScalarFn, derivatives, preactivation_fn

_EPS = torch.finfo(torch.float64).eps

# Refined points with |grad f| above this fraction of the largest |grad f| in the box are not even candidates.
_PREFILTER = 1e-6

# Along a flat Hessian direction |grad f| must stay below this multiple of the chain rule's rounding floor.
_FLOOR_FACTOR = 8.0

# A refined point of a layer chain is accepted when |grad f| <= this multiple of (floor + eps |H| |x|).
_ACCEPT_FACTOR = 64.0

# For plain callables the rounding floor is unknown: this multiple of eps times the gradient scale stands in.
_CALLABLE_FLOOR = 16.0


@dataclass(frozen=True)
class SearchContext:
    """Everything the search needs that does not change between batches of starts."""

    f: object
    field: ScalarFn
    chain: LayerChain | None
    box: Box
    lo: Tensor
    hi: Tensor
    diam: float
    gtol: float
    eig_rtol: float
    max_iter: int
    pre: Callable[[Tensor], Tensor] | None
    preactivation_bound: float | None
    merge_radius: float
    floor_fn: Callable[[Tensor], Tensor] | None
    grad_scale: float = 0.0

    @classmethod
    def build(
        cls, f: object, call: ScalarFn, box: Box, *, gtol: float, eig_rtol: float, max_iter: int,
        preactivation_bound: float | None, preactivations: Callable[[Tensor], Tensor] | None,
        merge_radius: float | None,
    ) -> SearchContext:  # fmt: skip
        lo, hi = box_tensors(box)
        diam = float(torch.linalg.vector_norm(hi - lo))
        chain = layer_chain(f)
        if chain is not None:
            floor_fn: Callable[[Tensor], Tensor] | None = lambda x: gradient_floor(chain, x)  # noqa: E731
        else:
            floor_fn = _gradient_floor_fn(f)
        pre = preactivations if preactivations is not None else preactivation_fn(f)
        return cls(
            f=f, field=call if chain is None else chain, chain=chain, box=box, lo=lo, hi=hi, diam=diam, gtol=gtol,
            eig_rtol=eig_rtol, max_iter=max_iter, pre=pre, preactivation_bound=preactivation_bound,
            merge_radius=1e-6 * diam if merge_radius is None else merge_radius, floor_fn=floor_fn,
        )  # fmt: skip

    @property
    def piecewise_linear(self) -> bool:
        return self.chain is not None and self.chain.activation in PIECEWISE_LINEAR

    @property
    def candidate_tol(self) -> float:
        return _PREFILTER * self.grad_scale

    def with_scale(self, grad_scale: float) -> SearchContext:
        return replace(self, grad_scale=grad_scale)

    def scale_of(self, x: Tensor) -> float:
        """Largest finite |grad f| at the points x."""
        _, g, _ = derivatives(self.field, x, hessian=False)
        return float(torch.nan_to_num(torch.linalg.vector_norm(g, dim=1), nan=0.0, posinf=0.0).max())

    def refine_settings(self, iters: int | None = None) -> RefineSettings:
        return RefineSettings(
            iters=self.max_iter if iters is None else iters, target=0.0, max_step=0.1 * self.diam, lo=self.lo,
            hi=self.hi, escape=0.25 * self.diam,
        )  # fmt: skip

    def acceptance_floor(self, x: Tensor, h: Tensor) -> Tensor:
        """(n,) the |grad f| that rounding alone can leave at x: the floor of the chain rule plus what the
        best float64 location leaves (eps |H| |x|); for plain callables a multiple of eps times the scale."""
        hn = torch.linalg.matrix_norm(h, ord=2) if h.shape[1] > 1 else h.abs()[:, 0, 0]
        location = _EPS * hn * (torch.linalg.vector_norm(x, dim=1) + 1.0)
        if self.floor_fn is not None:
            return _ACCEPT_FACTOR * (self.floor_fn(x) + location)
        return _CALLABLE_FLOOR * _EPS * self.grad_scale + _ACCEPT_FACTOR * location


@dataclass
class Found:
    """What a batch of starts found: accepted points, points float64 cannot resolve, and the tallies."""

    points: list[CriticalPoint] = field(default_factory=list)
    unresolved: list[CriticalPoint] = field(default_factory=list)
    n_converged: int = 0
    n_rejected: int = 0
    n_plateau: int = 0


def search_starts(ctx: SearchContext, starts: Tensor) -> Found:
    """Refine `starts` (n, d) and return the critical points they reach (see `find_critical_points`)."""
    settings = ctx.refine_settings()
    x, y, g, h = refine(ctx.field, starts.clone(), settings)
    gn = torch.linalg.vector_norm(g, dim=1)
    near = (torch.isfinite(gn) & (gn <= 1e3 * ctx.candidate_tol) & (gn > 0)).nonzero().squeeze(1)
    if near.numel():
        x[near], y[near], g[near], h[near] = newton_polish(ctx.field, x[near], y[near], g[near], h[near])
        gn = torch.linalg.vector_norm(g, dim=1)
    lo, hi, diam = ctx.lo, ctx.hi, ctx.diam
    inside = ((x >= lo - 1e-9 * diam) & (x <= hi + 1e-9 * diam)).all(dim=1)
    # A point where the gradient and the Hessian vanish exactly sits on a plateau of a piecewise-linear field.
    plateau = (g == 0).all(dim=1) & (h == 0).all(dim=2).all(dim=1)
    conv_mask = torch.isfinite(gn) & (gn <= ctx.candidate_tol) & inside
    n_plateau = int((conv_mask & plateau).sum())
    conv = (conv_mask & ~plateau).nonzero().squeeze(1)
    if conv.numel() == 0:
        return Found(n_plateau=n_plateau)
    clusters = dedupe(x[conv], gn[conv], ctx.merge_radius)
    reps = conv[torch.tensor([c[0] for c in clusters])]
    counts = torch.tensor([len(c) for c in clusters])
    short = ctx.refine_settings(12)
    xr, gr, hr = x[reps], g[reps], h[reps]
    floor = ctx.acceptance_floor(xr, hr)
    ok, null, evals, evecs, local_tol = validate(
        ctx.field, xr, gr, hr, gtol=ctx.gtol, rho=1e-3 * diam, diam=diam, settings=short, floor=floor
    )
    zmax: list[float | None] = [None] * len(reps)
    if ctx.pre is not None:
        z = ctx.pre(xr)
        zm = z.abs().amax(dim=1) if z.shape[1] else torch.zeros(len(reps), dtype=torch.float64)
        zmax = [float(v) for v in zm]
        if ctx.preactivation_bound is not None:
            ok = ok & (zm <= ctx.preactivation_bound)
    if ctx.floor_fn is not None:
        hscale = torch.clamp(evals.abs().amax(dim=1), min=ctx.grad_scale / diam)
        flat_dir = null | (evals.abs() <= ctx.eig_rtol * hscale[:, None])
        g_eig = (evecs.transpose(1, 2) @ gr[:, :, None])[:, :, 0].abs()
        noise = _FLOOR_FACTOR * ctx.floor_fn(xr)
        ok = ok & ~(flat_dir & (g_eig > noise[:, None])).any(dim=1)
    n_rejected = int(counts[~ok].sum())
    cont_idx = [i for i in range(len(reps)) if ok[i] and null[i].any()]
    isolated = [i for i in range(len(reps)) if ok[i] and i not in cont_idx]
    points = []
    for i in isolated:
        r = int(reps[i])
        ev = evals[i]
        hs = max(float(ev.abs().max()), ctx.grad_scale / diam)
        kind, index = classify(ev, ev.abs() <= ctx.eig_rtol * hs)
        points.append(
            CriticalPoint(
                location=x[r].clone(), value=float(y[r]), kind=kind, index=index, eigenvalues=ev.clone(),
                gradient_norm=float(gn[r]), n_merged=int(counts[i]), max_preactivation=zmax[i],
            )
        )  # fmt: skip
    if cont_idx:
        points += continuum_points(
            ctx.field, x, y, gn, reps, cont_idx, null, evals, evecs, zmax,
            tol=float(local_tol[cont_idx].max()), values=y, lo=lo, hi=hi, diam=diam, settings=short,
        )  # fmt: skip
    keep, unresolved = _split_numerically_degenerate(ctx, points)
    return Found(keep, unresolved, int(conv.numel()), n_rejected, n_plateau)


def _split_numerically_degenerate(
    ctx: SearchContext, points: list[CriticalPoint]
) -> tuple[list[CriticalPoint], list[CriticalPoint]]:
    """Degenerate points where every layer has full rank but the Jacobian product is below float64 resolution:
    float64 cannot tell them from regular points, so they go to a list of their own."""
    if ctx.chain is None or not points or not ctx.chain.steps:
        return points, []
    spec = product_spectrum(ctx.chain, torch.stack([p.location for p in points]))
    keep, unresolved = [], []
    for i, p in enumerate(points):
        log10 = float(spec.log_sigma_min[i]) / math.log(10)
        p = replace(p, product_sigma_min_log10=log10)
        if p.degenerate and bool(spec.layers_full_rank[i]) and bool(spec.below_resolution[i]):
            unresolved.append(replace(p, numerically_degenerate=True))
        else:
            keep.append(p)
    return keep, unresolved


def merge_points(old: Found, new: Found, *, radius: float, link: float) -> Found:
    """`old` plus the points of `new` that are not already in it (isolated points within `radius`, continua
    whose location lies within `link` of an old continuum's members)."""

    def known(p: CriticalPoint, pool: list[CriticalPoint]) -> bool:
        for q in pool:
            if q.continuum and q.members is not None:
                if float(torch.cdist(p.location[None], q.members).min()) <= link:
                    return True
            elif float(torch.linalg.vector_norm(p.location - q.location)) <= (link if p.continuum else radius):
                return True
        return False

    points = list(old.points) + [p for p in new.points if not known(p, old.points)]
    unresolved = list(old.unresolved) + [p for p in new.unresolved if not known(p, old.unresolved + old.points)]
    return Found(
        points, unresolved, old.n_converged + new.n_converged, old.n_rejected + new.n_rejected,
        old.n_plateau + new.n_plateau,
    )  # fmt: skip


def extend_continua(ctx: SearchContext, points: list[CriticalPoint], *, max_steps: int = 120) -> list[CriticalPoint]:
    """Trace every curve of critical points (one null direction) from both ends of its members to where it
    leaves the box or stops being critical, so that its extent (endpoints, length) is the curve's, not the
    starts'. Predictor: a step of 0.02 * diameter along the null direction; corrector: a short
    Levenberg-Marquardt pull back onto grad f = 0. All ends advance together."""
    curves = [i for i, p in enumerate(points) if p.continuum and p.null_directions is not None
              and p.null_directions.shape[0] == 1 and p.members is not None]  # fmt: skip
    if not curves:
        return points
    h = 0.02 * ctx.diam
    tol = max(ctx.candidate_tol, 1e-300)
    settings = replace(ctx.refine_settings(8), escape=0.0, max_step=0.5 * h)
    ends, dirs, owner, side = [], [], [], []
    for i in curves:
        mem, null = points[i].members, points[i].null_directions
        assert mem is not None and null is not None
        a, b = mem[0], mem[-1]
        axis = null[0] if len(mem) < 2 else (b - a) / max(float((b - a).norm()), 1e-300)
        for end, sgn, s in ((a, -1.0, 0), (b, 1.0, 1)):
            ends.append(end)
            dirs.append(sgn * axis)
            owner.append(i)
            side.append(s)
    x, d = torch.stack(ends).clone(), torch.stack(dirs)
    traced: list[list[Tensor]] = [[] for _ in ends]
    active = torch.ones(len(ends), dtype=torch.bool)
    lo, hi = ctx.lo, ctx.hi
    for _ in range(max_steps):
        idx = active.nonzero().squeeze(1)
        if idx.numel() == 0:
            break
        pred = x[idx] + h * d[idx]
        # clip the predictor to the box: the last point of a curve is on the box boundary
        over = torch.maximum(
            (pred - hi) / (h * d[idx]).abs().clamp(min=1e-300), (lo - pred) / (h * d[idx]).abs().clamp(min=1e-300)
        )
        t_clip = torch.clamp(1 - over.clamp(min=0).amax(dim=1), min=0.0)
        leaving = t_clip < 1
        pred = x[idx] + (h * t_clip)[:, None] * d[idx]
        xc, _, gc, hc = refine(ctx.field, pred.clone(), settings)
        xc = torch.minimum(torch.maximum(xc, lo), hi)
        gn = torch.linalg.vector_norm(gc, dim=1)
        ok = torch.isfinite(gn) & (gn <= tol) & (torch.linalg.vector_norm(xc - pred, dim=1) <= 0.5 * h)
        ok &= torch.linalg.vector_norm(xc - x[idx], dim=1) > 0.2 * h * t_clip.clamp(min=1e-3)
        for k, j in enumerate(idx.tolist()):
            if not bool(ok[k]):
                active[j] = False
                continue
            traced[j].append(xc[k].clone())
            # the new direction: the Hessian's null direction, oriented like the old one
            evals, evecs = torch.linalg.eigh(hc[k])
            u = evecs[:, int(torch.argmin(evals.abs()))]
            d[j] = u if float(u @ d[j]) >= 0 else -u
            x[j] = xc[k]
            if bool(leaving[k]):
                active[j] = False
    out = list(points)
    for i in curves:
        p = points[i]
        assert p.members is not None
        head = [t for j, t in enumerate(traced) if owner[j] == i and side[j] == 0]
        tail = [t for j, t in enumerate(traced) if owner[j] == i and side[j] == 1]
        parts = [torch.stack(head[0][::-1])] if head and head[0] else []
        parts.append(p.members)
        if tail and tail[0]:
            parts.append(torch.stack(tail[0]))
        out[i] = replace(p, members=torch.cat(parts))
    return out
