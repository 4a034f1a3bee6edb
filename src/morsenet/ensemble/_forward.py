"""Batched forward passes: M models of one architecture at once, parameters stacked along a leading axis.

Each function mirrors its model's `forward` operation by operation (same activations, same order of
additions), reading the stacked tensors by the model's own state-dict names, so that model `m` of the batch
computes what the single module computes with the same weights. BatchNorm in training mode keeps per-model
statistics by treating every (model, feature) pair as its own BatchNorm channel.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..models._common import ACTIVATIONS

Params = dict[str, Tensor]
Forward = Callable[[Params, Params, Tensor, bool], Tensor]


def linear(p: Params, name: str, h: Tensor) -> Tensor:
    """`h @ W.T + b` per model: h (M, B, in), weight (M, out, in), bias (M, out) -> (M, B, out)."""
    return affine(p[f"{name}.weight"], p[f"{name}.bias"], h)


def affine(w: Tensor, b: Tensor, h: Tensor) -> Tensor:
    return torch.baddbmm(b.unsqueeze(1), h, w.transpose(1, 2))


def batchnorm(p: Params, buffers: Params, name: str, z: Tensor, training: bool, bn: nn.BatchNorm1d) -> Tensor:
    """Per-model BatchNorm1d of z (M, B, C), updating the running statistics in place when training.

    Training: the batch is laid out as (B, M*C), so `F.batch_norm` treats every (model, feature) pair as its
    own channel: it normalises each model's feature over that model's own minibatch and updates its running
    mean and (unbiased) variance with the module's momentum, with the same kernel and the same order of
    summation as `nn.BatchNorm1d` on that model's (B, C) batch. Evaluation: FoldableBatchNorm's affine map.
    """
    weight, bias = p[f"{name}.weight"], p[f"{name}.bias"]
    mean, var = buffers[f"{name}.running_mean"], buffers[f"{name}.running_var"]
    if training:
        m, b, c = z.shape
        out = F.batch_norm(
            z.transpose(0, 1).reshape(b, m * c),
            mean.view(-1),
            var.view(-1),
            weight.reshape(-1),
            bias.reshape(-1),
            True,
            bn.momentum,
            bn.eps,
        )
        return out.view(b, m, c).transpose(0, 1)
    scale = weight / torch.sqrt(var + bn.eps)
    shift = bias - scale * mean
    return z * scale.unsqueeze(1) + shift.unsqueeze(1)


def mlp_forward(model: nn.Module) -> Forward:
    act = ACTIVATIONS[model.activation]
    norms = model.norms

    def forward(p: Params, buffers: Params, x: Tensor, training: bool) -> Tensor:
        h = x
        for i in range(model.n_layers):
            z = linear(p, f"hidden_layers.{i}", h)
            if norms is not None:
                z = batchnorm(p, buffers, f"norms.{i}", z, training, norms[i])
            h = act(z)
        return linear(p, "readout", h).squeeze(-1)

    return forward


def resnet_forward(model: nn.Module) -> Forward:
    act = ACTIVATIONS[model.activation]
    norms, skip, residual = model.norms, model.skip, model.residual

    def forward(p: Params, buffers: Params, x: Tensor, training: bool) -> Tensor:
        h = x
        if model.has_input_layer:
            h = act(linear(p, "input_layer", h))
        for i in range(model.n_blocks):
            z = linear(p, f"block_layers.{i}", h)
            if norms is not None:
                z = batchnorm(p, buffers, f"norms.{i}", z, training, norms[i])
            h = skip * h + residual * act(z)
        return linear(p, "readout_layer", h).squeeze(-1)

    return forward


def neural_ode_forward(model: nn.Module) -> Forward:
    act = ACTIVATIONS[model.activation]
    dt = model.T / model.steps
    per_piece = model.steps // model.pieces
    outside = model.vector_field == "outside"

    def forward(p: Params, buffers: Params, x: Tensor, training: bool) -> Tensor:
        weights, biases = p["field_weight"], p["field_bias"]  # (M, pieces, dim, dim), (M, pieces, dim)

        def field(h: Tensor, piece: int) -> Tensor:
            w, b = weights[:, piece], biases[:, piece]
            return act(affine(w, b, h)) if outside else affine(w, b, act(h))

        h = linear(p, "lift_layer", x)
        for step in range(model.steps):
            piece = step // per_piece
            k1 = field(h, piece)
            k2 = field(h + 0.5 * dt * k1, piece)
            k3 = field(h + 0.5 * dt * k2, piece)
            k4 = field(h + dt * k3, piece)
            h = h + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        return linear(p, "readout_layer", h).squeeze(-1)

    return forward


FORWARDS: dict[str, Callable[[nn.Module], Forward]] = {
    "mlp": mlp_forward,
    "resnet": resnet_forward,
    "neural_ode": neural_ode_forward,
}


def batched_forward(template: nn.Module) -> Forward:
    """The batched forward for models shaped like `template` (a morsenet MLP, ResNet or NeuralODE).

    Returns `forward(params, buffers, x, training) -> logits (M, B)` with x of shape (M, B, d).
    """
    kind = getattr(template, "kind", None)
    if kind not in FORWARDS:
        raise NotImplementedError(
            f"no batched forward for {type(template).__name__} (kind {kind!r}); ensembles support {', '.join(FORWARDS)}"
        )
    return FORWARDS[kind](template)
