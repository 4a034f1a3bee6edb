"""Figures of layer-resolved maps (`LayerMap`) and finite-time Lyapunov maps (`LyapunovMap`); nothing computed.

Layers are numbered from 1 in every title, as the maps number them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ._maps import log_limits
from ._marks import plot_critical_points
from ._style import lighten_log_axis, new_axes, set_title, to_numpy

if TYPE_CHECKING:
    from ..analysis import CriticalPoint

__all__ = ["plot_layer_map", "plot_layer_maps", "plot_lyapunov_map", "plot_lyapunov_maps"]

_WHAT = {
    "prefix": "input → layer {k}",
    "tail": "layer {k} → output",
    "single": "layer {k} on its input",
    "eigenvalues": "layer {k} Jacobian",
    "det-sign": "layer {k} Jacobian",
}


def _panel_title(lmap: Any, which: str) -> str:
    k, kind = lmap.layer, lmap.kind
    head = _WHAT.get(kind, kind).format(k=k)
    if lmap.name and lmap.name != f"layer {k}":
        head += f" ({'input layer' if lmap.name == 'input' else lmap.name})"
    if kind == "tail":
        return f"{head}: |grad|"
    if lmap.values.shape[-1] == 1 and kind != "det-sign":
        return f"{head}: σ"
    if kind == "det-sign":
        return f"{head}: sign of det"
    if kind == "eigenvalues":
        return f"{head}: {which} |eigenvalue|"
    return f"{head}: {which} σ"


def _axis_labels(ax: Any, lmap: Any) -> None:
    plane = lmap.plane
    if plane == "input":
        ax.set_xlabel("$x_1$")
        ax.set_ylabel("$x_2$")
        return
    j = plane.split()[-1]
    if lmap.directions is not None:
        ax.set_xlabel(f"$h^{{({j})}}$ along principal direction 1", fontsize=7)
        ax.set_ylabel(f"$h^{{({j})}}$ along principal direction 2", fontsize=7)
    else:
        ax.set_xlabel(f"$h^{{({j})}}_1$")
        ax.set_ylabel(f"$h^{{({j})}}_2$")


def plot_layer_map(
    lmap: Any, ax: Any = None, *, which: str = "min", colorbar: bool = True, title: str | None = None
) -> Any:
    """One `LayerMap` on its own plane: singular values / eigenvalue moduli on a logarithmic colour scale whose
    limits come from the data (`log_limits`: the 2% quantile of the positive values to the maximum; smaller
    values, zeros included, take the lowest colour, marked by the colour bar's lower arrow); a det-sign map in
    two colours. The mesh carries the gid "layer-map".

    Args:
        lmap: a `LayerMap`.
        which: "min" or "max" (a tail map has a single value, the gradient norm).
    """
    from matplotlib.colors import BoundaryNorm, ListedColormap, LogNorm

    if which not in ("min", "max"):
        raise ValueError(f"`which` must be 'min' or 'max', got {which!r}")
    ax = new_axes(ax)
    xs, ys = to_numpy(lmap.xs), to_numpy(lmap.ys)
    if lmap.kind == "det-sign":
        values = to_numpy(lmap.values[..., 0])
        cmap = ListedColormap(["tab:red", "0.85", "tab:blue"])
        mesh = ax.pcolormesh(xs, ys, values, cmap=cmap, norm=BoundaryNorm([-1.5, -0.5, 0.5, 1.5], 3), shading="auto")
        if colorbar:
            cb = ax.figure.colorbar(mesh, ax=ax, ticks=[-1, 0, 1])
            cb.ax.set_yticklabels(["det < 0", "0", "det > 0"])
    else:
        values = to_numpy(lmap.minimum if which == "min" else lmap.maximum)
        lo, hi = log_limits(values)
        if hi < lo * (1 + 1e-6):  # a constant map (a read-out's gradient): half a decade either side
            lo, hi = hi / 10**0.5, hi * 10**0.5
        clean = np.nan_to_num(values, nan=0.0, neginf=0.0, posinf=hi)
        below = bool((clean < lo).any())
        mesh = ax.pcolormesh(xs, ys, np.clip(clean, lo, hi), cmap="viridis", norm=LogNorm(lo, hi), shading="auto")
        if colorbar:
            label = "|grad| (log)" if lmap.kind == "tail" else ("|eigenvalue|" if lmap.kind == "eigenvalues" else "σ")
            if lmap.kind != "tail":
                label = f"{which} {label} (log)"
            cb = ax.figure.colorbar(mesh, ax=ax, label=label, extend="min" if below else "neither")
            lighten_log_axis(cb.ax.yaxis)
    mesh.set_gid("layer-map")
    _axis_labels(ax, lmap)
    ax.set_aspect("equal" if lmap.directions is None else "auto")
    set_title(ax, title or _panel_title(lmap, which), fontsize=9)
    return ax


def _panel_grid(n: int, ncols: int | None, size: tuple[float, float]) -> tuple[Any, list[Any]]:
    import matplotlib.pyplot as plt

    if n < 1:
        raise ValueError("nothing to draw: no maps given")
    cols = min(n, 3 if ncols is None else ncols)
    if cols < 1:
        raise ValueError(f"`ncols` must be >= 1, got {ncols}")
    rows = math.ceil(n / cols)
    fig = plt.figure(figsize=(size[0] * cols, size[1] * rows), layout="constrained")
    axes = [fig.add_subplot(rows, cols, i + 1) for i in range(n)]
    return fig, axes


def plot_layer_maps(
    maps: Sequence[Any], *, which: str = "min", ncols: int | None = None, title: str | None = None
) -> Any:
    """A grid of panels, one per `LayerMap` (in the order given: `layer_maps` gives layer order), each with its
    own logarithmic colour bar (the scales of different layers differ by decades); returns the Figure."""
    fig, axes = _panel_grid(len(maps), ncols, (4.0, 3.5))
    for lmap, ax in zip(maps, axes):
        plot_layer_map(lmap, ax, which=which)
    if title:
        fig.suptitle(title)
    return fig


def _lyapunov_title(lmap: Any) -> str:
    if lmap.layers is not None:
        i, k = lmap.layers
        return f"Lyapunov exponent, layers {i}–{k}"
    return f"finite-time Lyapunov exponent, T = {lmap.horizon:g}"


def plot_lyapunov_map(
    lmap: Any,
    ax: Any = None,
    *,
    prediction: Any = None,
    critical_points: Iterable[CriticalPoint] | None = None,
    colorbar: bool = True,
    legend: bool = False,
    title: str | None = None,
) -> Any:
    """A `LyapunovMap` on a diverging colour map centred at 0 (expansion red, contraction blue).

    The exponent is already a logarithm (`log(sigma_max) / horizon`), so the scale is linear in it; its limits
    come from the data's 2% and 98% quantiles (values beyond take the end colours, -inf the lowest). With a
    `PredictionGrid` of a classifier the 0.5 decision contour is drawn in black (gid "decision-contour");
    `critical_points` are marked by kind (`plot_critical_points`). The mesh carries the gid "lyapunov-map".
    """
    from matplotlib.colors import Normalize, TwoSlopeNorm

    ax = new_axes(ax)
    xs, ys, v = to_numpy(lmap.xs), to_numpy(lmap.ys), to_numpy(lmap.values)
    finite = v[np.isfinite(v)]
    lo, hi = (float(np.quantile(finite, 0.02)), float(np.quantile(finite, 0.98))) if finite.size else (-1.0, 1.0)
    if not hi > lo:
        lo, hi = lo - 1e-3 * (1 + abs(lo)), hi + 1e-3 * (1 + abs(hi))
    norm = TwoSlopeNorm(0.0, lo, hi) if lo < 0 < hi else Normalize(lo, hi)
    shown = np.clip(np.nan_to_num(v, nan=lo, neginf=lo, posinf=hi), lo, hi)
    mesh = ax.pcolormesh(xs, ys, shown, cmap="RdBu_r", norm=norm, shading="auto")
    mesh.set_gid("lyapunov-map")
    if colorbar:
        ax.figure.colorbar(mesh, ax=ax, label="log σ_max / " + ("layers" if lmap.layers is not None else "T"))
    if prediction is not None and prediction.probabilities is not None:
        p = to_numpy(prediction.probabilities)
        if p.min() < 0.5 < p.max():
            cs = ax.contour(to_numpy(prediction.xs), to_numpy(prediction.ys), p, levels=[0.5], colors="black",
                            linewidths=1.2)  # fmt: skip
            cs.set_gid("decision-contour")
    if critical_points is not None:
        plot_critical_points(critical_points, ax, legend=legend, size=55)
    ax.set_xlim(xs[0], xs[-1])
    ax.set_ylim(ys[0], ys[-1])
    ax.set_aspect("equal")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    set_title(ax, title or _lyapunov_title(lmap), fontsize=9)
    return ax


def plot_lyapunov_maps(
    maps: Sequence[Any],
    *,
    prediction: Any = None,
    critical_points: Iterable[CriticalPoint] | None = None,
    ncols: int | None = None,
    title: str | None = None,
) -> Any:
    """A grid of `plot_lyapunov_map` panels (e.g. layers 1..k for chosen k, or several models); returns the Figure."""
    points = None if critical_points is None else list(critical_points)
    fig, axes = _panel_grid(len(maps), ncols, (4.0, 3.6))
    for lmap, ax in zip(maps, axes):
        plot_lyapunov_map(lmap, ax, prediction=prediction, critical_points=points)
    if title:
        fig.suptitle(title)
    return fig
