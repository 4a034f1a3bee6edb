"""The model protocol every analysis, trainer and report reads: one base class, one stacked forward per kind.

A morsenet model is an `nn.Module` whose parameters are laid out by its typed config (`model.spec`). Its
computation is written once, in `stacked_forward`, for a stack of M models with the same architecture
(parameters with a leading model axis); `forward` is that computation for the single model M = 1, so the
ensemble trainer and `training.fit` run the same operations. What analyses need to know about a model's
layers comes from `chain()` (the discrete layer map with BatchNorm folded, skip and residual scales),
`named_affine_maps()` and `preactivations()`; none of them looks at the model's kind.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .._validation import Seed
from ..errors import MorsenetError
from ._common import ACTIVATIONS
from ._config import ModelConfig, graph_bottleneck

Params = dict[str, Tensor]


@dataclass(frozen=True)
class AffineMap:
    """One affine map of a model in order of application, eval-mode BatchNorm folded in.

    Attributes:
        name: "layer 1", "input", "block 3", "lift", "field 2", "readout", ...
        weight: (out, in), detached.
        bias: (out,), detached.
    """

    name: str
    weight: Tensor
    bias: Tensor


@dataclass(frozen=True)
class ChainStep:
    """One layer of a discrete network: `h <- skip * h + residual * act(weight @ h + bias)`.

    A plain layer has skip 0 and residual 1; a residual block (`is_block`) maps width to the same width.
    The weight and bias are the eval-mode maps (BatchNorm folded), detached.
    """

    name: str
    weight: Tensor
    bias: Tensor
    skip: float
    residual: float
    is_block: bool

    def combine(self, h: Tensor, a: Tensor) -> Tensor:
        """The step's output `skip * h + residual * a` from its input h and activation a = act(W h + b) (the
        skip term left out when it is zero: a plain layer may change the width)."""
        return self.skip * h + self.residual * a if self.skip else self.residual * a

    def jacobian(self, z: Tensor, slope: Tensor) -> Tensor:
        """(n, out, in) the step's Jacobian `skip*I + residual*diag(act'(z)) W` given act'(z) = `slope` (n, out)."""
        jac = self.residual * slope[:, :, None] * self.weight[None]
        if self.skip:
            jac = jac + self.skip * torch.eye(self.weight.shape[1], dtype=jac.dtype)
        return jac


# ----- the primitives of a forward pass, for a stack of models (leading model axis M) or for one model -----
# A model's forward is written once on these. With stacked parameters (M, ...) and points (M, B, d) it runs M
# models as batched kernels on a features-first layout: a representation is (M, width, B), so that each
# model's feature is one contiguous row over its minibatch. For the tiny widths here this is what makes the
# stack fast: a layer is one batched (width x width) @ (width x B) product, and BatchNorm is a single kernel
# over M * width contiguous channels with no transposes (about 3x faster per training step at M = 1000 than
# the points-first layout; see benchmarks/README.md). With one model's own parameters and points (B, d) the
# primitives run the plain kernels that nn.Linear and nn.BatchNorm1d run (no model axis to add and remove,
# which costs more than the layers do for these tiny networks). `enter` and `leave` convert at the two ends.


def enter(x: Tensor) -> Tensor:
    """Points into the working layout: stacked (M, B, d) -> (M, d, B) (a view); one model's (B, d) unchanged."""
    return x.transpose(1, 2) if x.dim() == 3 else x


def leave(h: Tensor) -> Tensor:
    """A representation back in points-first layout: stacked (M, width, B) -> (M, B, width); (B, width) unchanged."""
    return h.transpose(1, 2) if h.dim() == 3 else h


def logits_of(z: Tensor) -> Tensor:
    """The one-unit read-out's output as logits: stacked (M, 1, B) -> (M, B); one model's (B, 1) -> (B,)."""
    return z.squeeze(1) if z.dim() == 3 else z.squeeze(-1)


def affine(w: Tensor, b: Tensor, h: Tensor) -> Tensor:
    """`W h + b`: stacked w (M, out, in), b (M, out), h (M, in, B) -> (M, out, B); or one model's `h @ W.T + b`
    with h (B, in) -> (B, out)."""
    if w.dim() == 2:
        return F.linear(h, w, b)
    return torch.baddbmm(b.unsqueeze(-1), w, h)


def piece(t: Tensor, k: int, dims: int) -> Tensor:
    """Entry `k` of the axis just before the last `dims` axes (a time piece of stacked or single weights)."""
    return t.select(t.dim() - dims - 1, k)


def linear(p: Params, name: str, h: Tensor) -> Tensor:
    """`affine` with the weight and bias of the `nn.Linear` called `name` in the state dict."""
    return affine(p[f"{name}.weight"], p[f"{name}.bias"], h)


def batchnorm(p: Params, buffers: Params, name: str, z: Tensor, training: bool, bn: nn.BatchNorm1d) -> Tensor:
    """Per-model BatchNorm1d of stacked z (M, C, B) (or one model's (B, C)), updating the running statistics
    in place when training.

    One model: exactly `nn.BatchNorm1d`'s `F.batch_norm` call. A stack: z is viewed as (1, M*C, B), so
    `F.batch_norm` treats every (model, feature) pair as its own channel: it normalises each model's feature
    over that model's own minibatch and updates its running mean and (unbiased) variance with the module's
    momentum, as `nn.BatchNorm1d` does on that model's (B, C) batch (the same numbers up to the order of
    summation). Evaluation: the folded affine map `z * scale + shift` (`scale = gamma / sqrt(var + eps)`,
    `shift = beta - scale * mean`).
    """
    weight, bias = p[f"{name}.weight"], p[f"{name}.bias"]
    mean, var = buffers[f"{name}.running_mean"], buffers[f"{name}.running_var"]
    eps, momentum = bn.eps, bn.momentum
    if momentum is None:  # cumulative average, as nn.BatchNorm1d: 1 / (batches seen, this one included)
        counter = bn.num_batches_tracked
        momentum = 1.0 / (float(counter) + 1.0) if counter is not None else 0.0
    if training and z.dim() == 2:
        return F.batch_norm(z, mean, var, weight, bias, True, momentum, eps)
    if training:
        m, c, b = z.shape
        out = F.batch_norm(z.reshape(1, m * c, b), mean.view(-1), var.view(-1), weight.reshape(-1),
                           bias.reshape(-1), True, momentum, eps)  # fmt: skip
        return out.view(m, c, b)
    scale = weight / torch.sqrt(var + eps)
    shift = bias - scale * mean
    if z.dim() == 3:  # one (scale, shift) per model and feature, broadcast over its batch
        scale, shift = scale.unsqueeze(-1), shift.unsqueeze(-1)
    return z * scale + shift


class MorseModel(nn.Module):
    """Base class of morsenet's models: a scalar-output network described by a typed config.

    Subclasses implement `stacked_forward`, `named_affine_maps`, `chain`, `hidden` and `n_layers`; everything
    else (forward, config dict, description, pre-activations) is written here once.
    """

    spec: ModelConfig
    # Whether the architecture is built of residual blocks (its chain's `is_block` steps; possibly none, as in
    # a 0-block ResNet). Block-Jacobian analyses apply exactly to such models.
    has_residual_blocks: bool = False

    def __init__(self, spec: ModelConfig) -> None:
        super().__init__()
        self.spec = spec
        self.checkpoint_meta: dict[str, Any] = {}  # what `load` read beside the weights (empty when built)

    # ----- what the config says -----

    @property
    def kind(self) -> str:
        return self.spec.kind

    @property
    def input_dim(self) -> int:
        return self.spec.input_dim

    @property
    def activation(self) -> str:
        return self.spec.activation

    @property
    def act(self) -> Callable[[Tensor], Tensor]:
        return ACTIVATIONS[self.spec.activation]

    @property
    def bottleneck(self) -> bool:
        """Whether the width sequence has a bottleneck (`graph_bottleneck`, THEORY.md 1.4)."""
        return graph_bottleneck(self.spec.width_sequence)

    def config(self) -> dict[str, Any]:
        """The config as a plain dict (what checkpoints and study files hold)."""
        return self.spec.to_dict()

    def describe(self) -> str:
        """A one-line description, e.g. "MLP 2-2x15-1 tanh, BN"."""
        return self.spec.describe()

    # ----- the computation, written once per kind for a stack of models -----

    def stacked_forward(self, params: Params, buffers: Params, x: Tensor, training: bool,
                        stop: int | None = None) -> Tensor:  # fmt: skip
        """Logits (M, B) of M models of this architecture at x (M, B, d).

        `params` and `buffers` map this module's state-dict names to stacked tensors (M, ...); in training
        mode BatchNorm updates the running statistics in `buffers` in place. With `stop` = l the pass ends
        after layer l and returns that representation (M, B, width) instead (see `hidden`). Given one model's
        own (unstacked) tensors and points (B, d) it computes the same for that model: logits (B,).
        Subclasses write it on the primitives above (`enter` the points, `affine`/`batchnorm`/`piece`, then
        `logits_of` the read-out or `leave` a representation), which pick the stacked or the single kernels.
        """
        raise NotImplementedError

    def initial_parameters(self, seed: Seed) -> Params:
        """The parameters (float32, new tensors, by name in `named_parameters` order) that this architecture
        built with `seed` starts from. Subclasses draw them directly from `init_generator(seed)`, the same
        numbers without building modules (the ensemble trainer starts M models this way, 20x faster than
        building them); this fallback builds the model."""
        from ._registry import build_model  # the registry imports this module

        return {k: v.detach().clone() for k, v in build_model(self.spec, seed=seed).named_parameters()}

    def _own_state(self) -> tuple[Params, Params]:
        """This model's parameters and floating buffers by state-dict name (the live tensors, not copies)."""
        refs = self.__dict__.get("_state_refs")
        if refs is None:  # where each tensor lives; read afresh on every call, so .to() or loading is seen
            refs = [
                (f"{prefix}.{attr}" if prefix else attr, module, attr, store)
                for prefix, module in self.named_modules()
                for store in ("_parameters", "_buffers")
                for attr in getattr(module, store)
            ]
            self.__dict__["_state_refs"] = refs
        params: Params = {}
        buffers: Params = {}
        for name, module, attr, store in refs:
            t = getattr(module, store)[attr]
            if t is None:
                continue
            if store == "_parameters":
                params[name] = t
            elif t.is_floating_point():
                buffers[name] = t
        return params, buffers

    def forward(self, x: Tensor) -> Tensor:
        """Logits (n,) at points x (n, d): `stacked_forward` for this one model."""
        params, buffers = self._own_state()
        training = self.training
        out = self.stacked_forward(params, buffers, x, training)
        if training:  # what nn.BatchNorm1d counts in training mode
            for _, module, attr, store in self.__dict__["_state_refs"]:
                if attr == "num_batches_tracked" and store == "_buffers":
                    getattr(module, store)[attr].add_(1)
        return out

    # ----- what analyses read -----

    @property
    def n_layers(self) -> int:
        """Number of hidden representations `hidden` can return (its layer 1..n_layers)."""
        raise NotImplementedError

    def hidden(self, x: Tensor, layer: int) -> Tensor:
        """Representation after layer `layer` (1..n_layers; see the class's layers); n_layers + 1 gives the
        logit as (n, 1). Runs `stacked_forward(stop=layer)` in the module's current mode."""
        if not 1 <= layer <= self.n_layers + 1:
            raise MorsenetError(f"{self.kind}: layer must be in 1..{self.n_layers + 1}, got {layer}")
        if layer == self.n_layers + 1:
            return self(x)[:, None]
        params, buffers = self._own_state()
        return self.stacked_forward(params, buffers, x, self.training, stop=layer)

    def named_affine_maps(self) -> list[AffineMap]:
        """Every affine map in order of application (eval-mode BatchNorm folded), the read-out last."""
        raise NotImplementedError

    def affine_maps(self) -> list[tuple[Tensor, Tensor]]:
        """(W, b) of every affine map in order, the read-out last."""
        return [(m.weight, m.bias) for m in self.named_affine_maps()]

    def readout_map(self) -> AffineMap:
        return self.named_affine_maps()[-1]

    def chain(self) -> tuple[ChainStep, ...] | None:
        """The discrete layers in order (read-out excluded), or None for a continuous-time model."""
        return None

    def preactivations(self, x: Tensor) -> Tensor | None:
        """Every hidden pre-activation `W h + b` at points x (n, d) as (n, k), eval mode; None without a chain.

        Saturated neurons (|z| large, act' ~ 0 to machine precision) turn a narrow net into a numerical
        bottleneck (THEORY.md 4.2); the pre-activations give the direct check.
        """
        steps = self.chain()
        if steps is None:
            return None
        zs = []
        with torch.no_grad():
            h = x.to(steps[0].weight.dtype) if steps else x
            for s in steps:
                z = h @ s.weight.T + s.bias
                zs.append(z)
                h = s.combine(h, self.act(z))
        return torch.cat(zs, dim=1) if zs else x.new_zeros(len(x), 0)
