"""Critical points of scalar fields in 1-3 dimensions: multi-start search, validation, classification, and the
index bookkeeping that certifies completeness.

The steps live in their own modules: the exact float64 field of a layer chain (`_exact_field`), Levenberg-Marquardt
refinement (`_refinement`), the local checks (`_local_checks`), duplicates and continua (`_continua`), flatness and
plateaus on a grid (`_flatness`), the cell bookkeeping (`_cells`), the result types (`_critical_result`) and the
winding number (`_winding`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import Tensor, nn

from .._validation import Seed, as_generator
from ..errors import MorsenetError
from ._cells import CellSettings, certify
from ._critical_result import KINDS as KINDS
from ._critical_result import CriticalPoint as CriticalPoint
from ._critical_result import CriticalPointSearch as CriticalPointSearch
from ._exact_field import flush_denormals
from ._flatness import value_grid
from ._gradient_floor import _gradient_floor_fn as _gradient_floor_fn
from ._grid import Box, box_tensors, check_box
from ._scalar_field import ScalarFn, as_scalar_field
from ._search_core import SearchContext, extend_continua, merge_points, search_starts
from ._winding import winding_number as winding_number

# Random starts of the search (deterministic starts in every cell come on top, see `CellSettings`).
DEFAULT_STARTS = 256


def find_critical_points(
    f: nn.Module | ScalarFn,
    box: Sequence[Sequence[float]],
    *,
    n_starts: int = DEFAULT_STARTS,
    seed: Seed = 0,
    gtol: float = 1e-14,
    eig_rtol: float = 1e-6,
    max_iter: int = 100,
    preactivation_bound: float | None = None,
    preactivations: Callable[[Tensor], Tensor] | None = None,
    merge_radius: float | None = None,
    certify_cells: bool = True,
    cells: CellSettings | None = None,
) -> CriticalPointSearch:
    """Find the critical points of a scalar field in a box (d = 1, 2 or 3), continua included, and say whether
    the list is complete.

    Seeded uniform starts and deterministic starts (one per cell of a grid) are refined by batched
    Levenberg-Marquardt on grad f = 0 in float64 until no step helps. For morsenet models with a layer chain
    (MLPs, ResNets) the field is evaluated with exact activation slopes (`_exact_field`), so saturated tails
    have their true, tiny but nonzero, gradient. A refined point counts only if

    - |grad f| is within the rounding floor: for a layer chain `64 (floor + eps |H| |x|)` with the floor of the
      chain rule (`_exact_field.gradient_floor`), for any other callable `gtol * |H| * diameter` or `16 eps`
      times the gradient scale, whichever is larger; a resolved gradient above it is not critical, however
      small (a saturated tail, a nearly rank-deficient valley);
    - along every Hessian eigen-direction |grad f| either grows symmetrically on both sides (a genuine
      critical point, even a degenerate one such as a monkey saddle) or stays ~0 with the critical set
      continuing there (a continuum);
    - along every flat Hessian direction the gradient component is at most 8 times the rounding floor (layer
      chains only).

    Duplicates are merged, continuum members connected through critical points become one entry, and open sets
    where the gradient is exactly zero (ReLU plateaus) are reported as `plateaus`, not as critical points.
    Flatness ("f constant on the box") is decided from the values on a grid.

    Completeness (1-D and 2-D): the box is cut into cells; on each cell's boundary the winding number of grad f
    (in 1-D: the sign change of f') must equal the sum of the indices of the points found inside. Unbalanced
    cells get more deterministic starts and are subdivided, within the budget of `cells`; cells that stay
    unbalanced, or hold a continuum, a plateau or a point float64 cannot resolve, are listed as unresolved and
    the count becomes a lower bound (`completeness`).

    Args:
        f: a model or a callable mapping points (n, d) to values (n,) or (n, 1); models are copied to float64.
        box: ((lo, hi), ...) one pair per input dimension.
        n_starts: number of random starts.
        seed: int, torch.Generator or None (see `morsenet._validation.as_generator`); never global RNG.
        gtol: relative gradient tolerance for plain callables (see above).
        eig_rtol: Hessian eigenvalues with |lambda| <= eig_rtol * max(max |lambda|, grad_scale / diameter)
            count as zero (degenerate).
        max_iter: Levenberg-Marquardt iterations.
        preactivation_bound: opt-in: reject points where a hidden |pre-activation| exceeds this (default None:
            no cutoff; the exact slopes make it unnecessary for morsenet models).
        preactivations: maps points (n, d) to pre-activations (n, k), for `preactivation_bound` and the
            reported `max_preactivation`; found automatically for morsenet models with a layer chain.
        merge_radius: points closer than this are one point; default 1e-6 * box diameter.
        certify_cells: run the cell bookkeeping (False: `completeness` is "lower_bound", no cells checked).
        cells: budget and resolution of the bookkeeping (default `CellSettings()`).

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
        certify_cells=certify_cells, cells=cells,
    )  # fmt: skip


def check_starts(n_starts: object) -> None:
    if isinstance(n_starts, bool) or not isinstance(n_starts, int) or n_starts < 1:
        raise MorsenetError(f"n_starts must be a positive integer, got {n_starts!r}")


def search_critical_points(*args: Any, **kwargs: Any) -> CriticalPointSearch:
    """`find_critical_points` on a checked box, with `call` the float64 field of `f` (subnormals flushed)."""
    with flush_denormals():
        return _search(*args, **kwargs)


def _search(
    f: object,
    call: ScalarFn,
    box: Box,
    *,
    n_starts: int = DEFAULT_STARTS,
    seed: Seed = 0,
    gtol: float = 1e-14,
    eig_rtol: float = 1e-6,
    max_iter: int = 100,
    preactivation_bound: float | None = None,
    preactivations: Callable[[Tensor], Tensor] | None = None,
    merge_radius: float | None = None,
    certify_cells: bool = True,
    cells: CellSettings | None = None,
) -> CriticalPointSearch:
    """`find_critical_points` on a checked box, with `call` the float64 field of `f`."""
    settings = CellSettings() if cells is None else cells
    lo, hi = box_tensors(box)
    seed_out = seed if isinstance(seed, int) and not isinstance(seed, bool) else None
    ctx = SearchContext.build(
        f, call, box, gtol=gtol, eig_rtol=eig_rtol, max_iter=max_iter, preactivation_bound=preactivation_bound,
        preactivations=preactivations, merge_radius=merge_radius,
    )  # fmt: skip
    grid = value_grid(ctx.field, box)
    if grid.flat:
        return CriticalPointSearch(
            [], box, n_starts, seed_out, 0.0, 0.0, 0, 0, flat=True, value_range=grid.value_range,
            completeness="complete", plateaus=grid.plateaus,
        )  # fmt: skip
    starts = lo + (hi - lo) * torch.rand(n_starts, len(box), generator=as_generator(seed), dtype=torch.float64)
    starts = torch.cat([starts, settings.initial_starts(box)])
    ctx = ctx.with_scale(max(grid.grad_scale, ctx.scale_of(starts)))
    if ctx.grad_scale == 0.0:  # every sampled gradient is exactly zero, yet the values vary: plateaus only
        return CriticalPointSearch(
            [], box, n_starts, seed_out, 0.0, 0.0, 0, 0, value_range=grid.value_range, plateaus=grid.plateaus,
            completeness="lower_bound", unresolved_cells=(), n_deterministic_starts=len(starts) - n_starts,
            completeness_reason="the gradient is exactly zero at every sample (piecewise-constant field)",
        )  # fmt: skip
    found = search_starts(ctx, starts)
    n_det = len(starts) - n_starts
    book = None
    if certify_cells:
        book = certify(ctx, found, settings)
        found = book.found
        n_det += book.n_added_starts
    points = sorted(extend_continua(ctx, found.points), key=lambda p: tuple(p.location.tolist()))
    unresolved_pts = sorted(found.unresolved, key=lambda p: tuple(p.location.tolist()))
    return CriticalPointSearch(
        points, box, n_starts, seed_out, ctx.grad_scale, ctx.candidate_tol, found.n_converged, found.n_rejected,
        value_range=grid.value_range, plateaus=grid.plateaus,
        completeness="lower_bound" if book is None else book.status,
        unresolved_cells=() if book is None else book.unresolved,
        n_cells=0 if book is None else book.n_cells,
        n_deterministic_starts=n_det,
        numerically_degenerate=tuple(unresolved_pts),
        completeness_reason=("cell bookkeeping not run" if book is None else book.reason),
    )  # fmt: skip


__all__ = [
    "DEFAULT_STARTS",
    "KINDS",
    "CellSettings",
    "CriticalPoint",
    "CriticalPointSearch",
    "check_starts",
    "find_critical_points",
    "merge_points",
    "search_critical_points",
    "winding_number",
]
