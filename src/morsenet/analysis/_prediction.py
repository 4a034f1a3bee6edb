"""Model outputs on a grid (decision boundaries, level sets, surfaces) and on an interval (1-D curves)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, cast

import torch
from torch import Tensor

from ..errors import MorsenetError
from . import _repr
from ._grid import (
    CURVE_RESOLUTION,
    DEFAULT_CHUNK,
    EVALUATION_CHUNK,
    PREDICTION_RESOLUTION,
    Box,
    Interval,
    axis,
    check_chunk,
    check_interval,
    check_resolution,
    grid_axes,
    grid_points,
    map_chunks,
)
from ._jacobian import _batched_map, batched_jacobians
from ._scalar_field import check_input_dim, eval_mode, infer_dtype

Task = Literal["classification", "regression"]


@dataclass(frozen=True)
class PredictionGrid:
    """A model's output over a uniform grid in the plane.

    Attributes:
        xs: (nx,) grid abscissae.
        ys: (ny,) grid ordinates.
        points: (ny, nx, 2) grid points, `points[j, i] = (xs[i], ys[j])`.
        logits: (ny, nx) raw outputs (the logit; the prediction itself for regression).
        probabilities: (ny, nx) sigmoid of the logits for classification, None for regression.
        task: "classification" or "regression".
    """

    xs: Tensor
    ys: Tensor
    points: Tensor
    logits: Tensor
    probabilities: Tensor | None
    task: Task = "classification"

    @property
    def values(self) -> Tensor:
        """(ny, nx) what a figure shows: probabilities for classification, outputs for regression."""
        return self.logits if self.probabilities is None else self.probabilities

    @property
    def box(self) -> Box:
        return (float(self.xs[0]), float(self.xs[-1])), (float(self.ys[0]), float(self.ys[-1]))

    def __repr__(self) -> str:
        what = "logit" if self.task == "classification" else "output"
        return (
            f"PredictionGrid(task={self.task!r}, grid={_repr.grid(*self.logits.shape)}, box={_repr.box(self.box)}, "
            f"{what} range={_repr.value_range(self.logits)})"
        )


def _check_task(task: str) -> Task:
    if task not in ("classification", "regression"):
        raise MorsenetError(f"`task` must be 'classification' or 'regression', got {task!r}")
    return cast(Task, task)


def _outputs(f: Callable[[Tensor], Tensor], x: Tensor) -> Tensor:
    y = f(x)
    if not isinstance(y, Tensor) or y.shape[0] != x.shape[0] or y[0].numel() != 1:
        shape = tuple(y.shape) if isinstance(y, Tensor) else type(y).__name__
        raise MorsenetError(f"`f` must map (n, d) points to n outputs, got {shape} for n = {x.shape[0]}")
    return y.reshape(-1).detach()


def prediction_grid(
    f: Callable[[Tensor], Tensor],
    box: Box,
    resolution: int | tuple[int, int] = PREDICTION_RESOLUTION,
    *,
    task: Task = "classification",
    dtype: torch.dtype | None = None,
    chunk_size: int = EVALUATION_CHUNK,
) -> PredictionGrid:
    """Evaluate `f` on a uniform grid over `box`.

    Args:
        f: a morsenet model or any callable mapping (n, 2) points to n logits (or regression outputs).
        box: ((x_min, x_max), (y_min, y_max)).
        resolution: n for an n x n grid, or (nx, ny).
        task: "classification" adds probabilities = sigmoid(logits); "regression" leaves them None.
        dtype: defaults to the dtype of `f`'s parameters (float32 for a plain callable).
        chunk_size: points per call of `f`.

    Returns:
        `PredictionGrid` with `logits` (ny, nx) and `probabilities` (ny, nx) or None.
    """
    task = _check_task(task)
    check_input_dim(f, 2, "prediction_grid")
    dtype = infer_dtype(f, dtype)
    xs, ys = grid_axes(box, resolution, dtype)
    points = grid_points(xs, ys)
    with eval_mode(f), torch.no_grad():
        (logits,) = map_chunks(lambda x: (_outputs(f, x),), points.reshape(-1, 2), check_chunk(chunk_size))
    logits = logits.reshape(points.shape[:2])
    probs = torch.sigmoid(logits) if task == "classification" else None
    return PredictionGrid(xs, ys, points, logits, probs, task)


@dataclass(frozen=True)
class PredictionCurve:
    """A 1-D model x -> f(x) on an interval, its derivative, and the zeros of the derivative.

    Attributes:
        x: (n,) sample points.
        y: (n,) outputs (logits for classification, predictions for regression).
        derivative: (n,) df/dx.
        zeros: (z,) locations where df/dx changes sign (or vanishes), by linear interpolation: the candidate
            critical points of f.
        zero_values: (z,) f at those locations (linear interpolation).
        task: "classification" or "regression".
    """

    x: Tensor
    y: Tensor
    derivative: Tensor
    zeros: Tensor
    zero_values: Tensor
    task: Task = "regression"

    def __repr__(self) -> str:
        interval = "()" if not len(self.x) else f"({_repr.num(float(self.x[0]))}, {_repr.num(float(self.x[-1]))})"
        zeros = f" at {_repr.numbers(self.zeros)}" if len(self.zeros) else ""
        return (
            f"PredictionCurve(task={self.task!r}, points={len(self.x)}, interval={interval}, "
            f"range={_repr.value_range(self.y)}, derivative_zeros={len(self.zeros)}{zeros})"
        )


def derivative_zeros(x: Tensor, y: Tensor, dy: Tensor) -> tuple[Tensor, Tensor]:
    """Zeros of a sampled derivative: exact zeros and sign changes between neighbours, linearly interpolated.

    Returns:
        (locations (z,), f values there (z,)).
    """
    exact = dy == 0
    a, b = dy[:-1], dy[1:]
    change = a * b < 0
    i = torch.nonzero(change).reshape(-1)
    t = a[i] / (a[i] - b[i])
    xz = torch.cat([x[exact], x[i] + t * (x[i + 1] - x[i])])
    yz = torch.cat([y[exact], y[i] + t * (y[i + 1] - y[i])])
    order = torch.argsort(xz)
    return xz[order], yz[order]


def prediction_curve(
    f: Callable[[Tensor], Tensor],
    interval: Interval = (-1.0, 1.0),
    resolution: int = CURVE_RESOLUTION,
    *,
    task: Task = "regression",
    dtype: torch.dtype | None = None,
    chunk_size: int = DEFAULT_CHUNK,
) -> PredictionCurve:
    """Evaluate a 1-D model and its derivative on `resolution` uniform points of `interval`.

    Args:
        f: a morsenet model with input dimension 1 or any callable mapping (n, 1) points to n outputs.
        interval: (lo, hi).
        resolution: number of sample points (>= 2).
        task: recorded for the figures ("regression" curves are compared with the data directly).
        dtype: defaults to the dtype of `f`'s parameters.
        chunk_size: points per vectorised call.

    Returns:
        `PredictionCurve` with x, y, derivative (n,) and the derivative's zeros.
    """
    task = _check_task(task)
    check_input_dim(f, 1, "prediction_curve")
    lo, hi = check_interval(interval)
    n, _ = check_resolution((resolution, 2))
    dtype = infer_dtype(f, dtype)
    x = axis(lo, hi, n, dtype)
    g = _batched_map(f, None)

    def chunk(p: Tensor) -> tuple[Tensor, Tensor]:
        with torch.no_grad():
            y = g(p).reshape(-1).detach()
        return y, batched_jacobians(g, p).reshape(-1)

    with eval_mode(f):
        y, dy = map_chunks(chunk, x[:, None], check_chunk(chunk_size))
    zeros, values = derivative_zeros(x, y, dy)
    return PredictionCurve(x, y, dy, zeros, values, task)
