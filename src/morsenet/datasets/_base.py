"""The `Dataset` container: a train/test split of points and labels (or regression targets)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import torch
from torch import Tensor

from .._validation import Seed, as_generator
from ..errors import MorsenetError

Task = Literal["classification", "regression"]


@dataclass(frozen=True)
class DiskRing:
    """The disk-inside-ring geometry of a data set in the plane: class 0 in a disk, class 1 in a ring around it.

    Attributes:
        center: (x, y) common centre.
        disk_radius: radius of the class-0 disk.
        ring: (inner, outer) radii of the class-1 ring (disk_radius < inner < outer).
    """

    center: tuple[float, float]
    disk_radius: float
    ring: tuple[float, float]

    def __post_init__(self) -> None:
        if not 0 < self.disk_radius < self.ring[0] < self.ring[1]:
            raise MorsenetError(f"need 0 < disk_radius < ring[0] < ring[1], got {self.disk_radius}, {self.ring}")

    def to_dict(self) -> dict[str, Any]:
        return {"center": list(self.center), "disk_radius": self.disk_radius, "ring": list(self.ring)}


@dataclass(frozen=True)
class Dataset:
    """Points in R^d with binary labels (0/1) or scalar regression targets, split into train and test.

    Attributes:
        name: registry name of the generator ("circles", "csv", ...).
        x_train: (n_train, d) float32 points.
        y_train: (n_train,) float32 labels in {0, 1} or regression targets.
        x_test: (n_test, d) float32 points.
        y_test: (n_test,) float32 labels or targets.
        task: "classification" (BCE on logits) or "regression" (MSE).
        params: the generator's arguments, for the record.
        geometry: the disk-inside-ring geometry when the data have one in the plane (raw `circles`, 2-D
            `spheres`), else None; the tunnel test reads it.
    """

    name: str
    x_train: Tensor
    y_train: Tensor
    x_test: Tensor
    y_test: Tensor
    task: Task = "classification"
    params: dict[str, Any] = field(default_factory=dict)
    geometry: DiskRing | None = None

    @property
    def input_dim(self) -> int:
        return int(self.x_train.shape[1])

    @property
    def x(self) -> Tensor:
        """All points, train then test, (n, d)."""
        return torch.cat([self.x_train, self.x_test])

    @property
    def y(self) -> Tensor:
        return torch.cat([self.y_train, self.y_test])

    def box(self, margin: float = 0.2) -> tuple[tuple[float, float], ...]:
        """Bounding box of all points, widened by `margin` on every side; one (lo, hi) per dimension."""
        x = self.x
        lo, hi = x.min(0).values, x.max(0).values
        return tuple((float(a) - margin, float(b) + margin) for a, b in zip(lo, hi))

    def to(self, dtype: torch.dtype) -> Dataset:
        """A copy with points (and targets) in `dtype`."""
        return Dataset(
            self.name,
            self.x_train.to(dtype),
            self.y_train.to(dtype),
            self.x_test.to(dtype),
            self.y_test.to(dtype),
            self.task,
            dict(self.params),
            self.geometry,
        )


def split(
    name: str,
    x: Tensor,
    y: Tensor,
    *,
    test_fraction: float,
    gen: torch.Generator,
    task: Task = "classification",
    standardize: bool = False,
    params: dict[str, Any] | None = None,
    geometry: DiskRing | None = None,
) -> Dataset:
    """Shuffle with `gen`, split off `test_fraction` of the points as test set, optionally standardise.

    Standardisation uses the training set's mean and standard deviation for both parts; it distorts a disk
    and ring into ellipses, so a standardised data set records no `geometry`.
    """
    if not 0.0 < test_fraction < 1.0:
        raise MorsenetError(f"{name}: test_fraction must be in (0, 1), got {test_fraction}")
    n = x.shape[0]
    n_test = int(round(test_fraction * n))
    if n_test < 1 or n - n_test < 2:
        raise MorsenetError(f"{name}: {n} points are too few to split with test_fraction={test_fraction}")
    perm = torch.randperm(n, generator=gen)
    x, y = x[perm], y[perm]
    x_test, y_test, x_train, y_train = x[:n_test], y[:n_test], x[n_test:], y[n_test:]
    params = dict(params or {})
    if standardize:
        mean, std = x_train.mean(0), x_train.std(0).clamp_min(1e-12)
        x_train, x_test = (x_train - mean) / std, (x_test - mean) / std
        params["standardize_mean"] = mean.tolist()
        params["standardize_std"] = std.tolist()
    return Dataset(
        name,
        x_train.float().contiguous(),
        y_train.float().contiguous(),
        x_test.float().contiguous(),
        y_test.float().contiguous(),
        task,
        params,
        None if standardize else geometry,
    )


def check_seed(seed: Seed) -> torch.Generator:
    return as_generator(seed)
