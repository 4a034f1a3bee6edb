"""Decision regions of 2-D binary classifiers on a grid: connected components, bounded ones marked."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from ..errors import MorsenetError
from . import _repr
from ._components import label_components as label_components
from ._grid import REGION_RESOLUTION, Box, axis, check_box
from ._scalar_field import ScalarFn, as_point, as_scalar_field, evaluate


def _logit_threshold(threshold: float) -> float:
    if not (isinstance(threshold, (int, float)) and 0 < threshold < 1):
        raise MorsenetError(f"`threshold` must be a probability strictly between 0 and 1, got {threshold!r}")
    return math.log(threshold / (1 - threshold))


def _check_resolution(resolution: object) -> int:
    if isinstance(resolution, bool) or not isinstance(resolution, int) or resolution < 8:
        raise MorsenetError(f"`resolution` must be an integer >= 8, got {resolution!r}")
    return resolution


@dataclass(frozen=True)
class Region:
    """One connected component of a decision region on the grid.

    Attributes:
        cls: the class (0: probability below the threshold, 1: at or above it).
        n_cells: grid nodes in the component.
        area: n_cells times the area of one grid cell.
        bounded: True when the component does not touch the box edge.
        centroid: (x, y) mean of its nodes.
        bbox: ((x_min, x_max), (y_min, y_max)) of its nodes.
    """

    cls: int
    n_cells: int
    area: float
    bounded: bool
    centroid: tuple[float, float]
    bbox: tuple[tuple[float, float], tuple[float, float]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "class": self.cls,
            "n_cells": self.n_cells,
            "area": self.area,
            "bounded": self.bounded,
            "centroid": list(self.centroid),
            "bbox": [list(b) for b in self.bbox],
        }


@dataclass(frozen=True)
class DecisionRegions:
    """Connected components of the two decision regions of a 2-D binary classifier on a grid.

    Attributes:
        xs: (nx,) grid abscissae.
        ys: (ny,) grid ordinates.
        logits: (ny, nx) the classifier's logits, `logits[j, i]` at `(xs[i], ys[j])`.
        classes: (ny, nx) predicted class: 1 where sigmoid(logit) >= threshold, else 0.
        components: (ny, nx) index into `regions` of each node's component.
        regions: the components, in order of first appearance (row-major from the lower-left corner).
        threshold: the probability threshold.
        box: the box.
    """

    xs: Tensor
    ys: Tensor
    logits: Tensor
    classes: Tensor
    components: Tensor
    regions: tuple[Region, ...]
    threshold: float
    box: Box

    def n_regions(self, cls: int | None = None) -> int:
        return sum(cls is None or r.cls == cls for r in self.regions)

    def n_bounded(self, cls: int | None = None) -> int:
        return sum(r.bounded and (cls is None or r.cls == cls) for r in self.regions)

    def region_at(self, point: Sequence[float]) -> Region:
        """The component containing the grid node nearest to `point` (2,)."""
        p = as_point(point, 2, "point")
        i = int(torch.argmin((self.xs - p[0]).abs()))
        j = int(torch.argmin((self.ys - p[1]).abs()))
        return self.regions[int(self.components[j, i])]

    def summary(self) -> str:
        parts = []
        for c in (0, 1):
            n, b = self.n_regions(c), self.n_bounded(c)
            parts.append(f"class {c}: {n} {'region' if n == 1 else 'regions'} ({b} bounded)")
        return "; ".join(parts)

    def __repr__(self) -> str:
        counts = ", ".join(f"class_{c}={self.n_regions(c)} ({self.n_bounded(c)} bounded)" for c in (0, 1))
        return (
            f"DecisionRegions(regions={len(self.regions)}: {counts}, grid={_repr.grid(len(self.ys), len(self.xs))}, "
            f"threshold={self.threshold:g}, box={_repr.box(self.box)})"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "box": [list(b) for b in self.box],
            "resolution": [len(self.xs), len(self.ys)],
            "threshold": self.threshold,
            "regions": [r.to_dict() for r in self.regions],
            "n_regions": {str(c): self.n_regions(c) for c in (0, 1)},
            "n_bounded": {str(c): self.n_bounded(c) for c in (0, 1)},
            "summary": self.summary(),
        }


def decision_regions(
    f: nn.Module | ScalarFn,
    box: Sequence[Sequence[float]] = ((-2.0, 2.0), (-2.0, 2.0)),
    *,
    resolution: int = REGION_RESOLUTION,
    threshold: float = 0.5,
) -> DecisionRegions:
    """Connected components of each class region of a 2-D binary classifier, bounded ones marked.

    Args:
        f: a model or a callable mapping points (n, 2) to logits (n,) or (n, 1); probability = sigmoid(logit).
        box: ((x_min, x_max), (y_min, y_max)).
        resolution: grid nodes per axis (both edges included).
        threshold: probability threshold between class 0 and class 1.

    Returns:
        A `DecisionRegions`.

    Raises:
        MorsenetError: for a bad box, resolution or threshold.
    """
    box_t = check_box(box, 2)
    n = _check_resolution(resolution)
    thr = _logit_threshold(threshold)
    return regions_on_grid(as_scalar_field(f), box_t, n, thr, float(threshold))


def regions_on_grid(call: ScalarFn, box: Box, n: int, thr: float, threshold: float) -> DecisionRegions:
    """`decision_regions` of the float64 field `call` on a checked box, n x n nodes, logit threshold `thr`."""
    xs, ys = axis(*box[0], n), axis(*box[1], n)
    gy, gx = torch.meshgrid(ys, xs, indexing="ij")
    logits = evaluate(call, torch.stack([gx.reshape(-1), gy.reshape(-1)], dim=1)).reshape(n, n)
    classes = (logits >= thr).to(torch.int64)
    comp = label_components(classes.numpy())
    cell = float((xs[1] - xs[0]) * (ys[1] - ys[0]))
    regions = _regions_of(comp, classes.numpy(), gx.numpy().reshape(-1), gy.numpy().reshape(-1), cell)
    return DecisionRegions(
        xs=xs, ys=ys, logits=logits, classes=classes, components=torch.from_numpy(comp), regions=regions,
        threshold=threshold, box=box,
    )  # fmt: skip


def _regions_of(
    comp: np.ndarray, classes: np.ndarray, gxn: np.ndarray, gyn: np.ndarray, cell: float
) -> tuple[Region, ...]:
    """Size, class, edge contact, centroid and bounding box of every component of `comp` (ny, nx)."""
    k = int(comp.max()) + 1
    flat = comp.reshape(-1)
    sizes = np.bincount(flat, minlength=k)
    edge = np.zeros_like(comp, dtype=bool)
    edge[0, :] = edge[-1, :] = edge[:, 0] = edge[:, -1] = True
    touches = np.bincount(flat, weights=edge.reshape(-1), minlength=k) > 0
    cls_of = np.zeros(k, dtype=np.int64)
    cls_of[flat] = classes.reshape(-1)
    cx = np.bincount(flat, weights=gxn, minlength=k) / sizes
    cy = np.bincount(flat, weights=gyn, minlength=k) / sizes
    xmin, xmax = np.full(k, np.inf), np.full(k, -np.inf)
    ymin, ymax = np.full(k, np.inf), np.full(k, -np.inf)
    np.minimum.at(xmin, flat, gxn)
    np.maximum.at(xmax, flat, gxn)
    np.minimum.at(ymin, flat, gyn)
    np.maximum.at(ymax, flat, gyn)
    return tuple(
        Region(
            cls=int(cls_of[c]),
            n_cells=int(sizes[c]),
            area=float(sizes[c] * cell),
            bounded=not bool(touches[c]),
            centroid=(float(cx[c]), float(cy[c])),
            bbox=((float(xmin[c]), float(xmax[c])), (float(ymin[c]), float(ymax[c]))),
        )
        for c in range(k)
    )
