"""The critical point "shifted to infinity": min |grad f| against the radius, with the nearest critical point."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..analysis import EscapeAnalysis

__all__ = ["plot_escape"]


def plot_escape(escape: EscapeAnalysis, ax: Any = None, *, title: str | None = None) -> Any:
    """Plot min |grad f| over each circle against its radius (log-log), the box radius dashed, and the nearest
    critical point's distance (or "none up to R") marked.

    Args:
        escape: an `morsenet.analysis.EscapeAnalysis`.
        ax: a matplotlib Axes (a new figure when None).
        title: the axes title (default: the analysis summary, shortened).

    Returns:
        The Axes. Artists carry gids "escape-curve", "escape-box", "escape-nearest".
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3.5))
    g = escape.min_gradient.clip(min=1e-300)
    from ._style import lighten_log_axis

    ax.loglog(escape.radii, g, color="C0", lw=1.5, gid="escape-curve", label="min |grad f| on the circle")
    lighten_log_axis(ax.xaxis)
    lighten_log_axis(ax.yaxis)
    ax.axvline(escape.box_radius, color="0.4", ls="--", lw=1, gid="escape-box", label="box radius")
    d = escape.nearest_critical_distance
    if d is not None:
        ax.axvline(d, color="C3", lw=1.2, gid="escape-nearest", label=f"nearest critical point ({d:.3g})")
    else:
        ax.annotate(f"no critical point up to R = {escape.max_radius:.3g}", xy=(0.02, 0.04), xycoords="axes fraction",
                    fontsize=8, gid="escape-nearest")  # fmt: skip
    ax.set_xlabel("radius r")
    ax.set_ylabel("min |grad f| on |x - c| = r")
    ax.set_title(title if title is not None else "critical point shifted to infinity?", fontsize=9)
    ax.legend(fontsize=7, loc="upper right")
    return ax
