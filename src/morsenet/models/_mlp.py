"""Feed-forward networks with scalar output: every width list, bottlenecks included."""

from __future__ import annotations

from typing import cast

import torch
from torch import Tensor, nn

from .._validation import Seed
from ._common import FoldableBatchNorm, fold, init_generator, linear_init, seeded_init
from ._config import MLPConfig
from ._protocol import AffineMap, ChainStep, MorseModel, Params, batchnorm, enter, leave, linear, logits_of


class MLP(MorseModel):
    """`h_l = act(BN(W_l h_{l-1} + b_l))` for each hidden layer, then a linear read-out to one logit.

    Args:
        widths: [n, h1, ..., hL, 1]; n is the input dimension, the last entry must be 1.
        activation: one of tanh, sigmoid, softplus, relu, leaky_relu, identity.
        batchnorm: BatchNorm after each hidden Linear (as in the prototype).
        seed: initialises the parameters (the global RNG is left untouched).

    Shapes: forward maps (n_points, n) to logits (n_points,).
    """

    spec: MLPConfig

    def __init__(self, widths: list[int] | tuple[int, ...] | MLPConfig, activation: str = "tanh", batchnorm: bool = False, *,
                 seed: Seed = 0) -> None:  # fmt: skip
        spec = widths if isinstance(widths, MLPConfig) else MLPConfig(tuple(widths), activation, batchnorm)
        super().__init__(spec)
        w = spec.widths
        with seeded_init(seed):
            self.hidden_layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(w[:-2], w[1:-1]))
            self.norms = nn.ModuleList(FoldableBatchNorm(b) for b in w[1:-1]) if spec.batchnorm else None
            self.readout = nn.Linear(w[-2], 1)

    @classmethod
    def from_config(cls, spec: MLPConfig, *, seed: Seed = 0) -> MLP:
        return cls(spec, seed=seed)

    def initial_parameters(self, seed: Seed) -> Params:
        gen, w, out = init_generator(seed), self.spec.widths, {}
        for i, (a, b) in enumerate(zip(w[:-2], w[1:-1])):  # drawn in construction order: hidden layers, read-out
            out[f"hidden_layers.{i}.weight"], out[f"hidden_layers.{i}.bias"] = linear_init(b, a, gen)
        if self.spec.batchnorm:
            for i, b in enumerate(w[1:-1]):
                out[f"norms.{i}.weight"], out[f"norms.{i}.bias"] = torch.ones(b), torch.zeros(b)
        out["readout.weight"], out["readout.bias"] = linear_init(1, w[-2], gen)
        return out

    @property
    def widths(self) -> list[int]:
        return list(self.spec.widths)

    @property
    def batchnorm(self) -> bool:
        return self.spec.batchnorm

    @property
    def n_layers(self) -> int:
        return len(self.hidden_layers)

    def stacked_forward(self, params: Params, buffers: Params, x: Tensor, training: bool,
                        stop: int | None = None) -> Tensor:  # fmt: skip
        act, norms = self.act, self.norms
        h = enter(x)
        for i in range(self.n_layers if stop is None else stop):
            z = linear(params, f"hidden_layers.{i}", h)
            if norms is not None:
                bn = cast(FoldableBatchNorm, norms[i])
                z = batchnorm(params, buffers, f"norms.{i}", z, training, bn)
            h = act(z)
        return leave(h) if stop is not None else logits_of(linear(params, "readout", h))

    def named_affine_maps(self) -> list[AffineMap]:
        maps = [
            AffineMap(f"layer {i + 1}", *fold(lin, None if self.norms is None else self.norms[i]))
            for i, lin in enumerate(self.hidden_layers)
        ]
        return [*maps, AffineMap("readout", *fold(self.readout, None))]

    def chain(self) -> tuple[ChainStep, ...]:
        return tuple(ChainStep(m.name, m.weight, m.bias, 0.0, 1.0, False) for m in self.named_affine_maps()[:-1])
