"""The `Dataset` container: a train/test split of points and labels (or regression targets)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal

import torch
from torch import Tensor

from .._validation import Seed, as_generator
from ..errors import MorsenetError
from ._geometry import DiskRing

Task = Literal["classification", "regression"]

# Data sets are held in memory as float64 while they are built: 10^7 points (160 MB in the plane) and 10^8
# numbers in all (800 MB) are the most morsenet generates or reads, decided before anything is allocated.
MAX_SAMPLES = 10_000_000
MAX_DIM = 10_000
MAX_VALUES = 100_000_000


def check_size(name: str, n_samples: int, dim: int) -> None:
    """Refuse a data set of more than `MAX_VALUES` numbers (points x dimensions) before it is allocated."""
    if n_samples * dim > MAX_VALUES:
        raise MorsenetError(
            f"{name}: {n_samples:,} points x {dim:,} dimensions is more than morsenet holds "
            f"({MAX_VALUES:,} numbers); use fewer points or dimensions"
        )


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
        geometry: the disk-inside-ring geometry (`DiskRing`, 2-D or 3-D) when the data have one: `circles`,
            2-D and 3-D `spheres`, or any 2-D/3-D data set that declares `disk_radius` and `ring`; standardised
            data keep it with the transform (`DiskRing.scale`); else None.
        x_val, y_val: an optional validation part split off the training points (`with_validation`), used
            for model selection instead of the test set; None when there is none.
    """

    name: str
    x_train: Tensor
    y_train: Tensor
    x_test: Tensor
    y_test: Tensor
    task: Task = "classification"
    params: dict[str, Any] = field(default_factory=dict)
    geometry: DiskRing | None = None
    x_val: Tensor | None = None
    y_val: Tensor | None = None

    @property
    def input_dim(self) -> int:
        return int(self.x_train.shape[1])

    @property
    def has_validation(self) -> bool:
        return self.x_val is not None

    @property
    def x(self) -> Tensor:
        """All points, train (then validation) then test, (n, d)."""
        return torch.cat([self.x_train, *([self.x_val] if self.x_val is not None else []), self.x_test])

    @property
    def y(self) -> Tensor:
        return torch.cat([self.y_train, *([self.y_val] if self.y_val is not None else []), self.y_test])

    def with_validation(self, fraction: float, *, seed: Seed = 0) -> Dataset:
        """A copy whose validation part is `fraction` of the training points, drawn with `seed`.

        The test points are untouched; the rest of the training points stay training points, in their order.
        Raises `MorsenetError` when the data already have a validation part, for `fraction` outside (0, 1), or
        when too few training points would be left (at least 2) or taken (at least 1).
        """
        if self.x_val is not None:
            raise MorsenetError(f"{self.name}: the data set already has a validation part")
        if isinstance(fraction, bool) or not isinstance(fraction, (int, float)) or not 0 < fraction < 1:
            raise MorsenetError(f"{self.name}: val_fraction must be a number in (0, 1), got {fraction!r}")
        n = int(self.x_train.shape[0])
        n_val = int(round(fraction * n))
        if n_val < 1 or n - n_val < 2:
            raise MorsenetError(
                f"{self.name}: {n} training points are too few to split with val_fraction={fraction} "
                "(need at least 1 validation and 2 training points)"
            )
        perm = torch.randperm(n, generator=as_generator(seed))
        val_idx, train_idx = perm[:n_val], perm[n_val:].sort().values
        return replace(
            self,
            x_train=self.x_train[train_idx].contiguous(),
            y_train=self.y_train[train_idx].contiguous(),
            x_val=self.x_train[val_idx].contiguous(),
            y_val=self.y_train[val_idx].contiguous(),
            params=dict(self.params),
        )

    def box(self, margin: float = 0.2) -> tuple[tuple[float, float], ...]:
        """Bounding box of all points, widened by `margin` on every side; one (lo, hi) per dimension."""
        x = self.x
        lo, hi = x.min(0).values, x.max(0).values
        return tuple((float(a) - margin, float(b) + margin) for a, b in zip(lo, hi))

    def to(self, dtype: torch.dtype) -> Dataset:
        """A copy with points (and targets) in `dtype`."""
        return replace(
            self,
            x_train=self.x_train.to(dtype),
            y_train=self.y_train.to(dtype),
            x_test=self.x_test.to(dtype),
            y_test=self.y_test.to(dtype),
            params=dict(self.params),
            x_val=None if self.x_val is None else self.x_val.to(dtype),
            y_val=None if self.y_val is None else self.y_val.to(dtype),
        )


def split(
    name: str,
    x: Tensor,
    y: Tensor,
    *,
    test_fraction: float,
    gen: torch.Generator,
    task: Task = "classification",
    standardize: bool | str = False,
    params: dict[str, Any] | None = None,
    geometry: DiskRing | None = None,
) -> Dataset:
    """Shuffle with `gen`, split off `test_fraction` of the points as test set, optionally standardise.

    `test_fraction = 0` trains and evaluates on the same points (the companion code's 1-D protocol): the test
    set is then the training set itself. Standardisation (`standardize`): False; True or "train" uses the
    training set's mean and standard deviation for both parts; "all" fits them on all points before the split
    (the companion code's StandardScaler). A `geometry` (given in the original coordinates) is then recorded
    with that transform (`DiskRing.standardised`).
    """
    if isinstance(test_fraction, bool) or not isinstance(test_fraction, (int, float)) or not 0.0 <= test_fraction < 1.0:
        raise MorsenetError(
            f"{name}: test_fraction must be in [0, 1) (0: train and test on the same points), got {test_fraction!r}"
        )
    if not (isinstance(standardize, bool) or standardize in ("train", "all")):
        raise MorsenetError(f'{name}: standardize must be one of false, true, "train", "all"; got {standardize!r}')
    n = x.shape[0]
    n_test = int(round(test_fraction * n))
    if (test_fraction > 0 and n_test < 1) or n - n_test < 2:
        raise MorsenetError(f"{name}: {n} points are too few to split with test_fraction={test_fraction}")
    perm = torch.randperm(n, generator=gen)
    x, y = x[perm], y[perm]
    if n_test:
        x_test, y_test, x_train, y_train = x[:n_test], y[:n_test], x[n_test:], y[n_test:]
    else:  # no split: the test points are the training points
        x_test, y_test, x_train, y_train = x, y, x, y
    params = dict(params or {})
    if standardize:
        if standardize == "all":  # scikit-learn's StandardScaler on every point: the population deviation
            mean, std = x.mean(0), x.std(0, correction=0).clamp_min(1e-12)
        else:
            mean, std = x_train.mean(0), x_train.std(0).clamp_min(1e-12)
        x_train, x_test = (x_train - mean) / std, (x_test - mean) / std
        params["standardize_mean"] = mean.tolist()
        params["standardize_std"] = std.tolist()
        if geometry is not None:
            geometry = geometry.standardised(mean.tolist(), std.tolist())
    return Dataset(
        name,
        x_train.float().contiguous(),
        y_train.float().contiguous(),
        x_test.float().contiguous(),
        y_test.float().contiguous(),
        task,
        params,
        geometry,
    )


def check_seed(seed: Seed) -> torch.Generator:
    return as_generator(seed)
