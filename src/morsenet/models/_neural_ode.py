"""Neural ODEs: a lift (trainable affine or zero padding), a piecewise-constant vector field, a linear read-out.

The flow is integrated piece by piece over the constant-weight time intervals: fixed-step Euler and RK4 are
written in torch; the adaptive solvers (and the adjoint, with any solver) are torchdiffeq's.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .._validation import Seed
from ..errors import MorsenetError
from ._common import fold, init_generator, linear_init, seeded_init
from ._ode_config import ADAPTIVE_SOLVERS, AUGMENTATIONS, FIXED_SOLVERS, VECTOR_FIELDS, NeuralODEConfig
from ._protocol import AffineMap, MorseModel, Params, affine, enter, leave, linear, logits_of, piece

__all__ = ["ADAPTIVE_SOLVERS", "AUGMENTATIONS", "FIXED_SOLVERS", "VECTOR_FIELDS", "NeuralODE"]

Field = Callable[[Tensor], Tensor]


class NeuralODE(MorseModel):
    """`logit = lam^T phi_T(lift(x)) + mu`, phi_T the time-T flow of a vector field with piecewise-constant weights.

    Lift: `A x + a` (augmentation "lift", trainable) or `[x, 0, ..., 0]` (augmentation "zero", fixed).
    Vector fields (hidden_width 0): "outside" `f(h, t) = act(W(t) h + b(t))`; "inside" `f(h, t) = W(t) act(h) + b(t)`;
    hidden_width m > 0: `f(h, t) = W2(t) act(W1(t) h + b1(t)) + b2(t)`. The weights are constant on each of
    `pieces` equal time intervals, and the flow is integrated interval by interval (no solver step straddles a
    switch): Euler or RK4 with `steps` equal steps in all, or an adaptive torchdiffeq solver with `rtol`, `atol`
    (its steps are chosen for the whole batch at once: a point's result depends on its batch at the level of
    the tolerance). `adjoint` computes gradients through `torchdiffeq.odeint_adjoint`. dim > input_dim is the
    augmented case. `seed` initialises the parameters. Layers of `hidden`: 1 the lifted point, 2 the end state
    phi_T.

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
        d, m, p = spec.dim, spec.hidden_width, spec.pieces
        with seeded_init(seed):  # the draws in the order `initial_parameters` makes them
            if spec.augmentation == "lift":
                self.lift_layer = nn.Linear(spec.input_dim, d)
            bound = 1 / math.sqrt(d)
            if m == 0:
                self.field_weight = nn.Parameter(torch.empty(p, d, d).uniform_(-bound, bound))
                self.field_bias = nn.Parameter(torch.empty(p, d).uniform_(-bound, bound))
            else:
                bound2 = 1 / math.sqrt(m)
                self.field_weight1 = nn.Parameter(torch.empty(p, m, d).uniform_(-bound, bound))
                self.field_bias1 = nn.Parameter(torch.empty(p, m).uniform_(-bound, bound))
                self.field_weight2 = nn.Parameter(torch.empty(p, d, m).uniform_(-bound2, bound2))
                self.field_bias2 = nn.Parameter(torch.empty(p, d).uniform_(-bound2, bound2))
            self.readout_layer = nn.Linear(d, 1)

    @classmethod
    def from_config(cls, spec: NeuralODEConfig, *, seed: Seed = 0) -> NeuralODE:
        return cls(spec, seed=seed)

    def _field_names(self) -> tuple[str, ...]:
        if self.spec.hidden_width:
            return ("field_weight1", "field_bias1", "field_weight2", "field_bias2")
        return ("field_weight", "field_bias")

    def initial_parameters(self, seed: Seed) -> Params:
        gen, spec, out = init_generator(seed), self.spec, {}
        d, m, p = spec.dim, spec.hidden_width, spec.pieces
        if spec.augmentation == "lift":
            out["lift_layer.weight"], out["lift_layer.bias"] = linear_init(d, spec.input_dim, gen)
        bound = 1 / math.sqrt(d)
        if m == 0:
            out["field_weight"] = torch.empty(p, d, d).uniform_(-bound, bound, generator=gen)
            out["field_bias"] = torch.empty(p, d).uniform_(-bound, bound, generator=gen)
        else:
            bound2 = 1 / math.sqrt(m)
            out["field_weight1"] = torch.empty(p, m, d).uniform_(-bound, bound, generator=gen)
            out["field_bias1"] = torch.empty(p, m).uniform_(-bound, bound, generator=gen)
            out["field_weight2"] = torch.empty(p, d, m).uniform_(-bound2, bound2, generator=gen)
            out["field_bias2"] = torch.empty(p, d).uniform_(-bound2, bound2, generator=gen)
        out["readout_layer.weight"], out["readout_layer.bias"] = linear_init(1, d, gen)
        return {k: out[k] for k in self._field_names()} | out  # named_parameters' order: own parameters first

    @property
    def n_layers(self) -> int:
        return 2  # 1: the lifted point, 2: the flow's end state

    dim = property(lambda self: self.spec.dim)
    T = property(lambda self: self.spec.T)
    steps = property(lambda self: self.spec.steps)
    pieces = property(lambda self: self.spec.pieces)
    vector_field = property(lambda self: self.spec.vector_field)
    solver = property(lambda self: self.spec.solver)
    augmentation = property(lambda self: self.spec.augmentation)
    hidden_width = property(lambda self: self.spec.hidden_width)

    # ----- the computation -----

    def _lift(self, params: Params, h: Tensor) -> Tensor:
        """The input (working layout: stacked (M, input_dim, B) or one model's (B, input_dim)) into state space."""
        spec = self.spec
        if spec.augmentation == "lift":
            return linear(params, "lift_layer", h)
        pad = spec.dim - spec.input_dim
        if pad == 0:
            return h
        return F.pad(h, (0, 0, 0, pad)) if h.dim() == 3 else F.pad(h, (0, pad))

    def _piece_field(self, params: Params, k: int) -> tuple[Field, tuple[Tensor, ...]]:
        """The vector field on time piece k (a function of the state in working layout) and the tensors it uses."""
        act, spec = self.act, self.spec
        if spec.hidden_width:
            w1, b1 = piece(params["field_weight1"], k, 2), piece(params["field_bias1"], k, 1)
            w2, b2 = piece(params["field_weight2"], k, 2), piece(params["field_bias2"], k, 1)
            return (lambda h: affine(w2, b2, act(affine(w1, b1, h)))), (w1, b1, w2, b2)
        w, b = piece(params["field_weight"], k, 2), piece(params["field_bias"], k, 1)
        if spec.vector_field == "outside":
            return (lambda h: act(affine(w, b, h))), (w, b)
        return (lambda h: affine(w, b, act(h))), (w, b)

    def _segment(self, f: Field, tensors: tuple[Tensor, ...], h: Tensor, a: float, b: float, n: int) -> Tensor:
        """Integrate h' = f(h) (a constant-weight field) from time a to b; n steps for a fixed-step solver."""
        spec = self.spec
        if not spec.adjoint and spec.solver in FIXED_SOLVERS:
            dt = (b - a) / n
            for _ in range(n):
                if spec.solver == "euler":
                    h = h + dt * f(h)
                else:
                    k1 = f(h)
                    k2 = f(h + 0.5 * dt * k1)
                    k3 = f(h + 0.5 * dt * k2)
                    k4 = f(h + dt * k3)
                    h = h + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
            return h
        import torchdiffeq  # type: ignore[import-untyped]  # only the adaptive solvers and the adjoint need it

        if spec.solver in FIXED_SOLVERS:  # the fixed grid itself: torchdiffeq steps from one time to the next
            t = torch.linspace(a, b, n + 1, dtype=h.dtype, device=h.device)
        else:
            t = torch.tensor([a, b], dtype=h.dtype, device=h.device)
        kwargs = {"method": spec.solver, "rtol": spec.rtol, "atol": spec.atol}
        func = lambda _t, y: f(y)  # noqa: E731 - constant weights on the piece: the field ignores t
        if spec.adjoint:
            return torchdiffeq.odeint_adjoint(func, h, t, adjoint_params=tensors, **kwargs)[-1]
        return torchdiffeq.odeint(func, h, t, **kwargs)[-1]

    def _integrate(self, params: Params, h: Tensor, t0: float, t1: float) -> Tensor:
        """The flow from time t0 to t1 (0 <= t0 <= t1 <= T) of states h in working layout, piece by piece.

        A fixed-step solver takes the steps of the grid T / steps that lie in [t0, t1] (a sub-interval that
        does not start or end on the grid gets its partial steps rounded up to whole, equal ones)."""
        spec = self.spec
        tk = spec.T / spec.pieces
        dt = spec.T / spec.steps
        for k in range(spec.pieces):
            a, b = max(t0, k * tk), min(t1, (k + 1) * tk)
            if b - a <= 1e-12 * spec.T:
                continue
            n = max(1, math.ceil((b - a) / dt - 1e-9))
            f, tensors = self._piece_field(params, k)
            h = self._segment(f, tensors, h, a, b, n)
        return h

    def stacked_forward(self, params: Params, buffers: Params, x: Tensor, training: bool,
                        stop: int | None = None) -> Tensor:  # fmt: skip
        h = self._lift(params, enter(x))
        if stop == 1:
            return leave(h)
        h = self._integrate(params, h, 0.0, self.spec.T)
        return leave(h) if stop is not None else logits_of(linear(params, "readout_layer", h))

    def flow(self, h: Tensor, t0: float = 0.0, t1: float | None = None) -> Tensor:
        """The flow map phi_[t0, t1] (default [0, T]) of states h (n, dim), through the model's own solver."""
        spec = self.spec
        end = spec.T if t1 is None else t1
        for name, v in (("t0", t0), ("t1", end)):
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise MorsenetError(f"neural_ode flow: {name} must be a finite number, got {v!r}")
        if not 0 <= t0 <= end <= spec.T * (1 + 1e-12):
            raise MorsenetError(f"neural_ode flow: need 0 <= t0 <= t1 <= T = {spec.T:g}, got t0 {t0:g}, t1 {end:g}")
        if not isinstance(h, Tensor) or h.dim() != 2 or h.shape[1] != spec.dim:
            shape = tuple(h.shape) if isinstance(h, Tensor) else type(h).__name__
            raise MorsenetError(f"neural_ode flow: states must have shape (n, {spec.dim}), got {shape}")
        params, _ = self._own_state()
        return self._integrate(params, h, float(t0), float(min(end, spec.T)))

    def named_affine_maps(self) -> list[AffineMap]:
        spec, p = self.spec, self._own_state()[0]
        if spec.augmentation == "lift":
            lift = AffineMap("lift", *fold(self.lift_layer, None))
        else:  # the fixed injective padding x -> [x, 0]
            dtype = self.readout_layer.weight.dtype
            lift = AffineMap(
                "lift", torch.eye(spec.dim, spec.input_dim, dtype=dtype), torch.zeros(spec.dim, dtype=dtype)
            )
        fields: list[AffineMap] = []
        for i in range(spec.pieces):
            if spec.hidden_width:
                fields += [
                    AffineMap(f"field {i + 1} in", p["field_weight1"][i].detach().clone(),
                              p["field_bias1"][i].detach().clone()),
                    AffineMap(f"field {i + 1} out", p["field_weight2"][i].detach().clone(),
                              p["field_bias2"][i].detach().clone()),
                ]  # fmt: skip
            else:
                fields.append(
                    AffineMap(
                        f"field {i + 1}", p["field_weight"][i].detach().clone(), p["field_bias"][i].detach().clone()
                    )
                )
        return [lift, *fields, AffineMap("readout", *fold(self.readout_layer, None))]
