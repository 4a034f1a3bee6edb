"""Figures of the weights: singular values per layer and |W| heat maps."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._style import new_axes, set_title, to_numpy


def plot_weight_spectra(
    spectra: Any,
    ax: Any = None,
    *,
    log: bool = True,
    floor: float = 1e-4,
    top: float | None = None,
    compact: bool = False,
    title: str | None = None,
) -> Any:
    """Singular values of each layer's weight matrix against the layer index (a `WeightSpectra`).

    Values below a layer's rank tolerance (the directions it collapses) are drawn as red crosses; on a log
    axis they sit at `floor`. `top` fixes the upper y limit (e.g. the same for every frame of an animation).
    `compact` labels layers by number instead of name (small panels, animation frames).
    """
    ax = new_axes(ax, figsize=(6, 3.5))
    fixed_top, top, collapsed = top, floor, False
    for i, layer in enumerate(spectra.layers):
        sv = to_numpy(layer.singular_values)
        kept = sv > layer.tol
        shown = np.maximum(sv, floor) if log else sv
        ax.scatter(np.full(kept.sum(), i), shown[kept], color="C0", alpha=0.5, s=22)
        if (~kept).any():
            ax.scatter(
                np.full((~kept).sum(), i),
                shown[~kept],
                color="C3",
                marker="x",
                s=30,
                label=None if collapsed else "below rank tolerance",
            )
            collapsed = True
        if sv.size:
            top = max(top, float(sv.max()))
    top = fixed_top if fixed_top is not None else top
    if log:
        ax.set_yscale("log")
        ax.set_ylim(floor * 0.8, top * 1.5)
    else:
        ax.set_ylim(0, top * 1.1)
    names = [layer.name for layer in spectra.layers]
    if compact:
        from matplotlib.ticker import MaxNLocator

        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("layer index")
    else:
        step = max(1, len(names) // 16)
        ax.set_xticks(range(0, len(names), step))
        ax.set_xticklabels(names[::step], rotation=60, ha="right", fontsize=7)
    ax.set_ylabel("singular value" + (" (log)" if log else ""))
    ax.grid(True, ls="--", lw=0.4)
    if collapsed:
        ax.legend(fontsize=7)
    set_title(ax, title or "weight singular values")
    return ax


def plot_weight_heatmaps(
    spectra: Any, ax: Any = None, *, vmax: float = 5.0, colorbar: bool = True, title: str | None = None
) -> Any:
    """|W| of every layer side by side on one Axes (rows: outputs, columns: inputs), colour range [0, vmax]."""
    ax = new_axes(ax, figsize=(8, 2.8))
    mats = [np.abs(to_numpy(layer.weight)) for layer in spectra.layers]
    height = max(m.shape[0] for m in mats)
    gap = 1
    width = sum(m.shape[1] for m in mats) + gap * (len(mats) - 1)
    mosaic = np.full((height, width), np.nan)
    centers, col = [], 0
    for m in mats:
        mosaic[: m.shape[0], col : col + m.shape[1]] = m
        centers.append(col + (m.shape[1] - 1) / 2)
        col += m.shape[1] + gap
    import matplotlib

    cmap = matplotlib.colormaps["viridis"].with_extremes(bad="white")
    # Very wide mosaics (deep, narrow nets) get stretched cells rather than a sliver of an image.
    aspect = "equal" if width <= 6 * height else "auto"
    im = ax.imshow(mosaic, cmap=cmap, vmin=0, vmax=vmax, aspect=aspect, interpolation="nearest")
    names = [layer.name for layer in spectra.layers]
    step = max(1, len(names) // 16)
    ax.set_xticks(centers[::step])
    ax.set_xticklabels(names[::step], rotation=60, ha="right", fontsize=7)
    ax.set_yticks([])
    ax.set_ylabel("out")
    if colorbar:
        ax.figure.colorbar(im, ax=ax, fraction=0.046, pad=0.04, label="|W|")
    set_title(ax, title or "|W| per layer")
    return ax
