"""Certificates for the tunnel verdict: an explicit class-0 path from the disk to the box edge ("tunnel"), or an
explicit closed class-1 curve around the disk ("bounded"), each checked by fine sampling along it.

A grid flood fill steps over a class-1 wall thinner than a cell, and a circle test alone can miss a curved tunnel;
so neither decides. The grid only proposes: every grid edge of the disk's class-0 component is sampled at
`EDGE_SAMPLES` interior points (a wall thicker than a cell / `EDGE_SAMPLES` cuts the edge), a path is taken
through the edges that survive, and the whole path is sampled again at `spacing`. Thin tunnels (narrower than a
cell) come from the refined circle arcs. A closed curve is a circle of class 1 or a polygon through class-1
points on the edges leaving the (edge-checked) component, ordered by angle. What cannot be certified either way
is "undecided", with the reason.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import breadth_first_order

from ._scalar_field import ScalarFn, evaluate

# Interior samples per grid edge when the grid's class-0 component is checked.
EDGE_SAMPLES = 4


@dataclass(frozen=True)
class Certificate:
    """An explicit curve that proves a tunnel verdict, and how it was checked.

    Attributes:
        kind: "path" (class 0 from the disk to the box edge) or "closed_curve" (class 1 around the disk).
        points: (k, 2) the polyline (a closed curve repeats no point: its last vertex joins the first).
        spacing: largest distance between two checked samples along it.
        n_samples: samples checked.
        margin: the smallest |logit - threshold| over the samples (how clearly it holds).
    """

    kind: str
    points: np.ndarray
    spacing: float
    n_samples: int
    margin: float

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "n_points": len(self.points), "spacing": self.spacing,
                "n_samples": self.n_samples, "margin": self.margin,
                "first": self.points[0].tolist(), "last": self.points[-1].tolist()}  # fmt: skip


def check_polyline(
    call: ScalarFn, points: np.ndarray, thr: float, cls: int, spacing: float, *, closed: bool
) -> tuple[bool, int, float]:
    """Sample the polyline at `spacing` or finer; (all samples of class `cls`, samples, smallest margin)."""
    p = torch.as_tensor(points, dtype=torch.float64)
    if closed:
        p = torch.cat([p, p[:1]])
    seg = p[1:] - p[:-1]
    lengths = torch.linalg.vector_norm(seg, dim=1)
    counts = torch.clamp(torch.ceil(lengths / spacing), min=1).long()
    idx = torch.repeat_interleave(torch.arange(len(seg)), counts)
    first = torch.cumsum(counts, 0) - counts
    offsets = (torch.arange(len(idx)) - first[idx]).to(torch.float64) / counts[idx].to(torch.float64)
    samples = torch.cat([p[idx] + offsets[:, None] * seg[idx], p[-1:]])
    logits = evaluate(call, samples)
    diff = logits - thr
    ok = bool((diff < 0).all()) if cls == 0 else bool((diff >= 0).all())
    return ok, len(samples), float(diff.abs().min())


def _grid_nodes(xs: torch.Tensor, ys: torch.Tensor) -> np.ndarray:
    gx, gy = np.meshgrid(xs.numpy(), ys.numpy())
    return np.stack([gx.reshape(-1), gy.reshape(-1)], axis=1)


def _edge_graph(
    call: ScalarFn, xs: torch.Tensor, ys: torch.Tensor, mask: np.ndarray, thr: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Edges (e, 2) between 4-neighbour nodes of `mask` (ny, nx) whose interior samples are all class 0, the
    cut edges (c, 2), and for each cut edge its first class-1 sample point (c, 2)."""
    ny, nx = mask.shape
    ids = np.arange(ny * nx).reshape(ny, nx)
    pairs = [
        np.stack([ids[:, :-1][mask[:, :-1] & mask[:, 1:]], ids[:, 1:][mask[:, :-1] & mask[:, 1:]]], axis=1),
        np.stack([ids[:-1, :][mask[:-1, :] & mask[1:, :]], ids[1:, :][mask[:-1, :] & mask[1:, :]]], axis=1),
    ]
    edges = np.concatenate(pairs)
    nodes = _grid_nodes(xs, ys)
    if not len(edges):
        return edges, edges, np.zeros((0, 2))
    t = (np.arange(1, EDGE_SAMPLES + 1) / (EDGE_SAMPLES + 1))[None, :, None]
    a, b = nodes[edges[:, 0]][:, None, :], nodes[edges[:, 1]][:, None, :]
    pts = a + t * (b - a)
    logits = evaluate(call, torch.from_numpy(pts.reshape(-1, 2))).numpy().reshape(len(edges), EDGE_SAMPLES)
    bad = logits >= thr
    cut = bad.any(axis=1)
    first = np.argmax(bad[cut], axis=1)
    return edges[~cut], edges[cut], pts[cut][np.arange(int(cut.sum())), first]


def grid_certificates(
    call: ScalarFn, xs: torch.Tensor, ys: torch.Tensor, classes: np.ndarray, centre: np.ndarray, thr: float,
    spacing: float,
) -> tuple[Certificate | None, Certificate | None, str]:  # fmt: skip
    """From the grid: (path certificate, closed-curve certificate, what failed)."""
    ny, nx = classes.shape
    nodes = _grid_nodes(xs, ys)
    start = int(np.argmin(((nodes - centre) ** 2).sum(axis=1)))
    if classes.reshape(-1)[start] != 0:
        return None, None, "the grid node nearest the centre is class 1"
    from scipy import ndimage

    labels, _ = ndimage.label(classes == 0)  # the flood fill's component of the centre: only its edges matter
    mask = labels == labels.reshape(-1)[start]
    edges, cut, wall = _edge_graph(call, xs, ys, mask, thr)
    n = ny * nx
    graph = coo_matrix((np.ones(len(edges)), (edges[:, 0], edges[:, 1])), shape=(n, n)) if len(edges) else None
    if graph is None:
        order, pred = np.array([start]), np.full(n, -9999)
    else:
        order, pred = breadth_first_order(graph, start, directed=False, return_predecessors=True)
    comp = np.zeros(n, dtype=bool)
    comp[order] = True
    grid = comp.reshape(ny, nx)
    border = np.zeros((ny, nx), dtype=bool)
    border[0, :] = border[-1, :] = border[:, 0] = border[:, -1] = True
    reached = np.nonzero((grid & border).reshape(-1))[0]
    notes = []
    if len(reached):
        end = int(reached[0])
        chain = [end]
        while chain[-1] != start:
            chain.append(int(pred[chain[-1]]))
        pts = np.concatenate([centre[None], nodes[chain[::-1]]])
        ok, k, margin = check_polyline(call, pts, thr, 0, spacing, closed=False)
        if ok:
            return Certificate("path", pts, spacing, k, margin), None, ""
        notes.append("the grid path to the edge fails the fine check")
    # the component is enclosed on the checked grid: a class-1 polygon through its exits, ordered by angle
    exits = _exit_points(nodes, grid, classes, cut, wall, comp)
    if len(exits) >= 3:
        ang = np.arctan2(exits[:, 1] - centre[1], exits[:, 0] - centre[0])
        poly = _one_per_angle(exits[np.argsort(ang)], centre)
        ok, k, margin = check_polyline(call, poly, thr, 1, spacing, closed=True)
        if ok and _winds_around(poly, centre):
            return None, Certificate("closed_curve", poly, spacing, k, margin), ""
        notes.append("the class-1 polygon around the grid component fails the fine check")
    else:
        notes.append("no class-1 points around the grid component")
    return None, None, "; ".join(notes)


def _exit_points(
    nodes: np.ndarray, grid: np.ndarray, classes: np.ndarray, cut: np.ndarray, wall: np.ndarray, comp: np.ndarray
) -> np.ndarray:
    """Class-1 points just outside the component: class-1 nodes 4-adjacent to it, and the class-1 samples of
    cut edges leaving it."""
    ny, nx = grid.shape
    near = np.zeros_like(grid)
    near[1:, :] |= grid[:-1, :]
    near[:-1, :] |= grid[1:, :]
    near[:, 1:] |= grid[:, :-1]
    near[:, :-1] |= grid[:, 1:]
    ones = near & (classes == 1)
    pts = [nodes[ones.reshape(-1)]]
    if len(cut):
        leaving = comp[cut[:, 0]] | comp[cut[:, 1]]
        pts.append(wall[leaving])
    return np.concatenate(pts)


def _one_per_angle(pts: np.ndarray, centre: np.ndarray) -> np.ndarray:
    """Of points sorted by angle, keep in every angular bin the one nearest the centre (a star-shaped polygon)."""
    bins = max(16, min(2048, len(pts)))
    ang = np.arctan2(pts[:, 1] - centre[1], pts[:, 0] - centre[0])
    r = np.hypot(pts[:, 0] - centre[0], pts[:, 1] - centre[1])
    b = np.floor((ang + math.pi) / (2 * math.pi) * bins).astype(int)
    keep: dict[int, int] = {}
    for i in range(len(pts)):
        if b[i] not in keep or r[i] < r[keep[b[i]]]:
            keep[b[i]] = i
    return pts[[keep[k] for k in sorted(keep)]]


def _winds_around(poly: np.ndarray, centre: np.ndarray) -> bool:
    ang = np.unwrap(np.arctan2(poly[:, 1] - centre[1], poly[:, 0] - centre[0]))
    total = ang[-1] - ang[0] + ((ang[0] - ang[-1] + math.pi) % (2 * math.pi) - math.pi)
    return abs(total) > math.pi


def circle_certificates(
    call: ScalarFn, radii: torch.Tensor, connected: list[list[tuple[float, float]]], circle_min: torch.Tensor,
    centre: np.ndarray, box: tuple[tuple[float, float], ...], thr: float, spacing: float, inner: float,
) -> tuple[Certificate | None, Certificate | None]:  # fmt: skip
    """From the refined circles: a class-0 path through connected arcs out to the box edge (thin tunnels), and
    the smallest class-1 circle beyond the disk."""
    path = None
    if connected and connected[-1] and all(connected):
        # start on the most constrained circle (the narrowest crossing), then walk out and in from there
        widths = [sum(e - a for a, e in arcs) for arcs in connected]
        i0 = int(np.argmin(widths))
        a0, e0 = min(connected[i0], key=lambda ae: ae[1] - ae[0])
        angles = {i0: (a0 + e0) / 2}
        for rng in (range(i0 + 1, len(radii)), range(i0 - 1, -1, -1)):
            angle = angles[i0]
            for i in rng:
                angle = _closest_in_arcs(connected[i], angle)
                angles[i] = angle
        pts = [(centre[0] + float(radii[i]) * math.cos(angles[i]), centre[1] + float(radii[i]) * math.sin(angles[i]))
               for i in range(len(radii))]  # fmt: skip
        angle = angles[len(radii) - 1]
        r_max = float(radii[-1])
        ux, uy = math.cos(angle), math.sin(angle)
        t_edge = min(
            ((box[0][1] - centre[0]) / ux if ux > 0 else (box[0][0] - centre[0]) / ux if ux < 0 else math.inf),
            ((box[1][1] - centre[1]) / uy if uy > 0 else (box[1][0] - centre[1]) / uy if uy < 0 else math.inf),
        )
        pts.append((centre[0] + t_edge * ux, centre[1] + t_edge * uy))
        poly = np.array([tuple(centre), *pts]) if t_edge > r_max else np.array([tuple(centre), *pts[:-1]])
        ok, k, margin = check_polyline(call, poly, thr, 0, spacing, closed=False)
        if ok:
            path = Certificate("path", poly, spacing, k, margin)
    closed = None
    for i in torch.nonzero((circle_min >= thr) & (radii > inner)).reshape(-1).tolist():
        r = float(radii[i])
        m = max(64, math.ceil(2 * math.pi * r / spacing))
        t = np.arange(m) * 2 * math.pi / m
        poly = np.stack([centre[0] + r * np.cos(t), centre[1] + r * np.sin(t)], axis=1)
        ok, k, margin = check_polyline(call, poly, thr, 1, spacing, closed=True)
        if ok:
            closed = Certificate("closed_curve", poly, spacing, k, margin)
            break
    return path, closed


def _closest_in_arcs(arcs: list[tuple[float, float]], angle: float) -> float:
    """The angle to continue a path at on a circle: in the arc nearest `angle`, its middle when the arc is narrow
    (a thin tunnel: stay on its axis), else `angle` itself clamped into the arc."""
    best, best_d = angle, math.inf
    for s, e in arcs:
        if e - s >= 2 * math.pi - 1e-12:
            return angle
        for a in (angle, angle + 2 * math.pi, angle - 2 * math.pi):
            c = (s + e) / 2 if e - s < 0.5 else min(max(a, s + 0.05 * (e - s)), e - 0.05 * (e - s))
            d = abs(c - a)
            if d < best_d:
                best, best_d = c, d
    return best
