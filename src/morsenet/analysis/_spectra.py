"""Weight spectra: singular values and rank of every affine layer, and eigenvalues of ResNet block Jacobians."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn

from ..errors import MorsenetError


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

    def to_dict(self) -> dict[str, Any]:
        return {"layers": [layer.to_dict() for layer in self.layers]}


def _layer_names(model: nn.Module, n: int) -> list[str]:
    kind = getattr(model, "kind", None)
    if kind == "mlp":
        return [f"layer {i + 1}" for i in range(n - 1)] + ["readout"]
    if kind == "resnet":
        head = ["input"] if getattr(model, "has_input_layer", False) else []
        return head + [f"block {i + 1}" for i in range(n - 1 - len(head))] + ["readout"]
    if kind == "neural_ode":
        return ["lift"] + [f"field {i + 1}" for i in range(n - 2)] + ["readout"]
    return [f"layer {i + 1}" for i in range(n)]


def _weights(model: nn.Module | Sequence[Tensor]) -> tuple[list[str], list[Tensor]]:
    if isinstance(model, nn.Module):
        if hasattr(model, "affine_maps"):
            mats = [w for w, _ in model.affine_maps()]
        else:
            mats = [m.weight.detach() for m in model.modules() if isinstance(m, nn.Linear)]
        if not mats:
            raise MorsenetError(f"{type(model).__name__} has no linear layers to take spectra of")
        return _layer_names(model, len(mats)), mats
    mats = list(model)
    for i, w in enumerate(mats):
        if not isinstance(w, Tensor) or w.ndim != 2:
            raise MorsenetError(
                f"weight {i} must be a 2-D tensor (out, in), got "
                f"{tuple(w.shape) if isinstance(w, Tensor) else type(w).__name__}"
            )
    return [f"layer {i + 1}" for i in range(len(mats))], mats


def matrix_rank_tol(sv: Tensor, shape: tuple[int, int]) -> float:
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


def block_jacobian_eigenvalues(resnet: nn.Module, x: Tensor) -> BlockJacobians:
    """Eigenvalues of every residual block's Jacobian `eps*I + delta*diag(act'(W h + b)) W` at inputs `x`.

    Args:
        resnet: a `morsenet.ResNet` (BatchNorm, if any, folded in eval mode).
        x: (n, d) inputs, or one input (d,) (returned with n = 1).

    Returns:
        `BlockJacobians` with states (n, B, w), matrices (n, B, w, w) and complex eigenvalues (n, B, w).
    """
    from ..models import ACTIVATIONS  # models import nothing from analysis; keep the cycle impossible

    if getattr(resnet, "kind", None) != "resnet":
        raise MorsenetError(f"block Jacobians need a morsenet ResNet, got {type(resnet).__name__}")
    dtype = next(resnet.parameters()).dtype
    if not isinstance(x, Tensor):
        raise MorsenetError(f"`x` must be a torch.Tensor, got {type(x).__name__}")
    x = x.detach().to(dtype)
    x = x[None] if x.ndim == 1 else x
    if x.ndim != 2 or x.shape[1] != resnet.input_dim:
        raise MorsenetError(
            f"`x` must have shape (n, {resnet.input_dim}) or ({resnet.input_dim},), got {tuple(x.shape)}"
        )
    act = ACTIVATIONS[resnet.activation]
    with torch.no_grad():
        h = x
        if resnet.has_input_layer:
            w_in, b_in = resnet.input_map()
            h = act(h @ w_in.T + b_in)
    eye = torch.eye(resnet.width, dtype=dtype)
    states, mats = [], []
    for w, b in resnet.block_maps():
        z = (h @ w.T + b).detach().requires_grad_(True)
        with torch.enable_grad():
            a = act(z)
            # Elementwise activation: the gradient of the sum is act'(z) at every entry.
            (slope,) = torch.autograd.grad(a.sum(), z)
        states.append(h)
        mats.append(resnet.skip * eye + resnet.residual * slope[:, :, None] * w[None])
        h = (resnet.skip * h + resnet.residual * a).detach()
    if not mats:
        empty = torch.zeros(x.shape[0], 0, resnet.width, dtype=dtype)
        return BlockJacobians(
            x,
            empty,
            empty[..., None].expand(-1, -1, -1, resnet.width),
            empty.to(torch.complex64 if dtype == torch.float32 else torch.complex128),
        )
    matrices = torch.stack(mats, dim=1)
    return BlockJacobians(x, torch.stack(states, dim=1), matrices, torch.linalg.eigvals(matrices))
