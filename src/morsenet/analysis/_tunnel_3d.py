"""The 3-D tunnel test: does the class-0 region around the ball reach the box's surface, with certificates.

The grid only proposes; certificates decide, as in 2-D (`_certificates`). The logit is evaluated on a grid of
nodes; the class-0 nodes are labelled into components with 6-connectivity (face neighbours): two nodes are
joined only along a grid edge, and only grid edges are checked afterwards. (26-connectivity would join
class-0 nodes that touch at a cell's corner across a class-1 wall that no grid edge crosses, and a tunnel
would be claimed through a wall that nothing checked.) The centre's component then gives

- a **path** certificate: a breadth-first path through the component's grid edges from the centre to a node
  on the box's surface, sampled at `spacing` with every logit below the threshold; when that check fails, every
  grid edge of the component is sampled at `EDGE_SAMPLES` interior points and the path is taken through the
  edges that survive (a class-1 wall across an edge is then stepped around, not over);
- a **closed surface** certificate: the union U of the grid cells that hold a node of the (edge-checked)
  component is a closed set containing the centre; its boundary faces (each a square of grid nodes none of
  which is in the component) must all be class 1 on a sample of spacing `spacing` over each face. Every path
  from the centre to the box's surface crosses that surface. A class-0 region bulges past the nodes between
  them (a ball pokes through a face whose corners lie outside it), so when that surface fails, the surfaces of
  the component grown by one and by two cells (26-neighbours) are tried.

When the surface check finds class-0 points (a tunnel thinner than a grid cell passes between the nodes), a
straight class-0 path from the centre through the lowest of them to the box's surface is tried; if none holds,
the verdict is "undecided" with the reason: never "bounded" on a failed check.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch
from scipy import ndimage
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import breadth_first_order
from torch import Tensor, nn

from ..datasets import DiskRing
from ..errors import MorsenetError
from ._certificates import EDGE_SAMPLES, Certificate, check_polyline
from ._grid import Box, check_box
from ._regions import _logit_threshold
from ._scalar_field import ScalarFn, as_scalar_field, derivatives, evaluate
from ._tunnel_3d_result import AxisSlices, Grid3D, ThreeDViews, Tunnel3D

__all__ = [
    "TUNNEL_3D_RESOLUTION",
    "AxisSlices",
    "Grid3D",
    "ThreeDViews",
    "Tunnel3D",
    "axis_slices",
    "grid_3d",
    "three_d_resolution",
    "three_d_views",
    "tunnel_analysis_3d",
]

TUNNEL_3D_RESOLUTION = 40  # nodes per axis of the tunnel test's grid
SLICE_RESOLUTION = 80  # nodes per axis of each axis slice
MAX_NODES = 8_000_000  # the most grid nodes a 3-D grid may have (about 200^3)
DILATIONS = 2  # closed surfaces tried one and two cells beyond the component's cells, when the first fails
RAYS = 8  # straight paths tried through class-0 points found on the enclosing surface


def three_d_resolution(prediction_resolution: int) -> int:
    """The 3-D grid size for a report whose 2-D maps use `prediction_resolution` nodes per axis: about 0.28 of
    it, 16 to 64 (a quick report's 100 gives 28, a full report's 200 gives 56)."""
    return int(min(64, max(16, round(0.28 * prediction_resolution))))


def _resolution3(resolution: object) -> tuple[int, int, int]:
    if isinstance(resolution, int) and not isinstance(resolution, bool):
        res: tuple[object, ...] = (resolution,) * 3
    elif isinstance(resolution, (tuple, list)) and len(resolution) == 3:
        res = tuple(resolution)
    else:
        raise MorsenetError(f"`resolution` must be an integer or 3 integers (nodes per axis), got {resolution!r}")
    if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 4 for n in res):
        raise MorsenetError(f"`resolution` needs integers >= 4 (nodes per axis), got {resolution!r}")
    out = (int(res[0]), int(res[1]), int(res[2]))  # type: ignore[call-overload]
    if out[0] * out[1] * out[2] > MAX_NODES:
        raise MorsenetError(f"`resolution` {out} gives more than {MAX_NODES:,} grid nodes; use fewer")
    return out


def _axes(box: Box, res: tuple[int, int, int]) -> tuple[Tensor, Tensor, Tensor]:
    xs, ys, zs = (torch.linspace(lo, hi, n, dtype=torch.float64) for (lo, hi), n in zip(box, res))
    return xs, ys, zs


def _nodes(xs: Tensor, ys: Tensor, zs: Tensor) -> Tensor:
    gx, gy, gz = torch.meshgrid(xs, ys, zs, indexing="ij")
    return torch.stack([gx.reshape(-1), gy.reshape(-1), gz.reshape(-1)], 1)


def grid_3d(f: nn.Module | ScalarFn, box: Sequence[Sequence[float]], resolution: int | Sequence[int] = 32) -> Grid3D:
    """The logit of `f` (a model or a callable from (n, 3) points to (n,) logits) on a grid over the 3-D `box`,
    in float64 (a model is evaluated through a float64 copy), in chunks."""
    box_t = check_box(box, 3)
    res = _resolution3(resolution if isinstance(resolution, int) else tuple(resolution))
    return _grid(as_scalar_field(f), box_t, res)


def _grid(call: ScalarFn, box: Box, res: tuple[int, int, int]) -> Grid3D:
    xs, ys, zs = _axes(box, res)
    logits = evaluate(call, _nodes(xs, ys, zs)).reshape(res)
    return Grid3D(xs, ys, zs, logits, box)


def axis_slices(
    f: nn.Module | ScalarFn,
    box: Sequence[Sequence[float]],
    center: Sequence[float] | None = None,
    *,
    resolution: int = SLICE_RESOLUTION,
) -> AxisSlices:
    """Probability and gradient norm of the logit on the planes x = c0, y = c1 and z = c2 through `center`
    (default: the origin), each over the box's other two sides, `resolution` nodes per side."""
    box_t = check_box(box, 3)
    c = (0.0, 0.0, 0.0) if center is None else tuple(float(v) for v in center)
    if len(c) != 3 or not all(math.isfinite(v) for v in c):
        raise MorsenetError(f"`center` must be 3 finite numbers, got {center!r}")
    if isinstance(resolution, bool) or not isinstance(resolution, int) or not 4 <= resolution <= 2000:
        raise MorsenetError(f"`resolution` must be an integer in [4, 2000], got {resolution!r}")
    call = as_scalar_field(f)
    planes = ((1, 2), (0, 2), (0, 1))
    us, vs, probs, norms = [], [], [], []
    for k, (a, b) in enumerate(planes):
        u = torch.linspace(*box_t[a], resolution, dtype=torch.float64)
        v = torch.linspace(*box_t[b], resolution, dtype=torch.float64)
        gv, gu = torch.meshgrid(v, u, indexing="ij")
        pts = torch.full((resolution * resolution, 3), c[k], dtype=torch.float64)
        pts[:, a], pts[:, b] = gu.reshape(-1), gv.reshape(-1)
        values, grads = [], []
        for chunk in pts.split(16_384):
            y, g, _ = derivatives(call, chunk, hessian=False)
            values.append(y.detach())
            grads.append(torch.linalg.vector_norm(g.detach(), dim=1))
        us.append(u)
        vs.append(v)
        probs.append(torch.sigmoid(torch.cat(values)).reshape(resolution, resolution))
        norms.append(torch.cat(grads).reshape(resolution, resolution))
    return AxisSlices((c[0], c[1], c[2]), box_t, planes, tuple(us), tuple(vs), tuple(probs), tuple(norms))


def three_d_views(
    f: nn.Module | ScalarFn,
    box: Sequence[Sequence[float]],
    *,
    geometry: DiskRing | None = None,
    ring_points: Tensor | None = None,
    resolution: int = 32,
    slice_resolution: int = SLICE_RESOLUTION,
    spacing_fraction: float = 1 / 8,
) -> ThreeDViews:
    """The grid, the axis slices through the geometry's centre (else the origin when the box holds it, else
    the box's centre) and, with a 3-D `geometry`, the tunnel test on the same grid (certificates sampled at
    `spacing_fraction` of the node spacing)."""
    box_t = check_box(box, 3)
    call = as_scalar_field(f)  # one float64 copy of a model for all three
    res = _resolution3(resolution)
    grid = _grid(call, box_t, res)
    if geometry is not None and geometry.dim == 3:
        centre: tuple[float, ...] = geometry.center
    elif all(lo <= 0 <= hi for lo, hi in box_t):
        centre = (0.0, 0.0, 0.0)
    else:
        centre = tuple((lo + hi) / 2 for lo, hi in box_t)
    slices = axis_slices(call, box_t, centre, resolution=slice_resolution)
    tunnel = None
    if geometry is not None and geometry.dim == 3:
        if not 0 < spacing_fraction <= 1:
            raise MorsenetError(f"`spacing_fraction` must be in (0, 1], got {spacing_fraction!r}")
        tunnel = tunnel_analysis_3d(call, geometry, box_t, grid=grid, ring_points=ring_points,
                                    spacing=min(grid.spacing) * spacing_fraction)  # fmt: skip
    return ThreeDViews(grid, slices, tunnel)


def _check_geometry(geometry: object, box: Box) -> DiskRing:
    if not isinstance(geometry, DiskRing) or geometry.dim != 3:
        raise MorsenetError(
            "the 3-D tunnel test needs a 3-D DiskRing geometry (the ball and the shell), got "
            f"{type(geometry).__name__}" + (f" of dimension {geometry.dim}" if isinstance(geometry, DiskRing) else "")
        )
    if not all(lo <= c <= hi for c, (lo, hi) in zip(geometry.center, box)):
        raise MorsenetError(f"the box {box} does not contain the centre {list(geometry.center)}")
    return geometry


def _fraction(classes: np.ndarray, inside: np.ndarray) -> float | None:
    return float((classes[inside] == 0).mean()) if inside.any() else None


def tunnel_analysis_3d(
    f: nn.Module | ScalarFn,
    geometry: DiskRing,
    box: Sequence[Sequence[float]],
    *,
    resolution: int | Sequence[int] = TUNNEL_3D_RESOLUTION,
    threshold: float = 0.5,
    ring_points: Tensor | None = None,
    spacing: float | None = None,
    grid: Grid3D | None = None,
) -> Tunnel3D:
    """Test whether the class-0 region around the ball of `geometry` is enclosed or reaches the box's surface.

    Args:
        f: a model or a callable mapping (n, 3) points to logits (n,) or (n, 1); probability = sigmoid(logit).
        geometry: a 3-D `DiskRing`: the centre (data coordinates), the ball's radius and the shell's radii.
        box: ((x0, x1), (y0, y1), (z0, z1)); must contain the centre.
        resolution: grid nodes per axis (an integer or three).
        threshold: probability threshold (class 0 below it; the logit threshold is log(t / (1 - t))).
        ring_points: (n, 3) class-1 points (the shell's test points), for the fraction classified 0.
        spacing: the largest distance between checked samples on a certificate (default: the smallest node
            spacing / 16).
        grid: a `grid_3d` result for the same `f` and box to reuse (its resolution then applies).

    Returns:
        A `Tunnel3D` (see the module's docstring for the certificates).

    Raises:
        MorsenetError: for a bad geometry, box, resolution, threshold, spacing or points.
    """
    box_t = check_box(box, 3)
    g = _check_geometry(geometry, box_t)
    thr = _logit_threshold(threshold)
    call = as_scalar_field(f)
    if grid is not None:
        if grid.box != box_t:
            raise MorsenetError("`grid` was computed for another box; pass a matching one or None")
        res = grid.shape
    else:
        res = _resolution3(resolution if isinstance(resolution, int) else tuple(resolution))
        grid = _grid(call, box_t, res)
    h = min(grid.spacing)
    if spacing is None:
        spacing = h / 16
    elif isinstance(spacing, bool) or not isinstance(spacing, (int, float)) or not 0 < spacing <= h:
        raise MorsenetError(f"`spacing` must be a number in (0, {h:.3g}] (the node spacing), got {spacing!r}")
    points_frac = None
    if ring_points is not None:
        if not isinstance(ring_points, Tensor) or ring_points.ndim != 2 or ring_points.shape[1] != 3:
            raise MorsenetError("`ring_points` must be a tensor of shape (n, 3)")
        if len(ring_points):
            below = evaluate(call, ring_points.to(torch.float64)) < thr
            points_frac = float(below.to(torch.float64).mean())
    centre = torch.tensor(g.center, dtype=torch.float64)
    centre_class = int(float(evaluate(call, centre[None])[0]) >= thr)
    nodes = _nodes(grid.xs, grid.ys, grid.zs)
    classes = (grid.logits >= thr).numpy().astype(np.int8)
    radius = g.radius_of(nodes.numpy()).reshape(res)
    common = dict(
        centre_class=centre_class,
        ball_fraction_class0=_fraction(classes, radius <= g.disk_radius),
        shell_fraction_class0=_fraction(classes, (radius >= g.ring[0]) & (radius <= g.ring[1])),
        ring_points_fraction_class0=points_frac,
        threshold=float(threshold),
        center=g.center,
        inner_radius=g.disk_radius,
        ring=g.ring,
        box=box_t,
        resolution=res,
        grid=grid,
    )
    if centre_class != 0:
        return Tunnel3D("no_inner_region", touches_surface=False, component_size=0, reach_radius=None,
                        certificate=None, undecided_reason="", **common)  # type: ignore[arg-type]  # fmt: skip
    i, j, k = (int(torch.argmin((ax - c).abs())) for ax, c in zip((grid.xs, grid.ys, grid.zs), g.center))
    start = (i, j, k)
    if classes[start] != 0:
        return Tunnel3D("undecided", touches_surface=False, component_size=0, reach_radius=None, certificate=None,
                        undecided_reason="the grid node nearest the centre is class 1 (refine the grid)",
                        **common)  # type: ignore[arg-type]  # fmt: skip
    labels, _ = ndimage.label(classes == 0, structure=ndimage.generate_binary_structure(3, 1))
    comp = labels == labels[start]
    surface = np.zeros(res, dtype=bool)
    surface[[0, -1], :, :] = surface[:, [0, -1], :] = surface[:, :, [0, -1]] = True
    touches = bool((comp & surface).any())
    reach = float(radius[comp].max())
    verdict, cert, reason = _certify(call, nodes.numpy(), comp, surface, centre.numpy(), box_t, thr, spacing, start, h)
    return Tunnel3D(verdict, touches_surface=touches, component_size=int(comp.sum()), reach_radius=reach,
                    certificate=cert, undecided_reason=reason, **common)  # type: ignore[arg-type]  # fmt: skip


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


def _certify(
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
