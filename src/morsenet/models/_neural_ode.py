"""Neural ODEs with an affine lift and read-out; the flow is a fixed-step RK4 written in torch."""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import Tensor, nn

from .._validation import Seed
from ..errors import MorsenetError
from ._common import ACTIVATIONS, activation_fn, fold, seeded_init

VECTOR_FIELDS = ("outside", "inside")


class NeuralODE(nn.Module):
    """`logit = lam^T phi_T(A x + a) + mu`, phi_T the time-T flow of a vector field with piecewise-constant weights.

    Vector fields: "outside" `f(h, t) = act(W(t) h + b(t))`; "inside" `f(h, t) = W(t) act(h) + b(t)`.
    W(t), b(t) are constant on each of `pieces` equal time intervals; RK4 takes `steps` equal steps
    (a multiple of `pieces`, so no step straddles a switch). dim > input_dim is the augmented case.
    `seed` initialises the parameters.

    Shapes: forward maps (n_points, input_dim) to logits (n_points,).
    """

    kind = "neural_ode"

    def __init__(
        self,
        input_dim: int,
        dim: int,
        T: float = 1.0,
        steps: int = 20,
        pieces: int = 10,
        vector_field: str = "outside",
        activation: str = "tanh",
        *,
        seed: Seed = 0,
    ) -> None:
        super().__init__()
        if input_dim < 1 or dim < 1:
            raise MorsenetError(f"neural_ode: need input_dim, dim >= 1, got {input_dim}, {dim}")
        if not T > 0:
            raise MorsenetError(f"neural_ode: T must be > 0, got {T}")
        if pieces < 1 or steps < 1 or steps % pieces:
            raise MorsenetError(f"neural_ode: steps ({steps}) must be a positive multiple of pieces ({pieces})")
        if vector_field not in VECTOR_FIELDS:
            raise MorsenetError(
                f"neural_ode: vector_field must be one of {', '.join(VECTOR_FIELDS)}, got {vector_field!r}"
            )
        activation_fn(activation)
        self.input_dim, self.dim, self.T = int(input_dim), int(dim), float(T)
        self.steps, self.pieces = int(steps), int(pieces)
        self.vector_field, self.activation = vector_field, activation
        with seeded_init(seed):
            self.lift_layer = nn.Linear(input_dim, dim)
            bound = 1 / math.sqrt(dim)
            self.field_weight = nn.Parameter(torch.empty(pieces, dim, dim).uniform_(-bound, bound))
            self.field_bias = nn.Parameter(torch.empty(pieces, dim).uniform_(-bound, bound))
            self.readout_layer = nn.Linear(dim, 1)

    n_layers = 2  # 1: the lift A x + a, 2: the flow's end state

    def field(self, h: Tensor, piece: int) -> Tensor:
        w, b = self.field_weight[piece], self.field_bias[piece]
        act = ACTIVATIONS[self.activation]
        if self.vector_field == "outside":
            return act(h @ w.T + b)
        return act(h) @ w.T + b

    def flow(self, h: Tensor) -> Tensor:
        """The time-T map: RK4 with `steps` equal steps."""
        dt = self.T / self.steps
        per_piece = self.steps // self.pieces
        for step in range(self.steps):
            piece = step // per_piece
            k1 = self.field(h, piece)
            k2 = self.field(h + 0.5 * dt * k1, piece)
            k3 = self.field(h + 0.5 * dt * k2, piece)
            k4 = self.field(h + dt * k3, piece)
            h = h + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        return h

    def hidden(self, x: Tensor, layer: int) -> Tensor:
        """1: the lifted point A x + a; 2: the end state phi_T; 3: the logit as (n, 1)."""
        if layer not in (1, 2, 3):
            raise MorsenetError(f"neural_ode: layer must be 1, 2 or 3, got {layer}")
        h = self.lift_layer(x)
        if layer >= 2:
            h = self.flow(h)
        return self.readout_layer(h) if layer == 3 else h

    def forward(self, x: Tensor) -> Tensor:
        return self.readout_layer(self.flow(self.lift_layer(x))).squeeze(-1)

    def lift(self) -> tuple[Tensor, Tensor]:
        return fold(self.lift_layer, None)

    def readout(self) -> tuple[Tensor, Tensor]:
        return fold(self.readout_layer, None)

    def field_maps(self) -> list[tuple[Tensor, Tensor]]:
        return [
            (self.field_weight[i].detach().clone(), self.field_bias[i].detach().clone()) for i in range(self.pieces)
        ]

    def affine_maps(self) -> list[tuple[Tensor, Tensor]]:
        return [self.lift(), *self.field_maps(), self.readout()]

    def config(self) -> dict[str, Any]:
        return {
            "kind": "neural_ode",
            "input_dim": self.input_dim,
            "dim": self.dim,
            "T": self.T,
            "steps": self.steps,
            "pieces": self.pieces,
            "vector_field": self.vector_field,
            "activation": self.activation,
        }
