"""Neural ODEs with an affine lift and read-out; the flow is a fixed-step RK4 written in torch."""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from .._validation import Seed
from ._common import fold, init_generator, linear_init, seeded_init
from ._config import VECTOR_FIELDS, NeuralODEConfig
from ._protocol import AffineMap, MorseModel, Params, affine, enter, leave, linear, logits_of, piece

__all__ = ["VECTOR_FIELDS", "NeuralODE"]


class NeuralODE(MorseModel):
    """`logit = lam^T phi_T(A x + a) + mu`, phi_T the time-T flow of a vector field with piecewise-constant weights.

    Vector fields: "outside" `f(h, t) = act(W(t) h + b(t))`; "inside" `f(h, t) = W(t) act(h) + b(t)`.
    W(t), b(t) are constant on each of `pieces` equal time intervals; RK4 takes `steps` equal steps
    (a multiple of `pieces`, so no step straddles a switch). dim > input_dim is the augmented case.
    `seed` initialises the parameters. Layers of `hidden`: 1 the lifted point A x + a, 2 the end state phi_T.

    Shapes: forward maps (n_points, input_dim) to logits (n_points,).
    """

    spec: NeuralODEConfig

    def __init__(self, input_dim: int | NeuralODEConfig, dim: int = 0, T: float = 1.0, steps: int = 20,
                 pieces: int = 10, vector_field: str = "outside", activation: str = "tanh", *,
                 seed: Seed = 0) -> None:  # fmt: skip
        spec = (
            input_dim
            if isinstance(input_dim, NeuralODEConfig)
            else NeuralODEConfig(input_dim, dim, T, steps, pieces, vector_field, activation)
        )
        super().__init__(spec)
        d = spec.dim
        with seeded_init(seed):
            self.lift_layer = nn.Linear(spec.input_dim, d)
            bound = 1 / math.sqrt(d)
            self.field_weight = nn.Parameter(torch.empty(spec.pieces, d, d).uniform_(-bound, bound))
            self.field_bias = nn.Parameter(torch.empty(spec.pieces, d).uniform_(-bound, bound))
            self.readout_layer = nn.Linear(d, 1)

    @classmethod
    def from_config(cls, spec: NeuralODEConfig, *, seed: Seed = 0) -> NeuralODE:
        return cls(spec, seed=seed)

    def initial_parameters(self, seed: Seed) -> Params:
        gen, spec, out = init_generator(seed), self.spec, {}
        out["lift_layer.weight"], out["lift_layer.bias"] = linear_init(spec.dim, spec.input_dim, gen)
        bound = 1 / math.sqrt(spec.dim)
        out["field_weight"] = torch.empty(spec.pieces, spec.dim, spec.dim).uniform_(-bound, bound, generator=gen)
        out["field_bias"] = torch.empty(spec.pieces, spec.dim).uniform_(-bound, bound, generator=gen)
        out["readout_layer.weight"], out["readout_layer.bias"] = linear_init(1, spec.dim, gen)
        return {k: out[k] for k in ("field_weight", "field_bias")} | out  # named_parameters' order

    @property
    def n_layers(self) -> int:
        return 2  # 1: the lift A x + a, 2: the flow's end state

    dim = property(lambda self: self.spec.dim)
    T = property(lambda self: self.spec.T)
    steps = property(lambda self: self.spec.steps)
    pieces = property(lambda self: self.spec.pieces)
    vector_field = property(lambda self: self.spec.vector_field)

    def stacked_forward(self, params: Params, buffers: Params, x: Tensor, training: bool,
                        stop: int | None = None) -> Tensor:  # fmt: skip
        act, spec = self.act, self.spec
        dt = spec.T / spec.steps
        per_piece = spec.steps // spec.pieces
        outside = spec.vector_field == "outside"
        weights, biases = params["field_weight"], params["field_bias"]  # (M, pieces, dim, dim), (M, pieces, dim)

        def field(h: Tensor, k: int) -> Tensor:
            w, b = piece(weights, k, 2), piece(biases, k, 1)
            return act(affine(w, b, h)) if outside else affine(w, b, act(h))

        h = linear(params, "lift_layer", enter(x))
        if stop == 1:
            return leave(h)
        for step in range(spec.steps):
            k = step // per_piece
            k1 = field(h, k)
            k2 = field(h + 0.5 * dt * k1, k)
            k3 = field(h + 0.5 * dt * k2, k)
            k4 = field(h + dt * k3, k)
            h = h + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        return leave(h) if stop is not None else logits_of(linear(params, "readout_layer", h))

    def flow(self, h: Tensor) -> Tensor:
        """The time-T map phi_T of lifted points h (n, dim)."""
        params, buffers = self._own_state()
        lifted = {**params, "lift_layer.weight": torch.eye(self.spec.dim, dtype=h.dtype),
                  "lift_layer.bias": torch.zeros(self.spec.dim, dtype=h.dtype)}  # fmt: skip
        return self.stacked_forward(lifted, buffers, h, False, stop=2)

    def named_affine_maps(self) -> list[AffineMap]:
        fields = [
            AffineMap(f"field {i + 1}", self.field_weight[i].detach().clone(), self.field_bias[i].detach().clone())
            for i in range(self.spec.pieces)
        ]
        return [
            AffineMap("lift", *fold(self.lift_layer, None)),
            *fields,
            AffineMap("readout", *fold(self.readout_layer, None)),
        ]
