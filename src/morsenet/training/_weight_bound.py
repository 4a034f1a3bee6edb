"""Weight-bounded training: project every residual block's effective weight onto spectral norm <= B.

The effective weight of block k is the weight its activation sees in eval mode: `W_k` without BatchNorm, the
folded `diag(gamma_k / sqrt(running_var_k + eps)) W_k` with it. In training mode BatchNorm renormalises
`W_k h` over the batch, so the folded map does not depend on the scale of `W_k`; the projection therefore
scales `gamma_k` (and with it the folded map) by `B / ||folded W_k||_2`, computed with the current running
statistics. The same code projects one model (`project_weights`) and a stack of M models (`project_stacked`,
one batched `torch.linalg.matrix_norm` over (M, blocks, w, w)), so an ensemble projects as `fit` does.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import Tensor, nn

from ..errors import MorsenetError
from ..models import MorseModel, ResNetConfig
from ..theory._architectures import activation_info

__all__ = ["check_weight_bound", "weight_bound_refusal", "project_stacked", "project_weights", "stacked_r1_ratio"]


def weight_bound_refusal(kind: str) -> str | None:
    """Why `train.weight_bound` cannot train a model of `kind` (None: it can): only a ResNet's blocks are bounded.

    The one statement of the rule: `check_weight_bound` (at train start) and the spec layer (at load) use it."""
    if kind == ResNetConfig.kind:
        return None
    return (
        f"train.weight_bound bounds the residual blocks of a ResNet (rule R1), but the model is of kind "
        f'{kind!r}; use kind = "resnet" or leave weight_bound unset'
    )


def check_weight_bound(model: nn.Module) -> None:
    """Raise a MorsenetError unless `model` is a ResNet (the only kind whose blocks a weight bound bounds)."""
    kind = model.kind if isinstance(model, MorseModel) else type(model).__name__
    refusal = weight_bound_refusal(kind)
    if refusal is not None:
        raise MorsenetError(refusal)


def _bn_eps(template: MorseModel, i: int) -> float:
    norms = getattr(template, "norms", None)
    assert norms is not None
    return float(norms[i].eps)


def _effective(template: MorseModel, params: Mapping[str, Tensor], buffers: Mapping[str, Tensor]) -> Tensor:
    """(M, blocks, w, w) every block's eval-mode effective weight, in the parameters' dtype."""
    spec = template.spec
    assert isinstance(spec, ResNetConfig)
    out = []
    for i in range(spec.blocks):
        w = params[f"block_layers.{i}.weight"]
        if spec.batchnorm:
            # The formula of FoldableBatchNorm.scale_shift, batched over the model axis.
            scale = params[f"norms.{i}.weight"] / torch.sqrt(buffers[f"norms.{i}.running_var"] + _bn_eps(template, i))
            w = scale.unsqueeze(-1) * w
        out.append(w)
    return torch.stack(out, dim=1)


@torch.no_grad()
def project_stacked(
    template: MorseModel,
    params: Mapping[str, Tensor],
    buffers: Mapping[str, Tensor],
    bound: float,
    *,
    frozen: frozenset[str] = frozenset(),
) -> None:
    """Scale, in place, each of M stacked ResNets' block weights whose effective norm exceeds `bound` onto it.

    `params` and `buffers` hold (M, ...) tensors by state-dict name (views into the trained storage; the
    architecture is `template`'s). Without BatchNorm `W_k` is scaled by `bound / ||W_k||_2`; with it `gamma_k`
    is (see the module docstring). Blocks within the bound are not touched; nor are the parameters named in
    `frozen` (a frozen `W_k` or `gamma_k` is left as it is, so that block may stay above the bound).
    """
    spec = template.spec
    assert isinstance(spec, ResNetConfig)
    if spec.blocks == 0:
        return
    norms = torch.linalg.matrix_norm(_effective(template, params, buffers).to(torch.float64), ord=2)  # (M, K)
    over = norms > bound
    if not bool(over.any()):
        return
    factor = torch.where(over, bound / norms, torch.ones_like(norms))
    for i in range(spec.blocks):
        name = f"norms.{i}.weight" if spec.batchnorm else f"block_layers.{i}.weight"
        if name in frozen or not bool(over[:, i].any()):
            continue
        target = params[name]
        f = factor[:, i].to(target.dtype).view(-1, *([1] * (target.dim() - 1)))
        target.copy_(torch.where(over[:, i].view_as(f), target * f, target))


def project_weights(model: nn.Module, bound: float) -> None:
    """`project_stacked` for one ResNet module, in place; parameters with requires_grad = False are left alone.

    Raises:
        MorsenetError: when `model` is not a ResNet.
    """
    check_weight_bound(model)
    assert isinstance(model, MorseModel)
    params = {k: p.detach().unsqueeze(0) for k, p in model.named_parameters()}  # views sharing the storage
    buffers = {k: b.unsqueeze(0) for k, b in model.named_buffers()}
    frozen = frozenset(k for k, p in model.named_parameters() if not p.requires_grad)
    project_stacked(model, params, buffers, bound, frozen=frozen)


@torch.no_grad()
def stacked_r1_ratio(
    template: MorseModel, params: Mapping[str, Tensor], buffers: Mapping[str, Tensor]
) -> Tensor | None:
    """(M,) float64: `morsenet.theory.r1_ratio` of each of M stacked models (eval-mode BatchNorm folded).

    None where `r1_ratio` is None for the architecture (not a ResNet, skip = 0 or no blocks).
    """
    spec = template.spec
    if not isinstance(spec, ResNetConfig) or spec.skip == 0 or spec.blocks == 0:
        return None
    norms = torch.linalg.matrix_norm(_effective(template, params, buffers).to(torch.float64), ord=2)
    lip = activation_info(spec.activation).lipschitz
    return abs(spec.residual) * lip * norms.amax(dim=1) / abs(spec.skip)
