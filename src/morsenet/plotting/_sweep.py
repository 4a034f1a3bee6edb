"""Figures of a sweep: accuracy distributions, success and tunnel rates, trends against depth and singular values.

Each takes the sweep's per-architecture summaries (`morsenet.sweep.GroupSummary`) and/or its table rows and
returns a matplotlib `Figure` (None when the sweep has nothing to show); nothing is computed beyond medians.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from ..sweep import GroupSummary

Row = dict[str, Any]


def _new(w: float, h: float, ncols: int = 1, nrows: int = 1, *, pyplot: bool = False) -> tuple[Any, Any]:
    """A constrained-layout figure and its (nrows, ncols) axes."""
    if pyplot:
        import matplotlib.pyplot as plt

        fig = plt.figure(figsize=(w, h), layout="constrained")
    else:
        from matplotlib.figure import Figure  # no pyplot: no global figure state, any backend

        fig = Figure(figsize=(w, h), layout="constrained")
    return fig, fig.subplots(nrows, ncols, squeeze=False)


def _log_axis(axis: Any, ticks: Sequence[float] | None = None) -> None:
    """Log scale; with `ticks`, label exactly those values (depths) and nothing else."""
    from matplotlib.ticker import NullFormatter, NullLocator

    axis.axes.set_xscale("log") if axis.axis_name == "x" else axis.axes.set_yscale("log")
    axis.set_minor_formatter(NullFormatter())
    if ticks is not None:
        axis.set_minor_locator(NullLocator())
        axis.set_ticks(list(ticks), [f"{t:g}" for t in ticks])


def plot_sweep_accuracy(groups: Sequence[GroupSummary], *, threshold: float | None = None, pyplot: bool = False) -> Any:
    """Best test accuracy of every model (one dot per seed) with a box plot per architecture."""
    fig, axes = _new(max(6.0, 0.8 * len(groups) + 2), 4.2, pyplot=pyplot)
    ax = axes[0, 0]
    data = [g.accuracy for g in groups]
    pos = np.arange(1, len(groups) + 1)
    ax.boxplot([d if len(d) else [np.nan] for d in data], positions=pos, widths=0.5, showfliers=False)
    rng = np.random.default_rng(0)  # jitter only; fixed so the page is reproducible
    for p, d in zip(pos, data):
        ax.plot(p + rng.uniform(-0.18, 0.18, len(d)), d, "o", ms=2.5, alpha=0.45, color="C0")
    if threshold is not None:
        ax.axhline(threshold, color="C3", lw=1, ls="--", label=f"threshold {threshold:g}")
        ax.legend(loc="lower left", fontsize=8)
    ax.set_xticks(pos, [g.label for g in groups], rotation=35, ha="right", fontsize=8)
    ax.set_ylabel("best test accuracy")
    return fig


def plot_sweep_rates(groups: Sequence[GroupSummary], *, pyplot: bool = False) -> Any:
    """Success rate (left) and tunnel rate (right) per architecture with their Wilson 95% intervals."""
    fig, axes = _new(10, max(3.0, 0.32 * len(groups) + 1.2), ncols=2, pyplot=pyplot)
    y = np.arange(len(groups))[::-1]
    for ax, what in zip(axes[0], ("success", "tunnel")):
        for yi, g in zip(y, groups):
            k, n = (g.successes, g.n_judged) if what == "success" else (g.tunnels, g.n_topology)
            if not n:
                continue
            lo, hi = g.success_ci if what == "success" else g.tunnel_ci
            color = "C0" if what == "success" else "C1"
            ax.errorbar(k / n, yi, xerr=[[k / n - lo], [hi - k / n]], fmt="o", color=color, capsize=3)
        ax.set_yticks(y, [g.label for g in groups], fontsize=8)
        ax.set_xlim(-0.03, 1.03)
        ax.set_xlabel("reached the threshold" if what == "success" else "fraction with a tunnel")
        ax.grid(axis="x", alpha=0.3)
    return fig


def plot_sweep_depth(rows: Sequence[Row], *, pyplot: bool = False) -> Any | None:
    """Best accuracy against depth, one colour per family, lines through the medians; None without depths."""
    fams: dict[str, list[tuple[int, float]]] = {}
    for r in rows:
        if r.get("depth") is not None and r.get("best_accuracy") is not None:
            fams.setdefault(str(r.get("family")), []).append((int(r["depth"]), float(r["best_accuracy"])))
    if not fams:
        return None
    fig, axes = _new(7, 4.2, pyplot=pyplot)
    ax = axes[0, 0]
    rng = np.random.default_rng(1)
    for i, (fam, pts) in enumerate(sorted(fams.items())):
        d, a = np.array(pts, dtype=float).T
        ax.plot(d * np.exp(rng.uniform(-0.04, 0.04, len(d))), a, "o", ms=2.5, alpha=0.35, color=f"C{i % 10}")
        depths = sorted(set(d))
        ax.plot(depths, [np.median(a[d == x]) for x in depths], "-s", color=f"C{i % 10}", label=fam, ms=4)
    _log_axis(ax.xaxis, sorted({d for pts in fams.values() for d, _ in pts}))
    ax.set_xlabel("depth (hidden layers; ResNet blocks; neural-ODE pieces)")
    ax.set_ylabel("best test accuracy")
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))
    return fig


def plot_sweep_singular_values(
    groups: Sequence[GroupSummary], rows: Sequence[Row], *, pyplot: bool = False
) -> Any | None:
    """One panel per architecture: accuracy against the smallest weight singular value, with Spearman's rho."""
    groups = [g for g in groups if len(g.sv_min)]
    if not groups:
        return None
    ncols = min(4, len(groups))
    nrows = math.ceil(len(groups) / ncols)
    fig, axes = _new(3.2 * ncols, 2.6 * nrows, ncols=ncols, nrows=nrows, pyplot=pyplot)
    for ax in axes.flat[len(groups) :]:
        ax.set_visible(False)
    for ax, g in zip(axes.flat, groups):
        pts = [
            (r["sv_min"], r["best_accuracy"])
            for r in rows
            if r["cell"] == g.cell
            and r.get("sv_min") is not None
            and r.get("best_accuracy") is not None
            and r["sv_min"] > 0
        ]
        if pts:
            s, a = np.array(pts, dtype=float).T
            ax.plot(s, a, "o", ms=3, alpha=0.6)
            _log_axis(ax.xaxis)
        rho, lo, hi, _ = g.rho_accuracy_sv
        title = (
            f"{g.label}\nSpearman n/a" if math.isnan(rho) else f"{g.label}\nSpearman {rho:+.2f} [{lo:+.2f}, {hi:+.2f}]"
        )
        ax.set_title(title, fontsize=8)
        ax.tick_params(labelsize=7)
    fig.supxlabel("smallest singular value of the hidden weight maps (BatchNorm folded)", fontsize=9)
    fig.supylabel("best test accuracy", fontsize=9)
    return fig


def plot_sweep_tunnel_width(families: Sequence[str], rows: Sequence[Row], *, pyplot: bool = False) -> Any | None:
    """Narrowest tunnel width against depth for the given families (models with a tunnel); None without any."""
    pts = [
        (r["family"], r["depth"], r["tunnel_width"])
        for r in rows
        if r.get("topology") == "tunnel" and r.get("tunnel_width") and r["family"] in families
    ]
    if not pts:
        return None
    fig, axes = _new(7, 4, pyplot=pyplot)
    ax = axes[0, 0]
    for i, fam in enumerate(sorted({p[0] for p in pts})):
        d, w = np.array([(p[1], p[2]) for p in pts if p[0] == fam], dtype=float).T
        ax.plot(d, w, "o", ms=3, alpha=0.4, color=f"C{i}")
        depths = sorted(set(d))
        ax.plot(depths, [np.median(w[d == x]) for x in depths], "-s", color=f"C{i}", label=fam)
    _log_axis(ax.xaxis, sorted({p[1] for p in pts}))
    ax.set_yscale("log")
    ax.set_xlabel("depth")
    ax.set_ylabel("narrowest tunnel width")
    ax.legend(fontsize=8)
    return fig


def _ratio_curves(groups: Sequence[GroupSummary]) -> dict[str, list[GroupSummary]]:
    """ResNet cells with a ratio, grouped into curves: one per weight bound (and architecture, data set when several
    differ), each sorted by ratio."""
    cells = [g for g in groups if g.first.get("ratio") is not None and float(g.first["ratio"]) > 0]

    def arch(g: GroupSummary) -> str:
        r = g.first
        return f"{r.get('dataset')}, width {r.get('width')}, {r.get('depth')} blocks"

    several = len({arch(g) for g in cells}) > 1
    curves: dict[str, list[GroupSummary]] = {}
    for g in cells:
        b = g.first.get("weight_bound")
        label = "no bound" if b is None else f"bound {float(b):g}"
        curves.setdefault(f"{arch(g)}: {label}" if several else label, []).append(g)
    return {k: sorted(v, key=lambda g: float(g.first["ratio"])) for k, v in sorted(curves.items())}


def plot_sweep_ratio(groups: Sequence[GroupSummary], *, pyplot: bool = False) -> Any | None:
    """Tunnel rate and success rate (Wilson 95% intervals) and median tunnel width against the ratio eps/delta
    (log axis), one curve per weight bound ("no bound" for none); None unless some curve has two ratios."""
    curves = _ratio_curves(groups)
    if not any(len({float(g.first["ratio"]) for g in c}) > 1 for c in curves.values()):
        return None
    fig, axes = _new(13, 4, ncols=3, pyplot=pyplot)
    shift = {k: 1.0 + 0.02 * (i - (len(curves) - 1) / 2) for i, k in enumerate(curves)}  # dodge the error bars
    for i, (label, cells) in enumerate(curves.items()):
        x = np.array([float(g.first["ratio"]) for g in cells]) * shift[label]
        for ax, rate, ci in ((axes[0, 0], "tunnel_rate", "tunnel_ci"), (axes[0, 1], "success_rate", "success_ci")):
            y = np.array([getattr(g, rate) for g in cells], dtype=float)
            lo_hi = np.array([getattr(g, ci) for g in cells], dtype=float).reshape(-1, 2)
            err = np.abs(np.vstack([y - lo_hi[:, 0], lo_hi[:, 1] - y]))
            ax.errorbar(x, y, yerr=np.nan_to_num(err), fmt="-o", ms=4, capsize=3, color=f"C{i}", label=label)
        widths = [float(np.median(g.tunnel_widths)) if len(g.tunnel_widths) else np.nan for g in cells]
        axes[0, 2].plot(x, widths, "-s", ms=4, color=f"C{i}", label=label)
    titles = ("tunnel rate", "success rate (reached the threshold)", "median tunnel width (models with a tunnel)")
    for ax, title in zip(axes[0], titles):
        _log_axis(ax.xaxis)
        ax.set_xlabel("skip / residual (eps / delta)")
        ax.set_title(title, fontsize=9)
    axes[0, 0].set_ylim(-0.03, 1.03)
    axes[0, 1].set_ylim(-0.03, 1.03)
    axes[0, 0].legend(fontsize=7)
    return fig
