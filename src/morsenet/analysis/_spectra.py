"""Weight spectra: singular values and rank of every affine layer, and eigenvalues of ResNet block Jacobians."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn

from ..errors import MorsenetError
from ..models import MorseModel
from . import _repr


@dataclass(frozen=True)
class LayerSpectrum:
    """One layer's weight matrix and its singular values.

    Attributes:
        name: "layer 1", "block 3", "readout", ... (in order of application).
        weight: (out, in) weight matrix (eval-mode BatchNorm folded in for morsenet models).
        singular_values: (min(out, in),) descending.
        rank: number of singular values above `tol`.
        tol: the absolute threshold used for `rank`.
    """

    name: str
    weight: Tensor
    singular_values: Tensor
    rank: int
    tol: float

    @property
    def full_rank(self) -> bool:
        return self.rank == min(self.weight.shape)

    def __repr__(self) -> str:
        sv = self.singular_values
        top = "" if not sv.numel() else f", sigma_max={_repr.num(float(sv[0]))}, sigma_min={_repr.num(float(sv[-1]))}"
        return (
            f"LayerSpectrum(name={self.name!r}, shape={'x'.join(map(str, self.weight.shape))}, rank={self.rank}, "
            f"full_rank={self.full_rank}{top})"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "shape": list(self.weight.shape),
            "singular_values": self.singular_values.tolist(),
            "rank": self.rank,
            "tol": self.tol,
            "full_rank": self.full_rank,
        }


@dataclass(frozen=True)
class WeightSpectra:
    """Singular values and ranks of every affine layer of a model, in order of application."""

    layers: tuple[LayerSpectrum, ...]

    @property
    def names(self) -> list[str]:
        return [layer.name for layer in self.layers]

    @property
    def ranks(self) -> list[int]:
        return [layer.rank for layer in self.layers]

    def __repr__(self) -> str:
        shapes = _repr.items("x".join(map(str, layer.weight.shape)) for layer in self.layers)
        return f"WeightSpectra(layers={len(self.layers)}, shapes={shapes}, ranks={_repr.items(self.ranks)})"

    def to_dict(self) -> dict[str, Any]:
        return {"layers": [layer.to_dict() for layer in self.layers]}


def _weights(model: nn.Module | Sequence[Tensor]) -> tuple[list[str], list[Tensor]]:
    if isinstance(model, MorseModel):
        maps = model.named_affine_maps()
        return [m.name for m in maps], [m.weight for m in maps]
    if isinstance(model, nn.Module):
        mats = [m.weight.detach() for m in model.modules() if isinstance(m, nn.Linear)]
        if not mats:
            raise MorsenetError(f"{type(model).__name__} has no linear layers to take spectra of")
        return [f"layer {i + 1}" for i in range(len(mats))], mats
    mats = list(model)
    for i, w in enumerate(mats):
        if not isinstance(w, Tensor) or w.ndim != 2:
            raise MorsenetError(
                f"weight {i} must be a 2-D tensor (out, in), got "
                f"{tuple(w.shape) if isinstance(w, Tensor) else type(w).__name__}"
            )
    return [f"layer {i + 1}" for i in range(len(mats))], mats


def matrix_rank_tol(sv: Tensor, shape: tuple[int, ...]) -> float:
    """numpy's default rank threshold: largest singular value x max(shape) x machine epsilon."""
    smax = float(sv[0]) if sv.numel() else 0.0
    return smax * max(shape) * torch.finfo(sv.dtype).eps


def weight_spectra(model: nn.Module | Sequence[Tensor], *, tol: float | None = None) -> WeightSpectra:
    """Singular values and rank of every linear layer's weight matrix.

    Args:
        model: a morsenet model (its `affine_maps()`, eval-mode BatchNorm folded in, read-out included), any
            module (its `nn.Linear` weights), or a sequence of (out, in) matrices.
        tol: absolute threshold: singular values above it count towards the rank. None uses numpy's
            default per matrix (largest singular value x max(out, in) x machine epsilon).

    Returns:
        `WeightSpectra` with one `LayerSpectrum` (name, weight, singular values, rank) per layer.
    """
    if tol is not None and (isinstance(tol, bool) or not isinstance(tol, (int, float)) or tol < 0):
        raise MorsenetError(f"`tol` must be a number >= 0 or None, got {tol!r}")
    names, mats = _weights(model)
    layers = []
    for name, w in zip(names, mats):
        w = w.detach()
        sv = torch.linalg.svdvals(w)
        t = matrix_rank_tol(sv, tuple(w.shape)) if tol is None else float(tol)
        layers.append(LayerSpectrum(name, w, sv, int((sv > t).sum()), t))
    return WeightSpectra(tuple(layers))


@dataclass(frozen=True)
class BlockJacobians:
    """Jacobians `skip*I + residual*diag(act'(W h + b)) W` of each ResNet block at the states of given inputs.

    Attributes:
        points: (n, d) inputs.
        states: (n, B, w) hidden state entering each block.
        matrices: (n, B, w, w) block Jacobians.
        eigenvalues: (n, B, w) complex eigenvalues of each block Jacobian.
    """

    points: Tensor
    states: Tensor
    matrices: Tensor
    eigenvalues: Tensor

    @property
    def moduli(self) -> Tensor:
        """(n, B, w) eigenvalue moduli."""
        return self.eigenvalues.abs()

    @property
    def determinants(self) -> Tensor:
        """(n, B) determinant of each block Jacobian: a sign change means a block can fold the plane."""
        return torch.linalg.det(self.matrices)

    def __repr__(self) -> str:
        n, blocks, width = self.eigenvalues.shape
        moduli = "" if not self.eigenvalues.numel() else f", |eigenvalue| range={_repr.value_range(self.moduli)}"
        return f"BlockJacobians(points={n}, blocks={blocks}, width={width}{moduli})"


def block_jacobian_eigenvalues(resnet: nn.Module, x: Tensor) -> BlockJacobians:
    """Eigenvalues of every residual block's Jacobian `eps*I + delta*diag(act'(W h + b)) W` at inputs `x`.

    The blocks are the `is_block` steps of the model's layer chain (`MorseModel.chain()`); the steps before
    them (a ResNet's input layer) map the inputs to the state entering the first block.

    Args:
        resnet: a `morsenet.ResNet` (BatchNorm, if any, folded in eval mode).
        x: (n, d) inputs, or one input (d,) (returned with n = 1).

    Returns:
        `BlockJacobians` with states (n, B, w), matrices (n, B, w, w) and complex eigenvalues (n, B, w).

    Raises:
        MorsenetError: for a model not built of residual blocks (`MorseModel.has_residual_blocks`), or inputs
            of the wrong shape.
    """
    if not isinstance(resnet, MorseModel) or not resnet.has_residual_blocks:
        raise MorsenetError(f"block Jacobians need a morsenet ResNet, got {type(resnet).__name__}")
    steps = resnet.chain()
    assert steps is not None  # a model of residual blocks has a layer chain
    dtype = next(resnet.parameters()).dtype
    if not isinstance(x, Tensor):
        raise MorsenetError(f"`x` must be a torch.Tensor, got {type(x).__name__}")
    x = x.detach().to(dtype)
    x = x[None] if x.ndim == 1 else x
    d = resnet.input_dim
    if x.ndim != 2 or x.shape[1] != d:
        raise MorsenetError(f"`x` must have shape (n, {d}) or ({d},), got {tuple(x.shape)}")
    act = resnet.act
    h = x
    states, mats = [], []
    for step in steps:
        z = (h @ step.weight.T + step.bias).detach().requires_grad_(True)
        with torch.enable_grad():
            a = act(z)
            # Elementwise activation: the gradient of the sum is act'(z) at every entry.
            (slope,) = torch.autograd.grad(a.sum(), z)
        if step.is_block:
            states.append(h)
            mats.append(step.jacobian(z, slope))
        h = step.combine(h, a).detach()
    if not mats:
        width = steps[-1].weight.shape[0] if steps else d
        empty = torch.zeros(x.shape[0], 0, width, dtype=dtype)
        return BlockJacobians(
            x,
            empty,
            empty[..., None].expand(-1, -1, -1, width),
            empty.to(torch.complex64 if dtype == torch.float32 else torch.complex128),
        )
    matrices = torch.stack(mats, dim=1)
    return BlockJacobians(x, torch.stack(states, dim=1), matrices, torch.linalg.eigvals(matrices))
