"""Draw and save a run's figures: per-model figures, comparisons (one row per model), training evolution."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .. import plotting as P
from ..analysis import CriticalPoint
from ..plotting._maps import plot_probability_level_sets
from ..plotting._marks import undecided_label
from ..plotting._weights import plot_weight_eigenvalues, weight_eigenvalues
from ._analyze import ModelAnalysis
from ._claims import study_report_spec
from ._figures_1d import one_d_figures
from ._figures_3d import three_d_figures
from ._figures_flow import flow_figures
from ._figures_inside import inside_figures
from ._figures_stages import stages_figures
from ._figures_training import training_mode_figures
from ._writer import FigureFile, FigureWriter, safe_name

__all__ = ["COMPARED_FIGURES", "EXTRA_FIGURES", "FigureFile", "model_figures", "plane_points", "safe_name"]

# The per-model figures a core figure set (`report.figures = "core"`, the default of a quick run) leaves out: the
# generic views beside the decision boundary and the singular-value maps (the level sets stay when the study sets
# `report.levels`). With them go the analyses only they need (`analyze_model`): the layer-resolved maps, the
# training snapshots and the neural-ODE flows.
EXTRA_FIGURES = frozenset(
    {"data", "level_sets", "escape", "weight_spectra", "weight_heatmaps", "weight_eigenvalues", "surface"}
)
# What a core set shows in the comparisons only, so that nothing is drawn twice: each model's decision boundary
# and gradient norm (compare_2d), its fitted curve (compare_1d), its training curves (compare_training, then
# drawn for a single model too).
COMPARED_FIGURES = frozenset({"decision_boundary", "singular_values", "curve", "training"})


def plane_points(a: ModelAnalysis) -> list[CriticalPoint]:
    """The assessment's critical points with a 2-D location (what the plane's maps mark)."""
    if a.assessment is None:
        return []
    return [p for p in a.assessment.critical_points.points if p.location.numel() == 2]


def _tunnel_caption(a: ModelAnalysis) -> str:
    o = a.tunnel
    d = a.assessment
    if o is None:
        if a.ring_data and d is not None and d.tunnel is not None and d.tunnel_frame == "disk_ring":
            return (
                "; the tunnel test ran in the disk-and-ring frame of the standardised data (circles around 0 in "
                "original units), so it is not overlaid on this map in data coordinates (see Theory and topology)"
            )
        return ""
    if o.status not in ("bounded", "tunnel"):
        return (
            f"; the ring's circles dashed, the disk's dotted, and the class-0 region around the disk outlined in "
            f"grey: the tunnel test is {undecided_label(o)}, so no certificate is drawn"
        )
    if o.status == "bounded":
        return (
            "; the ring's circles dashed, the disk's dotted, and the class-0 region around the disk outlined in "
            "lime: it is bounded (closed), enclosed by the ring; the certificate, a checked class-1 closed curve "
            "around the disk, dashed black on lime"
        )
    width = o.narrowest_width
    chord = "" if o.chord is None or width is None else f", its narrowest chord (width {width:.3g}) in black"
    return (
        "; the ring's circles dashed, the disk's dotted, and the class-0 region around the disk outlined in "
        f"magenta: it escapes through a tunnel, crossing the middle of the ring at the hollow circles{chord}; "
        "the certificate, a checked class-0 path from the centre to the box edge, dashed black on magenta"
    )


def _escape_frame(a: ModelAnalysis) -> str:
    g = a.data.geometry
    if g is not None and g.standardized:
        return " (in the disk-and-ring frame of the standardised data: circles around the centre, original units)"
    return ""


def _skipped(a: ModelAnalysis) -> frozenset[str]:
    """The figures a model's report leaves out: none, or the extras of a core set, less the level sets when the
    study chose what they show (`report.levels`: the companion's probability level sets are its main figure)."""
    if a.figures != "core":
        return frozenset()
    kept = {"level_sets"} if study_report_spec(a).levels is not None else set()
    return (EXTRA_FIGURES | COMPARED_FIGURES) - kept


def model_figures(
    a: ModelAnalysis, folder: Path, *, formats: Sequence[str] = ("png",), dpi: int = 150
) -> list[FigureFile]:
    """Draw every figure of one model into `folder` (its core ones when `a.figures` is "core"); returns them in
    report order."""
    w = FigureWriter(folder, formats, dpi, skip=_skipped(a))
    data = a.data
    w.panels(
        "data",
        "Data set",
        f"Training points (dots) and test points (black edges) of `{data.name}`; class 0 blue, class 1 orange.",
        (5.2, 5.4),
        [lambda ax: P.plot_dataset(data, ax)],
        bottom=1.4,
    )
    history = a.history
    if history is not None:
        w.panels(
            "training",
            "Training",
            "Train and test loss per epoch (log scale) and test accuracy; the dashed "
            "line marks the restored best epoch.",
            (11, 3.8),
            [lambda ax: P.plot_loss(history, ax), lambda ax: P.plot_accuracy(history, ax)],
        )
    if a.prediction is not None:
        cps = plane_points(a)
        w.panels(
            "decision_boundary",
            "Decision boundary",
            "Probability of class 1 (blue 0, white 0.5, orange 1), the 0.5 contour in black, the test points"
            + (", and critical points of the logit by kind" if cps else "")
            + _tunnel_caption(a)
            + "; the legend sits under the map.",
            (6.2, 6.4),
            [
                lambda ax: P.plot_decision_boundary(
                    a.prediction, ax, data=data, critical_points=cps or None, tunnel=a.tunnel
                )
            ],
            bottom=1.7,
        )
        spec = study_report_spec(a)
        if spec.levels == "probability" and a.prediction.probabilities is not None:
            n = spec.n_probability_levels
            w.panels(
                "level_sets",
                "Level sets",
                f"{n} contour lines of the probability of class 1 at equally spaced values in (0, 1) (the study's "
                'report.levels = "probability"; blue: class 0, red: class 1); the 0.5 level (the decision '
                "boundary) in black, also marked on the colour bar.",
                (6.2, 5.2),
                [lambda ax: plot_probability_level_sets(a.prediction, ax, levels=n, data=data)],
            )
        else:
            w.panels(
                "level_sets",
                "Level sets",
                "Contour lines of the logit on a diverging colour scale centred at 0 (blue: negative, class 0; red: "
                "positive, class 1; symmetric levels); the zero level (the decision boundary) in black, also marked "
                "on the colour bar.",
                (6.2, 5.2),
                [lambda ax: P.plot_level_sets(a.prediction, ax, data=data)],
            )
    if a.prediction is not None and a.gradient is not None and a.hidden is not None:
        cps = plane_points(a)
        marks = cps or None
        w.panels(
            "singular_values",
            "Singular values of the input Jacobian",
            f"Left: norm of the logit's gradient (zero at critical points). Middle and right: min and max "
            f"singular values of the Jacobian of hidden layer {a.hidden.layer} (the last hidden "
            "representation); logarithmic colour scales whose limits are fitted to each map's values (2% "
            "quantile to maximum; smaller values, zeros included, take the lowest colour)."
            + (
                " Critical points of the logit marked by kind on every panel (legend under the left panel)."
                if cps
                else ""
            ),
            (16.5, 5.6) if cps else (16.5, 4.8),
            [
                lambda ax: P.plot_singular_value_map(a.gradient, ax, which="max", critical_points=marks, legend=True),
                lambda ax: P.plot_singular_value_map(a.hidden, ax, which="min", critical_points=marks),
                lambda ax: P.plot_singular_value_map(a.hidden, ax, which="max", critical_points=marks),
            ],
            bottom=1.6 if cps else 0.6,
        )
    escape = a.escape
    if escape is not None and a.input_dim == 2:
        w.panels(
            "escape",
            "Nearest critical point (shifted to infinity?)",
            f"{escape.summary()[:1].upper()}{escape.summary()[1:]}{_escape_frame(a)}. The minimum of |grad f| over each circle around the centre against the "
            "circle's radius (log-log), the box radius dashed, and the distance of the nearest critical point.",
            (5.8, 4.2),
            [lambda ax: P.plot_escape(escape, ax)],
            bottom=0.7,
        )
    if a.curve is not None:
        n = int(a.curve.zeros.numel())
        w.panels(
            "curve",
            "Fitted curve and derivative",
            f"The model against the data, and its derivative with its {n} zero(s) (critical points) marked.",
            (11, 3.9),
            [lambda ax: P.plot_curve(a.curve, ax, data=data), lambda ax: P.plot_derivative(a.curve, ax)],
        )
    if a.blocks is not None:
        w.panels(
            "block_derivatives",
            "Block derivatives",
            "Eigenvalues of each residual block's Jacobian "
            "skip + residual * diag(act') W along x (for width 1, the block's derivative); the model can have "
            "a critical point only where one crosses zero.",
            (6, 4),
            [lambda ax: P.plot_block_derivatives(a.blocks, ax)],
        )
    w.panels(
        "weight_spectra",
        "Weight singular values",
        "Singular values of every layer's weight matrix (BatchNorm folded in), log and linear scale; red "
        "crosses fall below the rank tolerance.",
        (12, 4.0),
        [
            lambda ax: P.plot_weight_spectra(a.spectra, ax, log=True),
            lambda ax: P.plot_weight_spectra(a.spectra, ax, log=False),
        ],
        bottom=1.0,
    )
    w.panels(
        "weight_heatmaps",
        "W per layer (signed)",
        "The weights of each layer side by side (BatchNorm folded in), layers 1..L from left to right (rows: the "
        "layer's output units, columns: its input units), on a diverging colour map centred at 0 (blue negative, "
        "red positive) with symmetric limits ± the largest |W| of the model.",
        (10, 3.6),
        [lambda ax: P.plot_weight_heatmaps(a.spectra, ax, signed=True)],
        bottom=1.0,
    )
    if weight_eigenvalues(a.spectra):
        w.panels(
            "weight_eigenvalues",
            "Weight eigenvalues",
            "Eigenvalues of every square weight matrix (BatchNorm folded in; non-square layers left out): their "
            "moduli against the layer (left, |λ| = 1 dashed) and the eigenvalues in the complex plane coloured by "
            "layer (right, the unit circle dashed). A residual block skip·h + residual·act(W h + b) with skip 1 "
            "and a small residual (the neural-ODE regime) has the Jacobian I + residual·diag(act')·W, within "
            "residual·|act'|·‖W‖ of the identity: its eigenvalues stay near 1 whatever W's are.",
            (11, 4.2),
            [
                lambda ax: plot_weight_eigenvalues(a.spectra, ax),
                lambda ax: plot_weight_eigenvalues(a.spectra, ax, plane=True),
            ],
            bottom=1.0,
        )
    if a.prediction is not None:
        w.panels(
            "surface",
            "Prediction surface",
            "The predicted probability as a surface over the plane.",
            (6.5, 5.5),
            [lambda ax: P.plot_surface(a.prediction, ax, data=data)],
            projections=["3d"],
        )
    if a.snapshots:
        fig = P.plot_snapshots(a.snapshots, data=data if a.input_dim <= 2 else None, pyplot=False)
        w.figure(
            "evolution",
            "Training evolution",
            "The decision boundary (or curve) and the weight singular values at each saved epoch of the kept attempt.",
            fig,
        )
        outlines = [snapshot_outline(s.prediction, a.tunnel) for s in a.snapshots] if a.tunnel else None
        gif = P.animate_snapshots(
            a.snapshots,
            folder / "evolution.gif",
            data=data if a.input_dim <= 2 else None,
            tunnel=a.tunnel,
            outlines=outlines,
        )
        caption = "One frame per saved epoch: decision boundary with its colour bar, and the weight singular values"
        if a.tunnel is not None:
            caption += (
                "; the ring dashed, the disk dotted, and the class-0 region around the disk at that epoch outlined "
                "(magenta: it reaches the box edge through a tunnel; lime: bounded)"
            )
        w.out.append(FigureFile("evolution_gif", "Training evolution (animation)", caption + ".", gif, (gif,)))
    inside_figures(a, w)  # the "Inside the network" section (2-D models): `report/_figures_inside.py`
    training_mode_figures(a, w)  # loss decomposition and R1 ratio: `report/_figures_training.py`
    stages_figures(a, w)  # staged training and injection: `report/_figures_stages.py`
    one_d_figures(a, w)  # the 1-D three-panel figure and GIF: `report/_figures_1d.py`
    three_d_figures(a, w)  # the decision isosurface and the slices (3-D models): `report/_figures_3d.py`
    flow_figures(a, w)  # neural ODEs: trajectories, their GIF, flow-Jacobian maps: `report/_figures_flow.py`
    return w.out


def snapshot_outline(prediction: Any, tunnel: Any) -> tuple[str, Any] | None:
    """The class-0 region around the disk's centre on a snapshot's prediction grid, as (status, mask).

    The grid component of probability < 0.5 that holds the node nearest the centre (4-connected, as the flood
    fill of `decision_regions`); "tunnel" when it touches the box edge, else "bounded"; None when the centre is
    classified 1 or the snapshot has no 2-D grid.
    """
    import numpy as np
    from scipy import ndimage

    if prediction is None or getattr(prediction, "probabilities", None) is None or tunnel is None:
        return None
    p = prediction.probabilities.detach().cpu().numpy()
    xs, ys = prediction.xs.detach().cpu().numpy(), prediction.ys.detach().cpu().numpy()
    cx, cy = (float(v) for v in tunnel.center)
    i, j = int(np.abs(xs - cx).argmin()), int(np.abs(ys - cy).argmin())
    labels, _ = ndimage.label(p < 0.5)
    if labels[j, i] == 0:
        return None
    mask = labels == labels[j, i]
    edge = mask[0].any() or mask[-1].any() or mask[:, 0].any() or mask[:, -1].any()
    return ("tunnel" if edge else "bounded"), mask
