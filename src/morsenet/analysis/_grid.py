"""The analysis foundation: boxes in 1-3 dimensions, uniform grids, default resolutions and chunked evaluation.

Every public analysis checks its box once with `check_box` at its entry point; internal helpers trust it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import torch
from torch import Tensor

from ..errors import MorsenetError

# One box type for 1, 2 and 3 dimensions: ((lo, hi), ...), one finite pair with lo < hi per input dimension.
Box = tuple[tuple[float, float], ...]
Interval = tuple[float, float]

# Default grid resolutions, one per purpose (nodes per axis, both ends included).
JACOBIAN_RESOLUTION = 100  # `jacobian_grid`: an SVD per node
PREDICTION_RESOLUTION = 200  # `prediction_grid`: decision boundaries and level sets for figures
CURVE_RESOLUTION = 2001  # `prediction_curve`: samples of a 1-D model
SNAPSHOT_RESOLUTION = 100  # `training_snapshots`: one grid (or curve) per saved epoch
REGION_RESOLUTION = 256  # `decision_regions`: the flood fill of the class regions
TUNNEL_RESOLUTION = 257  # `tunnel_analysis`: its own flood fill when no regions are passed
ASSESSMENT_RESOLUTION = 201  # `assess_model`: the regions shared by the topology and the tunnel test

# Points per chunk: small enough that a 1000x1000 grid never holds more than a few MB of activations
# for the narrow networks morsenet studies, large enough that per-chunk overhead is negligible.
DEFAULT_CHUNK = 16_384
# Points per chunk of plain float64 evaluation (no Jacobians): `prediction_grid` and scalar fields.
EVALUATION_CHUNK = 65_536


def check_box(box: object, dim: int | None = None, *, name: str = "box") -> Box:
    """Normalise `box` to ((lo, hi), ...) with finite lo < hi; `dim`, when given, is the required length.

    Raises:
        MorsenetError: for anything else.
    """
    items: Any = box
    try:
        pairs = tuple((float(lo), float(hi)) for lo, hi in items)
    except (TypeError, ValueError):
        raise MorsenetError(f"`{name}` must be a sequence of (lo, hi) pairs, one per dimension, got {box!r}") from None
    if not pairs or len(pairs) > 3:
        raise MorsenetError(f"`{name}` must have 1, 2 or 3 (lo, hi) pairs, got {len(pairs)}")
    if dim is not None and len(pairs) != dim:
        raise MorsenetError(f"`{name}` has {len(pairs)} (lo, hi) pairs but the function takes {dim}-D points")
    for lo, hi in pairs:
        if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
            raise MorsenetError(f"`{name}` needs finite lo < hi in every dimension, got {pairs}")
    return pairs


# The margin by which the default search box widens the data's bounding box (the report's default).
DEFAULT_MARGIN = 0.2


def default_search_box(data: Any, box: object = None, *, margin: float = DEFAULT_MARGIN) -> Box:
    """The one box policy of the report, `morsenet analyze` and the studies: `box` when given (a study's
    `report.box`, `--box`; 1 to 3 axes), else the data's bounding box widened by `margin` on every side (any
    dimension).

    Args:
        data: a `morsenet.datasets.Dataset` (anything with `input_dim` and `box(margin)`).
        box: ((lo, hi), ...) overriding the default, one pair per input dimension of `data`.
        margin: the widening of the data's bounding box.

    Raises:
        MorsenetError: for a bad `box`, or one whose dimension is not the data's.
    """
    dim = int(data.input_dim)
    if box is not None:
        return check_box(box, dim)
    if isinstance(margin, bool) or not isinstance(margin, (int, float)) or not 0 <= margin < math.inf:
        raise MorsenetError(f"`margin` must be a finite number >= 0, got {margin!r}")
    out = tuple((float(lo), float(hi)) for lo, hi in data.box(float(margin)))  # any dimension (n-D data too)
    if len(out) != dim or not all(math.isfinite(lo) and math.isfinite(hi) and lo < hi for lo, hi in out):
        raise MorsenetError(f"the data's box {out} is not {dim} finite (lo, hi) pairs with lo < hi")
    return out


def check_interval(interval: object, *, name: str = "interval") -> Interval:
    """Validate one (lo, hi) pair of finite numbers with lo < hi (a 1-D box)."""
    return check_box((interval,), 1, name=name)[0]


def box_tensors(box: Box) -> tuple[Tensor, Tensor]:
    """Lower and upper corners, each of shape (d,), float64."""
    lo = torch.tensor([p[0] for p in box], dtype=torch.float64)
    hi = torch.tensor([p[1] for p in box], dtype=torch.float64)
    return lo, hi


def check_resolution(resolution: object, *, minimum: int = 2) -> tuple[int, int]:
    """An int n (n x n grid) or a pair (nx, ny); every entry an integer >= `minimum`."""
    pair: Any = (resolution, resolution) if isinstance(resolution, int) else resolution
    try:
        nx, ny = pair
    except (TypeError, ValueError):
        raise MorsenetError(f"`resolution` must be an integer or a pair (nx, ny), got {resolution!r}") from None
    for v in (nx, ny):
        if isinstance(v, bool) or not isinstance(v, int) or v < minimum:
            raise MorsenetError(f"`resolution` entries must be integers >= {minimum}, got {resolution!r}")
    return nx, ny


def check_chunk(chunk_size: object) -> int:
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
        raise MorsenetError(f"`chunk_size` must be an integer >= 1, got {chunk_size!r}")
    return chunk_size


def axis(lo: float, hi: float, n: int, dtype: torch.dtype = torch.float64) -> Tensor:
    """n uniform nodes on [lo, hi], ends included, computed in float64."""
    return torch.linspace(lo, hi, n, dtype=torch.float64).to(dtype)


def grid_axes(box: Box, resolution: int | tuple[int, int], dtype: torch.dtype = torch.float32) -> tuple[Tensor, Tensor]:
    """Abscissae (nx,) and ordinates (ny,) of a uniform grid covering `box`, ends included."""
    (x0, x1), (y0, y1) = check_box(box, 2)
    nx, ny = check_resolution(resolution)
    return axis(x0, x1, nx, dtype), axis(y0, y1, ny, dtype)


def grid_points(xs: Tensor, ys: Tensor) -> Tensor:
    """Grid points of shape (ny, nx, 2) with `points[j, i] = (xs[i], ys[j])` (rows follow y, as in `contourf`)."""
    yy, xx = torch.meshgrid(ys, xs, indexing="ij")
    return torch.stack([xx, yy], dim=-1)


def map_chunks(
    fn: Callable[[Tensor], tuple[Tensor, ...]], points: Tensor, chunk_size: int = DEFAULT_CHUNK
) -> tuple[Tensor, ...]:
    """The one chunked evaluator: apply `fn` to (n, d) `points` in chunks of `chunk_size` rows and concatenate
    each returned tensor (`chunk_size` is trusted: public entry points check it with `check_chunk`)."""
    parts: Iterable[tuple[Tensor, ...]] = [
        fn(points[s : s + chunk_size]) for s in range(0, points.shape[0], chunk_size)
    ]
    return tuple(torch.cat(list(group)) for group in zip(*parts))
