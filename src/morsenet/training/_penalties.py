"""The terms of the training loss beyond the data loss: input-gradient penalty, FGSM mixing, L2 on parameters.

One implementation serves one model (points (B, d), logits (B,); every term a scalar) and a stack of M models
(points (M, B, d), logits (M, B); every term (M,), model m's depending on its parameters and points alone), so
`fit` and the ensemble trainer minimise the same numbers. With `L` the mean data loss of the batch:

    g_i    = d(sum_j loss_j) / d x_i                    the input gradient at each point ("double backprop")
    P      = mean_i ||g_i||_2^2  ("l2")  or  mean_i ||g_i||_1  ("l1")
    x_adv  = x + adversarial_epsilon * sign(g)          (FGSM; detached: no gradient flows through the step)
    L_mix  = (1 - a) L(x) + a L(x_adv)                  (L itself when a = 0)
    loss   = (1 - e) L_mix + e P + lambda * sum of squared trainable parameters

Without BatchNorm in training mode `g_i` is the gradient of point i's own loss; with it the batch statistics
couple the points, and `g_i` also carries point i's effect on the others' losses through them. The FGSM
forward pass normalises with its own batch statistics but does not update the running ones (which follow the
clean batches only, as without adversarial mixing).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from ._config import TrainConfig

__all__ = ["LossTerms", "fgsm_point", "input_gradient_penalty", "loss_weights", "per_point_loss", "training_loss"]

# forward(x, update_statistics) -> logits; update_statistics False: BatchNorm leaves its running statistics.
Forward = Callable[[Tensor, bool], Tensor]


def per_point_loss(task: str, logits: Tensor, target: Tensor) -> Tensor:
    """Each point's loss (BCE on logits for classification, squared error for regression), shape of `logits`."""
    if task == "classification":
        return F.binary_cross_entropy_with_logits(logits, target, reduction="none")
    return F.mse_loss(logits, target, reduction="none")


def input_gradient_penalty(grad: Tensor, norm: str) -> Tensor:
    """Mean over points of `||g_i||_2^2` ("l2") or `||g_i||_1` ("l1"); `grad` (..., B, d) -> (...)."""
    per_point = grad.square().sum(-1) if norm == "l2" else grad.abs().sum(-1)
    return per_point.mean(-1)


def fgsm_point(x: Tensor, grad: Tensor, epsilon: float) -> Tensor:
    """The FGSM point `x + epsilon * sign(grad)`, detached."""
    return (x + epsilon * torch.sign(grad)).detach()


def loss_weights(config: TrainConfig) -> dict[str, float]:
    """The weight each term's raw value carries in the minimised loss (what `History.loss_weights` records)."""
    e, a = config.input_gradient_penalty, config.adversarial
    out = {"data": (1 - e) * (1 - a)}
    if a > 0:
        out["adversarial"] = (1 - e) * a
    if e > 0:
        out["input_gradient"] = e
    if config.l2_penalty > 0:
        out["l2"] = config.l2_penalty
    return out


@dataclass
class LossTerms:
    """The minimised loss and each switched-on term's raw (unweighted) value; scalars or (M,) for a stack."""

    total: Tensor
    raw: dict[str, Tensor]


def training_loss(
    forward: Forward,
    x: Tensor,
    y: Tensor,
    task: str,
    config: TrainConfig,
    squared_parameters: Callable[[], Tensor] | None = None,
) -> LossTerms:
    """The loss `config` asks for at the batch (x, y) (see the module docstring for the formula).

    `forward(x, True)` is the training forward pass (it updates BatchNorm's running statistics); the FGSM point
    is evaluated with `forward(x_adv, False)`. `squared_parameters()` gives the sum of squared trainable
    parameters (per model for a stack); it is called only when `config.l2_penalty > 0`.
    """
    e, a = config.input_gradient_penalty, config.adversarial
    need_grad = e > 0 or a > 0
    xg = x.detach().requires_grad_(True) if need_grad else x
    losses = per_point_loss(task, forward(xg, True), y)
    data = losses.mean(-1)
    raw = {"data": data}
    mixed = data
    grad: Tensor | None = None
    if need_grad:
        # Model m's loss depends on its own points alone, so one gradient of the sum gives every g_i.
        (grad,) = torch.autograd.grad(losses.sum(), xg, create_graph=e > 0, retain_graph=True)
    if a > 0:
        assert grad is not None
        adv = per_point_loss(task, forward(fgsm_point(x, grad, config.adversarial_epsilon), False), y).mean(-1)
        raw["adversarial"] = adv
        mixed = (1 - a) * data + a * adv
    total = mixed
    if e > 0:
        assert grad is not None
        penalty = input_gradient_penalty(grad, config.penalty_norm)
        raw["input_gradient"] = penalty
        total = (1 - e) * mixed + e * penalty
    if config.l2_penalty > 0:
        assert squared_parameters is not None
        l2 = squared_parameters()
        raw["l2"] = l2
        total = total + config.l2_penalty * l2
    return LossTerms(total, raw)
