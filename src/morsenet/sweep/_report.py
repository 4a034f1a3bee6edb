"""report.html for a sweep: one self-contained page (the report's document writer; figures from plotting)."""

from __future__ import annotations

import datetime
import json
import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .. import __version__
from .. import plotting as P
from .._validation import atomic_write_text
from ..errors import MorsenetError
from ..plotting._sweep import plot_sweep_ratio
from ..report import Block, Bullets, Document, Figure, Paragraph, Section, Table, render_html
from ._config import SweepConfig, load_sweep
from ._summary import GroupSummary, bottleneck_comparisons, depth_trends, pct, rate_text, summarize


def _figure(fig: Any, title: str, caption: str) -> Figure:
    return Figure(title, caption, P.png_bytes(fig, dpi=110, tight=True))


def _figures(groups: Sequence[GroupSummary], rows: Sequence[dict[str, Any]], trends: list[dict[str, Any]],
             threshold: float | None) -> list[Block]:  # fmt: skip
    out: list[Block] = [
        _figure(
            P.plot_sweep_accuracy(groups, threshold=threshold),
            "Accuracy distributions",
            "Best test accuracy of every model (one dot per seed) with box plots per architecture.",
        ),
        _figure(
            P.plot_sweep_rates(groups),
            "Success and tunnel rates",
            "Fraction of models that reached the accuracy threshold (left) and whose class-0 region around the "
            "disk escapes through the ring (right; undecided models left out), with Wilson 95% intervals.",
        ),
    ]
    ratio = plot_sweep_ratio(groups)
    if ratio is not None:
        out.append(
            _figure(
                ratio,
                "Tunnel, success and tunnel width against the skip/residual ratio",
                'Against eps/delta on a log axis, one curve per weight bound ("no bound": unconstrained training): '
                "the tunnel rate (undecided models left out) and the success rate with Wilson 95% intervals, and the "
                "median narrowest tunnel width of the models with a tunnel.",
            )
        )
    depth = P.plot_sweep_depth(rows)
    if depth is not None:
        caption = "Each dot is one model; lines join the medians of a family."
        out.append(_figure(depth, "Accuracy against depth", caption))
    sv = P.plot_sweep_singular_values(groups, rows)
    if sv is not None:
        out.append(
            _figure(
                sv,
                "Accuracy against the smallest weight singular value",
                "One panel per architecture; Spearman rank correlation with a Fisher-z 95% interval.",
            )
        )
    width = P.plot_sweep_tunnel_width(sorted({str(t["family"]) for t in trends}), rows)
    if width is not None:
        out.append(
            _figure(
                width,
                "Tunnel width against depth",
                "Narrowest chord of the tunnel through the ring, for models with a tunnel; lines join medians.",
            )
        )
    return out


def _num(x: float, spec: str = ".3f") -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else format(x, spec)


def _table(groups: Sequence[GroupSummary]) -> Table:
    head = [
        "architecture",
        "family",
        "depth",
        "n",
        "accuracy mean \u00b1 sd",
        "median",
        "reached threshold",
        "tunnel",
        "bounded / centre 1 / undecided",
        "median tunnel width",
        "theory class",
        "median smallest sv",
        "Spearman(acc, sv) [95% CI]",
        "models with a minimum",
        "mean critical points",
        "complete lists",
    ]
    out = []
    for g in groups:
        rho, lo, hi, n = g.rho_accuracy_sv
        cells = [
            g.label,
            str(g.first.get("family", "")),
            str(g.first.get("depth", "")),
            str(g.n),
            f"{_num(g.accuracy_mean)} \u00b1 {_num(g.accuracy_sd)}",
            _num(g.accuracy_median),
            rate_text(g.successes, g.n_judged),
            rate_text(g.tunnels, g.n_topology),
            f"{g.bounded} / {g.no_inner} / {g.undecided}" if g.n_topology or g.undecided else "n/a",
            _num(float(np.median(g.tunnel_widths)) if len(g.tunnel_widths) else math.nan, ".3g"),
            ", ".join(f"{k} ({v})" for k, v in sorted(g.theory.items())) or "n/a",
            _num(float(np.median(g.sv_min)) if len(g.sv_min) else math.nan, ".3g"),
            "n/a" if math.isnan(rho) else f"{rho:+.2f} [{_num(lo, '+.2f')}, {_num(hi, '+.2f')}] (n={n})",
            f"{g.with_minimum}/{len(g.critical_points)}" if len(g.critical_points) else "n/a",
            _num(float(g.critical_points.mean()) if len(g.critical_points) else math.nan, ".2f"),
            f"{g.complete}/{g.n_completeness}" if g.n_completeness else "n/a",
        ]
        out.append(cells)
    return Table.of(tuple(head), out, numeric_from=2)


def _answers(groups: Sequence[GroupSummary], trends: list[dict[str, Any]]) -> list[Block]:
    parts: list[Block] = []
    judged = [g for g in groups if g.n_judged]
    if judged:
        items = tuple(
            f"**{g.label}**: reached the threshold {rate_text(g.successes, g.n_judged)}"
            + (f"; tunnel {rate_text(g.tunnels, g.n_topology)}" if g.n_topology else "")
            for g in judged
        )
        odd = [g for g in groups if g.bounded_against_theory]
        found: tuple[Block, ...] = ()
        if odd:
            found = (
                Paragraph(
                    "Found bounded although the theory says the architecture cannot enclose (so the tunnel "
                    "is thinner than the analysis resolves; raise analysis.tunnel_angles / tunnel_resolution "
                    "to resolve it): " + ", ".join(f"{g.label} {g.bounded_against_theory}" for g in odd) + "."
                ),
            )
        title = "How often does each architecture succeed, and how often does it tunnel?"
        parts.append(Section(title, (Bullets(items), *found)))
    comps = bottleneck_comparisons(groups)
    if comps:
        items = tuple(
            f"{c['bottleneck'].label} vs {c['plain'].label}: success "
            f"{rate_text(c['bottleneck'].successes, c['bottleneck'].n_judged)} vs "
            f"{rate_text(c['plain'].successes, c['plain'].n_judged)}; difference {pct(c['difference'])} "
            f"(95% CI {pct(c['low'])} to {pct(c['high'])}): "
            + (
                "the bottleneck **helps**"
                if c["low"] > 0
                else "the bottleneck **hurts**"
                if c["high"] < 0
                else "no significant difference"
            )
            for c in comps
        )
        parts.append(Section("Does a bottleneck help training?", (Bullets(items),)))
    corr = [g for g in groups if not math.isnan(g.rho_accuracy_sv[0])]
    if corr:
        sig = [g for g in corr if g.rho_accuracy_sv[1] > 0 or g.rho_accuracy_sv[2] < 0]
        text = (
            f"Within {len(corr)} architectures, the Spearman correlation of best accuracy with the smallest "
            f"weight singular value has a 95% interval excluding 0 in {len(sig)}: "
            + (", ".join(f"{g.label} ({g.rho_accuracy_sv[0]:+.2f})" for g in sig) or "none")
            + ". See the table for all intervals."
        )
        parts.append(Section("Does accuracy correlate with the singular values?", (Paragraph(text),)))
    tr = [t for t in trends if t["width_rho"][3] >= 4]
    if tr:
        items = tuple(
            f"{t['family']}: median tunnel width by depth "
            + ", ".join(f"{d}: {_num(w, '.3g')} (n={t['n_tunnel'][d]})" for d, w in t["median_width"].items())
            + f"; Spearman(depth, width) {_num(t['width_rho'][0], '+.2f')} "
            f"[{_num(t['width_rho'][1], '+.2f')}, {_num(t['width_rho'][2], '+.2f')}]"
            for t in tr
        )
        parts.append(Section("Does depth make the tunnel narrower?", (Bullets(items),)))
    return parts


NOTES = (
    "Rates use Wilson score intervals; differences of rates Newcombe's interval; correlations are Spearman's "
    "with a Fisher-z interval (standard error sqrt(1.06/(n-3))).",
    "Tunnel: the class-0 region around the disk reaches the edge of the analysis box (flood fill on a grid, "
    "refined on circles); bounded: enclosed by the ring; centre 1: the disk's centre is classified 1, so there "
    "is no inner region; undecided: neither a tunnel nor an enclosure could be certified (left out of the tunnel "
    "rate).",
    "Complete lists: critical-point lists whose index bookkeeping closed on every cell (index-certified); the "
    "others are lower bounds. nearest_critical_distance (results.csv): the nearest critical point on circles out "
    "to 16 x the tunnel box (empty: none found).",
    "Singular values are of the affine maps with eval-mode BatchNorm folded in, read-out excluded.",
)


_SEED_COUNT = re.compile(r"\b\d+ seeds\b")


def _description(sweep: SweepConfig) -> str:
    """The sweep's description with any "N seeds" it states replaced by the true count (a --quick or --set seeds=
    sweep trains fewer seeds than the file's prose says)."""
    return _SEED_COUNT.sub(f"{sweep.seeds} seed{'s' if sweep.seeds != 1 else ''}", sweep.description)


def requested_seeds(sweep: SweepConfig) -> int | None:
    """Seeds per cell that `sweep`'s file asks for (before --quick shrank them); None when it cannot be read."""
    source = sweep.source.removeprefix("bundled:")
    if not source:
        return None
    try:
        return load_sweep(source).seeds
    except MorsenetError:
        return None


def quick_note(sweep: SweepConfig, requested: int | None) -> str:
    """ "quick run: 4 seeds per cell (the sweep file asks for 50)"."""
    asks = f" (the sweep file asks for {requested})" if requested is not None and requested != sweep.seeds else ""
    return f"quick run: {sweep.seeds} seed{'s' if sweep.seeds != 1 else ''} per cell{asks}"


def report_document(
    rows: Sequence[dict[str, Any]],
    sweep: SweepConfig,
    *,
    seconds: float | None = None,
    quick: bool = False,
    requested: int | None = None,
) -> Document:
    """The sweep report as a document: answers, the per-architecture table, the figures, notes.

    `quick` marks a --quick run (its seed count and `requested`, the seeds the sweep file asks for, shown at the
    top); every seed count on the page is the sweep's true one.
    """
    order = [c.id for c in sweep.cells()]
    groups = summarize(rows, order)
    trends = depth_trends(rows)
    thresholds = {r.get("threshold") for r in rows if r.get("threshold") is not None}
    threshold = thresholds.pop() if len(thresholds) == 1 else None
    when = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
    blocks: list[Block] = [Paragraph(_description(sweep))] if sweep.description else []
    if quick:
        blocks.append(Paragraph(f"**{quick_note(sweep, requested)}**; its numbers are a smoke test, not results."))
    blocks.append(
        Paragraph(
            f"{len(rows)} of {sweep.n_models} models · {len(order)} cells · {sweep.seeds} seeds per cell ("
            f"{sweep.seed_start}-{sweep.seed_start + sweep.seeds - 1})"
            + f" · morsenet {__version__}"
            + (f" · wall time {seconds / 60:.1f} min" if seconds is not None else "")
            + f" · built {when} · table: results.csv (one row per model)",
            "meta",
        )
    )
    if not rows:
        blocks.append(Paragraph("No rows yet."))
    else:
        blocks += [
            Section("Answers", tuple(_answers(groups, trends)), style="answer"),
            Section("Per architecture", (_table(groups), *_figures(groups, rows, trends, threshold))),
            Section("Notes", (Bullets(NOTES),)),
        ]
    return Document(f"morsenet sweep: {sweep.name}", f"Sweep `{sweep.name}`", tuple(blocks))


def render_report(
    rows: Sequence[dict[str, Any]],
    sweep: SweepConfig,
    *,
    seconds: float | None = None,
    quick: bool = False,
    requested: int | None = None,
) -> str:
    """The sweep report as one HTML string."""
    return render_html(report_document(rows, sweep, seconds=seconds, quick=quick, requested=requested))


def _manifest_says_quick(folder: Any, sweep: SweepConfig) -> bool:
    """Whether `folder`/sweep.json (written by `run_sweep`) records this sweep as a --quick run."""
    try:
        manifest = json.loads((folder / "sweep.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return bool(manifest.get("quick")) and manifest.get("fingerprint") == sweep.fingerprint()


def write_report(
    rows: Sequence[dict[str, Any]],
    sweep: SweepConfig,
    path: Any,
    *,
    seconds: float | None = None,
    quick: bool | None = None,
    requested: int | None = None,
) -> Any:
    """Write `render_report` to `path` atomically; returns the path.

    `quick` None reads it from the sweep.json beside `path` (when it records this sweep); for a quick run,
    `requested` None reads the seed count from the sweep's file (`requested_seeds`).
    """
    if quick is None:
        quick = _manifest_says_quick(Path(path).parent, sweep)
    if quick and requested is None:
        requested = requested_seeds(sweep)
    atomic_write_text(path, render_report(rows, sweep, seconds=seconds, quick=quick, requested=requested))
    return path
