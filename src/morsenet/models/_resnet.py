"""ResNets with skip weight eps and residual weight delta: h <- eps*h + delta*act(BN(W h + b))."""

from __future__ import annotations

import math
from typing import cast

import torch
from torch import Tensor, nn

from .._validation import Seed
from ._common import FoldableBatchNorm, fold, init_generator, linear_init, seeded_init
from ._config import ResNetConfig
from ._protocol import AffineMap, ChainStep, MorseModel, Params, batchnorm, enter, leave, linear, logits_of


class ResNet(MorseModel):
    """Input layer `h0 = act(W x + b)` (optional), `blocks` residual blocks of one width, linear read-out.

    The companion work's regimes: neural-ODE regime (skip=1, residual=2/20, 20 blocks), MLP regime
    (skip=0.1, residual=1, 6 blocks), augmented (width 3), standard ResNet (skip=residual=1, 10 blocks).
    skip=0 is exactly an MLP of constant width. `seed` initialises the parameters.

    Shapes: forward maps (n_points, input_dim) to logits (n_points,).
    """

    spec: ResNetConfig
    has_residual_blocks = True

    def __init__(self, input_dim: int | ResNetConfig, width: int = 0, blocks: int = 0, skip: float = 1.0,
                 residual: float = 1.0, activation: str = "tanh", batchnorm: bool = False, input_layer: bool = True,
                 init: str = "torch", init_gain: float = 1.0, init_scale: float = 1.0,
                 *, seed: Seed = 0) -> None:  # fmt: skip
        spec = (
            input_dim
            if isinstance(input_dim, ResNetConfig)
            else ResNetConfig(
                input_dim,
                width,
                blocks,
                skip,
                residual,
                activation,
                batchnorm,
                input_layer,
                init,
                init_gain,
                init_scale,
            )
        )
        super().__init__(spec)
        w = spec.width
        default = spec.init == "torch" and spec.init_scale == 1.0
        # torch's default: the modules draw their own parameters from `seed`. Otherwise the modules are built from
        # a throwaway seed and overwritten by `initial_parameters(seed)`, so both paths give the same bits.
        with seeded_init(seed if default else 0):
            self.input_layer = nn.Linear(spec.input_dim, w) if spec.input_layer else None
            self.block_layers = nn.ModuleList(nn.Linear(w, w) for _ in range(spec.blocks))
            self.norms = nn.ModuleList(FoldableBatchNorm(w) for _ in range(spec.blocks)) if spec.batchnorm else None
            self.readout_layer = nn.Linear(w, 1)
        if not default:
            values = self.initial_parameters(seed)
            with torch.no_grad():
                for name, p in self.named_parameters():
                    p.copy_(values[name])

    @classmethod
    def from_config(cls, spec: ResNetConfig, *, seed: Seed = 0) -> ResNet:
        return cls(spec, seed=seed)

    def initial_parameters(self, seed: Seed) -> Params:
        gen, spec, out = init_generator(seed), self.spec, {}
        if spec.input_layer:  # construction order: input layer, blocks, read-out
            out["input_layer.weight"], out["input_layer.bias"] = linear_init(spec.width, spec.input_dim, gen)
        for i in range(spec.blocks):
            out[f"block_layers.{i}.weight"], out[f"block_layers.{i}.bias"] = _block_init(spec, gen)
        if spec.batchnorm:
            for i in range(spec.blocks):
                out[f"norms.{i}.weight"], out[f"norms.{i}.bias"] = torch.ones(spec.width), torch.zeros(spec.width)
        out["readout_layer.weight"], out["readout_layer.bias"] = linear_init(1, spec.width, gen)
        return out

    width = property(lambda self: self.spec.width)
    init = property(lambda self: self.spec.init)
    n_blocks = property(lambda self: self.spec.blocks)
    skip = property(lambda self: self.spec.skip)
    residual = property(lambda self: self.spec.residual)
    batchnorm = property(lambda self: self.spec.batchnorm)
    has_input_layer = property(lambda self: self.spec.input_layer)

    @property
    def n_layers(self) -> int:
        return int(self.spec.input_layer) + self.spec.blocks

    def stacked_forward(self, params: Params, buffers: Params, x: Tensor, training: bool,
                        stop: int | None = None) -> Tensor:  # fmt: skip
        act, norms, skip, residual = self.act, self.norms, self.spec.skip, self.spec.residual
        todo = self.n_layers if stop is None else stop
        h = enter(x)
        if self.spec.input_layer and todo > 0:
            h = act(linear(params, "input_layer", h))
            todo -= 1
        for i in range(min(todo, self.spec.blocks)):
            z = linear(params, f"block_layers.{i}", h)
            if norms is not None:
                bn = cast(FoldableBatchNorm, norms[i])
                z = batchnorm(params, buffers, f"norms.{i}", z, training, bn)
            h = skip * h + residual * act(z)
        return leave(h) if stop is not None else logits_of(linear(params, "readout_layer", h))

    def named_affine_maps(self) -> list[AffineMap]:
        head = [] if self.input_layer is None else [AffineMap("input", *fold(self.input_layer, None))]
        blocks = [
            AffineMap(f"block {i + 1}", *fold(lin, None if self.norms is None else self.norms[i]))
            for i, lin in enumerate(self.block_layers)
        ]
        return [*head, *blocks, AffineMap("readout", *fold(self.readout_layer, None))]

    def chain(self) -> tuple[ChainStep, ...]:
        maps = self.named_affine_maps()[:-1]
        n_head = int(self.spec.input_layer)  # the input layer is a plain layer; the blocks follow it
        head = [ChainStep(m.name, m.weight, m.bias, 0.0, 1.0, False) for m in maps[:n_head]]
        blocks = [ChainStep(m.name, m.weight, m.bias, self.spec.skip, self.spec.residual, True) for m in maps[n_head:]]
        return (*head, *blocks)

    # Named parts, for readers that want one map (theory, figures).
    def input_map(self) -> tuple[Tensor, Tensor] | None:
        return None if self.input_layer is None else fold(self.input_layer, None)

    def block_maps(self) -> list[tuple[Tensor, Tensor]]:
        """(W, b) inside each block's activation, eval-mode BatchNorm folded in."""
        return [(s.weight, s.bias) for s in self.chain() if s.is_block]

    def readout(self) -> tuple[Tensor, Tensor]:
        return fold(self.readout_layer, None)


def _block_init(spec: ResNetConfig, gen: torch.Generator) -> tuple[Tensor, Tensor]:
    """One block's (weight, bias) drawn from `gen`: torch's default or Xavier-normal with zero bias, then scaled."""
    w = spec.width
    if spec.init == "xavier_normal":  # nn.init.xavier_normal_: std = gain * sqrt(2 / (fan_in + fan_out))
        std = spec.init_gain * math.sqrt(2.0 / (w + w))
        weight, bias = torch.empty(w, w).normal_(0.0, std, generator=gen), torch.zeros(w)
    else:
        weight, bias = linear_init(w, w, gen)
    if spec.init_scale != 1.0:
        weight = weight * spec.init_scale
    return weight, bias
