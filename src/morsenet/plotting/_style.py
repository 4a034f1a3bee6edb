"""Colours, colour maps and small helpers shared by every figure (matplotlib is imported only in plotting)."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

# The prototype's colours: class 0 = C0 (blue), class 1 = C1 (orange), white at probability 0.5.
CLASS_COLORS = ("C0", "C1")
# One marker per kind of critical point; "continuum" is a line (or surface) of degenerate critical points,
# drawn as this marker at its representative point plus a line along its extent.
KIND_MARKERS = {
    "minimum": ("v", "tab:green"),
    "maximum": ("^", "tab:red"),
    "saddle": ("X", "black"),
    "degenerate": ("s", "tab:purple"),
    "continuum": ("D", "darkviolet"),
}
KIND_LABELS = {
    "minimum": "minimum",
    "maximum": "maximum",
    "saddle": "saddle",
    "degenerate": "degenerate (isolated)",
    "continuum": "degenerate continuum",
}
# The tunnel highlight: the class-0 component around the disk when it escapes (magenta) or is enclosed (lime),
# and the ring's circles.
TUNNEL_COLOR, BOUNDED_COLOR, RING_COLOR = "magenta", "lime", "0.2"
UNDECIDED_COLOR = "0.45"  # a tunnel test whose certificates both failed: neither verdict is drawn


def probability_cmap(n: int = 41) -> Any:
    """C0 -> white -> C1 colour map: blue at probability 0, white at 0.5, orange at 1 (as in the prototype).

    An odd `n` puts exactly white in the middle bin.
    """
    from matplotlib.colors import LinearSegmentedColormap, to_rgb

    return LinearSegmentedColormap.from_list("morsenet_probability", [to_rgb("C0"), (1, 1, 1), to_rgb("C1")], N=n)


def new_axes(ax: Any = None, *, projection: str | None = None, figsize: tuple[float, float] = (5.0, 4.5)) -> Any:
    """Return `ax`, or a new Axes on a new pyplot figure (so it displays inline in a notebook), laid out by
    matplotlib's constrained layout so that a legend under the Axes is inside the figure."""
    if ax is not None:
        if projection == "3d" and getattr(ax, "name", "") != "3d":
            raise ValueError("this figure needs a 3-D Axes: fig.add_subplot(projection='3d')")
        return ax
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=figsize, layout="constrained")  # room for colour bars and legends under the axes
    return fig.add_subplot(projection=projection)


def to_numpy(t: Any) -> np.ndarray:
    if isinstance(t, torch.Tensor):
        return t.detach().cpu().double().numpy()
    return np.asarray(t, dtype=float)


def extent(xs: Any, ys: Any) -> tuple[float, float, float, float]:
    return float(xs[0]), float(xs[-1]), float(ys[0]), float(ys[-1])


def set_title(ax: Any, text: str, **kwargs: Any) -> None:
    """`ax.set_title` at a fixed height: matplotlib then skips measuring every tick label to place it (slow)."""
    ax.set_title(text, y=1.0, **kwargs)


def legend_below(ax: Any, handles: Any = None, labels: Any = None, *, fontsize: float = 7.0, **kwargs: Any) -> Any:
    """A legend under the Axes, outside the data (never over the ring or the test points); returns it.

    Entries go in up to three columns. The figure needs a bottom margin for it (the report's figures have one).
    """
    if handles is None:
        handles, labels = ax.get_legend_handles_labels()
    if not handles:
        return None
    ncol = min(3, len(handles)) if max(len(str(s)) for s in labels) < 28 else min(2, len(handles))
    return ax.legend(
        handles,
        labels,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.13),
        ncol=ncol,
        fontsize=fontsize,
        frameon=False,
        borderaxespad=0.0,
        **kwargs,
    )


def enlarge_text(fig: Any, minimum: float) -> None:
    """Raise every text of `fig` smaller than `minimum` points to it (a wide figure shown scaled down in HTML)."""
    from matplotlib.text import Text

    for ax in fig.axes:  # tick labels are made at draw time: set them through the axes
        for axis in [ax.xaxis, ax.yaxis] + ([ax.zaxis] if hasattr(ax, "zaxis") else []):
            if axis.get_ticklabels() and axis.get_ticklabels()[0].get_fontsize() < minimum:
                axis.set_tick_params(labelsize=minimum)
    for text in fig.findobj(Text):
        if text.get_text() and text.get_fontsize() < minimum:
            text.set_fontsize(minimum)
