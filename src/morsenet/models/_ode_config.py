"""The neural-ODE config: a frozen dataclass that checks itself (solver, augmentation, vector field, sizes)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, ClassVar

from ..errors import MorsenetError
from ._checks import _activation, _bool, _depth_check, _float, _int, _size_check

# RK4 steps of a neural ODE: each is four evaluations of the field in every forward pass.
MAX_ODE_STEPS = 100_000
VECTOR_FIELDS = ("outside", "inside")
# Neural-ODE solvers: fixed-step schemes written in torch (`steps` equal steps) and torchdiffeq's adaptive ones.
FIXED_SOLVERS = ("euler", "rk4")
ADAPTIVE_SOLVERS = ("dopri5", "dopri8", "bosh3", "fehlberg2", "adaptive_heun")
ODE_SOLVERS = FIXED_SOLVERS + ADAPTIVE_SOLVERS
# How a neural ODE's input enters its state space: a trainable affine lift, or x -> [x, 0, ..., 0].
AUGMENTATIONS = ("lift", "zero")


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
