"""Colours, colour maps and small helpers shared by every figure (matplotlib is imported only in plotting)."""

from __future__ import annotations

import functools
import math
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
    from matplotlib.axis import Axis
    from matplotlib.text import Text

    stack: list[Any] = [fig]
    while stack:  # every artist but the ticks (listing an axis's ticks makes all of them: they are set below)
        artist = stack.pop()
        if isinstance(artist, Axis):
            # tick labels are made at draw time, as copies of the axis's first tick: set them there
            if float(artist.majorTicks[0].label1.get_fontsize()) < minimum:
                artist.set_tick_params(which="major", labelsize=minimum)
            if float(artist.minorTicks[0].label1.get_fontsize()) < minimum:
                artist.set_tick_params(which="minor", labelsize=minimum)
            stack += [artist.label, artist.offsetText]
            continue
        if isinstance(artist, Text) and artist.get_text() and float(artist.get_fontsize()) < minimum:
            artist.set_fontsize(minimum)
        stack += artist.get_children()


# ----- cheap ticks: tick objects, tick-label layout and mathtext are most of a small panel's drawing time -----

_SUPERSCRIPT = str.maketrans("0123456789-+.", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺·")


def plain_log_text(label: str) -> str:
    """A log axis's mathtext tick label as the same text without mathtext: "$\\mathdefault{10^{-2}}$" -> "10⁻²",
    "$\\mathdefault{2\\times10^{-3}}$" -> "2×10⁻³", "$\\mathdefault{1}$" -> "1" (labels without "$" pass as
    they are). Plain text is laid out without the mathtext parser, whose cache holds only a few dozen labels."""
    import re

    if not (label.startswith("$") and label.endswith("$")):
        return label
    body = label[1:-1]
    if body.startswith("\\mathdefault{") and body.endswith("}"):
        body = body[len("\\mathdefault{") : -1]
    body = body.replace("\\times", "×")
    body = re.sub(r"\^\{([^{}]*)\}", lambda m: m.group(1).translate(_SUPERSCRIPT), body)
    return body.replace("-", "−") if body.startswith("-") else body


@functools.cache
def _plain_log_classes() -> tuple[type, type]:
    from matplotlib.ticker import LogFormatterSciNotation, LogLocator

    class PlainLogFormatter(LogFormatterSciNotation):
        """`LogFormatterSciNotation` (same ticks labelled, same numbers) written as plain text."""

        def __call__(self, x: float, pos: int | None = None) -> str:
            return plain_log_text(super().__call__(x, pos))

    class SparseLogLocator(LogLocator):
        """Minor ticks of a log axis (`LogLocator(subs="auto")`), none when the view spans more than
        `max_decades` decades (they are unlabelled there, and each tick is a few artists to make and lay out)."""

        def __init__(self, max_decades: float) -> None:
            super().__init__(subs="auto")
            self.max_decades = max_decades

        def __call__(self) -> Any:
            axis: Any = self.axis
            lo, hi = axis.get_view_interval()
            lo, hi = min(lo, hi), max(lo, hi)
            if lo > 0 and np.isfinite(hi) and math.log10(hi / lo) > self.max_decades:
                return []
            return super().__call__()

    return PlainLogFormatter, SparseLogLocator


def plain_log_formatter(*, label_only_base: bool = False) -> Any:
    """A log axis's default tick formatter (`LogFormatterSciNotation`) writing plain text instead of mathtext."""
    return _plain_log_classes()[0](labelOnlyBase=label_only_base)


def lighten_log_axis(axis: Any, *, minor_decades: float | None = 2.0) -> None:
    """Cheaper ticks on a log-scaled matplotlib Axis: the same labels as plain text (`plain_log_formatter`), and
    its minor ticks only while the view spans at most `minor_decades` decades (None: keep them always)."""
    formatter, locator = _plain_log_classes()
    axis.set_major_formatter(formatter(labelOnlyBase=False))
    axis.set_minor_formatter(formatter(labelOnlyBase=False))
    if minor_decades is not None:
        axis.set_minor_locator(locator(minor_decades))


@functools.cache
def _in_view_class() -> type:
    from matplotlib.ticker import Locator

    class InViewLocator(Locator):
        """Another locator's ticks, less those outside the axis's view interval. Matplotlib makes and updates a
        tick for every location a locator returns but draws only those in view, so dropping the others draws
        the same ticks with fewer objects. Autoscaling (`nonsingular`, `view_limits`) and `tick_values` are the
        wrapped locator's."""

        def __init__(self, base: Any) -> None:
            self.base = base

        def set_axis(self, axis: Any) -> None:
            super().set_axis(axis)
            self.base.set_axis(axis)

        def __call__(self) -> Any:
            locs = np.asarray(self.base(), dtype=float)
            if locs.size == 0:
                return locs
            axis: Any = self.axis
            transform = axis.get_transform()
            lo, hi = sorted(transform.transform(np.asarray(axis.get_view_interval(), dtype=float)))
            with np.errstate(all="ignore"):
                t = transform.transform(locs)
            tol = 1e-6 * (hi - lo) if np.isfinite(hi - lo) else 0.0
            keep = ~np.isfinite(t) | ((t >= lo - tol) & (t <= hi + tol))  # non-finite: matplotlib decides
            return locs[keep]

        def tick_values(self, vmin: float, vmax: float) -> Any:
            return self.base.tick_values(vmin, vmax)

        def nonsingular(self, v0: float, v1: float) -> Any:
            return self.base.nonsingular(v0, v1)

        def view_limits(self, vmin: float, vmax: float) -> Any:
            return self.base.view_limits(vmin, vmax)

        def set_params(self, **kwargs: Any) -> None:
            self.base.set_params(**kwargs)

    return InViewLocator


def trim_ticks(fig: Any) -> None:
    """Drop the tick locations outside each 2-D axis's view before `fig` is drawn: the same ticks are drawn,
    with fewer tick objects made and laid out (matplotlib makes one per location its locator returns). Only
    locators whose ticks do not index their labels are wrapped (MaxNLocator, AutoLocator, LogLocator, ...);
    fixed ticks, 3-D and polar axes are left as they are."""
    from matplotlib.ticker import AutoMinorLocator, LogLocator, MaxNLocator, MultipleLocator

    wrapper = _in_view_class()
    kinds = (MaxNLocator, LogLocator, MultipleLocator, AutoMinorLocator)
    for ax in fig.axes:
        if getattr(ax, "name", "") != "rectilinear":
            continue
        for axis in (ax.xaxis, ax.yaxis):
            for ticker in (axis.major, axis.minor):
                locator = ticker.locator
                if isinstance(locator, kinds) and not isinstance(locator, wrapper):
                    default = axis.isDefault_majloc if ticker is axis.major else axis.isDefault_minloc
                    wrapped = wrapper(locator)
                    wrapped.set_axis(axis)
                    ticker.locator = wrapped  # as `set_major_locator` does, without marking it user-set
                    if ticker is axis.major:
                        axis.isDefault_majloc = default
                    else:
                        axis.isDefault_minloc = default
