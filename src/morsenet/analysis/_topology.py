"""Decision-region topology of 2-D classifiers: connected components, bounded regions, and the tunnel test."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from ..errors import MorsenetError
from ._scalar_field import Box, ScalarFn, as_point, as_scalar_field, check_box, evaluate

# ----------------------------------------------------------------------------------------------------------------
# connected components on a grid (vectorised union-find: hooking plus pointer jumping)


def label_components(classes: np.ndarray) -> np.ndarray:
    """4-connected components of equal values in a 2-D integer array.

    Args:
        classes: (ny, nx) integer labels.

    Returns:
        (ny, nx) component ids 0..k-1, numbered in order of first appearance (row-major).
    """
    ny, nx = classes.shape
    idx = np.arange(ny * nx).reshape(ny, nx)
    same_h = classes[:, :-1] == classes[:, 1:]
    same_v = classes[:-1, :] == classes[1:, :]
    u = np.concatenate([idx[:, :-1][same_h], idx[:-1, :][same_v]])
    v = np.concatenate([idx[:, 1:][same_h], idx[1:, :][same_v]])
    parent = np.arange(ny * nx)
    while True:
        while True:  # pointer jumping until every node points at its root
            grand = parent[parent]
            if np.array_equal(grand, parent):
                break
            parent = grand
        ru, rv = parent[u], parent[v]
        diff = ru != rv
        if not diff.any():
            break
        # Hook the larger root under the smaller one; roots only ever point down, so no cycles form.
        np.minimum.at(parent, np.maximum(ru[diff], rv[diff]), np.minimum(ru[diff], rv[diff]))
    _, first, inverse = np.unique(parent, return_index=True, return_inverse=True)
    order = np.argsort(np.argsort(first))  # renumber by first appearance
    return order[inverse].reshape(ny, nx)


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
            "cls": self.cls,
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
    resolution: int = 256,
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
    box = check_box(box, 2)
    n = _check_resolution(resolution)
    thr = _logit_threshold(threshold)
    call = as_scalar_field(f)
    xs = torch.linspace(box[0][0], box[0][1], n, dtype=torch.float64)
    ys = torch.linspace(box[1][0], box[1][1], n, dtype=torch.float64)
    gy, gx = torch.meshgrid(ys, xs, indexing="ij")
    logits = evaluate(call, torch.stack([gx.reshape(-1), gy.reshape(-1)], dim=1)).reshape(n, n)
    classes = (logits >= thr).to(torch.int64)
    comp = label_components(classes.numpy())
    k = int(comp.max()) + 1
    flat = comp.reshape(-1)
    sizes = np.bincount(flat, minlength=k)
    edge = np.zeros_like(comp, dtype=bool)
    edge[0, :] = edge[-1, :] = edge[:, 0] = edge[:, -1] = True
    touches = np.bincount(flat, weights=edge.reshape(-1), minlength=k) > 0
    cls_of = np.zeros(k, dtype=np.int64)
    cls_of[flat] = classes.numpy().reshape(-1)
    gxn, gyn = gx.numpy().reshape(-1), gy.numpy().reshape(-1)
    cx = np.bincount(flat, weights=gxn, minlength=k) / sizes
    cy = np.bincount(flat, weights=gyn, minlength=k) / sizes
    xmin, xmax = np.full(k, np.inf), np.full(k, -np.inf)
    ymin, ymax = np.full(k, np.inf), np.full(k, -np.inf)
    np.minimum.at(xmin, flat, gxn)
    np.maximum.at(xmax, flat, gxn)
    np.minimum.at(ymin, flat, gyn)
    np.maximum.at(ymax, flat, gyn)
    cell = float((xs[1] - xs[0]) * (ys[1] - ys[0]))
    regions = tuple(
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
    return DecisionRegions(
        xs=xs,
        ys=ys,
        logits=logits,
        classes=classes,
        components=torch.from_numpy(comp),
        regions=regions,
        threshold=float(threshold),
        box=box,
    )


# ----------------------------------------------------------------------------------------------------------------
# the tunnel test on the disk-inside-ring data (THEORY.md L4 and the circle test of 4.2)


@dataclass(frozen=True)
class TunnelAnalysis:
    """Does the class-0 region around the disk stay bounded, or does a tunnel carry it through the ring?

    Attributes:
        centre_class: predicted class at the centre (the disk is class 0; 1 means the premise fails).
        tunnel: the centre's class-0 region reaches the box edge (on the grid) or the largest circle inside
            the box (on the refined circles): it is not enclosed by the ring.
        bounded: the centre is class 0 and its region is enclosed (the opposite of `tunnel`).
        crosses_ring: the centre's class-0 region reaches beyond the ring's outer radius.
        thin: the tunnel was found only by the refined circles, not on the grid (narrower than a grid cell).
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
        chord: ((x0, y0), (x1, y1)) ends of the narrowest chord (on the circle of `narrowest_radius`), None
            without a narrowest width.
        regions: the grid decision regions the flood fill used (`mask` is read off them).
    """

    centre_class: int
    tunnel: bool
    bounded: bool
    crosses_ring: bool
    thin: bool
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

    @property
    def status(self) -> str:
        """ "tunnel", "bounded", or "no_inner_region" (the centre is classified 1)."""
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
        if self.bounded:
            return f"bounded: the class-0 region around the disk is enclosed (reaches radius {self.reach_radius:.3g})"
        angles = ", ".join(f"{math.degrees(a):.1f} deg" for a in self.crossing_angles) or "n/a"
        width = "n/a" if self.narrowest_width is None else f"{self.narrowest_width:.3g}"
        thin = " (thinner than the grid: found only by the circle test)" if self.thin else ""
        return (
            f"tunnel{thin}: the class-0 region around the disk reaches the box edge, crossing the ring at "
            f"{angles}; narrowest width {width}"
        )

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
            "summary": self.summary(),
        }


class _Circles:
    """Logit on circles around a centre, as a function of (radius, angle) pairs."""

    def __init__(self, call: ScalarFn, center: Tensor) -> None:
        self.call, self.center = call, center

    def __call__(self, r: Tensor, theta: Tensor) -> Tensor:
        pts = self.center + torch.stack([r * torch.cos(theta), r * torch.sin(theta)], dim=-1).reshape(-1, 2)
        return evaluate(self.call, pts).reshape(r.shape)


def _golden_min(fn: _Circles, r: Tensor, a: Tensor, b: Tensor, iters: int = 32) -> tuple[Tensor, Tensor]:
    """Vectorised golden-section minimisation of fn(r, .) on [a, b]; returns (argmin, min)."""
    inv = (math.sqrt(5) - 1) / 2
    c, d = b - inv * (b - a), a + inv * (b - a)
    fc, fd = fn(r, c), fn(r, d)
    for _ in range(iters):
        left = fc < fd
        b = torch.where(left, d, b)
        a = torch.where(left, a, c)
        new_c, new_d = b - inv * (b - a), a + inv * (b - a)
        c_old, d_old, fc_old, fd_old = c, d, fc, fd
        c = torch.where(left, new_c, d_old)
        d = torch.where(left, c_old, new_d)
        f_new = fn(r, torch.where(left, c, d))
        fc = torch.where(left, f_new, fd_old)
        fd = torch.where(left, fc_old, f_new)
    t = (a + b) / 2
    return t, fn(r, t)


def _bisect(fn: _Circles, r: Tensor, below: Tensor, above: Tensor, thr: float, iters: int = 40) -> Tensor:
    """Vectorised bisection for the angle between `below` (logit < thr) and `above` (logit >= thr)."""
    for _ in range(iters):
        mid = (below + above) / 2
        is_below = fn(r, mid) < thr
        below = torch.where(is_below, mid, below)
        above = torch.where(is_below, above, mid)
    return (below + above) / 2


def _circle_arcs(
    fn: _Circles, radii: Tensor, n_angles: int, thr: float, k_minima: int
) -> tuple[list[list[tuple[float, float]]], Tensor, Tensor]:
    """Class-0 arcs (start, end angle, end > start) on each circle, the circle minima, and the sampled logits."""
    two_pi = 2 * math.pi
    step = two_pi / n_angles
    # An irrational offset keeps the sample angles off the axes, where hand-made test fields put their features.
    theta = step * (torch.arange(n_angles, dtype=torch.float64) + 0.3819660112501051)
    n_r = len(radii)
    logits = fn(radii[:, None].expand(n_r, n_angles), theta[None, :].expand(n_r, n_angles))
    below = logits < thr
    prev, nxt = torch.roll(logits, 1, dims=1), torch.roll(logits, -1, dims=1)
    is_min = (logits <= prev) & (logits <= nxt)
    # Refine the k lowest local minima above the threshold on every circle: a dip narrower than the angle
    # step hides next to one of them (minima already below the threshold lie in sampled arcs).
    score = torch.where(is_min & ~below, logits, torch.full_like(logits, math.inf))
    k = min(k_minima, n_angles)
    vals, cols = torch.topk(score, k, dim=1, largest=False)
    valid = torch.isfinite(vals)
    rr = radii[:, None].expand(n_r, k)
    centre_t = theta[cols]
    t_min, f_min = _golden_min(fn, rr, centre_t - step, centre_t + step)
    f_min = torch.where(valid, f_min, torch.full_like(f_min, math.inf))
    circle_min = torch.minimum(logits.min(dim=1).values, f_min.min(dim=1).values)

    # Arc brackets: sampled runs below the threshold, and refined dips between two samples above it.
    starts_r, starts_in, starts_out, ends_in, ends_out, owners = [], [], [], [], [], []
    full = below.all(dim=1)
    run_start = below & ~torch.roll(below, 1, dims=1)
    run_end = below & ~torch.roll(below, -1, dims=1)
    arcs: list[list[tuple[float, float]]] = [[] for _ in range(n_r)]
    for i in range(n_r):
        if bool(full[i]):
            arcs[i].append((0.0, two_pi))
            continue
        s_idx = run_start[i].nonzero().squeeze(1).tolist()
        e_idx = run_end[i].nonzero().squeeze(1).tolist()
        if s_idx:
            # pair every run start with the first run end at or after it (cyclically)
            e_sorted = sorted(e_idx)
            for s in s_idx:
                e = next((e for e in e_sorted if e >= s), e_sorted[0])
                t_s, t_e = float(theta[s]), float(theta[e]) + (two_pi if e < s else 0.0)
                starts_r.append(i)
                starts_in.append(t_s)
                starts_out.append(t_s - step)
                ends_in.append(t_e)
                ends_out.append(t_e + step)
                owners.append(i)
        for j in range(k):
            if not bool(valid[i, j]) or not float(f_min[i, j]) < thr:
                continue
            c = int(cols[i, j])
            if bool(below[i, c]) or bool(below[i, (c - 1) % n_angles]) or bool(below[i, (c + 1) % n_angles]):
                continue  # already inside a sampled run
            t = float(t_min[i, j])
            starts_r.append(i)
            starts_in.append(t)
            starts_out.append(float(theta[c]) - step)
            ends_in.append(t)
            ends_out.append(float(theta[c]) + step)
            owners.append(i)
    if owners:
        r_t = radii[torch.tensor(starts_r)]
        lo = _bisect(
            fn, r_t, torch.tensor(starts_in, dtype=torch.float64), torch.tensor(starts_out, dtype=torch.float64), thr
        )
        hi = _bisect(
            fn, r_t, torch.tensor(ends_in, dtype=torch.float64), torch.tensor(ends_out, dtype=torch.float64), thr
        )
        for i, a, b in zip(owners, lo.tolist(), hi.tolist()):
            a0 = a % two_pi
            arcs[i].append((a0, a0 + (b - a)))
    return [_merge_arcs(a) for a in arcs], circle_min, logits


def _merge_arcs(arcs: list[tuple[float, float]]) -> list[tuple[float, float]]:
    if not arcs:
        return []
    two_pi = 2 * math.pi
    if any(b - a >= two_pi for a, b in arcs):
        return [(0.0, two_pi)]
    arcs = sorted(arcs)
    out = [list(arcs[0])]
    for a, b in arcs[1:]:
        if a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    if len(out) > 1 and out[-1][1] >= out[0][0] + two_pi:  # wrap-around overlap
        first = out.pop(0)
        out[-1][1] = max(out[-1][1], first[1] + two_pi)
    if out[-1][1] - out[-1][0] >= two_pi or (len(out) == 1 and out[0][1] - out[0][0] >= two_pi):
        return [(0.0, two_pi)]
    return [(float(a), float(b)) for a, b in out]


def _overlap(a: tuple[float, float], b: tuple[float, float], slack: float) -> bool:
    two_pi = 2 * math.pi
    if a[1] - a[0] >= two_pi or b[1] - b[0] >= two_pi:
        return True
    for shift in (-two_pi, 0.0, two_pi):
        if a[0] - slack <= b[1] + shift and b[0] + shift <= a[1] + slack:
            return True
    return False


def tunnel_analysis(
    f: nn.Module | ScalarFn,
    box: Sequence[Sequence[float]] = ((-2.0, 2.0), (-2.0, 2.0)),
    *,
    inner_radius: float = 0.3,
    ring: tuple[float, float] = (0.5, 1.0),
    threshold: float = 0.5,
    ring_points: Tensor | None = None,
    center: Sequence[float] = (0.0, 0.0),
    resolution: int = 257,
    n_radii: int = 128,
    n_angles: int = 512,
    k_minima: int = 8,
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
    box = check_box(box, 2)
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
    call = as_scalar_field(f)
    fn = _Circles(call, c)

    # grid flood fill
    if regions is None:
        regions = decision_regions(f, box, resolution=resolution, threshold=threshold)
    elif regions.box != box or regions.threshold != float(threshold):
        raise MorsenetError("`regions` was computed for another box or threshold; pass matching ones or None")
    centre_logit = float(evaluate(call, c[None, :])[0])
    centre_class = int(centre_logit >= thr)
    grid_region = regions.region_at(c.tolist())
    grid_touches = centre_class == 0 and grid_region.cls == 0 and not grid_region.bounded

    # circles
    radii = torch.linspace(max_radius / n_radii, max_radius, n_radii, dtype=torch.float64)
    radii = torch.unique(
        torch.cat([radii, torch.tensor([inner_radius, b, (b + c_out) / 2, c_out], dtype=torch.float64)])
    )
    arcs, circle_min, logits = _circle_arcs(fn, radii, n_angles, thr, k_minima)

    # Link arcs of neighbouring circles; node 0 is the centre.
    nodes = [(-1, (0.0, 2 * math.pi))]
    by_circle: list[list[int]] = []
    for i, circle in enumerate(arcs):
        by_circle.append([])
        for arc in circle:
            by_circle[-1].append(len(nodes))
            nodes.append((i, arc))
    parent = list(range(len(nodes)))

    def find(u: int) -> int:
        while parent[u] != u:
            parent[u] = parent[parent[u]]
            u = parent[u]
        return u

    def union(u: int, v: int) -> None:
        ru, rv = find(u), find(v)
        if ru != rv:
            parent[max(ru, rv)] = min(ru, rv)

    if centre_class == 0:
        for node in by_circle[0]:
            union(0, node)
    slack = 0.5 * 2 * math.pi / n_angles
    for i in range(len(arcs) - 1):
        for u in by_circle[i]:
            for v in by_circle[i + 1]:
                if _overlap(nodes[u][1], nodes[v][1], slack):
                    union(u, v)
    root = find(0)
    connected = [[nodes[u][1] for u in by_circle[i] if find(u) == root] for i in range(len(arcs))]
    reached = [i for i in range(len(arcs)) if connected[i]]
    reach_radius = float(radii[max(reached)]) if (reached and centre_class == 0) else 0.0
    polar_escapes = centre_class == 0 and bool(connected[-1])
    tunnel = centre_class == 0 and (polar_escapes or grid_touches)
    crosses_ring = centre_class == 0 and (reach_radius >= c_out or grid_touches)

    # geometry of the crossing inside the ring
    in_ring = [i for i in range(len(radii)) if b <= float(radii[i]) <= c_out]
    widths: list[tuple[float, float, tuple[tuple[float, float], tuple[float, float]] | None]] = []
    cx, cy = float(c[0]), float(c[1])
    for i in in_ring:
        r = float(radii[i])
        best: tuple[float, tuple[tuple[float, float], tuple[float, float]] | None] = (0.0, None)
        for s, e in connected[i]:
            half, middle = min(e - s, math.pi) / 2, (s + e) / 2
            width = 2 * r * math.sin(half)
            if width > best[0]:
                ends = tuple((cx + r * math.cos(a), cy + r * math.sin(a)) for a in (middle - half, middle + half))
                best = (width, (ends[0], ends[1]))
        widths.append((best[0], r, best[1]))
    narrowest = (
        min(widths, key=lambda t: (t[0], t[1]))
        if widths and crosses_ring and all(w > 0 for w, _, _ in widths)
        else None
    )
    mid = int(torch.argmin((radii - (b + c_out) / 2).abs()))
    angles = tuple(sorted(((s + e) / 2) % (2 * math.pi) for s, e in connected[mid])) if crosses_ring else ()

    # fractions
    ring_mask = (radii >= b) & (radii <= c_out)
    weights = radii[ring_mask][:, None].expand(-1, logits.shape[1])
    ring_frac = float(((logits[ring_mask] < thr) * weights).sum() / weights.sum())
    disk_mask = radii <= inner_radius
    dw = radii[disk_mask][:, None].expand(-1, logits.shape[1])
    disk_frac = float(((logits[disk_mask] < thr) * dw).sum() / dw.sum()) if bool(disk_mask.any()) else float("nan")
    points_frac = None
    if ring_points is not None:
        pts = torch.as_tensor(ring_points, dtype=torch.float64)
        if pts.ndim != 2 or pts.shape[1] != 2 or len(pts) == 0:
            raise MorsenetError(
                f"`ring_points` must have shape (n_points, 2) with n_points >= 1, got {tuple(pts.shape)}"
            )
        points_frac = float((evaluate(call, pts) < thr).to(torch.float64).mean())
    every_circle = bool((circle_min[ring_mask] < thr).all())
    return TunnelAnalysis(
        centre_class=centre_class,
        tunnel=tunnel,
        bounded=centre_class == 0 and not tunnel,
        crosses_ring=crosses_ring,
        thin=tunnel and not grid_touches,
        reach_radius=reach_radius,
        max_radius=max_radius,
        grid_touches_edge=grid_touches,
        crossing_angles=angles,
        narrowest_width=None if narrowest is None else narrowest[0],
        narrowest_radius=None if narrowest is None else narrowest[1],
        chord=None if narrowest is None else narrowest[2],
        every_ring_circle_has_class0=every_circle,
        ring_points_fraction_class0=points_frac,
        ring_area_fraction_class0=ring_frac,
        disk_area_fraction_class0=disk_frac,
        radii=radii,
        circle_min_logit=circle_min,
        threshold=float(threshold),
        inner_radius=float(inner_radius),
        ring=(b, c_out),
        center=(float(c[0]), float(c[1])),
        box=box,
        regions=regions,
    )
