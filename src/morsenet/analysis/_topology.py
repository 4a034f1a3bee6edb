"""Decision-region topology of 2-D classifiers and the tunnel test on the disk-inside-ring data.

The grid regions live in `_regions`, the circle test in `_circles`, the result in `_tunnel_result`; this
module combines them (THEORY.md L4 and the circle test of 4.2).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from ..errors import MorsenetError
from ._certificates import Certificate, circle_certificates, grid_certificates
from ._circles import Circles, circle_arcs, link_arcs
from ._grid import TUNNEL_RESOLUTION, Box, check_box
from ._regions import DecisionRegions as DecisionRegions
from ._regions import Region as Region
from ._regions import _check_resolution, _logit_threshold, regions_on_grid
from ._regions import decision_regions as decision_regions
from ._regions import label_components as label_components
from ._scalar_field import ScalarFn, as_point, as_scalar_field, evaluate
from ._tunnel_result import TunnelAnalysis as TunnelAnalysis

# Circle test defaults: circles, angles sampled per circle, local minima refined per circle.
N_RADII = 128
N_ANGLES = 512
K_MINIMA = 8


def tunnel_analysis(
    f: nn.Module | ScalarFn,
    box: Sequence[Sequence[float]] = ((-2.0, 2.0), (-2.0, 2.0)),
    *,
    inner_radius: float = 0.3,
    ring: tuple[float, float] = (0.5, 1.0),
    threshold: float = 0.5,
    ring_points: Tensor | None = None,
    center: Sequence[float] = (0.0, 0.0),
    resolution: int = TUNNEL_RESOLUTION,
    n_radii: int = N_RADII,
    n_angles: int = N_ANGLES,
    k_minima: int = K_MINIMA,
    regions: DecisionRegions | None = None,
) -> TunnelAnalysis:
    """Test whether the class-0 region around the disk is enclosed by the ring or escapes through a tunnel.

    Two independent measurements are combined. A grid flood fill (`decision_regions`) asks whether the
    centre's class-0 component touches the box edge. The circle test (THEORY.md 4.2, L4) samples the logit on
    `n_radii` circles around the centre at `n_angles` angles, refines the lowest local minima of every circle
    by golden-section search (so a tunnel narrower than the angle step still shows), finds each class-0 arc's
    ends by bisection, and links arcs of neighbouring circles that overlap. A tunnel thinner than a grid cell
    is found by the circles alone (`thin`).

    Args:
        f: a model or a callable mapping (n, 2) points to logits (n,) or (n, 1); probability = sigmoid(logit).
        box: ((x_min, x_max), (y_min, y_max)); must contain the centre.
        inner_radius: radius of the class-0 disk.
        ring: (inner, outer) radii of the class-1 ring.
        threshold: probability threshold (class 0 below it).
        ring_points: (n, 2) test points of class 1, for the fraction of them classified 0.
        center: (2,) the common centre of disk and ring.
        resolution: grid nodes per axis for the flood fill.
        n_radii: number of circles between the centre and the largest circle inside the box.
        n_angles: angles sampled per circle before refinement.
        k_minima: local minima refined per circle.
        regions: a `decision_regions` result for the same model, box and threshold, to reuse its grid.

    Returns:
        A `TunnelAnalysis`.

    Raises:
        MorsenetError: for a bad box, radii, threshold or points.
    """
    box_t = check_box(box, 2)
    geometry = check_tunnel(box_t, center, inner_radius, ring, threshold, n_radii, n_angles, k_minima)
    if regions is not None and (regions.box != box_t or regions.threshold != float(threshold)):
        raise MorsenetError("`regions` was computed for another box or threshold; pass matching ones or None")
    call = as_scalar_field(f)
    if regions is None:
        regions = regions_on_grid(call, box_t, _check_resolution(resolution), geometry.thr, float(threshold))
    pts = None if ring_points is None else check_ring_points(ring_points)
    return tunnel_on_circles(call, box_t, geometry, regions, pts, n_radii=n_radii, n_angles=n_angles, k_minima=k_minima)


def check_tunnel(
    box: Box, center: Sequence[float], inner_radius: float, ring: tuple[float, float], threshold: float,
    n_radii: int, n_angles: int, k_minima: int,
) -> _Ring:  # fmt: skip
    """The checked geometry of a tunnel test on a checked box (the MorsenetErrors of `tunnel_analysis`)."""
    c = as_point(center, 2, "center")
    thr = _logit_threshold(threshold)
    b, c_out = (float(v) for v in ring)
    if not 0 < inner_radius < b < c_out:
        raise MorsenetError(f"need 0 < inner_radius < ring[0] < ring[1], got inner_radius={inner_radius}, ring={ring}")
    max_radius = min(float(c[0]) - box[0][0], box[0][1] - float(c[0]), float(c[1]) - box[1][0], box[1][1] - float(c[1]))
    if max_radius <= c_out:
        raise MorsenetError(
            f"the box must contain the ring around the centre with room to spare: the largest circle "
            f"inside it has radius {max_radius:.3g} <= ring[1] = {c_out}"
        )
    for name, v in (("n_radii", n_radii), ("n_angles", n_angles), ("k_minima", k_minima)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 4:
            raise MorsenetError(f"`{name}` must be an integer >= 4, got {v!r}")
    return _Ring(c, float(inner_radius), b, c_out, max_radius, thr, float(threshold))


@dataclass(frozen=True)
class _Ring:
    """The checked geometry of a tunnel test: centre (2,), disk and ring radii, largest circle, thresholds."""

    c: Tensor
    inner: float
    b: float
    c_out: float
    max_radius: float
    thr: float
    threshold: float


def check_ring_points(ring_points: Tensor) -> Tensor:
    pts = torch.as_tensor(ring_points, dtype=torch.float64)
    if pts.ndim != 2 or pts.shape[1] != 2 or len(pts) == 0:
        raise MorsenetError(f"`ring_points` must have shape (n_points, 2) with n_points >= 1, got {tuple(pts.shape)}")
    return pts


def tunnel_on_circles(
    call: ScalarFn, box: Box, ring: _Ring, regions: DecisionRegions, ring_points: Tensor | None, *,
    n_radii: int, n_angles: int, k_minima: int,
) -> TunnelAnalysis:  # fmt: skip
    """`tunnel_analysis` on checked inputs: the grid verdict from `regions`, the circle test, the fractions."""
    c, thr, b, c_out = ring.c, ring.thr, ring.b, ring.c_out
    centre_class = int(float(evaluate(call, c[None, :])[0]) >= thr)
    grid_region = regions.region_at(c.tolist())
    grid_touches = centre_class == 0 and grid_region.cls == 0 and not grid_region.bounded

    radii = torch.linspace(ring.max_radius / n_radii, ring.max_radius, n_radii, dtype=torch.float64)
    radii = torch.unique(torch.cat([radii, torch.tensor([ring.inner, b, (b + c_out) / 2, c_out], dtype=torch.float64)]))
    arcs, circle_min, logits = circle_arcs(Circles(call, c), radii, n_angles, thr, k_minima)
    connected = link_arcs(arcs, centre_class == 0, n_angles)
    reached = [i for i in range(len(arcs)) if connected[i]]
    reach_radius = float(radii[max(reached)]) if (reached and centre_class == 0) else 0.0
    verdict, cert, reason = _certify(call, box, ring, regions, radii, connected, circle_min, centre_class)
    tunnel = verdict == "tunnel"
    crosses_ring = centre_class == 0 and (reach_radius >= c_out or grid_touches)
    narrowest = _narrowest_chord(radii, connected, c, b, c_out) if crosses_ring else None
    mid = int(torch.argmin((radii - (b + c_out) / 2).abs()))
    angles = tuple(sorted(((s + e) / 2) % (2 * math.pi) for s, e in connected[mid])) if crosses_ring else ()
    ring_mask = (radii >= b) & (radii <= c_out)
    return TunnelAnalysis(
        centre_class=centre_class,
        tunnel=tunnel,
        reach_radius=reach_radius,
        max_radius=ring.max_radius,
        grid_touches_edge=grid_touches,
        crossing_angles=angles,
        narrowest_width=None if narrowest is None else narrowest[0],
        narrowest_radius=None if narrowest is None else narrowest[1],
        chord=None if narrowest is None else narrowest[2],
        every_ring_circle_has_class0=bool((circle_min[ring_mask] < thr).all()),
        ring_points_fraction_class0=(
            None if ring_points is None else float((evaluate(call, ring_points) < thr).to(torch.float64).mean())
        ),
        ring_area_fraction_class0=_area_fraction(logits, radii, ring_mask, thr),
        disk_area_fraction_class0=_area_fraction(logits, radii, radii <= ring.inner, thr),
        radii=radii,
        circle_min_logit=circle_min,
        threshold=ring.threshold,
        inner_radius=ring.inner,
        ring=(b, c_out),
        center=(float(c[0]), float(c[1])),
        box=box,
        regions=regions,
        verdict=verdict,
        certificate=None if cert is None else cert.points,
        certificate_kind=None if cert is None else cert.kind,
        certificate_check=None if cert is None else cert,
        undecided_reason=reason,
    )


def _certify(
    call: ScalarFn, box: Box, ring: _Ring, regions: DecisionRegions, radii: Tensor,
    connected: list[list[tuple[float, float]]], circle_min: Tensor, centre_class: int,
) -> tuple[str, Certificate | None, str]:  # fmt: skip
    """(verdict, certificate, reason when undecided): "tunnel" only with a checked class-0 path to the box edge,
    "bounded" only with a checked class-1 closed curve around the disk, else "undecided"."""
    if centre_class != 0:
        return "no_inner_region", None, ""
    centre = ring.c.numpy()
    cell = min(float(regions.xs[1] - regions.xs[0]), float(regions.ys[1] - regions.ys[0]))
    spacing = min(cell / 16, 1e-3 * ring.max_radius)
    path, closed, why = grid_certificates(
        call, regions.xs.to(torch.float64), regions.ys.to(torch.float64), regions.classes.numpy(), centre, ring.thr,
        spacing,
    )  # fmt: skip
    c_path, c_closed = circle_certificates(
        call, radii, connected, circle_min, centre, box, ring.thr, spacing, ring.inner
    )
    path = path or c_path
    closed = closed or c_closed
    if path is not None and closed is not None:
        return "undecided", None, "both a class-0 path and a class-1 closed curve passed the check (too coarse)"
    if path is not None:
        return "tunnel", path, ""
    if closed is not None:
        return "bounded", closed, ""
    return "undecided", None, why or "no certificate either way"


Chord = tuple[tuple[float, float], tuple[float, float]]


def _narrowest_chord(
    radii: Tensor, connected: list[list[tuple[float, float]]], c: Tensor, b: float, c_out: float
) -> tuple[float, float, Chord | None] | None:
    """(width, radius, chord ends) of the narrowest crossing over the circles in the ring, where each circle
    counts its widest connected arc; None when some circle in the ring has no crossing."""
    widths: list[tuple[float, float, Chord | None]] = []
    cx, cy = float(c[0]), float(c[1])
    for i in range(len(radii)):
        r = float(radii[i])
        if not b <= r <= c_out:
            continue
        best: tuple[float, Chord | None] = (0.0, None)
        for s, e in connected[i]:
            half, middle = min(e - s, math.pi) / 2, (s + e) / 2
            width = 2 * r * math.sin(half)
            if width > best[0]:
                ends = tuple((cx + r * math.cos(a), cy + r * math.sin(a)) for a in (middle - half, middle + half))
                best = (width, (ends[0], ends[1]))
        widths.append((best[0], r, best[1]))
    if not widths or not all(w > 0 for w, _, _ in widths):
        return None
    return min(widths, key=lambda t: (t[0], t[1]))


def _area_fraction(logits: Tensor, radii: Tensor, mask: Tensor, thr: float) -> float:
    """Fraction of the area of the annulus sampled by the circles `mask` classified 0 (NaN without circles)."""
    if not bool(mask.any()):
        return float("nan")
    w = radii[mask][:, None].expand(-1, logits.shape[1])
    return float(((logits[mask] < thr) * w).sum() / w.sum())
