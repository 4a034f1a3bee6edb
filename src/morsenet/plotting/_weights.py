"""Figures of the weights: singular values per layer, eigenvalue moduli of square weight matrices, and |W| or
signed W heat maps."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ._style import lighten_log_axis, new_axes, set_title, to_numpy

__all__ = ["plot_weight_eigenvalues", "plot_weight_heatmaps", "plot_weight_spectra", "weight_eigenvalues"]


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
    `compact` labels layers by number instead of name (small panels, animation frames); layers are numbered
    1..L in order of application, as their names ("layer 1", "block 1", ...) are.
    """
    ax = new_axes(ax, figsize=(6, 3.5))
    _, collapsed, peak = spectra_points(ax, spectra, log=log, floor=floor)
    top = top if top is not None else max(floor, peak)
    if log:
        ax.set_yscale("log")
        ax.set_ylim(floor * 0.8, top * 1.5)
    else:
        ax.set_ylim(0, top * 1.1)
    names = [layer.name for layer in spectra.layers]
    if compact:
        from matplotlib.ticker import MaxNLocator

        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlim(0.4, len(names) + 0.6)
        ax.set_xlabel("layer")
    else:
        step = max(1, len(names) // 16)
        ax.set_xticks(range(1, len(names) + 1, step))
        ax.set_xticklabels(names[::step], rotation=60, ha="right", fontsize=7)
    ax.set_ylabel("singular value" + (" (log)" if log else ""))
    ax.grid(True, ls="--", lw=0.4)
    if log:
        lighten_log_axis(ax.yaxis)
    if collapsed:
        ax.legend(fontsize=7)
    set_title(ax, title or "weight singular values")
    return ax


def spectra_points(ax: Any, spectra: Any, *, log: bool = True, floor: float = 1e-4) -> tuple[list[Any], bool, float]:
    """The singular values of every layer as two scatters: those above the layer's rank tolerance (blue dots)
    and those below it (red crosses, label "below rank tolerance"; only when there are any), at x = the layer
    number (1..L); on a log axis values are raised to `floor`. Returns (the scatters, whether any value fell
    below its tolerance, the largest singular value or 0)."""
    xs_kept, ys_kept, xs_low, ys_low, peak = [], [], [], [], 0.0
    for i, layer in enumerate(spectra.layers):
        sv = to_numpy(layer.singular_values)
        kept = sv > layer.tol
        shown = np.maximum(sv, floor) if log else sv
        xs_kept.append(np.full(kept.sum(), i + 1.0))
        ys_kept.append(shown[kept])
        xs_low.append(np.full((~kept).sum(), i + 1.0))
        ys_low.append(shown[~kept])
        if sv.size:
            peak = max(peak, float(sv.max()))
    cat = lambda parts: np.concatenate(parts) if parts else np.zeros(0)  # noqa: E731
    out = [ax.scatter(cat(xs_kept), cat(ys_kept), color="C0", alpha=0.5, s=22)]
    low_x, low_y = cat(xs_low), cat(ys_low)
    if low_x.size:
        out.append(ax.scatter(low_x, low_y, color="C3", marker="x", s=30, label="below rank tolerance"))
    return out, bool(low_x.size), peak


def plot_weight_heatmaps(
    spectra: Any,
    ax: Any = None,
    *,
    vmax: float | None = None,
    signed: bool = False,
    colorbar: bool = True,
    title: str | None = None,
) -> Any:
    """The weights of every layer side by side on one Axes: rows are a layer's outputs, columns its inputs.

    By default |W| on [0, max |W|] (the limits come from the data); `vmax` fixes the upper limit instead, and
    entries above it are drawn in the colour map's "over" colour (red), marked by the colour bar's arrow.
    `signed=True` draws W itself on a diverging map centred at 0 (limits +-max |W|, or +-vmax).
    """
    ax = new_axes(ax, figsize=(8, 2.8))
    mats = [to_numpy(layer.weight) for layer in spectra.layers]
    mats = [m if signed else np.abs(m) for m in mats]
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

    peak = max(float(np.nanmax(np.abs(mosaic))) if np.isfinite(mosaic).any() else 0.0, 1e-12)
    top = peak if vmax is None else float(vmax)
    clipped = peak > top
    if signed:
        cmap = matplotlib.colormaps["RdBu_r"].with_extremes(bad="white", over="black", under="black")
        lo = -top
    else:
        cmap = matplotlib.colormaps["viridis"].with_extremes(bad="white", over="red")
        lo = 0.0
    # Very wide mosaics (deep, narrow nets) get stretched cells rather than a sliver of an image.
    aspect = "equal" if width <= 6 * height else "auto"
    im = ax.imshow(mosaic, cmap=cmap, vmin=lo, vmax=top, aspect=aspect, interpolation="nearest")
    im.set_gid("weights")
    names = [layer.name for layer in spectra.layers]
    step = max(1, len(names) // 16)
    ax.set_xticks(centers[::step])
    ax.set_xticklabels(names[::step], rotation=60, ha="right", fontsize=7)
    ax.set_yticks(range(height))
    ax.set_yticklabels([str(k + 1) for k in range(height)], fontsize=6)
    ax.set_ylabel("output unit (row)")
    ax.set_xlabel("each layer's input units (columns), layers 1..L left to right", fontsize=8)
    if colorbar:
        extend = ("both" if signed else "max") if clipped else "neither"
        label = ("W" if signed else "|W|") + (f" (clipped at {top:.3g}; max {peak:.3g})" if clipped else "")
        ax.figure.colorbar(im, ax=ax, fraction=0.046, pad=0.04, label=label, extend=extend)
    set_title(ax, title or ("W per layer (signed, centred at 0)" if signed else "|W| per layer"))
    return ax


def weight_eigenvalues(spectra: Any) -> list[tuple[int, str, np.ndarray]]:
    """(layer number from 1, name, complex eigenvalues) of every square weight matrix of a `WeightSpectra`
    (BatchNorm folded, as the spectra hold them), in order of application; non-square layers are left out."""
    out = []
    for i, layer in enumerate(spectra.layers):
        w = layer.weight.detach().to(torch.float64)
        if w.ndim == 2 and w.shape[0] == w.shape[1]:
            out.append((i + 1, layer.name, torch.linalg.eigvals(w).numpy()))
    return out


def plot_weight_eigenvalues(
    spectra: Any,
    ax: Any = None,
    *,
    plane: bool = False,
    compact: bool = False,
    title: str | None = None,
) -> Any:
    """Eigenvalues of every square weight matrix (a `WeightSpectra`, BatchNorm folded), with the unit circle.

    `plane=False`: the moduli |lambda| against the layer index (1..L, in order of application, as in
    `plot_weight_spectra`), the unit circle's radius |lambda| = 1 dashed; `plane=True`: the eigenvalues in the
    complex plane coloured by layer (viridis, first to last) with the unit circle dashed. A block
    `skip * h + residual * act(W h + b)` with skip 1 and small residual is an Euler step of a neural ODE: its
    Jacobian `I + residual * diag(act') W` is near the identity, so its eigenvalues sit near 1 whatever W's are. Each layer's points
    are one scatter with the gid "eigenvalues <layer number>"; layers with no square weight are skipped (a note
    says when none is square).
    """
    import matplotlib

    ax = new_axes(ax, figsize=(6, 3.5) if not plane else (4.6, 4.2))
    eigs = weight_eigenvalues(spectra)
    n = len(spectra.layers)
    cmap = matplotlib.colormaps["viridis"]
    names = [layer.name for layer in spectra.layers]
    top = 1.0
    for k, _name, lam in eigs:
        colour = cmap((k - 1) / max(1, n - 1))
        if plane:
            pts = ax.scatter(lam.real, lam.imag, color=colour, s=18, alpha=0.8)
        else:
            pts = ax.scatter(np.full(lam.size, k), np.abs(lam), color="C0", s=22, alpha=0.6)
        pts.set_gid(f"eigenvalues {k}")
        if lam.size:
            top = max(top, float(np.abs(lam).max()))
    if not eigs:
        ax.text(0.5, 0.5, "no square weight matrix", ha="center", va="center", transform=ax.transAxes)
    if plane:
        t = np.linspace(0, 2 * np.pi, 361)
        ax.plot(np.cos(t), np.sin(t), "k--", lw=0.8, label="unit circle", gid="unit-circle")
        lim = 1.1 * top
        ax.set_xlim(-lim, lim)
        ax.set_ylim(-lim, lim)
        ax.set_aspect("equal")
        ax.set_xlabel("Re λ")
        ax.set_ylabel("Im λ")
        if eigs:
            sm = matplotlib.cm.ScalarMappable(cmap=cmap, norm=matplotlib.colors.Normalize(1, max(n, 2)))
            ax.figure.colorbar(sm, ax=ax, label="layer", fraction=0.046, pad=0.04)
    else:
        ax.axhline(1.0, color="k", ls="--", lw=0.8, label="|λ| = 1 (unit circle)", gid="unit-circle")
        ax.set_ylim(0, 1.1 * top)
        ax.set_ylabel("|eigenvalue| of W")
        if compact:
            from matplotlib.ticker import MaxNLocator

            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.set_xlabel("layer")
        else:
            step = max(1, n // 16)
            ax.set_xticks(range(1, n + 1, step))
            ax.set_xticklabels(names[::step], rotation=60, ha="right", fontsize=7)
        ax.set_xlim(0.4, n + 0.6)
    ax.grid(True, ls="--", lw=0.4)
    ax.legend(fontsize=7, loc="upper right")
    set_title(ax, title or ("weight eigenvalues (complex plane)" if plane else "weight eigenvalue moduli"))
    return ax
