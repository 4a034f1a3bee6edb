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


def probability_cmap(n: int = 41) -> Any:
    """C0 -> white -> C1 colour map: blue at probability 0, white at 0.5, orange at 1 (as in the prototype).

    An odd `n` puts exactly white in the middle bin.
    """
    from matplotlib.colors import LinearSegmentedColormap, to_rgb

    return LinearSegmentedColormap.from_list("morsenet_probability", [to_rgb("C0"), (1, 1, 1), to_rgb("C1")], N=n)


def new_axes(ax: Any = None, *, projection: str | None = None, figsize: tuple[float, float] = (5.0, 4.5)) -> Any:
    """Return `ax`, or a new Axes on a new pyplot figure (so it displays inline in a notebook)."""
    if ax is not None:
        if projection == "3d" and getattr(ax, "name", "") != "3d":
            raise ValueError("this figure needs a 3-D Axes: fig.add_subplot(projection='3d')")
        return ax
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=figsize)
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
