"""`DiskRing`: a data set's inner region (class 0, radius `disk_radius`) inside a ring (class 1), in 2-D or 3-D.

Radii are in the data's ORIGINAL coordinates. A standardised data set (every coordinate shifted and scaled by
its training mean and standard deviation) keeps its geometry: `center` is then in standardised coordinates and
`scale` (1/std per axis) maps original offsets to standardised ones, so the disk and the ring are ellipses
there. `radius_of` and `boundary` apply that map; for raw data `scale` is all ones.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import torch
from torch import Tensor

from ..errors import MorsenetError

ArrayT = TypeVar("ArrayT", Tensor, np.ndarray)


def _finite_tuple(key: str, value: Any, lengths: tuple[int, ...]) -> tuple[float, ...]:
    want = " or ".join(str(n) for n in lengths)
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence) or len(value) not in lengths:
        raise MorsenetError(f"{key} must be a list of {want} finite numbers, got {value!r}")
    out = []
    for v in value:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise MorsenetError(f"{key} must be a list of {want} finite numbers, got {list(value)!r}")
        out.append(float(v))
    return tuple(out)


def _finite_positive(key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < math.inf:
        raise MorsenetError(f"{key} must be a finite number > 0, got {value!r}")
    return float(value)


@dataclass(frozen=True)
class DiskRing:
    """Class 0 inside the disk (ball) of radius `disk_radius`, class 1 in the ring ring[0] <= r <= ring[1].

    Attributes:
        center: the common centre, in the data's coordinates (2 or 3 numbers).
        disk_radius: radius of the class-0 disk, in original coordinates.
        ring: (inner, outer) radii of the class-1 ring, original coordinates (0 < disk_radius < inner < outer).
        scale: per-axis factor from original offsets to data offsets (1/std for standardised data; default ones).
    """

    center: tuple[float, ...]
    disk_radius: float
    ring: tuple[float, float]
    scale: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        center = _finite_tuple("center", self.center, (2, 3))
        disk = _finite_positive("disk_radius", self.disk_radius)
        ring = _finite_tuple("ring", self.ring, (2,))
        scale = _finite_tuple("scale", self.scale, (len(center),)) if len(self.scale) else (1.0,) * len(center)
        if not 0 < disk < ring[0] < ring[1]:
            raise MorsenetError(
                f"need 0 < disk_radius < ring[0] < ring[1], got disk_radius={disk:g}, ring=[{ring[0]:g}, {ring[1]:g}]"
            )
        if not all(s > 0 for s in scale):
            raise MorsenetError(f"scale must be positive numbers, got {list(scale)}")
        object.__setattr__(self, "center", center)
        object.__setattr__(self, "disk_radius", disk)
        object.__setattr__(self, "ring", (ring[0], ring[1]))
        object.__setattr__(self, "scale", scale)

    @property
    def dim(self) -> int:
        return len(self.center)

    @property
    def standardized(self) -> bool:
        """Whether the data's coordinates are scaled (the disk and the ring are then ellipses in them)."""
        return any(s != 1.0 for s in self.scale)

    def radius_of(self, points: ArrayT) -> ArrayT:
        """Each point's distance from the centre in ORIGINAL coordinates; `points` (..., dim) in data coordinates."""
        if points.shape[-1] != self.dim:
            raise MorsenetError(f"radius_of: points have {points.shape[-1]} coordinates, the geometry {self.dim}")
        if isinstance(points, np.ndarray):
            c, s = np.asarray(self.center), np.asarray(self.scale)
            return np.linalg.norm((points - c) / s, axis=-1)
        c_t = torch.tensor(self.center, dtype=points.dtype, device=points.device)
        s_t = torch.tensor(self.scale, dtype=points.dtype, device=points.device)
        return torch.linalg.vector_norm((points - c_t) / s_t, dim=-1)

    def boundary(self, r: float, n: int) -> Tensor:
        """`n` float64 points, in data coordinates, at original radius `r`: evenly spaced angles on the circle
        (2-D; an ellipse for standardised data) or a Fibonacci lattice on the sphere (3-D)."""
        if isinstance(r, bool) or not isinstance(r, (int, float)) or not 0 < r < math.inf:
            raise MorsenetError(f"boundary: r must be a finite number > 0, got {r!r}")
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 10_000_000:
            raise MorsenetError(f"boundary: n must be an integer >= 1 and <= 10,000,000, got {n!r}")
        k = torch.arange(n, dtype=torch.float64)
        if self.dim == 2:
            t = 2 * math.pi * k / n
            unit = torch.stack([torch.cos(t), torch.sin(t)], 1)
        else:
            z = 1 - 2 * (k + 0.5) / n
            rho, phi = torch.sqrt(1 - z * z), k * math.pi * (3 - math.sqrt(5))
            unit = torch.stack([rho * torch.cos(phi), rho * torch.sin(phi), z], 1)
        return torch.tensor(self.center, dtype=torch.float64) + r * unit * torch.tensor(self.scale, dtype=torch.float64)

    def standardised(self, mean: Sequence[float], std: Sequence[float]) -> DiskRing:
        """The same geometry after the map x -> (x - mean) / std (this geometry in original coordinates)."""
        if self.standardized:
            raise MorsenetError("the geometry is already in standardised coordinates")
        if len(mean) != self.dim or len(std) != self.dim:
            raise MorsenetError(f"mean and std need {self.dim} numbers, got {len(mean)} and {len(std)}")
        center = tuple((c - m) / s for c, m, s in zip(self.center, mean, std))
        return DiskRing(center, self.disk_radius, self.ring, tuple(1.0 / s for s in std))

    def to_dict(self) -> dict[str, Any]:
        return {
            "center": list(self.center),
            "disk_radius": self.disk_radius,
            "ring": list(self.ring),
            "scale": list(self.scale),
        }


def declared_geometry(
    name: str,
    dim: int,
    disk_radius: Any,
    ring: Any,
    center: Any,
) -> DiskRing | None:
    """The geometry a data-set spec declares (`disk_radius`, `ring`, optional `center`; original coordinates),
    checked against the data's dimension `dim`; None when nothing is declared."""
    if disk_radius is None and ring is None:
        if center is not None:
            raise MorsenetError(
                f"dataset {name!r}: center needs disk_radius and ring (e.g. disk_radius = 0.5, ring = [1.0, 1.5])"
            )
        return None
    if disk_radius is None or ring is None:
        missing = "ring" if ring is None else "disk_radius"
        raise MorsenetError(
            f"dataset {name!r}: a declared disk and ring need both disk_radius and ring; {missing} is missing "
            "(e.g. disk_radius = 0.5, ring = [1.0, 1.5])"
        )
    if dim not in (2, 3):
        raise MorsenetError(f"dataset {name!r}: disk_radius and ring need 2-D or 3-D data; these data are {dim}-D")
    if center is None:
        center = (0.0,) * dim
    c = _finite_tuple(f"dataset {name!r}: center", center, (dim,))
    r = _finite_tuple(f"dataset {name!r}: ring", ring, (2,))
    d = _finite_positive(f"dataset {name!r}: disk_radius", disk_radius)
    if not 0 < d < r[0] < r[1]:
        raise MorsenetError(
            f"dataset {name!r}: need 0 < disk_radius < ring[0] < ring[1], got disk_radius={d:g}, ring=[{r[0]:g}, {r[1]:g}]"
        )
    return DiskRing(c, d, (r[0], r[1]))
