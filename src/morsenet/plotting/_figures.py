"""Multi-panel figures (models side by side, training snapshots), saving, and animated GIFs."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ._curve import plot_curve, plot_derivative
from ._maps import plot_decision_boundary, plot_level_sets, plot_singular_value_map, plot_surface
from ._style import enlarge_text, set_title, trim_ticks
from ._training import plot_accuracy, plot_dataset, plot_loss
from ._weights import plot_weight_heatmaps, plot_weight_spectra

# Panel name -> drawing function(result, ax, **kwargs). A comparison row maps panel names to results.
PANELS: dict[str, Callable[..., Any]] = {
    "dataset": plot_dataset,
    "loss": plot_loss,
    "accuracy": plot_accuracy,
    "decision_boundary": plot_decision_boundary,
    "level_sets": plot_level_sets,
    "min_singular_value": lambda r, ax, **kw: plot_singular_value_map(r, ax, which="min", **kw),
    "max_singular_value": lambda r, ax, **kw: plot_singular_value_map(r, ax, which="max", **kw),
    "weight_spectra": plot_weight_spectra,
    "weight_heatmaps": plot_weight_heatmaps,
    "curve": plot_curve,
    "derivative": plot_derivative,
    "surface": plot_surface,
}


def grid_spacing(
    fig: Any,
    *,
    left: float = 0.75,
    right: float = 0.25,
    top: float = 0.45,
    bottom: float = 0.75,
    wspace: float = 0.55,
    hspace: float = 0.6,
) -> None:
    """Fixed margins in inches (fast, unlike `tight_layout`, which measures every tick label of every panel)."""
    w, h = fig.get_size_inches()
    fig.subplots_adjust(
        left=left / w, right=1 - right / w, top=1 - top / h, bottom=bottom / h, wspace=wspace, hspace=hspace
    )


def _same_axis(a: Any, b: Any, name: str) -> bool:
    """Whether two panels' `name` ("x" or "y") axes read the same: limits, scale, ticks and label."""
    axis_a, axis_b = getattr(a, f"{name}axis"), getattr(b, f"{name}axis")
    lim_a, lim_b = getattr(a, f"get_{name}lim")(), getattr(b, f"get_{name}lim")()
    ticks_a, ticks_b = np.asarray(axis_a.get_majorticklocs()), np.asarray(axis_b.get_majorticklocs())
    return (
        axis_a.get_scale() == axis_b.get_scale()
        and np.allclose(lim_a, lim_b, rtol=1e-9, atol=0.0)
        and ticks_a.shape == ticks_b.shape
        and np.allclose(ticks_a, ticks_b, rtol=1e-9, atol=1e-12)
        and axis_a.get_label_text() == axis_b.get_label_text()
        and type(axis_a.get_major_formatter()) is type(axis_b.get_major_formatter())
    )


def hide_repeated_labels(fig: Any, *, x: bool = True, y: bool = True) -> None:
    """In a grid of panels, hide the tick labels and the axis label that repeat a neighbour's: a panel's y ones
    when the nearest panel to its left in the same row has the same y axis (limits, scale, ticks, label), its x
    ones when the nearest panel below in the same column has the same x axis. The tick marks stay; what is
    read off a hidden axis is read off the neighbour's. Colour bars and 3-D axes are left as they are."""
    cells: dict[tuple[int, int], Any] = {}
    for ax in fig.axes:
        spec = ax.get_subplotspec() if hasattr(ax, "get_subplotspec") else None
        if spec is None or getattr(ax, "_colorbar", None) is not None or getattr(ax, "name", "") != "rectilinear":
            continue
        top = spec.get_topmost_subplotspec()
        cells.setdefault((top.rowspan.start, top.colspan.start), ax)
    for (r, c), ax in cells.items():
        if y:
            left = [cc for rr, cc in cells if rr == r and cc < c]
            if left and _same_axis(ax, cells[(r, max(left))], "y"):
                ax.tick_params(axis="y", which="both", labelleft=False)
                ax.yaxis.label.set_visible(False)
        if x:
            below = [rr for rr, cc in cells if cc == c and rr > r]
            if below and _same_axis(ax, cells[(min(below), c)], "x"):
                ax.tick_params(axis="x", which="both", labelbottom=False)
                ax.xaxis.label.set_visible(False)


def new_figure(figsize: tuple[float, float], *, pyplot: bool = True) -> Any:
    """A figure from pyplot (shows inline in notebooks) or a bare `Figure` (no global state, for files)."""
    if pyplot:
        import matplotlib.pyplot as plt

        return plt.figure(figsize=figsize)
    from matplotlib.figure import Figure

    return Figure(figsize=figsize)


def plot_comparison(
    rows: Mapping[str, Mapping[str, Any]],
    columns: Sequence[str],
    *,
    panel_size: tuple[float, float] = (4.2, 3.6),
    pyplot: bool = True,
    min_fontsize: float | None = None,
) -> Any:
    """One row per model, one column per panel, e.g. decision boundary | min SV | max SV | weight spectra.

    Args:
        rows: model name -> {panel name: result, or (result, kwargs)}; a missing panel is left blank with a note.
        columns: panel names from `PANELS`.
        pyplot: False builds a bare `Figure` (for files); True uses pyplot (displays inline).
        min_fontsize: raise every text below this size to it (default: sized so that text stays at least 9 px
            high when the figure is shown 1200 px wide, as in report.html).

    Returns:
        The matplotlib `Figure`.
    """
    unknown = [c for c in columns if c not in PANELS]
    if unknown:
        raise ValueError(f"unknown panel {unknown[0]!r}; choose from {', '.join(PANELS)}")
    n_rows, n_cols = max(1, len(rows)), len(columns)
    fig = new_figure((panel_size[0] * n_cols, panel_size[1] * n_rows), pyplot=pyplot)
    for r, (name, panels) in enumerate(rows.items()):
        for c, column in enumerate(columns):
            projection = "3d" if column == "surface" else None
            ax = fig.add_subplot(n_rows, n_cols, r * n_cols + c + 1, projection=projection)
            entry = panels.get(column)
            if entry is None:
                ax.text(0.5, 0.5, "not available", ha="center", va="center", transform=ax.transAxes, color="0.4")
                ax.set_axis_off()
                set_title(ax, f"{name}: {column.replace('_', ' ')}", fontsize=9)
                continue
            result, kwargs = entry if isinstance(entry, tuple) else (entry, {})
            PANELS[column](result, ax, **kwargs)
            set_title(ax, f"{name}: {ax.get_title()}", fontsize=9)
    hide_repeated_labels(fig, x=False)  # a row's maps share their box: its y labels once, on the left
    width = panel_size[0] * n_cols
    floor = min_fontsize if min_fontsize is not None else readable_fontsize(width)
    enlarge_text(fig, floor)
    grid_spacing(fig, wspace=0.35 + 0.04 * floor, hspace=0.35 + 0.05 * floor, left=0.5 + 0.05 * floor)
    return fig


HTML_WIDTH_PX = 1200  # report.html's page width: wide figures are shown scaled down to it


def readable_fontsize(width_in: float, *, px: float = 9.0, page_px: float = HTML_WIDTH_PX) -> float:
    """The font size (points) whose text is `px` pixels high in a figure `width_in` inches wide shown
    `page_px` pixels wide (at least the usual 7 points)."""
    return max(7.0, px * 72.0 * width_in / page_px)


def _draw_snapshot(
    snapshot: Any, ax_pred: Any, ax_sv: Any, *, data: Any, sv_top: float | None, colorbar: bool = False
) -> None:
    pred = snapshot.prediction
    if pred is None:
        ax_pred.text(0.5, 0.5, "no 2-D map", ha="center", va="center", transform=ax_pred.transAxes)
        ax_pred.set_axis_off()
    elif hasattr(pred, "derivative"):
        plot_curve(pred, ax_pred, data=data, title=f"epoch {snapshot.epoch}")
    else:
        plot_decision_boundary(pred, ax_pred, data=data, colorbar=colorbar, title=f"epoch {snapshot.epoch}")
    plot_weight_spectra(snapshot.spectra, ax_sv, top=sv_top, compact=True, title=f"weight SVs, epoch {snapshot.epoch}")


def _sv_top(snapshots: Sequence[Any]) -> float:
    return 1.5 * max(
        [
            float(layer.singular_values.max())
            for s in snapshots
            for layer in s.spectra.layers
            if layer.singular_values.numel()
        ]
        + [1e-3]
    )


def plot_snapshots(snapshots: Sequence[Any], *, data: Any = None, columns: int = 5, pyplot: bool = True) -> Any:
    """Grid of training snapshots: for each saved epoch the decision boundary above the weight spectra.

    Args:
        snapshots: `TrainingSnapshot`s (epoch, prediction, spectra).
        data: `Dataset` whose test points are drawn on each boundary.
        columns: snapshots per row pair.

    Returns:
        The matplotlib `Figure`.
    """
    n = max(1, len(snapshots))
    cols = min(columns, n)
    pairs = math.ceil(n / cols)
    fig = new_figure((3.2 * cols, 5.6 * pairs), pyplot=pyplot)
    top = _sv_top(snapshots) if snapshots else None
    for k, snap in enumerate(snapshots):
        r, c = divmod(k, cols)
        ax_pred = fig.add_subplot(2 * pairs, cols, 2 * r * cols + c + 1)
        ax_sv = fig.add_subplot(2 * pairs, cols, (2 * r + 1) * cols + c + 1)
        _draw_snapshot(snap, ax_pred, ax_sv, data=data, sv_top=top)
        for ax in (ax_pred, ax_sv):
            ax.title.set_fontsize(9)
    hide_repeated_labels(fig)  # the epochs' maps share one box and their spectra one scale
    grid_spacing(fig, hspace=0.75, wspace=0.45)
    return fig


# zlib level 3 instead of Pillow's 6: the same pixels, written in 70% of the time, files about 8% larger
PNG_OPTIONS = {"compress_level": 3}


def save_figure(
    fig: Any, stem: str | Path, *, formats: Sequence[str] = ("png",), dpi: int = 150, tight: bool = False
) -> list[Path]:
    """Save `fig` as `stem.<format>` for each format (png, svg, pdf); returns the written paths.

    PNGs are true colour (RGBA, no palette: the colours are the figure's own). `tight=True` crops to the
    drawn content (one extra draw); lay the figure out with `tight_layout` instead when speed matters. The
    figure's tick locators are first wrapped by `trim_ticks` (the same ticks drawn, fewer tick objects made).
    """
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    trim_ticks(fig)  # the same ticks, fewer tick objects
    paths = []
    for fmt in formats:
        path = stem.with_name(f"{stem.name}.{fmt}")
        fig.savefig(
            path,
            dpi=dpi,
            bbox_inches="tight" if tight else None,
            format=fmt,
            metadata={"Software": None} if fmt == "png" else None,
            **({"pil_kwargs": dict(PNG_OPTIONS)} if fmt == "png" else {}),
        )
        paths.append(path)
    return paths


def png_bytes(fig: Any, *, dpi: int = 150, tight: bool = False) -> bytes:
    """`fig` as true-colour PNG bytes (what a self-contained report embeds)."""
    import io

    buf = io.BytesIO()
    trim_ticks(fig)
    fig.savefig(
        buf,
        dpi=dpi,
        bbox_inches="tight" if tight else None,
        format="png",
        metadata={"Software": None},
        pil_kwargs=dict(PNG_OPTIONS),
    )
    return buf.getvalue()
