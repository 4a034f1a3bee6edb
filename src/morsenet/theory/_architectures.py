"""Architecture descriptions the theory predictor reads: MLP, ResNet and neural-ODE width/rank data."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..errors import MorsenetError

# Activation families (THEORY.md 1.2): what the theorems assume about sigma.
SMOOTH = "smooth"  # C^2 (or better) with sigma' > 0 everywhere: fully supported
IDENTITY = "identity"  # linear nets: Phi is affine
C1 = "c1"  # sigma' > 0 but not C^2: "no critical points" holds, Hessian classes undefined
RELU = "relu"  # sigma' = 0 on a half-line: outside the theory
NON_MONOTONE = "non_monotone"  # critical points can appear anywhere: outside the theory


@dataclass(frozen=True)
class Activation:
    """What `predict` needs to know about an activation: its family and Lipschitz constant."""

    name: str
    family: str
    lipschitz: float


_ACTIVATIONS = {
    "tanh": Activation("tanh", SMOOTH, 1.0),
    "sigmoid": Activation("sigmoid", SMOOTH, 0.25),
    "logistic": Activation("logistic", SMOOTH, 0.25),
    "softplus": Activation("softplus", SMOOTH, 1.0),
    "arctan": Activation("arctan", SMOOTH, 1.0),
    "erf": Activation("erf", SMOOTH, 2.0 / math.sqrt(math.pi)),
    "identity": Activation("identity", IDENTITY, 1.0),
    "leaky_relu": Activation("leaky_relu", C1, 1.0),
    "elu": Activation("elu", C1, 1.0),
    "softsign": Activation("softsign", C1, 1.0),
    "selu": Activation("selu", C1, 1.0507 * 1.6733),
    "relu": Activation("relu", RELU, 1.0),
    "silu": Activation("silu", NON_MONOTONE, 1.1),
    "swish": Activation("swish", NON_MONOTONE, 1.1),
    "gelu": Activation("gelu", NON_MONOTONE, 1.13),
    "mish": Activation("mish", NON_MONOTONE, 1.09),
    "sin": Activation("sin", NON_MONOTONE, 1.0),
}
_ALIASES = {"linear": "identity", "none": "identity", "atan": "arctan", "leakyrelu": "leaky_relu"}

ACTIVATION_NAMES: tuple[str, ...] = tuple(sorted(_ACTIVATIONS))


def activation_info(name: str) -> Activation:
    """Look up an activation by name (case-insensitive; a few aliases such as "linear").

    Raises:
        MorsenetError: for a name the theory table does not know.
    """
    if not isinstance(name, str):
        raise MorsenetError(f"activation must be a string, got {type(name).__name__}")
    key = _ALIASES.get(name.strip().lower(), name.strip().lower())
    try:
        return _ACTIVATIONS[key]
    except KeyError:
        raise MorsenetError(f"unknown activation {name!r}; choose one of {', '.join(ACTIVATION_NAMES)}") from None


def _positive_int(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise MorsenetError(f"{what} must be a positive integer, got {value!r}")
    if value < 1:
        raise MorsenetError(f"{what} must be a positive integer, got {value}")
    return value


def _rank(value: object, upper: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= upper:
        raise MorsenetError(f"{what} must be an integer in 0..{upper}, got {value!r}")
    return value


def _tuple(value: object, what: str) -> tuple:
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        raise MorsenetError(f"{what} must be a sequence, got {value!r}")
    return tuple(value)


@dataclass(frozen=True)
class MLPArchitecture:
    """A feed-forward net `[n0, n1, ..., nL, 1]` (THEORY.md 1.1).

    Args:
        widths: input dimension, hidden widths, and the output width 1.
        activation: activation of every hidden layer.
        ranks: rank of each affine map W_1..W_{L+1} (len(widths) - 1 entries); None means full rank.
    """

    widths: tuple[int, ...]
    activation: str = "tanh"
    ranks: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        widths = _tuple(self.widths, "widths")
        if len(widths) < 2:
            raise MorsenetError(f"widths must be [n0, ..., 1] with at least 2 entries, got {list(widths)}")
        for i, w in enumerate(widths):
            _positive_int(w, f"widths[{i}]")
        if widths[-1] != 1:
            raise MorsenetError(f"the last width must be 1 (scalar output), got {list(widths)}")
        object.__setattr__(self, "widths", widths)
        object.__setattr__(self, "activation", activation_info(self.activation).name)
        if self.ranks is not None:
            ranks = _tuple(self.ranks, "ranks")
            if len(ranks) != len(widths) - 1:
                raise MorsenetError(f"ranks needs one entry per weight matrix ({len(widths) - 1}), got {list(ranks)}")
            for l, r in enumerate(ranks, start=1):
                _rank(r, min(widths[l], widths[l - 1]), f"ranks[{l - 1}] (rank of W_{l})")
            object.__setattr__(self, "ranks", ranks)

    @property
    def input_dim(self) -> int:
        return self.widths[0]


@dataclass(frozen=True)
class ResNetArchitecture:
    """A ResNet `h <- skip*h + residual*act(W_k h + b_k)` of width `width` (THEORY.md 1.6).

    Args:
        input_dim: n0.
        width: d, the width of every block.
        blocks: number of residual blocks K.
        skip: epsilon.
        residual: delta.
        activation: activation of the input layer and the blocks.
        input_layer: whether `h0 = act(W_in x + b_in)` is present (otherwise d must equal n0).
        weight_bound: bound on the spectral norm ||W_k||_2, one number for all blocks or one per block;
            None means unknown (rule R1 cannot be used).
        input_rank: rank of W_in; None means full rank.
        block_ranks: rank of each W_k; None means full rank.
        readout_nonzero: False when the read-out weight w is 0 (Phi constant).
    """

    input_dim: int
    width: int
    blocks: int
    skip: float = 1.0
    residual: float = 1.0
    activation: str = "tanh"
    input_layer: bool = True
    weight_bound: float | tuple[float, ...] | None = None
    input_rank: int | None = None
    block_ranks: tuple[int, ...] | None = None
    readout_nonzero: bool = True

    def __post_init__(self) -> None:
        _positive_int(self.input_dim, "input_dim")
        _positive_int(self.width, "width")
        if isinstance(self.blocks, bool) or not isinstance(self.blocks, int) or self.blocks < 0:
            raise MorsenetError(f"blocks must be an integer >= 0, got {self.blocks!r}")
        for name in ("skip", "residual"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise MorsenetError(f"{name} must be a finite number, got {value!r}")
            object.__setattr__(self, name, float(value))
        object.__setattr__(self, "activation", activation_info(self.activation).name)
        if not self.input_layer and self.width != self.input_dim:
            raise MorsenetError(
                f"a ResNet without input layer needs width == input_dim, got width {self.width}, "
                f"input_dim {self.input_dim}"
            )
        if self.weight_bound is not None:
            bounds = (
                (self.weight_bound,) * self.blocks
                if isinstance(self.weight_bound, (int, float))
                else _tuple(self.weight_bound, "weight_bound")
            )
            if len(bounds) != self.blocks:
                raise MorsenetError(f"weight_bound needs one entry per block ({self.blocks}), got {len(bounds)}")
            for b in bounds:
                if isinstance(b, bool) or not isinstance(b, (int, float)) or not b >= 0:
                    raise MorsenetError(f"weight_bound entries must be numbers >= 0, got {b!r}")
            object.__setattr__(self, "weight_bound", tuple(float(b) for b in bounds))
        if self.input_rank is not None:
            if not self.input_layer:
                raise MorsenetError("input_rank given but the ResNet has no input layer")
            _rank(self.input_rank, min(self.width, self.input_dim), "input_rank")
        if self.block_ranks is not None:
            ranks = _tuple(self.block_ranks, "block_ranks")
            if len(ranks) != self.blocks:
                raise MorsenetError(f"block_ranks needs one entry per block ({self.blocks}), got {len(ranks)}")
            for k, r in enumerate(ranks):
                _rank(r, self.width, f"block_ranks[{k}]")
            object.__setattr__(self, "block_ranks", ranks)


@dataclass(frozen=True)
class NeuralODEArchitecture:
    """A neural ODE `Phi(x) = lam^T phi_T(A x + a) + mu` on phase space R^dim (THEORY.md 1.5).

    Args:
        input_dim: n.
        dim: m, the phase-space dimension.
        rank_lift: rank of A; None means full rank min(m, n).
        readout_nonzero: False when lam = 0 (Phi constant).
        activation: activation inside the vector field.
    """

    input_dim: int
    dim: int
    rank_lift: int | None = None
    readout_nonzero: bool = True
    activation: str = "tanh"

    def __post_init__(self) -> None:
        _positive_int(self.input_dim, "input_dim")
        _positive_int(self.dim, "dim")
        if self.rank_lift is not None:
            _rank(self.rank_lift, min(self.dim, self.input_dim), "rank_lift")
        object.__setattr__(self, "activation", activation_info(self.activation).name)


Architecture = MLPArchitecture | ResNetArchitecture | NeuralODEArchitecture
