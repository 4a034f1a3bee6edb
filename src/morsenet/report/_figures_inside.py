"""Draw the report's "Inside the network" figures of one 2-D model: prefix, tail and single-layer Jacobian
singular-value maps, block-Jacobian eigenvalue-modulus and determinant-sign maps, and finite-time Lyapunov maps
with the decision contour and the critical points (the maps are computed in `report/_inside.py`)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from ..plotting._figures import grid_spacing, hide_repeated_labels
from ..plotting._layers import plot_layer_map, plot_lyapunov_map
from ._analyze import ModelAnalysis
from ._inside import InsideMaps
from ._writer import FigureWriter, new_figure

__all__ = ["inside_figures", "lyapunov_formula"]

Draw = Callable[[Any], Any]
PANEL = (4.2, 3.3)  # inches per panel
LOG_SCALE = (
    "Logarithmic colour scales (viridis), each panel's own, from the 2% quantile of its positive values to its "
    "maximum (smaller values, zeros included, take the lowest colour, marked by the colour bar's lower arrow)"
)


def _lighten(fig: Any) -> None:
    """Fewer ticks and plain tick labels (tick layout and mathtext are most of a panel's drawing time): 3 ticks
    per map axis; a log colour bar keeps its decades when it spans more than one and a half, else gets 4 evenly
    spaced ticks, labelled with as many significant digits as tell them apart (at least 3)."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator, NullLocator

    for ax in fig.axes:
        bar = getattr(ax, "_colorbar", None)
        if bar is None:
            ax.xaxis.set_major_locator(MaxNLocator(3))
            ax.yaxis.set_major_locator(MaxNLocator(3))
            continue
        norm = bar.norm
        if type(norm).__name__ != "LogNorm" or not norm.vmin or norm.vmin <= 0:
            continue
        wide = math.log10(norm.vmax / norm.vmin) > 1.5
        axis = bar.ax.yaxis
        if not wide:
            axis.set_major_locator(MaxNLocator(4))
        axis.set_minor_locator(NullLocator())
        rel = (norm.vmax - norm.vmin) / norm.vmax  # enough digits to tell the ticks of a narrow bar apart
        digits = 3 if wide else max(3, math.ceil(-math.log10(rel)) + 2)
        axis.set_major_formatter(FuncFormatter(lambda v, _, d=digits: f"{v:.{d}g}"))


def _grid(
    w: FigureWriter, key: str, title: str, caption: str, draws: Sequence[Draw], ncols: int, bottom: float = 0.6
) -> None:
    """Panels in rows of `ncols`, with fixed margins (`grid_spacing`: a layout engine costs more than the maps)."""
    cols = max(1, min(ncols, len(draws)))
    rows = math.ceil(len(draws) / cols)
    fig = new_figure((PANEL[0] * cols, PANEL[1] * rows + bottom - 0.6))
    for i, draw in enumerate(draws):
        draw(fig.add_subplot(rows, cols, i + 1))
    _lighten(fig)
    hide_repeated_labels(fig)  # panels on one box: their tick labels once, left and at the bottom
    grid_spacing(fig, bottom=bottom, right=0.8, top=0.35, wspace=0.6, hspace=0.45)
    w.figure(key, title, caption, fig)


def _span(v: float) -> str:
    return f"{v:.3g}"


def _box_text(box: Any) -> str:
    return " × ".join(f"[{_span(lo)}, {_span(hi)}]" for lo, hi in box)


def _layers_text(m: InsideMaps) -> str:
    shown = ", ".join(str(k) for k in m.layers)
    rule = (
        f"all {m.n_layers} layers (the net has at most {m.cap}, the cap of this report)"
        if m.n_layers <= m.cap
        else f"layers {shown} of {m.n_layers}: at most {m.cap} layers are shown (the cap of this report), evenly "
        "spaced, the first and the last included"
    )
    names = "; ".join(
        f"layer {k} is {'the input layer' if m.names[k - 1] == 'input' else m.names[k - 1]}"
        for k in m.layers
        if m.names[k - 1] != f"layer {k}"
    )
    return rule + (f" ({names})" if names else "")


def _image_box_text(m: InsideMaps, at: str = "layer k") -> str:
    pad = f"{m.margin:g}"
    return (
        f"the image of the {m.n_points} data points at {at}: for width 2 its bounding box padded by "
        f"{pad} times its extent on each side; for width > 2 a 2-D slice through the image's mean along its two "
        f"principal directions (padded the same way), the values at each node being those of the full map in R^w"
    )


def lyapunov_formula(m: InsideMaps) -> str:
    """The exponent drawn, in words, for the model's kind."""
    if m.flow:
        T = m.lyapunov[0].horizon
        return (
            f"the finite-time Lyapunov exponent (1/T) log σ_max(Dφ_T(A x + a)) of the neural ODE's flow φ_T over "
            f"[0, T], T = {T:g}, at the lifted point of each input x (Jacobian by autograd through the solver)"
        )
    return (
        "the depth analogue (1/k) log σ_max(D(g_k ∘ … ∘ g_1)(x)) of layers 1..k (g_j the j-th layer, "
        "BatchNorm folded), i.e. the log of the largest singular value of the prefix map input -> layer k divided "
        "by its number of layers k"
    )


def _prefix(m: InsideMaps, a: ModelAnalysis, w: FigureWriter) -> None:
    draws: list[Draw] = []
    for lmap in m.prefix:
        draws += [lambda ax, lm=lmap, h=h: plot_layer_map(lm, ax, which=h) for h in ("min", "max")]  # type: ignore[misc]
    _grid(
        w,
        "inside_prefix",
        "Inside the network: prefix maps (input → layer k)",
        f"One row per layer k: the min (left) and max (right) singular values of the Jacobian of the prefix map "
        f"x -> h^(k) (layers 1..k composed, BatchNorm folded), on a {m.resolution} × {m.resolution} grid of the "
        f"analysis box {_box_text(a.box)} (the decision boundary's box). Shown: {_layers_text(m)}. {LOG_SCALE}.",
        draws,
        2,
    )


def _tail(m: InsideMaps, w: FigureWriter) -> None:
    if not m.tail:
        return
    _grid(
        w,
        "inside_tail",
        "Inside the network: tail maps (layer k → output)",
        f"The norm of the gradient of the logit with respect to the representation h^(k) (the tail map, layers "
        f"k+1..L and the read-out) for each shown layer k but the last (its tail is the affine read-out, whose "
        f"gradient is constant), on a {m.resolution} × {m.resolution} grid of a box around {_image_box_text(m)}. "
        f"Shown: {_layers_text(m)}. {LOG_SCALE}.",
        [lambda ax, lm=lmap: plot_layer_map(lm, ax) for lmap in m.tail],  # type: ignore[misc]
        3,
    )


def _single(m: InsideMaps, a: ModelAnalysis, w: FigureWriter) -> None:
    if not m.single:
        return
    draws: list[Draw] = []
    for lmap in m.single:
        draws += [lambda ax, lm=lmap, h=h: plot_layer_map(lm, ax, which=h) for h in ("min", "max")]  # type: ignore[misc]
    _grid(
        w,
        "inside_single",
        "Inside the network: single layers over their own input",
        f"One row per layer k: the min (left) and max (right) singular values of layer k's own Jacobian "
        f"dh^(k)/dh^(k-1) for each shown layer k > 1 (layer 1 over the input box is the prefix map of layer 1, "
        f"drawn above), over a box around {_image_box_text(m, 'layer k - 1')}; a {m.resolution} × {m.resolution} grid. A minimum of 0 is a direction the "
        f"layer collapses. Shown: {_layers_text(m)}. {LOG_SCALE}.",
        draws,
        2,
    )


def _blocks(m: InsideMaps, a: ModelAnalysis, w: FigureWriter) -> None:
    if not m.blocks:
        return
    draws: list[Draw] = []
    for ev, sign in zip(m.eigenvalues, m.det_sign):
        draws += [lambda ax, lm=ev: plot_layer_map(lm, ax, which="min"),  # type: ignore[misc]
                  lambda ax, lm=ev: plot_layer_map(lm, ax, which="max"),  # type: ignore[misc]
                  lambda ax, lm=sign: plot_layer_map(lm, ax)]  # type: ignore[misc]  # fmt: skip
    if m.flow:
        what = "the flow φ_T's Jacobian (its determinant is positive for an exact flow: a flow cannot fold the plane)"
    else:
        what = "the residual block's Jacobian skip·I + residual·diag(act'(W h + b)) W (BatchNorm folded)"
    shown = ", ".join(str(k) for k in m.blocks)
    n_sq = (
        f"all {m.n_blocks}"
        if len(m.blocks) == m.n_blocks
        else f"{len(m.blocks)} of {m.n_blocks}: at most {m.cap}, evenly spaced, the first and the last included"
    )
    _grid(
        w,
        "inside_blocks",
        "Inside the network: block Jacobian eigenvalues and determinant sign",
        f"One row per layer ({shown}; {n_sq}): the smallest (left) and largest (middle) eigenvalue modulus of {what}"
        f", at the state h each input grid point reaches on entering the layer, drawn over the analysis box "
        f"{_box_text(a.box)} ({m.resolution} × {m.resolution} grid), {LOG_SCALE}; right: the sign of the "
        "Jacobian's determinant (blue positive, red negative, grey zero). An eigenvalue modulus of 0 is where the "
        "layer can make a critical point; a sign change of the determinant is a fold.",
        draws,
        3,
    )


def _lyapunov(m: InsideMaps, a: ModelAnalysis, w: FigureWriter) -> None:
    from ._figures import plane_points  # here: `_figures` calls this module

    cps = plane_points(a)
    pred = a.prediction
    draws = [
        lambda ax, lm=lmap, i=i: plot_lyapunov_map(
            lm, ax, prediction=pred, critical_points=cps or None, legend=bool(cps) and i == len(m.lyapunov) - 1
        )
        for i, lmap in enumerate(m.lyapunov)
    ]
    over = (
        ""
        if m.flow
        else f", one panel per shown layer k = {', '.join(str(k) for k in m.layers)} (as in the prefix maps)"
    )
    _grid(
        w,
        "inside_lyapunov",
        "Inside the network: Lyapunov maps",
        f"Each panel is {lyapunov_formula(m)}{over}, on a {m.resolution} × {m.resolution} grid of the analysis box "
        f"{_box_text(a.box)}. Diverging colour scale centred at 0 (red: expansion, blue: contraction), linear in "
        "the exponent, limits the 2% and 98% quantiles of each panel's values (values beyond take the end colours; "
        "-inf, a vanishing Jacobian, the lowest)"
        + ("; the 0.5 decision contour in black" if pred is not None else "")
        + ("; the logit's critical points by kind (legend under the last panel)" if cps else "")
        + ".",
        draws,
        3,
        bottom=1.7 if cps else 0.6,
    )


def inside_figures(a: ModelAnalysis, w: FigureWriter) -> None:
    """The section's figures of a 2-D model, in report order; nothing when `a.inside` is None."""
    m = a.inside
    if m is None:
        return
    _prefix(m, a, w)
    _tail(m, w)
    _single(m, a, w)
    _blocks(m, a, w)
    _lyapunov(m, a, w)
