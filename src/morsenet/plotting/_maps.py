"""Maps over the plane: decision boundary, level sets, singular-value maps, 3-D surface, critical points."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np

from ._marks import plot_critical_points, plot_tunnel
from ._style import CLASS_COLORS, extent, new_axes, probability_cmap, set_title, to_numpy

if TYPE_CHECKING:
    from ..analysis import CriticalPoint, TunnelAnalysis


def _scatter_points(ax: Any, data: Any, which: str) -> None:
    if data is None or which == "none" or data.input_dim != 2:
        return
    x, y = (data.x_test, data.y_test) if which == "test" else (data.x_train, data.y_train)
    x, y = to_numpy(x), to_numpy(y)
    colors = np.where(y > 0.5, CLASS_COLORS[1], CLASS_COLORS[0])
    ax.scatter(x[:, 0], x[:, 1], s=14, c=colors, edgecolors="black", linewidths=0.4, alpha=0.9)


def plot_decision_boundary(
    prediction: Any,
    ax: Any = None,
    *,
    data: Any = None,
    points: str = "test",
    critical_points: Iterable[CriticalPoint] | None = None,
    tunnel: TunnelAnalysis | None = None,
    colorbar: bool = True,
    legend: bool = True,
    title: str | None = None,
) -> Any:
    """Probability heat map (blue 0, white 0.5, orange 1) with the 0.5 contour and the data's points.

    Args:
        prediction: a `PredictionGrid` (classification).
        ax: Axes to draw on; a new figure if None.
        data: a `Dataset` whose `points` ("test", "train" or "none") are scattered on top.
        critical_points: optional `CriticalPoint`s to mark by kind.
        tunnel: optional `TunnelAnalysis` to highlight (see `plot_tunnel`): the ring, and the class-0 component
            around the disk outlined as a tunnel or as a closed (bounded) region.
        legend: one legend for the critical points and the tunnel highlight.
    """
    ax = new_axes(ax)
    values = to_numpy(prediction.values)
    classify = prediction.probabilities is not None
    im = ax.imshow(
        values,
        origin="lower",
        extent=extent(prediction.xs, prediction.ys),
        aspect="auto",
        cmap=probability_cmap() if classify else "viridis",
        vmin=0 if classify else None,
        vmax=1 if classify else None,
        interpolation="bilinear",
        alpha=0.9,
    )
    if classify and values.min() < 0.5 < values.max():
        ax.contour(
            to_numpy(prediction.xs), to_numpy(prediction.ys), values, levels=[0.5], colors="black", linewidths=1.2
        )
    _scatter_points(ax, data, points)
    if tunnel is not None:
        plot_tunnel(tunnel, ax, legend=False)
    if critical_points is not None:
        plot_critical_points(critical_points, ax, legend=False)
    if legend and (tunnel is not None or critical_points is not None):
        handles, labels = ax.get_legend_handles_labels()
        if handles:
            ax.legend(handles, labels, fontsize=6.5, loc="upper right", framealpha=0.85)
    if colorbar:
        ax.figure.colorbar(im, ax=ax, label="probability of class 1" if classify else "prediction")
    (x0, x1), (y0, y1) = prediction.box
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    set_title(ax, title or "decision boundary")
    return ax


def plot_level_sets(
    prediction: Any, ax: Any = None, *, levels: int = 20, data: Any = None, title: str | None = None
) -> Any:
    """Contour lines of the logit (the function the theorems are about), the zero level in black."""
    ax = new_axes(ax)
    xs, ys, z = to_numpy(prediction.xs), to_numpy(prediction.ys), to_numpy(prediction.logits)
    cs = ax.contour(xs, ys, z, levels=levels, cmap="coolwarm", linewidths=0.9)
    ax.figure.colorbar(cs, ax=ax, label="logit" if prediction.probabilities is not None else "output")
    if prediction.probabilities is not None and z.min() < 0 < z.max():
        ax.contour(xs, ys, z, levels=[0.0], colors="black", linewidths=1.6)
    _scatter_points(ax, data, "test")
    ax.set_aspect("equal")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    set_title(ax, title or "level sets of the logit")
    return ax


def log_levels(values: np.ndarray, n: int = 50, eps: float = 1e-4) -> np.ndarray:
    """The prototype's levels: geomspace(eps, max + eps, n) - eps, dense near zero where singular points live."""
    top = float(np.nanmax(values)) if np.isfinite(values).any() else 0.0
    top = max(top, eps)
    return np.geomspace(eps, top + eps, n) - eps


def plot_singular_value_map(
    jacobians: Any,
    ax: Any = None,
    *,
    which: str = "min",
    n_levels: int = 50,
    eps: float = 1e-4,
    colorbar: bool = True,
    critical_points: Iterable[CriticalPoint] | None = None,
    legend: bool = False,
    title: str | None = None,
) -> Any:
    """Filled contours of the min or max singular value of a `JacobianGrid`, with logarithmic levels.

    Args:
        jacobians: a `JacobianGrid`.
        which: "min" or "max".
        n_levels: number of levels, `geomspace(eps, max + eps, n_levels) - eps`.
        critical_points: optional `CriticalPoint`s to mark by kind.
        legend: a legend of the critical-point kinds.
    """
    from matplotlib.colors import BoundaryNorm

    if which not in ("min", "max"):
        raise ValueError(f"`which` must be 'min' or 'max', got {which!r}")
    ax = new_axes(ax)
    sv = jacobians.min_singular_value if which == "min" else jacobians.max_singular_value
    single = jacobians.singular_values.shape[-1] == 1  # scalar output: min = max = gradient norm
    values = to_numpy(sv)
    levels = log_levels(values, n_levels, eps)
    cs = ax.contourf(
        to_numpy(jacobians.xs),
        to_numpy(jacobians.ys),
        values,
        levels=levels,
        cmap="viridis",
        norm=BoundaryNorm(levels, ncolors=256),
        extend="max",
    )
    if colorbar:
        label = "|grad f|" if single else f"{which} singular value"
        cb = ax.figure.colorbar(cs, ax=ax, label=label, format="%.2g")
        cb.set_ticks(levels[np.unique(np.linspace(0, len(levels) - 1, 6).round().astype(int))])
    if critical_points is not None:
        plot_critical_points(critical_points, ax, legend=legend, size=55)
    ax.set_aspect("equal")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    what = "output" if jacobians.layer is None else f"layer {jacobians.layer}"
    set_title(ax, title or (f"gradient norm ({what})" if single else f"{which} singular value ({what})"))
    return ax


def plot_surface(
    prediction: Any, ax: Any = None, *, data: Any = None, max_cells: int = 60, title: str | None = None
) -> Any:
    """3-D surface of the prediction (probability or output) over the grid; `ax` must be a 3-D Axes."""
    ax = new_axes(ax, projection="3d", figsize=(6, 5))
    xs, ys, z = to_numpy(prediction.xs), to_numpy(prediction.ys), to_numpy(prediction.values)
    xx, yy = np.meshgrid(xs, ys)
    classify = prediction.probabilities is not None
    ax.plot_surface(
        xx,
        yy,
        z,
        cmap=probability_cmap() if classify else "viridis",
        vmin=0 if classify else None,
        vmax=1 if classify else None,
        rcount=max_cells,
        ccount=max_cells,
        linewidth=0,
        antialiased=True,
        shade=False,
    )
    if data is not None and data.input_dim == 2 and classify:
        x, y = to_numpy(data.x_test), to_numpy(data.y_test)
        # scatter at the height of the nearest grid cell: the plot never evaluates the model
        i = np.clip(np.searchsorted(xs, x[:, 0]), 0, len(xs) - 1)
        j = np.clip(np.searchsorted(ys, x[:, 1]), 0, len(ys) - 1)
        ax.scatter(
            x[:, 0],
            x[:, 1],
            z[j, i],
            c=np.where(y > 0.5, CLASS_COLORS[1], CLASS_COLORS[0]),
            s=6,
            edgecolors="black",
            linewidths=0.2,
        )
    # A fixed z range: a nearly flat surface would otherwise get a degenerate (overflowing) projection.
    lo, hi = (0.0, 1.0) if classify else (float(np.nanmin(z)), float(np.nanmax(z)))
    pad = max(1e-3, 0.05 * (hi - lo))
    ax.set_zlim(lo - (pad if not classify else 0), hi + (pad if not classify else 0))
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_zlabel("probability" if classify else "prediction")
    set_title(ax, title or "prediction surface")
    return ax
