"""report.html for a sweep: one self-contained page (inline CSS, figures as base64 PNG, no external URL)."""

from __future__ import annotations

import base64
import datetime
import html
import io
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import __version__
from .._validation import atomic_write_text
from ._config import SweepConfig
from ._summary import GroupSummary, bottleneck_comparisons, depth_trends, pct, rate_text, summarize

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;max-width:1200px;
padding:1rem 2rem;color:#222;line-height:1.45}h2{border-bottom:2px solid #ddd;padding-bottom:.2rem;margin-top:2rem}
table{border-collapse:collapse;font-size:.82rem;margin:.6rem 0}th,td{border:1px solid #ccc;padding:.25rem .45rem;
vertical-align:top}thead th{background:#f3f3f3}td.n{text-align:right}figure{margin:1rem 0 1.6rem}
figure img{max-width:100%;height:auto;border:1px solid #eee}figcaption{font-size:.85rem;color:#555}
.meta{color:#666;font-size:.85rem}.answer{background:#f6f9fc;border-left:4px solid #4a78b5;padding:.4rem .8rem}
"""
_E = html.escape


def _png(fig: Any) -> str:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _figure(fig: Any, title: str, caption: str) -> str:
    return (
        f'<figure><img src="{_png(fig)}" alt="{_E(title)}"><figcaption><b>{_E(title)}.</b> {_E(caption)}'
        "</figcaption></figure>"
    )


def _new(w: float, h: float, ncols: int = 1, nrows: int = 1) -> tuple[Any, Any]:
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


def _accuracy_figure(groups: Sequence[GroupSummary], threshold: float | None) -> str:
    fig, ax = _new(max(6.0, 0.8 * len(groups) + 2), 4.2)
    ax = ax[0, 0]
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
    return _figure(
        fig,
        "Accuracy distributions",
        "Best test accuracy of every model (one dot per seed) with box plots per architecture.",
    )


def _rates_figure(groups: Sequence[GroupSummary]) -> str:
    fig, axes = _new(10, max(3.0, 0.32 * len(groups) + 1.2), ncols=2)
    y = np.arange(len(groups))[::-1]
    for ax, what in zip(axes[0], ("success", "tunnel")):
        for yi, g in zip(y, groups):
            k, n = (g.successes, g.n_judged) if what == "success" else (g.tunnels, g.n_topology)
            if not n:
                continue
            lo, hi = g.success_ci if what == "success" else g.tunnel_ci
            ax.errorbar(
                k / n,
                yi,
                xerr=[[k / n - lo], [hi - k / n]],
                fmt="o",
                color="C0" if what == "success" else "C1",
                capsize=3,
            )
        ax.set_yticks(y, [g.label for g in groups], fontsize=8)
        ax.set_xlim(-0.03, 1.03)
        ax.set_xlabel("reached the threshold" if what == "success" else "fraction with a tunnel")
        ax.grid(axis="x", alpha=0.3)
    return _figure(
        fig,
        "Success and tunnel rates",
        "Fraction of models that reached the accuracy threshold (left) "
        "and whose class-0 region around the disk escapes through the ring (right), with Wilson 95% "
        "intervals.",
    )


def _depth_figure(rows: Sequence[dict[str, Any]]) -> str | None:
    fams: dict[str, list[tuple[int, float]]] = {}
    for r in rows:
        if r.get("depth") is not None and r.get("best_accuracy") is not None:
            fams.setdefault(str(r.get("family")), []).append((int(r["depth"]), float(r["best_accuracy"])))
    if not fams:
        return None
    fig, ax = _new(7, 4.2)
    ax = ax[0, 0]
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
    return _figure(fig, "Accuracy against depth", "Each dot is one model; lines join the medians of a family.")


def _sv_figure(groups: Sequence[GroupSummary], rows: Sequence[dict[str, Any]]) -> str | None:
    groups = [g for g in groups if len(g.sv_min)]
    if not groups:
        return None
    ncols = min(4, len(groups))
    nrows = math.ceil(len(groups) / ncols)
    fig, axes = _new(3.2 * ncols, 2.6 * nrows, ncols=ncols, nrows=nrows)
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
        rho, lo, hi, n = g.rho_accuracy_sv
        ax.set_title(
            f"{g.label}\nSpearman {rho:+.2f} [{lo:+.2f}, {hi:+.2f}]"
            if not math.isnan(rho)
            else f"{g.label}\nSpearman n/a",
            fontsize=8,
        )
        ax.tick_params(labelsize=7)
    fig.supxlabel("smallest singular value of the hidden weight maps (BatchNorm folded)", fontsize=9)
    fig.supylabel("best test accuracy", fontsize=9)
    return _figure(
        fig,
        "Accuracy against the smallest weight singular value",
        "One panel per architecture; Spearman rank correlation with a Fisher-z 95% interval.",
    )


def _width_figure(trends: list[dict[str, Any]], rows: Sequence[dict[str, Any]]) -> str | None:
    families = {t["family"] for t in trends}
    pts = [
        (r["family"], r["depth"], r["tunnel_width"])
        for r in rows
        if r.get("topology") == "tunnel" and r.get("tunnel_width") and r["family"] in families
    ]
    if not pts:
        return None
    fig, ax = _new(7, 4)
    ax = ax[0, 0]
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
    return _figure(
        fig,
        "Tunnel width against depth",
        "Narrowest chord of the tunnel through the ring, for models with a tunnel; lines join medians.",
    )


def _num(x: float, spec: str = ".3f") -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else format(x, spec)


def _table(groups: Sequence[GroupSummary]) -> str:
    head = [
        "architecture",
        "family",
        "depth",
        "n",
        "accuracy mean &plusmn; sd",
        "median",
        "reached threshold",
        "tunnel",
        "bounded / centre 1",
        "median tunnel width",
        "theory class",
        "median smallest sv",
        "Spearman(acc, sv) [95% CI]",
        "models with a minimum",
        "mean critical points",
    ]
    out = ["<table><thead><tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr></thead><tbody>"]
    for g in groups:
        rho, lo, hi, n = g.rho_accuracy_sv
        cells = [
            _E(g.label),
            _E(str(g.first.get("family", ""))),
            str(g.first.get("depth", "")),
            str(g.n),
            f"{_num(g.accuracy_mean)} &plusmn; {_num(g.accuracy_sd)}",
            _num(g.accuracy_median),
            _E(rate_text(g.successes, g.n_judged)),
            _E(rate_text(g.tunnels, g.n_topology)),
            f"{g.bounded} / {g.no_inner}" if g.n_topology else "n/a",
            _num(float(np.median(g.tunnel_widths)) if len(g.tunnel_widths) else math.nan, ".3g"),
            _E(", ".join(f"{k} ({v})" for k, v in sorted(g.theory.items())) or "n/a"),
            _num(float(np.median(g.sv_min)) if len(g.sv_min) else math.nan, ".3g"),
            "n/a" if math.isnan(rho) else f"{rho:+.2f} [{_num(lo, '+.2f')}, {_num(hi, '+.2f')}] (n={n})",
            f"{g.with_minimum}/{len(g.critical_points)}" if len(g.critical_points) else "n/a",
            _num(float(g.critical_points.mean()) if len(g.critical_points) else math.nan, ".2f"),
        ]
        out.append(
            "<tr>"
            + "".join(f'<td class="n">{c}</td>' if i >= 2 else f"<td>{c}</td>" for i, c in enumerate(cells))
            + "</tr>"
        )
    return "".join(out) + "</tbody></table>"


def _answers(groups: Sequence[GroupSummary], trends: list[dict[str, Any]]) -> str:
    parts = []
    judged = [g for g in groups if g.n_judged]
    if judged:
        items = "".join(
            f"<li><b>{_E(g.label)}</b>: reached the threshold {_E(rate_text(g.successes, g.n_judged))}"
            + (f"; tunnel {_E(rate_text(g.tunnels, g.n_topology))}" if g.n_topology else "")
            + "</li>"
            for g in judged
        )
        parts.append(
            f"<h3>How often does each architecture succeed, and how often does it tunnel?</h3><ul>{items}</ul>"
        )
        odd = [g for g in groups if g.bounded_against_theory]
        if odd:
            parts.append(
                "<p>Found bounded although the theory says the architecture cannot enclose (so the tunnel "
                "is thinner than the analysis resolves; raise analysis.tunnel_angles / tunnel_resolution "
                "to resolve it): " + ", ".join(f"{_E(g.label)} {g.bounded_against_theory}" for g in odd) + ".</p>"
            )
    comps = bottleneck_comparisons(groups)
    if comps:
        items = "".join(
            f"<li>{_E(c['bottleneck'].label)} vs {_E(c['plain'].label)}: success "
            f"{_E(rate_text(c['bottleneck'].successes, c['bottleneck'].n_judged))} vs "
            f"{_E(rate_text(c['plain'].successes, c['plain'].n_judged))}; difference {pct(c['difference'])} "
            f"(95% CI {pct(c['low'])} to {pct(c['high'])}): "
            + (
                "the bottleneck <b>helps</b>"
                if c["low"] > 0
                else "the bottleneck <b>hurts</b>"
                if c["high"] < 0
                else "no significant difference"
            )
            + "</li>"
            for c in comps
        )
        parts.append(f"<h3>Does a bottleneck help training?</h3><ul>{items}</ul>")
    corr = [g for g in groups if not math.isnan(g.rho_accuracy_sv[0])]
    if corr:
        sig = [g for g in corr if g.rho_accuracy_sv[1] > 0 or g.rho_accuracy_sv[2] < 0]
        parts.append(
            "<h3>Does accuracy correlate with the singular values?</h3><p>"
            f"Within {len(corr)} architectures, the Spearman correlation of best accuracy with the smallest "
            f"weight singular value has a 95% interval excluding 0 in {len(sig)}: "
            + (", ".join(f"{_E(g.label)} ({g.rho_accuracy_sv[0]:+.2f})" for g in sig) or "none")
            + ". See the table for all intervals.</p>"
        )
    tr = [t for t in trends if t["width_rho"][3] >= 4]
    if tr:
        items = "".join(
            f"<li>{_E(str(t['family']))}: median tunnel width by depth "
            + ", ".join(f"{d}: {_num(w, '.3g')} (n={t['n_tunnel'][d]})" for d, w in t["median_width"].items())
            + f"; Spearman(depth, width) {_num(t['width_rho'][0], '+.2f')} "
            f"[{_num(t['width_rho'][1], '+.2f')}, {_num(t['width_rho'][2], '+.2f')}]</li>"
            for t in tr
        )
        parts.append(f"<h3>Does depth make the tunnel narrower?</h3><ul>{items}</ul>")
    return '<div class="answer">' + "".join(parts) + "</div>" if parts else ""


def render_report(rows: Sequence[dict[str, Any]], sweep: SweepConfig, *, seconds: float | None = None) -> str:
    """The sweep report as one HTML string."""
    order = [c.id for c in sweep.cells()]
    groups = summarize(rows, order)
    trends = depth_trends(rows)
    thresholds = {r.get("threshold") for r in rows if r.get("threshold") is not None}
    threshold = thresholds.pop() if len(thresholds) == 1 else None
    when = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>morsenet sweep: {_E(sweep.name)}</title><style>{CSS}</style></head><body>",
        f"<h1>Sweep <code>{_E(sweep.name)}</code></h1>",
        f"<p>{_E(sweep.description)}</p>" if sweep.description else "",
        f'<p class="meta">{len(rows)} of {sweep.n_models} models &middot; {len(order)} cells &middot; seeds '
        f"{sweep.seed_start}-{sweep.seed_start + sweep.seeds - 1} &middot; morsenet {__version__}"
        + (f" &middot; wall time {seconds / 60:.1f} min" if seconds is not None else "")
        + f" &middot; built {when} &middot; table: results.csv (one row per model)</p>",
    ]
    if not rows:
        out.append("<p>No rows yet.</p></body></html>")
        return "\n".join(out)
    out.append("<h2>Answers</h2>" + _answers(groups, trends))
    out.append("<h2>Per architecture</h2>" + _table(groups))
    out.append(_accuracy_figure(groups, threshold))
    out.append(_rates_figure(groups))
    for fig in (_depth_figure(rows), _sv_figure(groups, rows), _width_figure(trends, rows)):
        if fig:
            out.append(fig)
    out.append(
        "<h2>Notes</h2><ul><li>Rates use Wilson score intervals; differences of rates Newcombe's interval; "
        "correlations are Spearman's with a Fisher-z interval (standard error sqrt(1.06/(n-3))).</li>"
        "<li>Tunnel: the class-0 region around the disk reaches the edge of the analysis box (flood fill on "
        "a grid, refined on circles); bounded: enclosed by the ring; centre 1: the disk's centre is "
        "classified 1, so there is no inner region.</li><li>Singular values are of the affine maps with "
        "eval-mode BatchNorm folded in, read-out excluded.</li></ul></body></html>"
    )
    return "\n".join(out)


def write_report(rows: Sequence[dict[str, Any]], sweep: SweepConfig, path: Any, *, seconds: float | None = None) -> Any:
    """Write `render_report` to `path` atomically; returns the path."""
    atomic_write_text(path, render_report(rows, sweep, seconds=seconds))
    return path
