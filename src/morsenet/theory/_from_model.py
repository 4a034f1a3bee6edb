"""Read an architecture (with actual ranks, spectral norms and zero read-outs) off a built morsenet model."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from ..errors import MorsenetError
from ..models import MLPConfig, MorseModel, NeuralODEConfig, ResNetConfig
from ._architectures import MLPArchitecture, NeuralODEArchitecture, ResNetArchitecture, activation_info


def numerical_rank(w: Tensor, *, rtol: float = 1e-6) -> int:
    """Number of singular values of `w` (shape (out, in)) above `rtol` times the largest; 0 for a zero matrix."""
    s = torch.linalg.svdvals(w.detach().to(torch.float64))
    if s.numel() == 0 or not bool(s[0] > 0):
        return 0
    return int((s > rtol * s[0]).sum())


def spectral_norm(w: Tensor) -> float:
    """Largest singular value of `w`."""
    return float(torch.linalg.matrix_norm(w.detach().to(torch.float64), ord=2))


def architecture_of(model: Any, *, rtol: float = 1e-6) -> MLPArchitecture | ResNetArchitecture | NeuralODEArchitecture:
    """The architecture `predict` classifies for a built model (eval-mode BatchNorm folded in).

    Ranks are numerical ranks of the folded affine maps, so a BatchNorm channel with gamma = 0, a rank-deficient
    weight or a zero read-out is seen. For a ResNet the spectral norm of each block weight is the R1 weight bound.
    This is the theory's reading of each model kind (the one place outside `models` that knows the kinds).

    Raises:
        MorsenetError: when the model is not a morsenet model.
    """
    if not isinstance(model, MorseModel):
        raise MorsenetError(f"{type(model).__name__} is not a morsenet model (expected an MLP, ResNet or NeuralODE)")
    spec = model.spec
    maps = model.named_affine_maps()
    w_out = maps[-1].weight
    if isinstance(spec, MLPConfig):
        widths = (int(maps[0].weight.shape[1]), *(int(m.weight.shape[0]) for m in maps))
        ranks = tuple(numerical_rank(m.weight, rtol=rtol) for m in maps)
        return MLPArchitecture(widths=widths, activation=spec.activation, ranks=ranks)
    if isinstance(spec, ResNetConfig):
        steps = model.chain() or ()
        blocks = [s for s in steps if s.is_block]
        head = [s for s in steps if not s.is_block]
        return ResNetArchitecture(
            input_dim=spec.input_dim,
            width=spec.width,
            blocks=len(blocks),
            skip=spec.skip,
            residual=spec.residual,
            activation=spec.activation,
            input_layer=spec.input_layer,
            weight_bound=tuple(spectral_norm(s.weight) for s in blocks),
            input_rank=numerical_rank(head[0].weight, rtol=rtol) if head else None,
            block_ranks=tuple(numerical_rank(s.weight, rtol=rtol) for s in blocks),
            readout_nonzero=numerical_rank(w_out, rtol=rtol) > 0,
        )
    if isinstance(spec, NeuralODEConfig):
        return NeuralODEArchitecture(
            input_dim=spec.input_dim,
            dim=spec.dim,
            rank_lift=numerical_rank(maps[0].weight, rtol=rtol),
            readout_nonzero=numerical_rank(w_out, rtol=rtol) > 0,
            activation=spec.activation,
        )
    raise MorsenetError(f"the theory has no reading of model kind {spec.kind!r}")


def r1_ratio(model: Any) -> float | None:
    """Rule R1's ratio `|residual| * Lip(act) * max_k ||W_k||_2 / |skip|` of a ResNet (BatchNorm folded, eval mode).

    R1 (THEORY.md) makes every block a diffeomorphism, hence the whole narrow ResNet free of critical points,
    while this is < 1. None when R1 does not apply: not a ResNet, skip = 0 (an MLP: rule R2) or no blocks.
    """
    if not isinstance(model, MorseModel) or not isinstance(model.spec, ResNetConfig):
        return None
    spec = model.spec
    blocks = [s for s in (model.chain() or ()) if s.is_block]
    if spec.skip == 0 or not blocks:
        return None
    lip = activation_info(spec.activation).lipschitz
    return abs(spec.residual) * lip * max(spectral_norm(s.weight) for s in blocks) / abs(spec.skip)
