"""Feed-forward networks with scalar output: every width list, bottlenecks included."""

from __future__ import annotations

from typing import Any

from torch import Tensor, nn

from .._validation import Seed
from ..errors import MorsenetError
from ._common import ACTIVATIONS, FoldableBatchNorm, activation_fn, fold, seeded_init


def mlp_widths(input_dim: int, width: int, depth: int, *, bottleneck: bool = False) -> list[int]:
    """The prototype's `FFnet` width list: `depth` hidden layers of `width`, output 1.

    With `bottleneck=True` the second-to-last hidden layer has width 1 (a width-1 layer before the last
    width-`width` layer), e.g. depth 15, width 2: [2] + [2]*13 + [1, 2] + [1].
    """
    if depth < 1 or width < 1 or input_dim < 1:
        raise MorsenetError(f"mlp: need input_dim, width, depth >= 1, got {input_dim}, {width}, {depth}")
    if bottleneck and depth < 2:
        raise MorsenetError("mlp: a bottleneck needs depth >= 2 (a width-1 layer before the last hidden layer)")
    hidden = [width] * depth
    if bottleneck:
        hidden[depth - 2] = 1
    return [input_dim, *hidden, 1]


class MLP(nn.Module):
    """`h_l = act(BN(W_l h_{l-1} + b_l))` for each hidden layer, then a linear read-out to one logit.

    Args:
        widths: [n, h1, ..., hL, 1]; n is the input dimension, the last entry must be 1.
        activation: one of tanh, sigmoid, softplus, relu, leaky_relu, identity.
        batchnorm: BatchNorm after each hidden Linear (as in the prototype).
        seed: initialises the parameters (the global RNG is left untouched).

    Shapes: forward maps (n_points, n) to logits (n_points,).
    """

    kind = "mlp"

    def __init__(self, widths: list[int], activation: str = "tanh", batchnorm: bool = False, *, seed: Seed = 0) -> None:
        super().__init__()
        widths = [int(w) for w in widths]
        if len(widths) < 2 or widths[-1] != 1 or min(widths) < 1:
            raise MorsenetError(f"mlp: widths must be [n, h1, ..., hL, 1] with every entry >= 1, got {widths}")
        activation_fn(activation)
        self.widths = widths
        self.activation = activation
        self.batchnorm = bool(batchnorm)
        with seeded_init(seed):
            self.hidden_layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(widths[:-2], widths[1:-1]))
            self.norms = nn.ModuleList(FoldableBatchNorm(b) for b in widths[1:-1]) if batchnorm else None
            self.readout = nn.Linear(widths[-2], 1)

    @property
    def input_dim(self) -> int:
        return self.widths[0]

    @property
    def n_layers(self) -> int:
        return len(self.hidden_layers)

    def _layer(self, i: int, h: Tensor) -> Tensor:
        z = self.hidden_layers[i](h)
        if self.norms is not None:
            z = self.norms[i](z)
        return ACTIVATIONS[self.activation](z)

    def hidden(self, x: Tensor, layer: int) -> Tensor:
        """Representation after hidden layer `layer` (1..n_layers); n_layers + 1 gives the logit as (n, 1)."""
        if not 1 <= layer <= self.n_layers + 1:
            raise MorsenetError(f"mlp: layer must be in 1..{self.n_layers + 1}, got {layer}")
        h = x
        for i in range(min(layer, self.n_layers)):
            h = self._layer(i, h)
        return self.readout(h) if layer == self.n_layers + 1 else h

    def forward(self, x: Tensor) -> Tensor:
        h = x
        for i in range(self.n_layers):
            h = self._layer(i, h)
        return self.readout(h).squeeze(-1)

    def affine_maps(self) -> list[tuple[Tensor, Tensor]]:
        """(W, b) of every layer in order, eval-mode BatchNorm folded in; the last is the read-out."""
        maps = [fold(lin, None if self.norms is None else self.norms[i]) for i, lin in enumerate(self.hidden_layers)]
        return maps + [fold(self.readout, None)]

    def config(self) -> dict[str, Any]:
        return {"kind": "mlp", "widths": list(self.widths), "activation": self.activation, "batchnorm": self.batchnorm}
