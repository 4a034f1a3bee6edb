"""Figures of neural-ODE flows: trajectories (`FlowTrajectories`, 2-D or 3-D, and a GIF) and the sub-interval
flow-Jacobian singular-value maps (`FlowJacobianMaps`); nothing is computed here."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ._animation import gif_frame, write_gif
from ._maps import log_limits
from ._style import CLASS_COLORS, legend_below, lighten_log_axis, new_axes, set_title, to_numpy

__all__ = ["animate_trajectories", "plot_flow_jacobian_maps", "plot_trajectories"]


def _labels(traj: Any, data: Any) -> np.ndarray | None:
    """Class labels of the trajectories' points: `data` is labels (n,) or an object with `y_test` (a Dataset
    whose test points the trajectories carry) or `y` of that length; None draws every trajectory in grey."""
    if data is None:
        return None
    for attr in ("y_test", "y"):
        if hasattr(data, attr):
            data = getattr(data, attr)
            break
    y = to_numpy(data).reshape(-1)
    if len(y) != traj.n_points:
        raise ValueError(f"{len(y)} labels for {traj.n_points} trajectories")
    return y


def _coordinates(traj: Any) -> tuple[np.ndarray, int]:
    """(n_t, n, k) the plotted state coordinates: the first 2 (a 2-D state) or 3 (dim >= 3) coordinates."""
    k = 2 if traj.dim <= 2 else 3
    states = to_numpy(traj.states)
    if traj.dim == 1:
        states = np.concatenate([states, np.zeros_like(states)], axis=2)
    return states[..., :k], k


def _limits(states: np.ndarray) -> list[tuple[float, float]]:
    lo, hi = states.min(axis=(0, 1)), states.max(axis=(0, 1))
    pad = 0.05 * np.maximum(hi - lo, 1e-9)
    return [(float(a - p), float(b + p)) for a, b, p in zip(lo, hi, pad)]


def _draw(ax: Any, states: np.ndarray, upto: int, labels: np.ndarray | None, limits: Any,
          legend: bool) -> tuple[Any, Any]:  # fmt: skip
    """The paths up to time index `upto` as one line collection (gid "trajectory", one path per point), the lifted
    starts and the states at that time; returns the collection and the states' scatter (for `_update`)."""
    from matplotlib.colors import to_rgba_array

    k = states.shape[2]
    colors = to_rgba_array(["0.4"] * states.shape[1] if labels is None else
                           [CLASS_COLORS[int(v >= 0.5)] for v in labels])  # fmt: skip
    paths = [states[: upto + 1, i] for i in range(states.shape[1])]
    if k == 3:
        from mpl_toolkits.mplot3d.art3d import Line3DCollection

        lines: Any = Line3DCollection(paths, colors=colors, linewidths=0.6, alpha=0.55)
        ax.add_collection3d(lines)
    else:
        from matplotlib.collections import LineCollection

        lines = LineCollection(paths, colors=colors, linewidths=0.6, alpha=0.55)
        ax.add_collection(lines)
    lines.set_gid("trajectory")
    start, now = states[0], states[upto]
    ax.scatter(*start.T, s=6, c="0.2", marker="o", alpha=0.5, linewidths=0, label="start (lifted)")
    dots = ax.scatter(
        *now.T,
        s=14,
        c=colors,
        marker="o",
        edgecolors="k",
        linewidths=0.3,
        label="end state" if upto == len(states) - 1 else "state at t",
    )
    ax.set_xlim(*limits[0])
    ax.set_ylim(*limits[1])
    ax.set_xlabel("$h_1$")
    ax.set_ylabel("$h_2$")
    if k == 3:
        ax.set_zlim(*limits[2])
        ax.set_zlabel("$h_3$")
    if legend:
        legend_below(ax)
    return lines, dots


def _update(lines: Any, dots: Any, states: np.ndarray, upto: int) -> None:
    """Move a drawn frame to time index `upto` (the figure is drawn once and only these artists change)."""
    lines.set_segments([states[: upto + 1, i] for i in range(states.shape[1])])
    now = states[upto]
    if states.shape[2] == 3:
        dots._offsets3d = tuple(now.T)
    else:
        dots.set_offsets(now)


def plot_trajectories(traj: Any, ax: Any = None, *, data: Any = None, legend: bool = True,
                      title: str | None = None) -> Any:  # fmt: skip
    """Trajectories of points through a neural ODE's flow in state space: a 2-D Axes for dim 2 (dim 1 on a line),
    a 3-D Axes for dim 3 (dim > 3: the first three coordinates). Each path is coloured by its point's class
    (`data`: labels (n,), or a Dataset whose `y_test` are the trajectories' points' labels), with the lifted
    start (grey dots) and the end state (coloured dots). The paths are one line collection with the gid
    "trajectory" (one path per point)."""
    states, k = _coordinates(traj)
    ax = new_axes(ax, projection="3d" if k == 3 else None)
    _draw(ax, states, len(states) - 1, _labels(traj, data), _limits(states), legend)
    extra = "" if traj.dim <= 3 else f" (first 3 of {traj.dim} coordinates)"
    set_title(ax, title or f"flow trajectories, t ∈ [0, {traj.T:g}]{extra}", fontsize=9)
    return ax


def animate_trajectories(traj: Any, path: str | Path, *, data: Any = None, frames: int | None = None,
                         dpi: int = 80, duration_ms: int = 120) -> Path:  # fmt: skip
    """Write an animated GIF (via Pillow) of the points moving along their trajectories: one frame per time (at
    most `frames` of them, evenly spaced, the last time included; default all up to 40), fixed axes.
    `data` colours the points as in `plot_trajectories`."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    states, k = _coordinates(traj)
    n_t = len(states)
    count = min(n_t, 40) if frames is None else frames
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ValueError(f"`frames` must be an integer >= 1, got {frames!r}")
    picks = sorted({round(i * (n_t - 1) / max(count - 1, 1)) for i in range(count)}) if count > 1 else [n_t - 1]
    labels, limits = _labels(traj, data), _limits(states)
    times = to_numpy(traj.times)
    fig = Figure(figsize=(5.0, 4.6), dpi=dpi)
    canvas = FigureCanvasAgg(fig)
    ax = fig.add_subplot(projection="3d" if k == 3 else None)
    fig.subplots_adjust(left=0.14, right=0.96, bottom=0.12, top=0.9)
    lines, dots = _draw(ax, states, picks[0], labels, limits, legend=False)
    images = []
    for j in picks:  # one figure, its artists moved from frame to frame (building axes per frame costs 10x)
        _update(lines, dots, states, j)
        set_title(ax, f"t = {times[j]:.3g} of {traj.T:g}", fontsize=9)
        canvas.draw()
        images.append(gif_frame(canvas))
    return write_gif(images, path, duration_ms)


def plot_flow_jacobian_maps(maps: Any, fig_or_axes: Any = None, *, which: Sequence[str] = ("min", "max"),
                            colorbar: bool = True) -> Any:  # fmt: skip
    """Singular-value maps of the sub-interval flows: one row per entry of `which` ("min", "max"), one column per
    interval, each row on one logarithmic colour scale (so the intervals compare), sigma = 1 contoured in white.

    Args:
        maps: a `FlowJacobianMaps`.
        fig_or_axes: a matplotlib Figure to add the panels to, a sequence of len(which) * intervals Axes (row by
            row), or None for a new pyplot figure.

    Returns:
        The Figure. Each mesh carries the gid "flow-jacobian-map".
    """
    from matplotlib.colors import LogNorm

    rows = list(which)
    if not rows or any(r not in ("min", "max") for r in rows):
        raise ValueError(f"`which` must list 'min' and/or 'max', got {which!r}")
    n = len(maps.intervals)
    fig: Any
    if fig_or_axes is None:
        import matplotlib.pyplot as plt

        fig = plt.figure(figsize=(3.4 * n + 0.8, 3.0 * len(rows)), layout="constrained")
        axes = [fig.add_subplot(len(rows), n, i + 1) for i in range(len(rows) * n)]
    elif hasattr(fig_or_axes, "add_subplot"):
        fig = fig_or_axes
        axes = [fig.add_subplot(len(rows), n, i + 1) for i in range(len(rows) * n)]
    else:
        axes = list(fig_or_axes)
        if len(axes) != len(rows) * n:
            raise ValueError(f"need {len(rows) * n} Axes ({len(rows)} rows x {n} intervals), got {len(axes)}")
        fig = axes[0].figure
    xs, ys = to_numpy(maps.xs), to_numpy(maps.ys)
    for r, kind in enumerate(rows):
        values = to_numpy(maps.minimum if kind == "min" else maps.maximum)  # (k, ny, nx)
        lo, hi = log_limits(values)
        lo, hi = min(lo, 0.999), max(hi, 1.001)  # sigma = 1 always on the scale
        mesh = None
        for c, (a, b) in enumerate(maps.intervals):
            ax = axes[r * n + c]
            v = np.clip(np.nan_to_num(values[c], nan=lo, posinf=hi), lo, hi)
            mesh = ax.pcolormesh(xs, ys, v, cmap="viridis", norm=LogNorm(lo, hi), shading="auto")
            mesh.set_gid("flow-jacobian-map")
            if v.min() < 1 < v.max():
                ax.contour(xs, ys, v, levels=[1.0], colors="white", linewidths=0.7)
            ax.set_aspect("equal")
            ax.set_xlabel("$x_1$", fontsize=8)
            ax.set_ylabel("$x_2$", fontsize=8)
            ax.tick_params(labelsize=7)
            set_title(ax, f"{kind} σ of Dφ on [{a:.3g}, {b:.3g}]", fontsize=8)
        if colorbar and mesh is not None:
            cb = fig.colorbar(mesh, ax=axes[r * n : (r + 1) * n], label=f"{kind} σ (log)", shrink=0.9)
            lighten_log_axis(cb.ax.yaxis)
    return fig
