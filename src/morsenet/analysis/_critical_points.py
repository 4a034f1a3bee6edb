"""Critical points of scalar fields in 1-3 dimensions: seeded multi-start search, validation, classification.

The steps live in their own modules: Levenberg-Marquardt refinement (`_refinement`), the local checks
(`_local_checks`), the rounding floor of the chain rule (`_gradient_floor`), duplicates and continua
(`_continua`), the result types (`_critical_result`) and the winding number (`_winding`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import torch
from torch import Tensor, nn

from .._validation import Seed, as_generator
from ..errors import MorsenetError
from ._continua import continuum_points, dedupe
from ._critical_result import KINDS as KINDS
from ._critical_result import CriticalPoint as CriticalPoint
from ._critical_result import CriticalPointSearch as CriticalPointSearch
from ._gradient_floor import _gradient_floor_fn as _gradient_floor_fn
from ._grid import Box, box_tensors, check_box
from ._local_checks import classify, validate
from ._refinement import RefineSettings, refine
from ._scalar_field import ScalarFn, as_scalar_field, derivatives, preactivation_fn
from ._winding import winding_number as winding_number

# Random starts of the search.
DEFAULT_STARTS = 256

# Refined points with |grad f| above this fraction of the largest |grad f| in the box are not even candidates.
_PREFILTER = 1e-6

# Along a flat Hessian direction |grad f| must stay below this multiple of the chain rule's rounding floor.
_FLOOR_FACTOR = 8.0


def find_critical_points(
    f: nn.Module | ScalarFn,
    box: Sequence[Sequence[float]],
    *,
    n_starts: int = DEFAULT_STARTS,
    seed: Seed = 0,
    gtol: float = 1e-14,
    eig_rtol: float = 1e-6,
    max_iter: int = 100,
    preactivation_bound: float | None = 12.0,
    preactivations: Callable[[Tensor], Tensor] | None = None,
    merge_radius: float | None = None,
) -> CriticalPointSearch:
    """Find the critical points of a scalar field in a box (d = 1, 2 or 3), continua included.

    Seeded uniform starts are refined by batched Levenberg-Marquardt on grad f = 0 (Gauss-Newton on
    |grad f|^2) in float64 until no step helps. Saturation must not fool the search (THEORY.md 4.2), so a
    refined point counts only if

    - |grad f| <= gtol * (|grad f| at distance rho) * diameter / rho, a tolerance relative to the local
      Hessian scale (a saturated valley whose floor still slopes fails it);
    - along every Hessian eigen-direction |grad f| either grows symmetrically on both sides (a genuine
      critical point, even a degenerate one such as a monkey saddle) or stays ~0 with the critical set
      continuing there (a continuum); a saturated tail shrinks on one side and grows on the other;
    - every hidden pre-activation satisfies |z| <= preactivation_bound, when pre-activations are known (a
      neuron with tanh'(z) below rounding level makes a narrow net a numerical bottleneck whose fake
      continua no gradient test can tell from real ones);
    - for morsenet models with a layer chain (MLPs, ResNets), along every flat Hessian direction (a null direction, or an eigenvalue
      that counts as zero) the gradient component is at most 8 times the rounding floor of the chain rule,
      eps * sum_l |df/dh_l| |J_l| |dh_{l-1}/dx| (see `_gradient_floor_fn`). Moving the point cannot reduce
      the gradient there, so a larger component is resolved and the point is not critical: a nearly
      rank-deficient net (full rank, so T1 allows no critical point) has valleys where |grad f| ~ 1e-12 is
      far below the Hessian-relative tolerance yet 50-100 times above its rounding floor.

    Duplicates are merged; continuum members connected through critical points become one entry.

    Args:
        f: a model or a callable mapping points (n, d) to values (n,) or (n, 1); models are copied to float64.
        box: ((lo, hi), ...) one pair per input dimension.
        n_starts: number of random starts.
        seed: int, torch.Generator or None (see `morsenet._validation.as_generator`); never global RNG.
        gtol: relative gradient tolerance (see above).
        eig_rtol: Hessian eigenvalues with |lambda| <= eig_rtol * max(max |lambda|, grad_scale / diameter)
            count as zero (degenerate).
        max_iter: Levenberg-Marquardt iterations.
        preactivation_bound: reject points where a hidden |pre-activation| exceeds this; None disables.
        preactivations: maps points (n, d) to pre-activations (n, k); found automatically for morsenet models
            with a layer chain (MLPs, ResNets), unknown (no check) for neural ODEs and other callables.
        merge_radius: points closer than this are one point; default 1e-6 * box diameter.

    Returns:
        A `CriticalPointSearch`.

    Raises:
        MorsenetError: for a bad box, a bad n_starts, or a function that does not return one value per point.
    """
    box_t = check_box(box)
    check_starts(n_starts)
    return search_critical_points(
        f, as_scalar_field(f), box_t, n_starts=n_starts, seed=seed, gtol=gtol, eig_rtol=eig_rtol, max_iter=max_iter,
        preactivation_bound=preactivation_bound, preactivations=preactivations, merge_radius=merge_radius,
    )  # fmt: skip


@dataclass(frozen=True)
class _Candidates:
    """Refined starts that reached the candidate tolerance, merged into clusters.

    x, y, g, h, gn: every refined start's point, value, gradient, Hessian and |gradient|; reps: (c,) the start
    representing each cluster; counts: (c,) starts per cluster; n_conv: starts that converged in the box.
    """

    x: Tensor
    y: Tensor
    g: Tensor
    h: Tensor
    gn: Tensor
    reps: Tensor
    counts: Tensor
    n_conv: int


@dataclass(frozen=True)
class _Checks:
    """Outcome of the local checks on each cluster representative (see `validate`)."""

    ok: Tensor
    null: Tensor
    evals: Tensor
    evecs: Tensor
    local_tol: Tensor
    zmax: list[float | None]


def check_starts(n_starts: object) -> None:
    if isinstance(n_starts, bool) or not isinstance(n_starts, int) or n_starts < 1:
        raise MorsenetError(f"n_starts must be a positive integer, got {n_starts!r}")


def search_critical_points(
    f: object,
    call: ScalarFn,
    box: Box,
    *,
    n_starts: int = DEFAULT_STARTS,
    seed: Seed = 0,
    gtol: float = 1e-14,
    eig_rtol: float = 1e-6,
    max_iter: int = 100,
    preactivation_bound: float | None = 12.0,
    preactivations: Callable[[Tensor], Tensor] | None = None,
    merge_radius: float | None = None,
) -> CriticalPointSearch:
    """`find_critical_points` on a checked box, with `call` the float64 field of `f`."""
    lo, hi = box_tensors(box)
    width = hi - lo
    diam = float(torch.linalg.vector_norm(width))
    starts = lo + width * torch.rand(n_starts, len(box), generator=as_generator(seed), dtype=torch.float64)
    seed_out = seed if isinstance(seed, int) and not isinstance(seed, bool) else None

    v0, g0, _ = derivatives(call, starts, hessian=False)
    gscale = float(torch.nan_to_num(torch.linalg.vector_norm(g0, dim=1), nan=0.0, posinf=0.0).max())
    if gscale == 0.0:
        return CriticalPointSearch([], box, n_starts, seed_out, 0.0, 0.0, 0, 0, flat=True)
    candidate_tol = _PREFILTER * gscale
    settings = RefineSettings(iters=max_iter, target=0.0, max_step=0.1 * diam, lo=lo, hi=hi, escape=0.25 * diam)
    cand = _refined_candidates(call, starts, settings, candidate_tol, diam, merge_radius)
    if cand is None:
        return CriticalPointSearch([], box, n_starts, seed_out, gscale, candidate_tol, 0, 0)

    short = replace(settings, iters=12)
    pre = preactivations if preactivations is not None else preactivation_fn(f)
    checks = _local_checks(f, call, cand, pre, short, gtol=gtol, eig_rtol=eig_rtol, gscale=gscale, diam=diam,
                           preactivation_bound=preactivation_bound)  # fmt: skip
    n_rejected = int(cand.counts[~checks.ok].sum())
    ok, null = checks.ok, checks.null
    cont_idx = [i for i in range(len(cand.reps)) if ok[i] and null[i].any()]
    isolated = [i for i in range(len(cand.reps)) if ok[i] and i not in cont_idx]
    points = _isolated_points(cand, checks, isolated, eig_rtol=eig_rtol, hscale_min=gscale / diam)
    if cont_idx:
        points += continuum_points(
            call, cand.x, cand.y, cand.gn, cand.reps, cont_idx, null, checks.evals, checks.evecs, checks.zmax,
            tol=float(checks.local_tol[cont_idx].min()), values=v0, lo=lo, hi=hi, diam=diam, settings=short,
        )  # fmt: skip
    points.sort(key=lambda p: tuple(p.location.tolist()))
    return CriticalPointSearch(points, box, n_starts, seed_out, gscale, candidate_tol, cand.n_conv, n_rejected)


def _refined_candidates(
    call: ScalarFn, starts: Tensor, settings: RefineSettings, candidate_tol: float, diam: float,
    merge_radius: float | None,
) -> _Candidates | None:  # fmt: skip
    """Refine every start, keep those that reach `candidate_tol` inside the box, merge duplicates; None if none."""
    lo, hi = settings.lo, settings.hi
    x, y, g, h = refine(call, starts.clone(), settings)
    gn = torch.linalg.vector_norm(g, dim=1)
    inside = ((x >= lo - 1e-9 * diam) & (x <= hi + 1e-9 * diam)).all(dim=1)
    conv = (torch.isfinite(gn) & (gn <= candidate_tol) & inside).nonzero().squeeze(1)
    if conv.numel() == 0:
        return None
    merge = 1e-6 * diam if merge_radius is None else merge_radius
    clusters = dedupe(x[conv], gn[conv], merge)
    reps = conv[torch.tensor([c[0] for c in clusters])]
    counts = torch.tensor([len(c) for c in clusters])
    return _Candidates(x, y, g, h, gn, reps, counts, int(conv.numel()))


def _local_checks(
    f: object, call: ScalarFn, cand: _Candidates, pre: Callable[[Tensor], Tensor] | None,
    settings: RefineSettings, *, gtol: float, eig_rtol: float, gscale: float, diam: float,
    preactivation_bound: float | None,
) -> _Checks:  # fmt: skip
    """Symmetric growth / null directions, the pre-activation bound and the rounding floor of the chain rule."""
    reps = cand.reps
    xr, gr = cand.x[reps], cand.g[reps]
    ok, null, evals, evecs, local_tol = validate(
        call, xr, gr, cand.h[reps], gtol=gtol, rho=1e-3 * diam, diam=diam, settings=settings
    )
    zmax: list[float | None] = [None] * len(reps)
    if pre is not None:
        z = pre(xr)
        zm = z.abs().amax(dim=1) if z.shape[1] else torch.zeros(len(reps), dtype=torch.float64)
        zmax = [float(v) for v in zm]
        if preactivation_bound is not None:
            ok = ok & (zm <= preactivation_bound)
    floor_fn = _gradient_floor_fn(f)
    if floor_fn is not None:
        hscale = torch.clamp(evals.abs().amax(dim=1), min=gscale / diam)
        flat_dir = null | (evals.abs() <= eig_rtol * hscale[:, None])
        g_eig = (evecs.transpose(1, 2) @ gr[:, :, None])[:, :, 0].abs()
        noise = _FLOOR_FACTOR * floor_fn(xr)
        ok = ok & ~(flat_dir & (g_eig > noise[:, None])).any(dim=1)
    return _Checks(ok, null, evals, evecs, local_tol, zmax)


def _isolated_points(
    cand: _Candidates, checks: _Checks, idx: list[int], *, eig_rtol: float, hscale_min: float
) -> list[CriticalPoint]:
    """One `CriticalPoint` per accepted cluster `idx` that is not part of a continuum."""
    points = []
    for i in idx:
        r = int(cand.reps[i])
        evals = checks.evals[i]
        hscale = max(float(evals.abs().max()), hscale_min)
        kind, index = classify(evals, evals.abs() <= eig_rtol * hscale)
        points.append(
            CriticalPoint(
                location=cand.x[r].clone(),
                value=float(cand.y[r]),
                kind=kind,
                index=index,
                eigenvalues=evals.clone(),
                gradient_norm=float(cand.gn[r]),
                n_merged=int(cand.counts[i]),
                max_preactivation=checks.zmax[i],
            )
        )
    return points
