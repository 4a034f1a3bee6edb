"""The disk-and-ring frame: a data set's geometry as circles around the origin, in original units.

Standardised data (every coordinate shifted and scaled by its training statistics) turn the disk and the ring
into ellipses. The tunnel test, the winding number and the escape analysis are statements about the topology of
the decision regions, which an affine change of coordinates does not change; so they run on the composite
u -> f(center + scale * u), in which the disk and the ring are circles around 0 again with their original radii.
For raw data the frame is the identity up to the shift to the centre.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from ..datasets import DiskRing
from ._scalar_field import ScalarFn

__all__ = ["GeometryFrame", "geometry_frame"]


@dataclass(frozen=True)
class GeometryFrame:
    """A scalar field and a box in the disk-and-ring frame.

    Attributes:
        call: u (n, d) -> f(center + scale * u), float64.
        box: the box in frame coordinates (one (lo, hi) per axis).
        geometry: the geometry in the frame: centre 0, the original radii, unit scale.
    """

    call: ScalarFn
    box: tuple[tuple[float, float], ...]
    geometry: DiskRing

    def to_data(self, u: Tensor, source: DiskRing) -> Tensor:
        """Frame points back to the data's coordinates."""
        c = torch.tensor(source.center, dtype=u.dtype)
        s = torch.tensor(source.scale, dtype=u.dtype)
        return c + s * u


def geometry_frame(call: ScalarFn, box: Sequence[Sequence[float]], geometry: DiskRing) -> GeometryFrame:
    """`call` (a float64 scalar field in data coordinates) and `box` moved into `geometry`'s frame."""
    c = torch.tensor(geometry.center, dtype=torch.float64)
    s = torch.tensor(geometry.scale, dtype=torch.float64)

    def framed(u: Tensor) -> Tensor:
        return call(c.to(u.dtype) + s.to(u.dtype) * u)

    frame_box = tuple(
        ((float(lo) - ci) / si, (float(hi) - ci) / si) for (lo, hi), ci, si in zip(box, geometry.center, geometry.scale)
    )
    origin = DiskRing((0.0,) * geometry.dim, geometry.disk_radius, geometry.ring)
    return GeometryFrame(framed, frame_box, origin)
