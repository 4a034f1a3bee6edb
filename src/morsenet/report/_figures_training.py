"""Draw the report's training-mode figures of one model: the loss decomposition (when the loss has terms beyond
the data loss) and rule R1's ratio per epoch (ResNets with skip != 0)."""

from __future__ import annotations

from typing import Any

from ..models import ResNetConfig
from ..plotting._training import TERM_LABELS, plot_loss_terms, plot_r1_ratio
from ..theory._architectures import activation_info
from ._analyze import ModelAnalysis
from ._writer import FigureWriter

__all__ = ["bound_ratio", "training_mode_figures"]


def bound_ratio(a: ModelAnalysis) -> float | None:
    """The R1 ratio the model's training weight bound B guarantees (`B * |residual| * Lip / |skip|`), or None."""
    train: Any = a.meta.get("train") or {}
    bound = train.get("weight_bound") if isinstance(train, dict) else None
    spec = a.model.spec
    if bound is None or not isinstance(spec, ResNetConfig) or spec.skip == 0:
        return None
    return float(bound) * abs(spec.residual) * activation_info(spec.activation).lipschitz / abs(spec.skip)


def training_mode_figures(a: ModelAnalysis, w: FigureWriter) -> None:
    """Add the "Loss decomposition" figure when `a.history.loss_terms`, "R1 ratio" when `a.history.r1_ratio`."""
    history = a.history
    if history is None:
        return
    if history.loss_terms:
        names = ", ".join(
            f"{TERM_LABELS.get(n, n)} (weight {history.loss_weights.get(n, 1.0):.3g})" for n in history.loss_terms
        )
        w.panels(
            "loss_terms",
            "Loss decomposition",
            "Each term of the minimised training loss per epoch, weighted as it enters the loss (the per-epoch mean "
            f"of its raw value times its weight): {names}; the black line is their sum, the minimised total. "
            "The loss is (1 - e)[(1 - a) L(x) + a L(x_adv)] + e P + lambda sum of squared parameters: L the data "
            "loss, x_adv the FGSM point x + epsilon sign(grad_x L), P the input-gradient penalty (double backprop).",
            (6.2, 4.0),
            [lambda ax: plot_loss_terms(history, ax)],
            bottom=0.8,
        )
    if history.r1_ratio:
        ratio = bound_ratio(a)
        kept = history.best_epoch if 0 <= history.best_epoch < len(history.r1_ratio) else len(history.r1_ratio) - 1
        value = history.r1_ratio[kept]
        verdict = "holds" if value < 1 else "does not hold"
        bound_text = (
            f"; the dashed line is the ratio the training weight bound guarantees ({ratio:.3g})" if ratio else ""
        )
        w.panels(
            "r1_ratio",
            "R1 ratio",
            "Rule R1's ratio |residual| Lip(act) max_k ||W_k||_2 / |skip| after each epoch, with the blocks' "
            "BatchNorm-folded (eval-mode) weights W_k. R1 (THEORY.md) makes every residual block a diffeomorphism "
            "while the ratio is < 1 (below the solid line at 1, shaded), so the ResNet then has no critical points "
            f"and cannot enclose a region{bound_text}. At the kept epoch ({kept + 1}) the ratio is {value:.3g}: R1 "
            f"{verdict}.",
            (6.2, 4.0),
            [lambda ax: plot_r1_ratio(history, ax, bound_ratio=ratio)],
            bottom=0.8,
        )
