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
from torch import Tensor, nn

from ..datasets import DiskRing
from ..errors import MorsenetError
from ._certificates_3d import certify_component
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
    verdict, cert, reason = certify_component(
        call, nodes.numpy(), comp, surface, centre.numpy(), box_t, thr, spacing, start, h
    )
    return Tunnel3D(verdict, touches_surface=touches, component_size=int(comp.sum()), reach_radius=reach,
                    certificate=cert, undecided_reason=reason, **common)  # type: ignore[arg-type]  # fmt: skip
