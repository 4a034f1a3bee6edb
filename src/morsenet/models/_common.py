"""Pieces shared by every model: activations and BatchNorm that folds into an affine map in eval mode."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .._validation import Seed, as_generator


@contextlib.contextmanager
def seeded_init(seed: Seed) -> Iterator[None]:
    """Run parameter initialisation (which torch.nn draws from the global RNG) from `seed`, restoring the
    caller's global RNG state afterwards."""
    init_seed = int(torch.randint(0, 2**62, (1,), generator=as_generator(seed)))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(init_seed)
        yield


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
