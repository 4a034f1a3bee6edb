"""Figures of staged training: the loss with the stage lines, maps before/after, the injection trace, verdict."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import plotting as P
from ._analyze import ModelAnalysis
from ._writer import FigureWriter

__all__ = ["stages_figures"]


def _stage_lines(ax: Any, a: ModelAnalysis) -> None:
    h = a.history
    if h is None:
        return
    for k, mark in enumerate(h.stages):
        if mark.start > 0:
            ax.axvline(mark.start + 0.5, color="0.3", ls=":", lw=1)
            ax.text(mark.start + 0.5, 0.98 - 0.07 * (k % 4), f" {mark.label}", transform=ax.get_xaxis_transform(),
                    fontsize=6, va="top", rotation=0, color="0.2")  # fmt: skip


def _trace(a: ModelAnalysis, ax: Any) -> None:
    s = a.stages
    assert s is not None
    for t in s.traces:
        e = np.asarray(t.epochs)
        ax.semilogy(e, np.maximum(t.gradient_norm, 1e-17), color="C0", label="|grad f(x0)|")
        d = np.asarray([np.nan if v is None else max(v, 1e-17) for v in t.nearest_distance])
        ax.semilogy(e, d, color="C3", label="distance x0 -> nearest critical point")
        ax.axhline(t.radius, color="C3", ls="--", lw=0.8, label=f"survival radius {t.radius:g}")
    ax.set_xlabel("epoch")
    ax.legend(fontsize=7)
    ax.set_title("after the injection")


def stages_figures(a: ModelAnalysis, w: FigureWriter) -> None:
    """Loss curve with a line per stage; before/after maps (2-D); the injection trace and verdict."""
    s = a.stages
    if s is None or a.history is None:
        return
    history = a.history
    labels = "; ".join(f"epoch {m.start}: {m.label}" for m in history.stages)

    def loss(ax: Any) -> None:
        P.plot_loss(history, ax)
        _stage_lines(ax, a)

    w.panels("stages_loss", "Staged training", f"Train and test loss over all stages, a dotted line where each "
             f"stage starts ({labels}).", (9.0, 4.2), [loss])  # fmt: skip
    if s.maps:
        draws = [lambda ax, m=m: P.plot_decision_boundary(m.prediction, ax, data=a.data, legend=False,
                                                          title=f"{m.label} (epoch {m.epochs})")
                 for m in s.maps]  # fmt: skip
        w.panels("stages_boundaries", "Decision boundary before and after", "Probability of class 1 with the 0.5 "
                 "contour, at the end of the stages shown (before the first action, right after it, and after "
                 "retraining).", (5.2 * len(draws), 5.0), draws)  # fmt: skip
        levels = [
            lambda ax, m=m: P.plot_level_sets(m.prediction, ax, title=f"{m.label} (epoch {m.epochs})") for m in s.maps
        ]
        w.panels("stages_level_sets", "Level sets before and after", "Contour lines of the logit (zero level in "
                 "black) at the same stages.", (5.2 * len(levels), 4.6), levels)  # fmt: skip
    if s.traces:
        verdicts = "; ".join(t.verdict for t in s.traces)
        w.panels("injection_trace", "Injected critical point", f"|grad f(x0)| and the distance from x0 to the "
                 "nearest critical point (Levenberg-Marquardt on grad f = 0 from x0 and 8 starts around it) per "
                 f"epoch after the injection; the point survives when that distance stays <= the radius. Verdict: "
                 f"{verdicts}.", (7.0, 4.2), [lambda ax: _trace(a, ax)])  # fmt: skip
