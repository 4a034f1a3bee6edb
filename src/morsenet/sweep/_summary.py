"""Per-architecture statistics of a sweep table: rates with Wilson intervals, rank correlations, comparisons."""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._stats import rate_difference_interval, spearman, wilson_interval

Row = dict[str, Any]


def _finite(values: Sequence[Any]) -> list[float]:
    out = []
    for v in values:
        if v is None or isinstance(v, bool):
            continue
        try:
            f = float(v)
        except (TypeError, ValueError):
            continue
        if math.isfinite(f):
            out.append(f)
    return out


@dataclass(frozen=True)
class GroupSummary:
    """Statistics of one grid cell (an architecture on a data set under a training setting).

    Rates count models with a known outcome: `successes` of `n_judged` reached the threshold; `tunnels` of
    `n_topology` had a tunnel (the rest were bounded, or had the centre classified 1). `undecided` models (neither
    a tunnel nor an enclosure could be certified) are outside `n_topology`.
    `complete` of `n_completeness` critical-point lists are index-certified complete (the rest lower bounds).
    `bounded_against_theory` counts models found bounded although the theory says they cannot enclose: their
    tunnel is thinner than the analysis resolves.
    """

    cell: str
    label: str
    first: Row
    n: int
    accuracy: np.ndarray
    successes: int
    n_judged: int
    tunnels: int
    bounded: int
    no_inner: int
    n_topology: int
    tunnel_widths: np.ndarray
    sv_min: np.ndarray
    rho_accuracy_sv: tuple[float, float, float, int]
    theory: dict[str, int] = field(default_factory=dict)
    critical_points: np.ndarray = field(default_factory=lambda: np.zeros(0))
    with_minimum: int = 0
    bounded_against_theory: int = 0
    undecided: int = 0
    complete: int = 0
    n_completeness: int = 0

    @property
    def success_rate(self) -> float:
        return self.successes / self.n_judged if self.n_judged else math.nan

    @property
    def success_ci(self) -> tuple[float, float]:
        return wilson_interval(self.successes, self.n_judged)

    @property
    def tunnel_rate(self) -> float:
        return self.tunnels / self.n_topology if self.n_topology else math.nan

    @property
    def tunnel_ci(self) -> tuple[float, float]:
        return wilson_interval(self.tunnels, self.n_topology)

    @property
    def accuracy_mean(self) -> float:
        return float(self.accuracy.mean()) if len(self.accuracy) else math.nan

    @property
    def accuracy_sd(self) -> float:
        return float(self.accuracy.std(ddof=1)) if len(self.accuracy) > 1 else math.nan

    @property
    def accuracy_median(self) -> float:
        return float(np.median(self.accuracy)) if len(self.accuracy) else math.nan


def summarize(rows: Sequence[Row], order: Sequence[str] | None = None) -> list[GroupSummary]:
    """One `GroupSummary` per cell, in `order` (default: first appearance)."""
    cells: dict[str, list[Row]] = {}
    for r in rows:
        cells.setdefault(r["cell"], []).append(r)
    keys = [c for c in (order or []) if c in cells] + [c for c in cells if c not in (order or [])]
    single_axis = len({r.get("dataset") for r in rows}) <= 1 and len({r.get("training") for r in rows}) <= 1
    out = []
    for cell in keys:
        rs = cells[cell]
        acc = np.array(_finite([r.get("best_accuracy") for r in rs]))
        judged = [r["reached_threshold"] for r in rs if isinstance(r.get("reached_threshold"), bool)]
        topo = [r.get("topology") for r in rs if r.get("topology") and r.get("topology") != "undecided"]
        completeness = [r["completeness"] for r in rs if r.get("completeness") in ("complete", "lower_bound")]
        pairs = [(_finite([r.get("best_accuracy")]), _finite([r.get("sv_min")])) for r in rs]
        both = [(a[0], s[0]) for a, s in pairs if a and s]
        rho = spearman([a for a, _ in both], [s for _, s in both]) if both else (math.nan,) * 3 + (0,)
        cps = [r.get("n_critical_points") for r in rs if r.get("n_critical_points") is not None]
        out.append(
            GroupSummary(
                cell=cell,
                label=rs[0]["model"] if single_axis else cell,
                first=rs[0],
                n=len(rs),
                accuracy=acc,
                successes=sum(judged),
                n_judged=len(judged),
                tunnels=topo.count("tunnel"),
                bounded=topo.count("bounded"),
                no_inner=topo.count("no_inner_region"),
                n_topology=len(topo),
                tunnel_widths=np.array(_finite([r.get("tunnel_width") for r in rs if r.get("topology") == "tunnel"])),
                sv_min=np.array(_finite([r.get("sv_min") for r in rs])),
                rho_accuracy_sv=rho,
                theory=dict(Counter(str(r["theory_class"]) for r in rs if r.get("theory_class"))),
                critical_points=np.array(_finite(cps)),
                with_minimum=sum(1 for r in rs if (r.get("n_minima") or 0) > 0),
                bounded_against_theory=sum(
                    1 for r in rs if r.get("theory_can_enclose") is False and r.get("topology") == "bounded"
                ),
                undecided=sum(1 for r in rs if r.get("topology") == "undecided"),
                complete=completeness.count("complete"),
                n_completeness=len(completeness),
            )
        )
    return out


def bottleneck_comparisons(groups: Sequence[GroupSummary]) -> list[dict[str, Any]]:
    """Pairs of cells that differ only by a bottleneck (same kind, data, training, depth, width, ...): their
    success rates and the difference (bottleneck minus plain) with Newcombe's 95% interval."""
    out = []
    same_keys = ("kind", "dataset", "training", "depth", "width", "batchnorm", "activation")
    plain = [g for g in groups if not g.first.get("bottleneck")]
    for b in groups:
        if not b.first.get("bottleneck"):
            continue
        for p in plain:
            same = all(b.first.get(k) == p.first.get(k) for k in same_keys)
            if same and b.n_judged and p.n_judged:
                d, lo, hi = rate_difference_interval(b.successes, b.n_judged, p.successes, p.n_judged)
                out.append({"bottleneck": b, "plain": p, "difference": d, "low": lo, "high": hi})
    return out


def depth_trends(rows: Sequence[Row]) -> list[dict[str, Any]]:
    """Per family with at least two depths: Spearman correlation of depth with accuracy and, among models with
    a tunnel, of depth with the tunnel width (negative: deeper nets have narrower tunnels)."""
    families: dict[tuple, list[Row]] = {}
    for r in rows:
        families.setdefault((r.get("dataset"), r.get("training"), r.get("family")), []).append(r)
    out = []
    for (dataset, training, family), rs in families.items():
        depths = sorted({r["depth"] for r in rs if r.get("depth") is not None})
        if len(depths) < 2:
            continue
        acc = [(r["depth"], r["best_accuracy"]) for r in rs if _finite([r.get("best_accuracy")])]
        tun = [
            (r["depth"], r["tunnel_width"])
            for r in rs
            if r.get("topology") == "tunnel" and _finite([r.get("tunnel_width")])
        ]
        by_depth = {d: [w for dd, w in tun if dd == d] for d in depths}
        out.append(
            {
                "dataset": dataset,
                "training": training,
                "family": family,
                "depths": depths,
                "accuracy_rho": spearman([d for d, _ in acc], [a for _, a in acc]),
                "width_rho": spearman([d for d, _ in tun], [w for _, w in tun]) if tun else (math.nan,) * 3 + (0,),
                "median_width": {d: (statistics.median(ws) if ws else math.nan) for d, ws in by_depth.items()},
                "n_tunnel": {d: len(ws) for d, ws in by_depth.items()},
            }
        )
    return out


def pct(x: float) -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{100 * x:.0f}%"


def rate_text(k: int, n: int) -> str:
    """ "12/50 = 24% (95% CI 14-37%)"."""
    if n == 0:
        return "n/a"
    lo, hi = wilson_interval(k, n)
    return f"{k}/{n} = {pct(k / n)} (95% CI {pct(lo)}-{pct(hi)})"
