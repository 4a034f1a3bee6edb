"""Results of the 3-D analyses: a logit grid on a box (`Grid3D`), axis slices (`AxisSlices`), the tunnel test
(`Tunnel3D`) and the three together for a report (`ThreeDViews`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import Tensor

from . import _repr
from ._certificates import Certificate
from ._grid import Box

__all__ = ["AxisSlices", "Grid3D", "ThreeDViews", "Tunnel3D"]


@dataclass(frozen=True)
class Grid3D:
    """The logit of a model on a 3-D grid of nodes (both ends of every axis included).

    Attributes:
        xs, ys, zs: (nx,), (ny,), (nz,) float64 node coordinates.
        logits: (nx, ny, nz) float64, `logits[i, j, k]` at (xs[i], ys[j], zs[k]) ("ij" indexing).
        box: ((x0, x1), (y0, y1), (z0, z1)).
    """

    xs: Tensor
    ys: Tensor
    zs: Tensor
    logits: Tensor
    box: Box

    @property
    def probability(self) -> Tensor:
        """(nx, ny, nz) sigmoid of the logits: the probability of class 1."""
        return torch.sigmoid(self.logits)

    @property
    def spacing(self) -> tuple[float, float, float]:
        """The node spacing along x, y and z."""
        return tuple(float(a[1] - a[0]) for a in (self.xs, self.ys, self.zs))  # type: ignore[return-value]

    @property
    def shape(self) -> tuple[int, int, int]:
        return (len(self.xs), len(self.ys), len(self.zs))

    def __repr__(self) -> str:
        nx, ny, nz = self.shape
        return f"Grid3D(nodes={nx}x{ny}x{nz}, box={_repr.box(self.box)})"


@dataclass(frozen=True)
class AxisSlices:
    """The logit on the three axis-aligned planes through `center` (x = c0, y = c1, z = c2).

    Attributes:
        center: (3,) the point the planes pass through.
        box: the 3-D box the planes are cut from.
        axes: for each slice, the two in-plane coordinate indices (u, v): (1, 2), (0, 2), (0, 1).
        us, vs: per slice the (nu,) and (nv,) float64 in-plane coordinates.
        probability: per slice (nv, nu) float64 sigmoid(logit) (rows follow v).
        gradient_norm: per slice (nv, nu) float64 |grad f| of the logit (all three components).
    """

    center: tuple[float, float, float]
    box: Box
    axes: tuple[tuple[int, int], ...]
    us: tuple[Tensor, ...]
    vs: tuple[Tensor, ...]
    probability: tuple[Tensor, ...]
    gradient_norm: tuple[Tensor, ...]

    def __repr__(self) -> str:
        n = tuple(self.probability[0].shape)
        return f"AxisSlices(center={_repr.numbers(self.center)}, slices=3 of {n[1]}x{n[0]}, box={_repr.box(self.box)})"


@dataclass(frozen=True)
class Tunnel3D:
    """Does the class-0 region around the ball reach the box's surface (a tunnel through the shell) or not?

    Attributes:
        verdict: "tunnel" (a checked class-0 path from the centre to the box's surface), "bounded" (a checked
            class-1 closed surface of grid faces around the centre's class-0 component), "no_inner_region" (the
            centre is classified 1) or "undecided" (neither certificate passed; `undecided_reason` says why).
        centre_class: predicted class at the centre.
        touches_surface: whether the centre's 6-connected class-0 grid component has a node on the box's surface.
        component_size: nodes in that component (0 when the node nearest the centre is class 1).
        reach_radius: the largest radius (original units, from the centre) of a node of that component.
        ball_fraction_class0: fraction of the grid nodes in the ball (|x| <= inner_radius) classified 0.
        shell_fraction_class0: fraction of the grid nodes in the shell (ring[0] <= |x| <= ring[1]) classified 0.
        ring_points_fraction_class0: fraction of the given class-1 points classified 0 (None without points).
        certificate: the checked certificate: kind "path" with (k, 3) polyline points, or kind "closed_surface"
            with (F, 4, 3) quadrilateral grid faces; None without a verdict.
        undecided_reason: why no certificate passed (empty otherwise).
        threshold: the probability threshold (class 0 below it).
        center, inner_radius, ring: the geometry (centre in data coordinates, radii in original units).
        box: the box of the grid; resolution: nodes per axis.
        grid: the logit grid (for figures; not written by `to_dict`).
    """

    verdict: str
    centre_class: int
    touches_surface: bool
    component_size: int
    reach_radius: float | None
    ball_fraction_class0: float | None
    shell_fraction_class0: float | None
    ring_points_fraction_class0: float | None
    certificate: Certificate | None
    undecided_reason: str
    threshold: float
    center: tuple[float, float, float]
    inner_radius: float
    ring: tuple[float, float]
    box: Box
    resolution: tuple[int, int, int]
    grid: Grid3D | None = None

    @property
    def status(self) -> str:
        return self.verdict

    @property
    def tunnel(self) -> bool:
        return self.verdict == "tunnel"

    @property
    def bounded(self) -> bool:
        return self.verdict == "bounded"

    @property
    def undecided(self) -> bool:
        return self.verdict == "undecided"

    @property
    def thin(self) -> bool:
        """A tunnel found only by a straight path through the class-1 surface, not on the grid (thinner than
        a grid cell)."""
        return self.tunnel and not self.touches_surface

    @property
    def certificate_kind(self) -> str | None:
        return None if self.certificate is None else self.certificate.kind

    def summary(self) -> str:
        c = self.certificate
        checked = (
            "" if c is None else f", checked at {c.n_samples} samples (spacing {c.spacing:.2g}, margin {c.margin:.2g})"
        )
        if self.verdict == "no_inner_region":
            return "the centre is classified 1: the ball is not classified 0, so there is no inner region to test"
        if self.verdict == "undecided":
            return f"undecided: neither a tunnel nor an enclosure could be certified ({self.undecided_reason})"
        if self.verdict == "bounded":
            return (
                f"bounded: the class-0 region around the ball is enclosed (reaches radius {self.reach_radius:.3g} on "
                f"the grid); certificate: a class-1 closed surface of {0 if c is None else len(c.points)} grid "
                f"faces{checked}"
            )
        thin = " (thinner than the grid: found by a straight path through the class-1 surface)" if self.thin else ""
        return (
            f"tunnel{thin}: the class-0 region around the ball reaches the box's surface; certificate: a class-0 "
            f"path of {0 if c is None else len(c.points)} vertices from the centre to the box's surface{checked}"
        )

    def __repr__(self) -> str:
        nx, ny, nz = self.resolution
        cert = "" if self.certificate is None else f", certificate={self.certificate.kind}"
        return (
            f"Tunnel3D(verdict={self.verdict!r}{cert}, reach_radius={_repr.num(self.reach_radius)}, "
            f"ball_fraction_class0={_repr.num(self.ball_fraction_class0)}, "
            f"shell_fraction_class0={_repr.num(self.shell_fraction_class0)}, grid={nx}x{ny}x{nz}, "
            f"box={_repr.box(self.box)})"
        )

    def to_dict(self) -> dict[str, Any]:
        c = self.certificate
        cert: dict[str, Any] | None = None
        if c is not None:
            cert = {
                "kind": c.kind,
                "n_points": len(c.points),
                "spacing": c.spacing,
                "n_samples": c.n_samples,
                "margin": c.margin,
                "points": np.asarray(c.points).tolist() if c.kind == "path" else None,
            }
        return {
            "verdict": self.verdict,
            "centre_class": self.centre_class,
            "tunnel": self.tunnel,
            "bounded": self.bounded,
            "thin": self.thin,
            "touches_surface": self.touches_surface,
            "component_size": self.component_size,
            "reach_radius": self.reach_radius,
            "ball_fraction_class0": self.ball_fraction_class0,
            "shell_fraction_class0": self.shell_fraction_class0,
            "ring_points_fraction_class0": self.ring_points_fraction_class0,
            "certificate_kind": self.certificate_kind,
            "certificate_check": cert,
            "undecided_reason": self.undecided_reason,
            "threshold": self.threshold,
            "center": list(self.center),
            "inner_radius": self.inner_radius,
            "ring": list(self.ring),
            "box": [list(b) for b in self.box],
            "resolution": list(self.resolution),
            "summary": self.summary(),
        }


@dataclass(frozen=True)
class ThreeDViews:
    """What the report shows of a 3-D model: its logit grid, the axis slices and the tunnel test.

    Attributes:
        grid: the logit on a grid over the box (for the decision isosurface).
        slices: the three axis-aligned slices through the centre.
        tunnel: the 3-D tunnel test on the data's ball and shell; None when the data have no such geometry.
    """

    grid: Grid3D
    slices: AxisSlices
    tunnel: Tunnel3D | None = None

    def __repr__(self) -> str:
        verdict = "None" if self.tunnel is None else repr(self.tunnel.verdict)
        return f"ThreeDViews(grid={self.grid!r}, slices={self.slices!r}, tunnel={verdict})"
