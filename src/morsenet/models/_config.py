"""Typed model configs: frozen dataclasses that check themselves without allocating a single weight.

A config is the whole description of an architecture (what a checkpoint stores, what a study names). It
knows its parameter count, its width sequence and whether that sequence has a bottleneck, so nothing else
in morsenet needs to look inside a config dict or build a throwaway module to learn these.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, ClassVar, Union

from ..errors import MorsenetError
from ._checks import (
    MAX_DEPTH,
    MAX_PARAMETERS,
    _activation,
    _bool,
    _depth_check,
    _float,
    _int,
    _run_length,
    _size_check,
)
from ._ode_config import (
    ADAPTIVE_SOLVERS,
    AUGMENTATIONS,
    FIXED_SOLVERS,
    MAX_ODE_STEPS,
    ODE_SOLVERS,
    VECTOR_FIELDS,
    NeuralODEConfig,
)

__all__ = [
    "ADAPTIVE_SOLVERS", "AUGMENTATIONS", "CONFIGS", "FIXED_SOLVERS", "MAX_DEPTH", "MAX_ODE_STEPS", "MAX_PARAMETERS",
    "MLPConfig", "ModelConfig", "NeuralODEConfig", "ODE_SOLVERS", "RESNET_INITS", "ResNetConfig", "VECTOR_FIELDS",
    "graph_bottleneck",
]  # fmt: skip

# ResNet block initialisations: torch's nn.Linear default, or the companion code's Xavier-normal weights (with
# a gain) and zero biases.
RESNET_INITS = ("torch", "xavier_normal")


def graph_bottleneck(widths: tuple[int, ...] | list[int]) -> bool:
    """The one definition of a bottleneck (THEORY.md 1.4): some layer strictly narrower than an earlier one and
    a later one, i.e. there are i < j < k with n_j < n_i and n_j < n_k (input width included)."""
    w = list(widths)
    return any(max(w[:j]) > w[j] and max(w[j + 1 :]) > w[j] for j in range(1, len(w) - 1))


@dataclass(frozen=True)
class MLPConfig:
    """A feed-forward network `h_l = act(BN(W_l h_{l-1} + b_l))`, linear read-out to one logit.

    Attributes:
        widths: (n, h1, ..., hL, 1); n is the input dimension, the last entry must be 1.
        activation: one of `ACTIVATIONS`.
        batchnorm: BatchNorm after each hidden Linear (as in the prototype).
    """

    widths: tuple[int, ...]
    activation: str = "tanh"
    batchnorm: bool = False
    kind: ClassVar[str] = "mlp"

    def __post_init__(self) -> None:
        raw = self.widths
        if isinstance(raw, (str, bytes)) or not hasattr(raw, "__iter__"):
            raise MorsenetError(f"model 'mlp': widths must be of type list, got {raw!r}")
        widths = tuple(raw)
        if not all(isinstance(w, int) and not isinstance(w, bool) for w in widths):
            raise MorsenetError(f"model 'mlp': widths must be a list of integers, got {list(widths)!r}")
        if len(widths) < 2 or widths[-1] != 1 or min(widths) < 1:
            raise MorsenetError(f"mlp: widths must be [n, h1, ..., hL, 1] with every entry >= 1, got {list(widths)}")
        if len(widths) > MAX_DEPTH + 2:
            raise MorsenetError(f"mlp: widths may list at most {MAX_DEPTH:,} hidden layers, got {len(widths) - 2:,}")
        object.__setattr__(self, "widths", widths)
        _activation(self.kind, self.activation)
        _bool(self.kind, "batchnorm", self.batchnorm)
        _size_check(self.kind, self.n_parameters)

    @property
    def input_dim(self) -> int:
        return self.widths[0]

    @property
    def hidden(self) -> tuple[int, ...]:
        return self.widths[1:-1]

    @property
    def depth(self) -> int:
        """Number of hidden layers."""
        return len(self.hidden)

    @property
    def width(self) -> int:
        return max(self.hidden, default=self.input_dim)

    @property
    def min_width(self) -> int:
        return min(self.hidden, default=self.input_dim)

    @property
    def width_sequence(self) -> tuple[int, ...]:
        return self.widths

    @property
    def n_parameters(self) -> int:
        pairs = zip(self.widths[:-1], self.widths[1:])
        bn = 2 * sum(self.hidden) if self.batchnorm else 0
        return sum(a * b + b for a, b in pairs) + bn

    def describe(self) -> str:
        """e.g. "MLP 2-2x15-1 tanh, BN"."""
        bn = ", BN" if self.batchnorm else ""
        return f"MLP {'-'.join([str(self.widths[0]), *_run_length(self.hidden), '1'])} {self.activation}{bn}"

    @property
    def family(self) -> str:
        """A grid-independent label (sweeps group by it), e.g. "MLP width 2 + bottleneck"."""
        return f"MLP width {self.width}" + (" + bottleneck" if graph_bottleneck(self.widths) else "")

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "widths": list(self.widths), "activation": self.activation,
                "batchnorm": self.batchnorm}  # fmt: skip


@dataclass(frozen=True)
class ResNetConfig:
    """Input layer `h0 = act(W x + b)` (optional), `blocks` blocks `h <- skip*h + residual*act(BN(W h + b))`.

    skip=0 is exactly an MLP of constant width; the companion work's regimes are neural-ODE (skip 1, small
    residual), MLP (small skip, residual 1), augmented (width > input) and standard (skip = residual = 1).

    Block initialisation: `init = "torch"` (nn.Linear's default) or `"xavier_normal"` (the companion code's:
    weights N(0, init_gain^2 * 2 / (fan_in + fan_out)), biases zero); `init_scale` multiplies every initial block
    weight. The input layer and the read-out keep torch's default either way.
    """

    input_dim: int
    width: int
    blocks: int
    skip: float = 1.0
    residual: float = 1.0
    activation: str = "tanh"
    batchnorm: bool = False
    input_layer: bool = True
    init: str = "torch"
    init_gain: float = 1.0
    init_scale: float = 1.0
    kind: ClassVar[str] = "resnet"

    def __post_init__(self) -> None:
        k = self.kind
        _int(k, "input_dim", self.input_dim, 1)
        _int(k, "width", self.width, 1)
        _int(k, "blocks", self.blocks, 0)
        _depth_check(k, "blocks", self.blocks)
        object.__setattr__(self, "skip", _float(k, "skip", self.skip))
        object.__setattr__(self, "residual", _float(k, "residual", self.residual))
        _activation(k, self.activation)
        _bool(k, "batchnorm", self.batchnorm)
        _bool(k, "input_layer", self.input_layer)
        if not isinstance(self.init, str) or self.init not in RESNET_INITS:
            raise MorsenetError(f"resnet: init must be one of {', '.join(RESNET_INITS)}, got {self.init!r}")
        for key in ("init_gain", "init_scale"):
            v = _float(k, key, getattr(self, key))
            if not v > 0:
                raise MorsenetError(f"resnet: {key} must be > 0, got {v:g}")
            object.__setattr__(self, key, v)
        if self.init_gain != 1.0 and self.init != "xavier_normal":
            raise MorsenetError('resnet: init_gain applies to init = "xavier_normal" only; set init or drop init_gain')
        if not self.input_layer and self.width != self.input_dim:
            raise MorsenetError(
                f"resnet: input_layer=false needs width == input_dim, got width {self.width}, "
                f"input_dim {self.input_dim}; set input_layer=true or width={self.input_dim}"
            )
        _size_check(k, self.n_parameters)

    @property
    def depth(self) -> int:
        """Number of residual blocks."""
        return self.blocks

    @property
    def min_width(self) -> int:
        return self.width

    @property
    def width_sequence(self) -> tuple[int, ...]:
        head = (self.input_dim,) if self.input_layer else ()
        return (*head, *([self.width] * max(self.blocks, 1)), 1)

    @property
    def n_parameters(self) -> int:
        w = self.width
        head = self.input_dim * w + w if self.input_layer else 0
        return head + self.blocks * (w * w + w + (2 * w if self.batchnorm else 0)) + w + 1

    def describe(self) -> str:
        bn = ", BN" if self.batchnorm else ""
        head = "" if self.input_layer else ", no input layer"
        return (
            f"ResNet width {self.width}, {self.blocks} blocks, skip {self.skip:g}, residual {self.residual:g} "
            f"{self.activation}{bn}{head}"
        )

    @property
    def family(self) -> str:
        return f"ResNet width {self.width}, skip {self.skip:g}, residual {self.residual:g}"

    def to_dict(self) -> dict[str, Any]:
        """Plain data; the initialisation keys only when they differ from torch's default (old files unchanged)."""
        out = {"kind": self.kind, **asdict(self)}
        for key, default in (("init", "torch"), ("init_gain", 1.0), ("init_scale", 1.0)):
            if out[key] == default:
                del out[key]
        return out


ModelConfig = Union[MLPConfig, ResNetConfig, NeuralODEConfig]  # noqa: UP007 - a runtime alias

CONFIGS: dict[str, type[MLPConfig] | type[ResNetConfig] | type[NeuralODEConfig]] = {
    "mlp": MLPConfig,
    "resnet": ResNetConfig,
    "neural_ode": NeuralODEConfig,
}
