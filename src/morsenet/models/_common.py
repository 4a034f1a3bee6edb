"""Pieces shared by every model: activations and BatchNorm that folds into an affine map in eval mode."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .._validation import Seed, as_generator


def _init_seed(seed: Seed) -> int:
    return int(torch.randint(0, 2**62, (1,), generator=as_generator(seed)))


@contextlib.contextmanager
def seeded_init(seed: Seed) -> Iterator[None]:
    """Run parameter initialisation (which torch.nn draws from the global RNG) from `seed`, restoring the
    caller's global RNG state afterwards."""
    init_seed = _init_seed(seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(init_seed)
        yield


def init_generator(seed: Seed) -> torch.Generator:
    """A private generator in the state `seeded_init(seed)` puts the global RNG in: drawing a model's parameters
    from it in construction order gives the numbers its modules draw (without building the modules)."""
    return torch.Generator().manual_seed(_init_seed(seed))


def linear_init(n_out: int, n_in: int, gen: torch.Generator) -> tuple[Tensor, Tensor]:
    """(weight (n_out, n_in), bias (n_out,)) as `nn.Linear(n_in, n_out).reset_parameters()` draws them from `gen`."""
    # init.kaiming_uniform_(weight, a=sqrt(5)): bound sqrt(3) * gain / sqrt(fan_in), gain = sqrt(2 / (1 + a^2)),
    # written out with the same floating-point steps (the function's checks cost more than the draw).
    bound = math.sqrt(3.0) * (math.sqrt(2.0 / (1 + math.sqrt(5) ** 2)) / math.sqrt(n_in))
    weight = torch.empty(n_out, n_in).uniform_(-bound, bound, generator=gen)
    bound = 1 / math.sqrt(n_in) if n_in > 0 else 0.0
    return weight, torch.empty(n_out).uniform_(-bound, bound, generator=gen)


ACTIVATIONS: dict[str, Callable[[Tensor], Tensor]] = {
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "softplus": F.softplus,
    "relu": torch.relu,
    "leaky_relu": F.leaky_relu,
    "identity": lambda z: z,
}


class FoldableBatchNorm(nn.BatchNorm1d):
    """BatchNorm1d whose eval-mode forward is written as the explicit affine map it is.

    In eval mode `z -> scale * z + shift` with `scale = gamma / sqrt(var + eps)` and
    `shift = beta - scale * mean`; writing it out keeps models pure functions of their input under
    `torch.func` (vmap, jacrev, hessian) and makes folding into the preceding Linear exact.
    """

    def scale_shift(self) -> tuple[Tensor, Tensor]:
        var, mean = self.running_var, self.running_mean
        assert var is not None and mean is not None  # track_running_stats is always on here
        scale = self.weight / torch.sqrt(var + self.eps)
        return scale, self.bias - scale * mean

    def forward(self, z: Tensor) -> Tensor:
        if self.training:
            return super().forward(z)
        scale, shift = self.scale_shift()
        return z * scale + shift


def fold(linear: nn.Module, bn: nn.Module | None) -> tuple[Tensor, Tensor]:
    """The affine map `bn(linear(.))` in eval mode as (W, b), detached (`linear` an nn.Linear, `bn` a
    FoldableBatchNorm; typed as modules because ModuleList indexing is)."""
    assert isinstance(linear, nn.Linear) and (bn is None or isinstance(bn, FoldableBatchNorm))
    w, b = linear.weight.detach(), linear.bias.detach()
    if bn is None:
        return w.clone(), b.clone()
    scale, shift = (t.detach() for t in bn.scale_shift())
    return scale[:, None] * w, scale * b + shift
