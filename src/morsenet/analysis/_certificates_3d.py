"""Certificates of the 3-D tunnel test: a class-0 path from the ball's centre to the box's surface, or a class-1
closed surface of grid faces around the centre's component, each checked on samples finer than the grid."""

from __future__ import annotations

import math

import numpy as np
import torch
from scipy import ndimage
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import breadth_first_order

from ._certificates import EDGE_SAMPLES, Certificate, check_polyline
from ._grid import Box
from ._scalar_field import ScalarFn, evaluate

DILATIONS = 2  # closed surfaces tried one and two cells beyond the component's cells, when the first fails
RAYS = 8  # straight paths tried through class-0 points found on the enclosing surface


def _reach(
    call: ScalarFn, nodes: np.ndarray, comp: np.ndarray, thr: float, start: int, checked: bool
) -> tuple[np.ndarray, np.ndarray]:
    """The nodes of `comp` reached from node `start` along grid edges between face neighbours in `comp` (with
    `checked`, only edges whose `EDGE_SAMPLES` interior samples are all class 0), as a mask of comp's shape,
    and the breadth-first predecessors (flat node ids)."""
    ids = np.arange(comp.size).reshape(comp.shape)
    pairs = []
    for axis in range(3):
        lo = tuple(slice(None, -1) if a == axis else slice(None) for a in range(3))
        hi = tuple(slice(1, None) if a == axis else slice(None) for a in range(3))
        both = comp[lo] & comp[hi]
        pairs.append(np.stack([ids[lo][both], ids[hi][both]], axis=1))
    edges = np.concatenate(pairs)
    if checked and len(edges):
        t = (np.arange(1, EDGE_SAMPLES + 1) / (EDGE_SAMPLES + 1))[None, :, None]
        a, b = nodes[edges[:, 0]][:, None, :], nodes[edges[:, 1]][:, None, :]
        pts = torch.from_numpy((a + t * (b - a)).reshape(-1, 3))
        logits = evaluate(call, pts).numpy().reshape(len(edges), EDGE_SAMPLES)
        edges = edges[(logits < thr).all(axis=1)]
    n = comp.size
    if len(edges):
        graph = coo_matrix((np.ones(len(edges)), (edges[:, 0], edges[:, 1])), shape=(n, n))
        order, pred = breadth_first_order(graph, start, directed=False, return_predecessors=True)
    else:
        order, pred = np.array([start]), np.full(n, -9999)
    reached = np.zeros(n, dtype=bool)
    reached[order] = True
    return reached.reshape(comp.shape), pred


def certify_component(
    call: ScalarFn, nodes: np.ndarray, comp: np.ndarray, surface: np.ndarray, centre: np.ndarray, box: Box,
    thr: float, spacing: float, start: tuple[int, int, int], step: float,
) -> tuple[str, Certificate | None, str]:  # fmt: skip
    """(verdict, certificate, reason) for the centre's grid component `comp`."""
    shape = comp.shape
    start_id = int(np.ravel_multi_index(start, shape))
    # first the plain grid path (no samples on the edges): most tunnels are wide, and its fine check decides
    for checked in (False, True):
        reached, pred = _reach(call, nodes, comp, thr, start_id, checked)
        on_surface = np.nonzero((reached & surface).reshape(-1))[0]
        if not len(on_surface):
            break
        end = int(on_surface[np.argmin(np.linalg.norm(nodes[on_surface] - centre, axis=1))])
        chain = [end]
        while chain[-1] != start_id:
            chain.append(int(pred[chain[-1]]))
        pts = np.concatenate([centre[None], nodes[chain[::-1]]])
        ok, k, margin = check_polyline(call, pts, thr, 0, spacing, closed=False)
        if ok:
            return "tunnel", Certificate("path", pts, spacing, k, margin), ""
    else:
        return "undecided", None, "the grid path to the box's surface fails the fine check"
    notes = []
    reached_grid = reached
    found = []
    around = reached_grid
    for grow in range(DILATIONS + 1):  # the surface of the component's cells, then one and two cells further out
        if grow:
            around = ndimage.binary_dilation(around, structure=ndimage.generate_binary_structure(3, 3))
        faces = _enclosing_faces(nodes, around)
        ok, k, margin, zeros = _check_faces(call, faces, thr, spacing)
        if ok:
            return "bounded", Certificate("closed_surface", faces, spacing, k, margin), ""
        found.append(zeros)
    notes.append(
        f"class-0 points on each of the {DILATIONS + 1} class-1 surfaces tried around the grid component "
        f"({len(found[-1])} on the outermost)"
    )
    ray = _ray_certificate(call, np.concatenate(found[::-1]), centre, box, thr, spacing, step)
    if ray is not None:
        return "tunnel", ray, ""
    notes.append("no straight class-0 path through them reaches the box's surface (a tunnel thinner than the grid?)")
    return "undecided", None, "; ".join(notes)


def _enclosing_faces(nodes: np.ndarray, comp: np.ndarray) -> np.ndarray:
    """(F, 4, 3) the boundary faces of the union of the grid cells that hold a node of `comp` (which has no node
    on the box's surface), each as its four corner nodes in cyclic order."""
    cells = np.zeros(tuple(s - 1 for s in comp.shape), dtype=bool)
    for dx in (0, 1):
        for dy in (0, 1):
            for dz in (0, 1):
                cells |= comp[dx : dx + cells.shape[0], dy : dy + cells.shape[1], dz : dz + cells.shape[2]]
    grid = nodes.reshape(*comp.shape, 3)
    out = []
    for axis in range(3):
        padded = np.pad(cells, [(1, 1) if a == axis else (0, 0) for a in range(3)])
        lo = tuple(slice(None, -1) if a == axis else slice(None) for a in range(3))
        hi = tuple(slice(1, None) if a == axis else slice(None) for a in range(3))
        idx = np.argwhere(padded[lo] != padded[hi])  # face at node plane idx[axis], cell idx in the other axes
        if not len(idx):
            continue
        u, v = [a for a in range(3) if a != axis]
        corners = []
        for du, dv in ((0, 0), (1, 0), (1, 1), (0, 1)):
            c = idx.copy()
            c[:, u] += du
            c[:, v] += dv
            corners.append(grid[c[:, 0], c[:, 1], c[:, 2]])
        out.append(np.stack(corners, axis=1))
    return np.concatenate(out) if out else np.zeros((0, 4, 3))


def _check_faces(call: ScalarFn, faces: np.ndarray, thr: float, spacing: float) -> tuple[bool, int, float, np.ndarray]:
    """Sample every face on an m x m lattice (edges included, spacing <= `spacing`); (all class 1, samples,
    smallest margin, the (k, 3) class-0 samples with the lowest logits first; the check stops at the first block
    of faces with a class-0 sample)."""
    if not len(faces):
        return False, 0, 0.0, np.zeros((0, 3))
    side = float(np.linalg.norm(faces[0, 1] - faces[0, 0]))
    side = max(side, float(np.linalg.norm(faces[0, 3] - faces[0, 0])))
    m = max(2, math.ceil(side / spacing) + 1)
    t = np.linspace(0.0, 1.0, m)
    tu, tv = (a.reshape(-1) for a in np.meshgrid(t, t, indexing="ij"))
    p0, du, dv = faces[:, 0], faces[:, 1] - faces[:, 0], faces[:, 3] - faces[:, 0]
    margin, k, zeros = math.inf, 0, []
    for block in range(0, len(faces), max(1, 200_000 // (m * m))):
        sl = slice(block, block + max(1, 200_000 // (m * m)))
        pts = p0[sl, None, :] + tu[None, :, None] * du[sl, None, :] + tv[None, :, None] * dv[sl, None, :]
        pts = pts.reshape(-1, 3)
        diff = evaluate(call, torch.from_numpy(pts)).numpy() - thr
        k += len(pts)
        margin = min(margin, float(np.abs(diff).min()))
        bad = diff < 0
        if bad.any():  # the surface fails: its lowest class-0 samples of this block are what the rays need
            order = np.argsort(diff[bad])
            zeros.append(pts[bad][order[:RAYS]])
            break
    found = np.concatenate(zeros) if zeros else np.zeros((0, 3))
    return not len(found), k, margin, found


def _ray_certificate(
    call: ScalarFn, points: np.ndarray, centre: np.ndarray, box: Box, thr: float, spacing: float, step: float
) -> Certificate | None:
    """A class-0 path from the centre through one of `points` (class-0 samples on a surface around the ball) to
    the box's surface, checked: straight from the centre through the point and on to the box's surface, or
    (a straight tunnel parallel to an axis, off the centre) along the axis of the point's largest offset, out
    from the point to the box's surface and in by 1 to 4 `step`s, then straight to the centre."""
    for p in points[: RAYS * (DILATIONS + 1)]:
        d = p - centre
        length = float(np.linalg.norm(d))
        if length == 0:
            continue
        axis = int(np.argmax(np.abs(d)))
        normal = np.zeros(3)
        normal[axis] = np.sign(d[axis])
        candidates = [np.stack([centre, _to_surface(centre, d / length, box)])]
        out = _to_surface(p, normal, box)
        candidates += [np.stack([centre, p - j * step * normal, p, out]) for j in range(1, 5)]
        for poly in candidates:
            ok, k, margin = check_polyline(call, poly, thr, 0, spacing, closed=False)
            if ok:
                return Certificate("path", poly, spacing, k, margin)
    return None


def _to_surface(p: np.ndarray, u: np.ndarray, box: Box) -> np.ndarray:
    """Where the ray p + t u (t >= 0, `u` a unit vector) leaves the box."""
    t_edge = min(
        ((hi - c) / ui if ui > 0 else (lo - c) / ui) if ui != 0 else math.inf for (lo, hi), c, ui in zip(box, p, u)
    )
    return p + t_edge * u
