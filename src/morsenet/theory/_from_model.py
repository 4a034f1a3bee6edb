"""Read an architecture (with actual ranks, spectral norms and zero read-outs) off a built morsenet model."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from ..errors import MorsenetError
from ._architectures import MLPArchitecture, NeuralODEArchitecture, ResNetArchitecture


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

    Raises:
        MorsenetError: when the model does not follow the morsenet model protocol.
    """
    try:
        kind = model.config()["kind"]
    except Exception as err:  # any model without a usable config() is not ours
        raise MorsenetError(f"{type(model).__name__} is not a morsenet model (config() failed: {err})") from None
    activation = getattr(model, "activation", None) or model.config().get("activation", "tanh")
    if kind == "mlp":
        maps = model.affine_maps()
        widths = (int(maps[0][0].shape[1]), *(int(w.shape[0]) for w, _ in maps))
        ranks = tuple(numerical_rank(w, rtol=rtol) for w, _ in maps)
        return MLPArchitecture(widths=widths, activation=activation, ranks=ranks)
    if kind == "resnet":
        in_map = model.input_map()
        blocks = model.block_maps()
        w_out, _ = model.readout()
        return ResNetArchitecture(
            input_dim=int(model.input_dim),
            width=int(model.width),
            blocks=len(blocks),
            skip=float(model.skip),
            residual=float(model.residual),
            activation=activation,
            input_layer=in_map is not None,
            weight_bound=tuple(spectral_norm(w) for w, _ in blocks),
            input_rank=None if in_map is None else numerical_rank(in_map[0], rtol=rtol),
            block_ranks=tuple(numerical_rank(w, rtol=rtol) for w, _ in blocks),
            readout_nonzero=numerical_rank(w_out, rtol=rtol) > 0,
        )
    if kind == "neural_ode":
        a, _ = model.lift()
        lam, _ = model.readout()
        return NeuralODEArchitecture(
            input_dim=int(model.input_dim),
            dim=int(model.dim),
            rank_lift=numerical_rank(a, rtol=rtol),
            readout_nonzero=numerical_rank(lam, rtol=rtol) > 0,
            activation=activation,
        )
    raise MorsenetError(f"unknown model kind {kind!r}; expected mlp, resnet or neural_ode")
