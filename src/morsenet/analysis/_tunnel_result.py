"""Result of the tunnel test: the class-0 region around the disk, enclosed by the ring or escaping."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import Tensor

from . import _repr
from ._certificates import Certificate
from ._grid import Box
from ._regions import DecisionRegions


@dataclass(frozen=True)
class TunnelAnalysis:
    """Does the class-0 region around the disk stay bounded, or does a tunnel carry it through the ring?

    Attributes:
        centre_class: predicted class at the centre (the disk is class 0; 1 means the premise fails).
        tunnel: the centre's class-0 region reaches the box edge (on the grid) or the largest circle inside
            the box (on the refined circles): it is not enclosed by the ring.
        bounded (property): the centre is class 0 and its region is enclosed (the opposite of `tunnel`).
        crosses_ring (property): the centre's class-0 region reaches beyond the ring's outer radius.
        thin (property): the tunnel was found only by the refined circles, not on the grid (thinner than a cell).
        reach_radius: largest radius (from the centre) that the centre's class-0 region reaches on the circles.
        max_radius: radius of the largest circle around the centre inside the box.
        grid_touches_edge: whether the centre's grid component of class 0 touches the box edge.
        crossing_angles: angles (radians, in [0, 2 pi)) where the centre's region crosses the middle of the ring.
        narrowest_width: smallest chord width of the centre's region over the circles in the ring (for each
            radius the widest crossing counts), None without a crossing.
        narrowest_radius: the radius where that width occurs.
        every_ring_circle_has_class0: the circle test of L4: every circle in the ring holds a class-0 point.
        ring_points_fraction_class0: fraction of the given ring points classified 0 (None without points).
        ring_area_fraction_class0: fraction of the ring's area classified 0 (from the circles).
        disk_area_fraction_class0: fraction of the inner disk's area classified 0.
        radii: (n_r,) the circles' radii.
        circle_min_logit: (n_r,) minimum logit over each circle (angles sampled, then refined).
        threshold, inner_radius, ring, center, box: the inputs.
        verdict: "tunnel", "bounded", "undecided" or "no_inner_region" (see `status`).
        certificate: (k, 2) numpy polyline proving the verdict: a class-0 path from the centre to the box edge
            (tunnel) or a class-1 closed curve around the disk (bounded); None when undecided.
        certificate_kind: "path" or "closed_curve" (None without a certificate).
        certificate_check: how the certificate was checked (spacing, samples, margin).
        undecided_reason: why neither certificate passed (empty otherwise).
        chord: ((x0, y0), (x1, y1)) ends of the narrowest chord (on the circle of `narrowest_radius`), None
            without a narrowest width.
        regions: the grid decision regions the flood fill used (`mask` is read off them).
    """

    centre_class: int
    tunnel: bool
    reach_radius: float
    max_radius: float
    grid_touches_edge: bool
    crossing_angles: tuple[float, ...]
    narrowest_width: float | None
    narrowest_radius: float | None
    every_ring_circle_has_class0: bool
    ring_points_fraction_class0: float | None
    ring_area_fraction_class0: float
    disk_area_fraction_class0: float
    radii: Tensor
    circle_min_logit: Tensor
    threshold: float
    inner_radius: float
    ring: tuple[float, float]
    center: tuple[float, float]
    box: Box
    chord: tuple[tuple[float, float], tuple[float, float]] | None = None
    regions: DecisionRegions | None = None
    verdict: str = ""
    certificate: np.ndarray | None = None
    certificate_kind: str | None = None
    certificate_check: Certificate | None = None
    undecided_reason: str = ""

    @property
    def bounded(self) -> bool:
        """The centre is class 0 and a checked class-1 closed curve encloses it (`verdict` "bounded")."""
        if self.verdict:
            return self.verdict == "bounded"
        return self.centre_class == 0 and not self.tunnel

    @property
    def undecided(self) -> bool:
        return self.verdict == "undecided"

    @property
    def thin(self) -> bool:
        """The tunnel was found only by the refined circles, not on the grid (narrower than a grid cell)."""
        return self.tunnel and not self.grid_touches_edge

    @property
    def crosses_ring(self) -> bool:
        """The centre's class-0 region reaches beyond the ring's outer radius (on the circles or the grid)."""
        return self.centre_class == 0 and (self.reach_radius >= self.ring[1] or self.grid_touches_edge)

    @property
    def status(self) -> str:
        """ "tunnel", "bounded", "undecided" (neither certificate passed its check), or "no_inner_region" (the
        centre is classified 1)."""
        if self.verdict:
            return self.verdict
        return "no_inner_region" if self.centre_class != 0 else ("tunnel" if self.tunnel else "bounded")

    @property
    def mask(self) -> Tensor | None:
        """(ny, nx) bool: the class-0 grid component containing the centre (on `regions`' grid); None when the
        grid classifies the centre 1 or no grid is attached."""
        if self.regions is None:
            return None
        i = int(torch.argmin((self.regions.xs - self.center[0]).abs()))
        j = int(torch.argmin((self.regions.ys - self.center[1]).abs()))
        label = int(self.regions.components[j, i])
        if self.regions.regions[label].cls != 0:
            return None
        return self.regions.components == label

    def summary(self) -> str:
        if self.centre_class != 0:
            return "the centre is classified 1: the disk is not classified 0, so there is no inner region to test"
        if self.undecided:
            return f"undecided: neither a tunnel nor an enclosure could be certified ({self.undecided_reason})"
        if self.bounded:
            return (
                f"bounded: the class-0 region around the disk is enclosed (reaches radius {self.reach_radius:.3g}); "
                f"certificate: a class-1 closed curve of {0 if self.certificate is None else len(self.certificate)} vertices, checked"
                f"{self._checked()}"
            )
        angles = ", ".join(f"{math.degrees(a):.1f} deg" for a in self.crossing_angles) or "n/a"
        width = "n/a" if self.narrowest_width is None else f"{self.narrowest_width:.3g}"
        thin = " (thinner than the grid: found only by the circle test)" if self.thin else ""
        return (
            f"tunnel{thin}: the class-0 region around the disk reaches the box edge, crossing the ring at "
            f"{angles}; narrowest width {width}; certificate: a class-0 path to the box edge, checked{self._checked()}"
        )

    def __repr__(self) -> str:
        width = "" if self.narrowest_width is None else f", narrowest_width={_repr.num(self.narrowest_width)}"
        cert = (
            ""
            if self.certificate is None
            else f", certificate={self.certificate_kind or 'polyline'} of {len(self.certificate)} vertices"
        )
        grid = "" if self.regions is None else f", grid={_repr.grid(len(self.regions.ys), len(self.regions.xs))}"
        return (
            f"TunnelAnalysis(verdict={self.status!r}{width}, reach_radius={_repr.num(self.reach_radius)}, "
            f"ring_crossings={len(self.crossing_angles)}{cert}, circles={len(self.radii)}{grid}, "
            f"box={_repr.box(self.box)})"
        )

    def _checked(self) -> str:
        c = self.certificate_check
        return "" if c is None else f" at {c.n_samples} samples (spacing {c.spacing:.2g})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "centre_class": self.centre_class,
            "tunnel": self.tunnel,
            "bounded": self.bounded,
            "crosses_ring": self.crosses_ring,
            "thin": self.thin,
            "reach_radius": self.reach_radius,
            "max_radius": self.max_radius,
            "grid_touches_edge": self.grid_touches_edge,
            "crossing_angles_deg": [math.degrees(a) for a in self.crossing_angles],
            "narrowest_width": self.narrowest_width,
            "narrowest_radius": self.narrowest_radius,
            "every_ring_circle_has_class0": self.every_ring_circle_has_class0,
            "ring_points_fraction_class0": self.ring_points_fraction_class0,
            "ring_area_fraction_class0": self.ring_area_fraction_class0,
            "disk_area_fraction_class0": self.disk_area_fraction_class0,
            "threshold": self.threshold,
            "inner_radius": self.inner_radius,
            "ring": list(self.ring),
            "center": list(self.center),
            "box": [list(b) for b in self.box],
            "verdict": self.status,
            "certificate_kind": self.certificate_kind,
            "certificate": None if self.certificate is None else self.certificate.tolist(),
            "certificate_check": None if self.certificate_check is None else self.certificate_check.to_dict(),
            "undecided_reason": self.undecided_reason,
            "summary": self.summary(),
        }
