"""3-D figures: the 0.5 decision isosurface (marching cubes) with the test points, and axis-aligned slices."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ._maps import log_limits
from ._style import CLASS_COLORS, TUNNEL_COLOR, lighten_log_axis, new_axes, probability_cmap, set_title, to_numpy

__all__ = ["decision_isosurface", "plot_axis_slices", "plot_decision_isosurface"]

MAX_POINTS = 800  # test points drawn in the 3-D view (the first ones; more only clutter it)
LABELS = ("$x_1$", "$x_2$", "$x_3$")


def _grid_of(model_or_grid: Any, box: Sequence[Sequence[float]] | None, resolution: int) -> Any:
    """A `Grid3D` from a `Grid3D`, a `Tunnel3D` (its grid) or a model/callable evaluated on `box`."""
    from ..analysis._tunnel_3d import Grid3D, Tunnel3D, grid_3d

    if isinstance(model_or_grid, Grid3D):
        return model_or_grid
    if isinstance(model_or_grid, Tunnel3D) and model_or_grid.grid is not None:
        return model_or_grid.grid
    if box is None:
        raise ValueError("a model needs `box=` ((x0, x1), (y0, y1), (z0, z1)) for its 3-D grid")
    return grid_3d(model_or_grid, box, resolution)


def decision_isosurface(grid: Any, level: float = 0.5) -> tuple[np.ndarray, np.ndarray] | None:
    """(vertices (v, 3), triangles (t, 3)) of the `level` isosurface of a `Grid3D`'s probability in the data's
    coordinates (scikit-image's marching cubes, spacing from the box), or None when no node is on each side."""
    from skimage.measure import marching_cubes

    p = to_numpy(grid.probability)
    if not p.min() < level < p.max():
        return None
    verts, faces, _, _ = marching_cubes(p, level=level, spacing=grid.spacing)
    return verts + np.array([lo for lo, _ in grid.box]), faces


def plot_decision_isosurface(
    model_or_grid: Any,
    ax: Any = None,
    *,
    data: Any = None,
    box: Sequence[Sequence[float]] | None = None,
    resolution: int = 32,
    tunnel: Any = None,
    title: str | None = None,
) -> Any:
    """The 0.5 probability isosurface (the decision surface) in a 3-D Axes, with the test points by class.

    Args:
        model_or_grid: a `Grid3D`, a `Tunnel3D` (its grid) or a model (then `box` and `resolution` are used).
        ax: a 3-D Axes (`fig.add_subplot(projection="3d")`); a new figure when None.
        data: a `Dataset`: its first `MAX_POINTS` test points are drawn, coloured by class.
        tunnel: a `Tunnel3D` whose path certificate (a tunnel) is drawn in magenta.
    """
    from mpl_toolkits.mplot3d.art3d import Poly3DCollection

    ax = new_axes(ax, projection="3d", figsize=(6.0, 5.5))
    grid = _grid_of(model_or_grid, box, resolution)
    surface = decision_isosurface(grid)
    if surface is None:
        ax.text2D(0.02, 0.95, "no 0.5 surface in the box (one class everywhere)", transform=ax.transAxes, fontsize=8)
    else:
        verts, faces = surface
        mesh = Poly3DCollection(verts[faces], facecolor="0.55", edgecolor="none", alpha=0.3)
        mesh.set_gid("decision-isosurface")
        ax.add_collection3d(mesh)
    if data is not None:
        x, y = to_numpy(data.x_test)[:MAX_POINTS], to_numpy(data.y_test)[:MAX_POINTS]
        for cls in (0, 1):
            pts = x[(y > 0.5) == bool(cls)]
            ax.scatter(pts[:, 0], pts[:, 1], pts[:, 2], s=3, color=CLASS_COLORS[cls], label=f"class {cls}",
                       depthshade=False)  # fmt: skip
    if tunnel is not None and tunnel.certificate is not None and tunnel.certificate.kind == "path":
        path = np.asarray(tunnel.certificate.points)
        ax.plot(path[:, 0], path[:, 1], path[:, 2], color=TUNNEL_COLOR, lw=2.0, label="tunnel certificate")
    (x0, x1), (y0, y1), (z0, z1) = grid.box
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_zlim(z0, z1)
    ax.set_box_aspect((x1 - x0, y1 - y0, z1 - z0))
    for set_label, label in zip((ax.set_xlabel, ax.set_ylabel, ax.set_zlabel), LABELS):
        set_label(label)
    set_title(ax, title or "decision surface (probability 0.5)")
    return ax


def plot_axis_slices(
    slices_or_model: Any,
    axes: Any = None,
    *,
    box: Sequence[Sequence[float]] | None = None,
    center: Sequence[float] | None = None,
    resolution: int = 80,
    data: Any = None,
) -> Any:
    """The slices x1 = c1, x2 = c2 and x3 = c3 through the centre: the probability of class 1 with its 0.5
    contour (top row) and the logit's gradient norm on a logarithmic scale shared by the three slices (2%
    quantile to maximum) with the 0.5 contour (bottom row); one colour bar per row.

    Args:
        slices_or_model: an `AxisSlices` or a model (then `box`, `center` and `resolution` are used).
        axes: 6 Axes (a (2, 3) array or a flat sequence, row by row); a new figure when None.
        data: a `Dataset`: test points within 5% of the box's side from each plane are drawn on it.

    Returns:
        The (2, 3) numpy array of Axes.
    """
    from matplotlib.colors import LogNorm

    from ..analysis._tunnel_3d import AxisSlices, axis_slices

    s = slices_or_model
    if not isinstance(s, AxisSlices):
        if box is None:
            raise ValueError("a model needs `box=` for its slices")
        s = axis_slices(s, box, center, resolution=resolution)
    if axes is None:
        import matplotlib.pyplot as plt

        _, axes = plt.subplots(2, 3, figsize=(12.0, 7.0), layout="constrained")
    grid = np.asarray(axes, dtype=object).reshape(2, 3)
    cmap = probability_cmap()
    lo, hi = log_limits(np.concatenate([to_numpy(g).reshape(-1) for g in s.gradient_norm]))  # one scale for all
    images = []
    for k, (a, b) in enumerate(s.axes):
        u, v = to_numpy(s.us[k]), to_numpy(s.vs[k])
        p, g = to_numpy(s.probability[k]), to_numpy(s.gradient_norm[k])
        ext = (u[0], u[-1], v[0], v[-1])
        top, bottom = grid[0, k], grid[1, k]
        im = top.imshow(p, origin="lower", extent=ext, cmap=cmap, vmin=0.0, vmax=1.0, aspect="equal")
        im2 = bottom.imshow(np.clip(g, lo, None), origin="lower", extent=ext, cmap="viridis", norm=LogNorm(lo, hi),
                            aspect="equal")  # fmt: skip
        images.append((im, im2))
        for ax in (top, bottom):
            if p.min() < 0.5 < p.max():
                ax.contour(u, v, p, levels=[0.5], colors="black" if ax is top else "white", linewidths=1.2)
            ax.set_xlabel(LABELS[a])
            ax.set_ylabel(LABELS[b])
        if data is not None:
            x, y = to_numpy(data.x_test), to_numpy(data.y_test)
            side = s.box[k][1] - s.box[k][0]
            near = np.abs(x[:, k] - s.center[k]) < 0.05 * side
            for cls in (0, 1):
                pts = x[near & ((y > 0.5) == bool(cls))]
                top.scatter(pts[:, a], pts[:, b], s=4, color=CLASS_COLORS[cls], edgecolors="k", linewidths=0.2)
        plane = f"{LABELS[k]} = {s.center[k]:.3g}"
        set_title(top, f"probability, {plane}", fontsize=9)
        set_title(bottom, f"|grad f|, {plane}", fontsize=9)
    fig = grid[0, 0].figure  # one colour bar per row, right of its last panel (the three share the scale)
    fig.colorbar(images[-1][0], ax=grid[0, -1], shrink=0.8, label="probability of class 1")
    cb = fig.colorbar(images[-1][1], ax=grid[1, -1], shrink=0.8, label="|grad f| (log)")
    lighten_log_axis(cb.ax.yaxis)
    return grid
