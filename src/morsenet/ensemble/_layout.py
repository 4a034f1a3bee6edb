"""Flat storage for M models' tensors: one 1-D buffer holding each named tensor as a contiguous (M, ...) block."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor


@dataclass(frozen=True)
class Layout:
    """Where each named per-model tensor lives in a flat buffer of `n_models` models.

    The block of tensor `k` holds `n_models * prod(shapes[k])` numbers and reads as `(n_models, *shapes[k])`.
    One buffer per kind of state (parameters, BatchNorm statistics) makes Adam, best-state copies and
    masking single tensor operations instead of one per layer.
    """

    names: tuple[str, ...]
    shapes: tuple[tuple[int, ...], ...]
    n_models: int

    @classmethod
    def of(cls, tensors: dict[str, Tensor]) -> Layout:
        """The layout of stacked tensors `{name: (M, ...)}` (all with the same leading M)."""
        ms = {t.shape[0] for t in tensors.values()}
        if len(ms) > 1:
            raise AssertionError(f"stacked tensors disagree on the model axis: {sorted(ms)}")
        m = ms.pop() if ms else 0
        return cls(tuple(tensors), tuple(tuple(t.shape[1:]) for t in tensors.values()), m)

    @property
    def sizes(self) -> list[int]:
        return [self.n_models * math.prod(s) for s in self.shapes]

    def split(self, flat: Tensor) -> dict[str, Tensor]:
        """Views `{name: (M, ...)}` into `flat` (autograd flows back to `flat` through one split)."""
        if not self.names:
            return {}
        parts = torch.split(flat, self.sizes)
        return {n: p.view(self.n_models, *s) for n, p, s in zip(self.names, parts, self.shapes)}

    def pack(self, tensors: dict[str, Tensor]) -> Tensor:
        """The flat buffer holding `tensors` (a new tensor)."""
        if not self.names:
            return torch.zeros(0)
        return torch.cat([tensors[n].reshape(-1) for n in self.names])

    def select(self, flat: Tensor, keep: Tensor) -> tuple[Layout, Tensor]:
        """Keep the models at integer positions `keep`; returns the smaller layout and its buffer."""
        views = self.split(flat)
        smaller = Layout(self.names, self.shapes, int(keep.numel()))
        if not self.names:
            return smaller, flat
        return smaller, smaller.pack({n: v.index_select(0, keep) for n, v in views.items()})

    def model_index(self, device: torch.device | str = "cpu") -> Tensor:
        """(numel,) the model each entry of a flat buffer belongs to, for per-model masks."""
        if not self.names:
            return torch.zeros(0, dtype=torch.long, device=device)
        ids = torch.arange(self.n_models, device=device)
        return torch.cat([ids.repeat_interleave(math.prod(s)) for s in self.shapes])
