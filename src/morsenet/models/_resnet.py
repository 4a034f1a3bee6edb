"""ResNets with skip weight eps and residual weight delta: h <- eps*h + delta*act(BN(W h + b))."""

from __future__ import annotations

from typing import Any

from torch import Tensor, nn

from .._validation import Seed
from ..errors import MorsenetError
from ._common import ACTIVATIONS, FoldableBatchNorm, activation_fn, fold, seeded_init


class ResNet(nn.Module):
    """Input layer `h0 = act(W x + b)` (optional), `blocks` residual blocks of one width, linear read-out.

    The companion work's regimes: neural-ODE regime (skip=1, residual=2/20, 20 blocks), MLP regime
    (skip=0.1, residual=1, 6 blocks), augmented (width 3), standard ResNet (skip=residual=1, 10 blocks).
    skip=0 is exactly an MLP of constant width. `seed` initialises the parameters.

    Shapes: forward maps (n_points, input_dim) to logits (n_points,).
    """

    kind = "resnet"

    def __init__(
        self,
        input_dim: int,
        width: int,
        blocks: int,
        skip: float = 1.0,
        residual: float = 1.0,
        activation: str = "tanh",
        batchnorm: bool = False,
        input_layer: bool = True,
        *,
        seed: Seed = 0,
    ) -> None:
        super().__init__()
        if input_dim < 1 or width < 1 or blocks < 0:
            raise MorsenetError(
                f"resnet: need input_dim, width >= 1 and blocks >= 0, got {input_dim}, {width}, {blocks}"
            )
        if not input_layer and width != input_dim:
            raise MorsenetError(
                f"resnet: input_layer=false needs width == input_dim, got width {width}, "
                f"input_dim {input_dim}; set input_layer=true or width={input_dim}"
            )
        activation_fn(activation)
        self.input_dim, self.width, self.n_blocks = int(input_dim), int(width), int(blocks)
        self.skip, self.residual = float(skip), float(residual)
        self.activation, self.batchnorm, self.has_input_layer = activation, bool(batchnorm), bool(input_layer)
        with seeded_init(seed):
            self.input_layer = nn.Linear(input_dim, width) if input_layer else None
            self.block_layers = nn.ModuleList(nn.Linear(width, width) for _ in range(blocks))
            self.norms = nn.ModuleList(FoldableBatchNorm(width) for _ in range(blocks)) if batchnorm else None
            self.readout_layer = nn.Linear(width, 1)

    @property
    def n_layers(self) -> int:
        return int(self.has_input_layer) + self.n_blocks

    def _block(self, i: int, h: Tensor) -> Tensor:
        z = self.block_layers[i](h)
        if self.norms is not None:
            z = self.norms[i](z)
        return self.skip * h + self.residual * ACTIVATIONS[self.activation](z)

    def _steps(self) -> list:
        steps = []
        if self.input_layer is not None:
            steps.append(lambda h: ACTIVATIONS[self.activation](self.input_layer(h)))
        steps += [lambda h, i=i: self._block(i, h) for i in range(self.n_blocks)]
        return steps

    def hidden(self, x: Tensor, layer: int) -> Tensor:
        """Representation after layer `layer` (input layer first, then blocks); n_layers + 1 gives (n, 1) logits."""
        if not 1 <= layer <= self.n_layers + 1:
            raise MorsenetError(f"resnet: layer must be in 1..{self.n_layers + 1}, got {layer}")
        h = x
        for step in self._steps()[:layer]:
            h = step(h)
        return self.readout_layer(h) if layer == self.n_layers + 1 else h

    def forward(self, x: Tensor) -> Tensor:
        h = x
        for step in self._steps():
            h = step(h)
        return self.readout_layer(h).squeeze(-1)

    def input_map(self) -> tuple[Tensor, Tensor] | None:
        return None if self.input_layer is None else fold(self.input_layer, None)

    def block_maps(self) -> list[tuple[Tensor, Tensor]]:
        """(W, b) inside each block's activation, eval-mode BatchNorm folded in."""
        return [fold(lin, None if self.norms is None else self.norms[i]) for i, lin in enumerate(self.block_layers)]

    def readout(self) -> tuple[Tensor, Tensor]:
        return fold(self.readout_layer, None)

    def affine_maps(self) -> list[tuple[Tensor, Tensor]]:
        maps = [] if self.input_layer is None else [self.input_map()]
        return maps + self.block_maps() + [self.readout()]

    def config(self) -> dict[str, Any]:
        return {
            "kind": "resnet",
            "input_dim": self.input_dim,
            "width": self.width,
            "blocks": self.n_blocks,
            "skip": self.skip,
            "residual": self.residual,
            "activation": self.activation,
            "batchnorm": self.batchnorm,
            "input_layer": self.has_input_layer,
        }
