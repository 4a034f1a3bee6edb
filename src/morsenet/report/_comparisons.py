"""The side-by-side comparison figures of a run: one row per model (2-D maps, 1-D curves, training curves)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .. import plotting as P
from ._analyze import ModelAnalysis
from ._figures import plane_points
from ._writer import FigureFile, FigureWriter

__all__ = ["COMPARISONS", "CORE_COMPARISON", "comparison_figure", "comparison_figures"]

# The comparison's columns under a core figure set (all: also level sets, the hidden layer's min singular value
# and the weight spectra).
CORE_COMPARISON = ("decision_boundary", "max_singular_value")

COMPARISONS = ("compare_2d", "compare_1d", "compare_training")


def comparison_figure(
    kind: str, analyses: Sequence[ModelAnalysis], folder: Path, *, formats: Sequence[str] = ("png",), dpi: int = 150
) -> FigureFile | None:
    """One side-by-side figure (one row per model), or None when no model fits `kind`.

    kind: "compare_2d" (2-D models: boundary, level sets, gradient norm, min SV, weight SVs), "compare_1d" (1-D
    models: curve, derivative, weight SVs) or "compare_training" (loss and accuracy; needs two models).
    """
    w = FigureWriter(folder, formats, dpi)
    if kind == "compare_2d":
        two = [a for a in analyses if a.prediction is not None]
        if not two:
            return None
        rows: dict[str, dict[str, Any]] = {}
        for a in two:
            marks = plane_points(a) or None
            rows[a.name] = {
                "decision_boundary": (
                    a.prediction,
                    {"data": a.data, "colorbar": False, "legend": False, "critical_points": marks, "tunnel": a.tunnel},
                ),
                "level_sets": (a.prediction, {"data": a.data}),
                "max_singular_value": (a.gradient, {"critical_points": marks}),
                "min_singular_value": (a.hidden, {"critical_points": marks}),
                "weight_spectra": (a.spectra, {"compact": True}),
            }
        core = all(a.figures == "core" for a in two)
        columns = ["decision_boundary", "level_sets", "max_singular_value", "min_singular_value", "weight_spectra"]
        fig = P.plot_comparison(
            {name: {k: v for k, v in row.items() if k in CORE_COMPARISON} for name, row in rows.items()}
            if core
            else rows,
            list(CORE_COMPARISON) if core else columns,
            panel_size=(3.9, 3.3),
            pyplot=False,
        )
        marked = any(plane_points(a) for a in two)
        tunnels = any(a.tunnel is not None for a in two)
        w.figure(
            kind,
            "Models side by side",
            (
                "One row per model: decision boundary and gradient norm of the logit (the core figures: each "
                "model's maps are drawn here only)."
                if core
                else "One row per model: decision boundary, level sets, gradient norm of "
                "the logit, min singular value of the last hidden layer's Jacobian, weight singular values."
            )
            + (
                " Critical points marked by kind (green triangle down: minimum, red triangle up: maximum, black "
                "cross: saddle, purple square: isolated degenerate, violet diamond and line: degenerate "
                "continuum)."
                if marked
                else ""
            )
            + (
                " On the decision boundaries the ring is dashed and the class-0 region around the disk is "
                "outlined: magenta for a tunnel (hollow circles where it crosses the ring, black bar: its "
                "narrowest chord), lime for a bounded region."
                if tunnels
                else ""
            ),
            fig,
        )
    elif kind == "compare_1d":
        one = [a for a in analyses if a.curve is not None]
        if not one:
            return None
        rows_1d: dict[str, dict[str, Any]] = {
            a.name: {
                "curve": (a.curve, {"data": a.data}),
                "derivative": a.curve,
                "weight_spectra": (a.spectra, {"compact": True}),
            }
            for a in one
        }
        fig = P.plot_comparison(rows_1d, ["curve", "derivative", "weight_spectra"], panel_size=(4.2, 3.3), pyplot=False)
        w.figure(
            kind,
            "1-D models side by side",
            "One row per model: fitted curve, derivative with its zeros, weight singular values.",
            fig,
        )
    elif kind == "compare_training":
        with_history = [a for a in analyses if a.history is not None]
        if len(with_history) < (1 if any(a.figures == "core" for a in with_history) else 2):
            return None
        rows_training: dict[str, dict[str, Any]] = {
            a.name: {"loss": a.history, "accuracy": a.history} for a in with_history
        }
        fig = P.plot_comparison(rows_training, ["loss", "accuracy"], panel_size=(4.6, 2.6), pyplot=False)
        w.figure(kind, "Training side by side", "One row per model: loss and test accuracy.", fig)
    else:
        raise ValueError(f"unknown comparison {kind!r}; choose from {', '.join(COMPARISONS)}")
    return w.out[0]


def comparison_figures(
    analyses: Sequence[ModelAnalysis], folder: Path, *, formats: Sequence[str] = ("png",), dpi: int = 150
) -> list[FigureFile]:
    """Every side-by-side figure that applies to `analyses`, in report order."""
    figs = [comparison_figure(k, analyses, folder, formats=formats, dpi=dpi) for k in COMPARISONS]
    return [f for f in figs if f is not None]
