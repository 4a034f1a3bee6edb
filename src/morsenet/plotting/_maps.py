"""Maps over the plane: decision boundary, level sets, singular-value maps, 3-D surface, critical points."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np

from ._marks import plot_critical_points, plot_tunnel
from ._style import (
    CLASS_COLORS,
    extent,
    legend_below,
    lighten_log_axis,
    new_axes,
    probability_cmap,
    set_title,
    to_numpy,
)

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
        legend: one legend for the critical points and the tunnel highlight, under the map (outside the data).
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
    if classify:
        decision_contour(ax, prediction, values)
    _scatter_points(ax, data, points)
    if tunnel is not None:
        plot_tunnel(tunnel, ax, legend=False)
    if critical_points is not None:
        plot_critical_points(critical_points, ax, legend=False)
    if legend and (tunnel is not None or critical_points is not None):
        legend_below(ax, fontsize=6.5)
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


def decision_contour(ax: Any, prediction: Any, values: np.ndarray | None = None) -> Any:
    """The 0.5 contour of a classifier's probability map in black (gid "decision-contour"); None when the map does
    not cross 0.5. `values`: the probabilities as numpy, when already converted."""
    values = to_numpy(prediction.values) if values is None else values
    if not values.min() < 0.5 < values.max():
        return None
    cs = ax.contour(
        to_numpy(prediction.xs), to_numpy(prediction.ys), values, levels=[0.5], colors="black", linewidths=1.2
    )
    cs.set_gid("decision-contour")
    return cs


def plot_level_sets(
    prediction: Any, ax: Any = None, *, levels: int = 20, data: Any = None, title: str | None = None
) -> Any:
    """Contour lines of the logit (the function the theorems are about) on a diverging colour map centred at 0.

    Negative logits (class 0) are blue, positive (class 1) red, with symmetric levels around 0, so equal
    colours mean equal |logit|; the zero level (the decision boundary) is drawn in black (gid "zero-level").
    Regression outputs keep a sequential colour map.
    """
    from matplotlib.colors import Normalize
    from matplotlib.ticker import MaxNLocator

    ax = new_axes(ax)
    xs, ys, z = to_numpy(prediction.xs), to_numpy(prediction.ys), to_numpy(prediction.logits)
    classify = prediction.probabilities is not None
    if classify:
        top = max(float(np.nanmax(np.abs(z))) if np.isfinite(z).any() else 0.0, 1e-12)
        step = np.asarray(MaxNLocator(levels).tick_values(-top, top), dtype=float)
        lv = np.unique(np.concatenate([step[(step > -top) & (step < top)], [0.0]]))
        if len(lv) < 3:
            lv = np.linspace(-top, top, 2 * (levels // 2) + 1)
        cs = ax.contour(xs, ys, z, levels=lv, cmap="RdBu_r", norm=Normalize(-top, top), linewidths=0.9)
    else:
        cs = ax.contour(xs, ys, z, levels=levels, cmap="viridis", linewidths=0.9)
    cs.set_gid("level-sets")
    cb = ax.figure.colorbar(cs, ax=ax, label="logit" if classify else "output")
    if classify and z.min() < 0 < z.max():
        zero = ax.contour(xs, ys, z, levels=[0.0], colors="black", linewidths=1.8)
        zero.set_gid("zero-level")
        cb.ax.axhline(0.0, color="black", lw=2.0)  # the zero level marked on the colour bar too
    _scatter_points(ax, data, "test")
    ax.set_aspect("equal")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    set_title(ax, title or ("level sets of the logit (black: logit 0)" if classify else "level sets of the output"))
    return ax


def plot_probability_level_sets(
    prediction: Any, ax: Any = None, *, levels: int = 20, data: Any = None, title: str | None = None
) -> Any:
    """`levels` contour lines of the class-1 probability at equally spaced values strictly inside (0, 1) (the
    companion code's level-set figures: 20 levels), the 0.5 level (the decision boundary) in black.

    A classifier only: `prediction.probabilities` must be set (regression outputs keep `plot_level_sets`).
    """
    from matplotlib.colors import Normalize

    if prediction.probabilities is None:
        raise ValueError("probability level sets need a classifier's prediction (probabilities)")
    ax = new_axes(ax)
    xs, ys, p = to_numpy(prediction.xs), to_numpy(prediction.ys), to_numpy(prediction.probabilities)
    lv = np.linspace(0.0, 1.0, levels + 2)[1:-1]  # `levels` values strictly inside (0, 1)
    cs = ax.contour(xs, ys, p, levels=lv, cmap="coolwarm", norm=Normalize(0.0, 1.0), linewidths=0.9)
    cs.set_gid("level-sets")
    cb = ax.figure.colorbar(cs, ax=ax, label="probability of class 1")
    if p.min() < 0.5 < p.max():
        half = ax.contour(xs, ys, p, levels=[0.5], colors="black", linewidths=1.8)
        half.set_gid("zero-level")  # the decision boundary, as in plot_level_sets
        cb.ax.axhline(0.5, color="black", lw=2.0)
    _scatter_points(ax, data, "test")
    ax.set_aspect("equal")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    set_title(ax, title or f"{levels} level sets of the probability (black: 0.5)")
    return ax


def log_limits(values: np.ndarray, *, low: float = 0.02, floor: float = 1e-300) -> tuple[float, float]:
    """Colour limits of a logarithmic map fitted to the data: the `low` quantile of the positive values and
    the maximum (values at or below the lower limit share its colour; zeros are clipped to it)."""
    v = values[np.isfinite(values) & (values > floor)]
    if not v.size:
        return 1e-12, 1e-11
    lo, hi = float(np.quantile(v, low)), float(v.max())
    if not hi > lo:
        lo, hi = hi / 10, hi * 10
    return lo, hi


def plot_singular_value_map(
    jacobians: Any,
    ax: Any = None,
    *,
    which: str = "min",
    n_levels: int = 40,
    colorbar: bool = True,
    critical_points: Iterable[CriticalPoint] | None = None,
    legend: bool = False,
    title: str | None = None,
) -> Any:
    """Filled contours of the min or max singular value of a `JacobianGrid`, on a logarithmic colour scale.

    The colour limits come from the data (`log_limits`: the 2% quantile of the positive values to the
    maximum), so a map whose values span 0 to 1e-6 is as readable as one spanning 1e-2 to 10; smaller values
    (zeros included) take the lowest colour, which the colour bar's lower arrow marks.

    Args:
        jacobians: a `JacobianGrid`.
        which: "min" or "max".
        n_levels: number of logarithmically spaced levels between the limits.
        critical_points: optional `CriticalPoint`s to mark by kind.
        legend: a legend of the critical-point kinds (under the map).
    """
    from matplotlib.colors import LogNorm
    from matplotlib.ticker import LogLocator, NullFormatter

    if which not in ("min", "max"):
        raise ValueError(f"`which` must be 'min' or 'max', got {which!r}")
    ax = new_axes(ax)
    sv = jacobians.min_singular_value if which == "min" else jacobians.max_singular_value
    single = jacobians.singular_values.shape[-1] == 1  # scalar output: min = max = gradient norm
    values = to_numpy(sv)
    lo, hi = log_limits(values)
    levels = np.geomspace(lo, hi, n_levels)
    below = bool((np.nan_to_num(values, nan=0.0) < lo).any())
    shown = np.clip(np.nan_to_num(values, nan=0.0), lo / 2, hi)  # zeros and tiny values: the lower arrow
    cs = ax.contourf(
        to_numpy(jacobians.xs),
        to_numpy(jacobians.ys),
        shown,
        levels=levels,
        cmap="viridis",
        norm=LogNorm(lo, hi),
        extend="min" if below else "neither",
    )
    cs.set_gid("singular-value-map")
    if colorbar:
        label = "|grad f| (log)" if single else f"{which} singular value (log)"
        cb = ax.figure.colorbar(cs, ax=ax, label=label)
        # decades (and 2, 5 within them when the range is short), not one tick per contour level
        subs = (1.0,) if hi / lo > 1e3 else (1.0, 2.0, 5.0)
        cb.set_ticks(LogLocator(base=10.0, subs=subs, numticks=12))
        lighten_log_axis(cb.ax.yaxis)  # plain-text labels, no minor ticks over more than 2 decades
        cb.ax.yaxis.set_minor_formatter(NullFormatter())
    if critical_points is not None:
        plot_critical_points(critical_points, ax, legend=False, size=55)
        if legend:
            legend_below(ax, title="critical points", title_fontsize=7)
    ax.set_aspect("equal")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    what = "output" if jacobians.layer is None else f"layer {jacobians.layer}"
    set_title(ax, title or (f"gradient norm ({what})" if single else f"{which} singular value ({what})"))
    return ax


def plot_surface(
    prediction: Any, ax: Any = None, *, data: Any = None, max_cells: int = 60, title: str | None = None
) -> Any:
    """3-D surface of the prediction (probability or output) over the grid; `ax` must be a 3-D Axes.

    The grid is thinned to at most `max_cells` evenly spaced nodes per axis (both ends kept) and drawn as
    one facet per cell with edges in the facet's own colour and no antialiasing, so that no background shows
    through the seams between facets (the stripes of an antialiased, edgeless surface).
    """
    ax = new_axes(ax, projection="3d", figsize=(6, 5))
    xs, ys, z = to_numpy(prediction.xs), to_numpy(prediction.ys), to_numpy(prediction.values)
    classify = prediction.probabilities is not None
    ii = np.unique(np.linspace(0, len(xs) - 1, min(len(xs), max_cells + 1)).round().astype(int))
    jj = np.unique(np.linspace(0, len(ys) - 1, min(len(ys), max_cells + 1)).round().astype(int))
    xx, yy = np.meshgrid(xs[ii], ys[jj])
    zz = z[np.ix_(jj, ii)]
    from matplotlib import colormaps
    from matplotlib.colors import Normalize

    cmap = probability_cmap() if classify else colormaps["viridis"]
    norm = Normalize(0, 1) if classify else Normalize(float(np.nanmin(zz)), float(np.nanmax(zz)))
    fc = cmap(norm(zz))  # each facet takes the colour of its first corner (matplotlib's rule)
    facets = fc[:-1, :-1].reshape(-1, 4)  # row by row, as plot_surface makes the facets
    if np.isfinite(zz).all():  # the colours as one array: plot_surface converts `facecolors` one facet at a time
        surf = ax.plot_surface(xx, yy, zz, rstride=1, cstride=1, linewidth=0.3, antialiased=False, shade=False)
        surf.set_facecolor(facets)
    else:  # plot_surface drops the facets with a non-finite corner, and their colours with them
        surf = ax.plot_surface(
            xx, yy, zz, facecolors=fc, rstride=1, cstride=1, linewidth=0.3, antialiased=False, shade=False
        )
    surf.set_edgecolor(facets)  # edges in the facet's colour: no seams
    surf.set_gid("surface")
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
