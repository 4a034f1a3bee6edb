"""Uniform grids over a box in the plane (or an interval on the line), evaluated in bounded chunks."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch
from torch import Tensor, nn

from ..errors import MorsenetError

Box = tuple[tuple[float, float], tuple[float, float]]
Interval = tuple[float, float]

# Points per chunk: small enough that a 1000x1000 grid never holds more than a few MB of activations
# for the narrow networks morsenet studies, large enough that per-chunk overhead is negligible.
DEFAULT_CHUNK = 16_384


def check_interval(interval: object, *, name: str = "interval") -> Interval:
    """Validate one (lo, hi) pair of finite numbers with lo < hi."""
    try:
        lo, hi = (float(v) for v in interval)  # type: ignore[union-attr]
    except (TypeError, ValueError):
        raise MorsenetError(f"`{name}` must be a pair (lo, hi) of numbers, got {interval!r}") from None
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise MorsenetError(f"`{name}` must satisfy lo < hi with finite ends, got ({lo}, {hi})")
    return lo, hi


def check_box(box: object) -> Box:
    """Validate `box = ((x_min, x_max), (y_min, y_max))`."""
    if not isinstance(box, Sequence) or len(box) != 2:
        raise MorsenetError(f"`box` must be ((x_min, x_max), (y_min, y_max)), got {box!r}")
    return check_interval(box[0], name="box[0]"), check_interval(box[1], name="box[1]")


def check_resolution(resolution: object, *, minimum: int = 2) -> tuple[int, int]:
    """An int n (n x n grid) or a pair (nx, ny); every entry an integer >= `minimum`."""
    pair = (resolution, resolution) if isinstance(resolution, int) else resolution
    try:
        nx, ny = pair  # type: ignore[misc]
    except (TypeError, ValueError):
        raise MorsenetError(f"`resolution` must be an integer or a pair (nx, ny), got {resolution!r}") from None
    for v in (nx, ny):
        if isinstance(v, bool) or not isinstance(v, int) or v < minimum:
            raise MorsenetError(f"`resolution` entries must be integers >= {minimum}, got {resolution!r}")
    return nx, ny


def grid_axes(box: Box, resolution: int | tuple[int, int], dtype: torch.dtype = torch.float32) -> tuple[Tensor, Tensor]:
    """Abscissae (nx,) and ordinates (ny,) of a uniform grid covering `box`, ends included."""
    (x0, x1), (y0, y1) = check_box(box)
    nx, ny = check_resolution(resolution)
    return (
        torch.linspace(x0, x1, nx, dtype=torch.float64).to(dtype),
        torch.linspace(y0, y1, ny, dtype=torch.float64).to(dtype),
    )


def grid_points(xs: Tensor, ys: Tensor) -> Tensor:
    """Grid points of shape (ny, nx, 2) with `points[j, i] = (xs[i], ys[j])` (rows follow y, as in `contourf`)."""
    yy, xx = torch.meshgrid(ys, xs, indexing="ij")
    return torch.stack([xx, yy], dim=-1)


def infer_dtype(f: Callable, dtype: torch.dtype | None) -> torch.dtype:
    """`dtype` if given, else the dtype of the first floating parameter of `f` (a module), else float32."""
    if dtype is not None:
        return dtype
    if isinstance(f, nn.Module):
        for p in f.parameters():
            if p.is_floating_point():
                return p.dtype
    return torch.float32


def check_chunk(chunk_size: object) -> int:
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
        raise MorsenetError(f"`chunk_size` must be an integer >= 1, got {chunk_size!r}")
    return chunk_size


def map_chunks(
    fn: Callable[[Tensor], tuple[Tensor, ...]], points: Tensor, chunk_size: int = DEFAULT_CHUNK
) -> tuple[Tensor, ...]:
    """Apply `fn` to (n, d) `points` in chunks of `chunk_size` rows and concatenate each returned tensor."""
    parts = [fn(points[s : s + chunk_size]) for s in range(0, points.shape[0], check_chunk(chunk_size))]
    return tuple(torch.cat(list(group)) for group in zip(*parts))


class eval_mode:
    """Context manager: put a module in eval mode (BatchNorm uses running statistics) and restore it after.

    Analyses describe the trained function; in train mode BatchNorm would couple the points of a batch.
    """

    def __init__(self, f: object) -> None:
        self.module = f if isinstance(f, nn.Module) else None
        self.was_training = bool(self.module is not None and self.module.training)

    def __enter__(self) -> None:
        if self.was_training:
            self.module.eval()  # type: ignore[union-attr]

    def __exit__(self, *exc: object) -> None:
        if self.was_training:
            self.module.train()  # type: ignore[union-attr]


def check_input_dim(f: object, dim: int, what: str) -> None:
    """A morsenet model must take `dim` inputs for `what`; plain callables are trusted."""
    n = getattr(f, "input_dim", None)
    if isinstance(n, int) and n != dim:
        raise MorsenetError(
            f"{what} needs a model with {dim} input{'s' if dim > 1 else ''}; this {type(f).__name__} takes {n}"
        )
