"""Typed model configs: frozen dataclasses that check themselves without allocating a single weight.

A config is the whole description of an architecture (what a checkpoint stores, what a study names). It
knows its parameter count, its width sequence and whether that sequence has a bottleneck, so nothing else
in morsenet needs to look inside a config dict or build a throwaway module to learn these.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, ClassVar, Union

from ..errors import MorsenetError
from ._common import ACTIVATIONS

# A config describing more parameters than this is refused before anything is allocated (a typo such as a
# width of 10**9 would otherwise ask for gigabytes). 10^8 float32 parameters are 400 MB.
MAX_PARAMETERS = 100_000_000
# Layers, blocks or time pieces: each is its own module (and its own step of every forward pass); the networks
# studied here have tens, so more than this is a typo (depth = 10**9 would first build a list of 10^9 widths).
MAX_DEPTH = 1_000
# RK4 steps of a neural ODE: each is four evaluations of the field in every forward pass.
MAX_ODE_STEPS = 100_000

VECTOR_FIELDS = ("outside", "inside")
# Neural-ODE solvers: fixed-step schemes written in torch (`steps` equal steps) and torchdiffeq's adaptive ones.
FIXED_SOLVERS = ("euler", "rk4")
ADAPTIVE_SOLVERS = ("dopri5", "dopri8", "bosh3", "fehlberg2", "adaptive_heun")
ODE_SOLVERS = FIXED_SOLVERS + ADAPTIVE_SOLVERS
# How a neural ODE's input enters its state space: a trainable affine lift, or x -> [x, 0, ..., 0].
AUGMENTATIONS = ("lift", "zero")
# ResNet block initialisations: torch's nn.Linear default, or the companion code's Xavier-normal weights (with
# a gain) and zero biases.
RESNET_INITS = ("torch", "xavier_normal")


def graph_bottleneck(widths: tuple[int, ...] | list[int]) -> bool:
    """The one definition of a bottleneck (THEORY.md 1.4): some layer strictly narrower than an earlier one and
    a later one, i.e. there are i < j < k with n_j < n_i and n_j < n_k (input width included)."""
    w = list(widths)
    return any(max(w[:j]) > w[j] and max(w[j + 1 :]) > w[j] for j in range(1, len(w) - 1))


def _int(kind: str, key: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise MorsenetError(f"model {kind!r}: {key} must be an integer, got {value!r}")
    if value < minimum:
        raise MorsenetError(f"model {kind!r}: {key} must be >= {minimum}, got {value}")
    return value


def _float(kind: str, key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise MorsenetError(f"model {kind!r}: {key} must be a finite number, got {value!r}")
    return float(value)


def _bool(kind: str, key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise MorsenetError(f"model {kind!r}: {key} must be of type bool, got {value!r}")
    return value


def _activation(kind: str, value: Any) -> str:
    if not isinstance(value, str) or value not in ACTIVATIONS:
        raise MorsenetError(f"unknown activation {value!r}; choose one of {', '.join(ACTIVATIONS)}")
    return value


def _size_check(kind: str, n: int) -> None:
    if n > MAX_PARAMETERS:
        raise MorsenetError(
            f"model {kind!r}: {n:,} parameters is more than morsenet builds ({MAX_PARAMETERS:,}); "
            "check the widths for a typo"
        )


def _depth_check(kind: str, key: str, n: int) -> None:
    if n > MAX_DEPTH:
        raise MorsenetError(
            f"model {kind!r}: {key} must be <= {MAX_DEPTH:,} (the deepest network morsenet builds), got {n:,}"
        )


def _run_length(hidden: tuple[int, ...]) -> list[str]:
    parts, k = [], 0
    while k < len(hidden):  # run-length encode repeated widths: 2-2-2-2 -> 2x4
        j = k
        while j < len(hidden) and hidden[j] == hidden[k]:
            j += 1
        parts.append(f"{hidden[k]}x{j - k}" if j - k > 1 else str(hidden[k]))
        k = j
    return parts


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


@dataclass(frozen=True)
class NeuralODEConfig:
    """`logit = lam^T phi_T(lift(x)) + mu` with a piecewise-constant vector field integrated piece by piece.

    Attributes:
        input_dim, dim: input and state dimension; dim > input_dim is the augmented case.
        T: the end time; the weights are constant on each of `pieces` equal time intervals.
        steps: equal steps of a fixed-step solver (a multiple of `pieces`, so no step straddles a switch);
            adaptive solvers ignore it.
        vector_field: "outside" `f(h) = act(W h + b)`, "inside" `f(h) = W act(h) + b` (with hidden_width 0).
        activation: one of `ACTIVATIONS`.
        solver: "euler" or "rk4" (fixed step, written in torch), or an adaptive torchdiffeq method
            (`ADAPTIVE_SOLVERS`: "dopri5", "dopri8", "bosh3", "fehlberg2", "adaptive_heun").
        rtol, atol: the adaptive solvers' tolerances (unused by the fixed-step ones).
        adjoint: gradients through `torchdiffeq.odeint_adjoint` (any solver; the fixed-step ones then run
            torchdiffeq's scheme of that name, whose "rk4" is the 3/8-rule variant of the same order).
        augmentation: "lift" (a trainable affine lift `A x + a`) or "zero" (`x -> [x, 0, ..., 0]`, no
            parameters; needs dim >= input_dim).
        hidden_width: 0 keeps the one-layer fields above; > 0 makes the field `W2 act(W1 h + b1) + b2` with
            W1 (hidden_width, dim), W2 (dim, hidden_width) on each piece (vector_field must then stay "outside").

    Configs without the newer keys (solver ... hidden_width) load with the defaults, and `to_dict` writes a
    key only when it differs from its default, so older checkpoints and studies read as before.
    """

    input_dim: int
    dim: int
    T: float = 1.0
    steps: int = 20
    pieces: int = 10
    vector_field: str = "outside"
    activation: str = "tanh"
    solver: str = "rk4"
    rtol: float = 1e-6
    atol: float = 1e-8
    adjoint: bool = False
    augmentation: str = "lift"
    hidden_width: int = 0
    kind: ClassVar[str] = "neural_ode"

    def __post_init__(self) -> None:
        k = self.kind
        _int(k, "input_dim", self.input_dim, 1)
        _int(k, "dim", self.dim, 1)
        T = _float(k, "T", self.T)
        if not T > 0:
            raise MorsenetError(f"neural_ode: T must be > 0, got {T}")
        object.__setattr__(self, "T", T)
        _int(k, "steps", self.steps, 1)
        _int(k, "pieces", self.pieces, 1)
        _depth_check(k, "pieces", self.pieces)
        if self.steps % self.pieces:
            raise MorsenetError(
                f"neural_ode: steps ({self.steps}) must be a positive multiple of pieces ({self.pieces})"
            )
        if self.steps > MAX_ODE_STEPS:
            raise MorsenetError(f"neural_ode: steps must be <= {MAX_ODE_STEPS}, got {self.steps}")
        if self.vector_field not in VECTOR_FIELDS:
            raise MorsenetError(
                f"neural_ode: vector_field must be one of {', '.join(VECTOR_FIELDS)}, got {self.vector_field!r}"
            )
        _activation(k, self.activation)
        if not isinstance(self.solver, str) or self.solver not in ODE_SOLVERS:
            raise MorsenetError(f"neural_ode: solver must be one of {', '.join(ODE_SOLVERS)}, got {self.solver!r}")
        for key in ("rtol", "atol"):
            v = _float(k, key, getattr(self, key))
            if not v > 0:
                raise MorsenetError(f"neural_ode: {key} must be > 0, got {v:g}")
            object.__setattr__(self, key, v)
        _bool(k, "adjoint", self.adjoint)
        if not isinstance(self.augmentation, str) or self.augmentation not in AUGMENTATIONS:
            raise MorsenetError(
                f"neural_ode: augmentation must be one of {', '.join(AUGMENTATIONS)}, got {self.augmentation!r}"
            )
        if self.augmentation == "zero" and self.dim < self.input_dim:
            raise MorsenetError(
                f'neural_ode: augmentation = "zero" needs dim >= input_dim, got dim {self.dim}, '
                f'input_dim {self.input_dim}; raise dim or use augmentation = "lift"'
            )
        _int(k, "hidden_width", self.hidden_width, 0)
        if self.hidden_width and self.vector_field != "outside":
            raise MorsenetError(
                "neural_ode: vector_field applies to hidden_width = 0 only (a hidden-width field is "
                "W2 act(W1 h + b1) + b2); drop vector_field or set hidden_width = 0"
            )
        _size_check(k, self.n_parameters)

    @property
    def depth(self) -> int:
        """Number of constant-weight time pieces."""
        return self.pieces

    @property
    def width(self) -> int:
        return self.dim

    @property
    def min_width(self) -> int:
        return self.dim

    @property
    def batchnorm(self) -> bool:
        return False

    @property
    def adaptive(self) -> bool:
        """Whether the solver chooses its own steps (`ADAPTIVE_SOLVERS`)."""
        return self.solver in ADAPTIVE_SOLVERS

    @property
    def width_sequence(self) -> tuple[int, ...]:
        """(input, state, state, 1): the lift or padding, then the flow. A hidden-width field is inside one time
        step, not a layer of the representation (the flow map stays a diffeomorphism of R^dim), so it does not
        enter the sequence (and makes no bottleneck)."""
        return (self.input_dim, self.dim, self.dim, 1)

    @property
    def n_parameters(self) -> int:
        d, m = self.dim, self.hidden_width
        lift = self.input_dim * d + d if self.augmentation == "lift" else 0
        field = m * d + m + d * m + d if m else d * d + d
        return lift + self.pieces * field + d + 1

    def describe(self) -> str:
        """e.g. "neural ODE dim 2, T=1, 20 RK4 steps, 10 pieces, outside tanh"."""
        if self.adaptive:
            solver = f"{self.solver} (rtol {self.rtol:g}, atol {self.atol:g})"
        else:
            solver = f"{self.steps} {'RK4' if self.solver == 'rk4' else 'Euler'} steps"
        field = f"hidden {self.hidden_width} {self.activation}" if self.hidden_width else (
            f"{self.vector_field} {self.activation}")  # fmt: skip
        extra = (", zero-padded" if self.augmentation == "zero" else "") + (", adjoint" if self.adjoint else "")
        return f"neural ODE dim {self.dim}, T={self.T:g}, {solver}, {self.pieces} pieces, {field}{extra}"

    @property
    def family(self) -> str:
        """e.g. "neural ODE dim 3" or "neural ODE dim 3, zero-padded"."""
        return f"neural ODE dim {self.dim}" + (", zero-padded" if self.augmentation == "zero" else "")

    def to_dict(self) -> dict[str, Any]:
        out = {"kind": self.kind, **asdict(self)}
        for key, default in _ODE_NEW_DEFAULTS.items():
            if out[key] == default and type(out[key]) is type(default):
                del out[key]
        return out


# The keys NeuralODEConfig gained later, with their defaults: written by `to_dict` only when they differ.
_ODE_NEW_DEFAULTS: dict[str, Any] = {
    "solver": "rk4", "rtol": 1e-6, "atol": 1e-8, "adjoint": False, "augmentation": "lift", "hidden_width": 0,
}  # fmt: skip

ModelConfig = Union[MLPConfig, ResNetConfig, NeuralODEConfig]  # noqa: UP007 - a runtime alias

CONFIGS: dict[str, type[MLPConfig] | type[ResNetConfig] | type[NeuralODEConfig]] = {
    "mlp": MLPConfig,
    "resnet": ResNetConfig,
    "neural_ode": NeuralODEConfig,
}
