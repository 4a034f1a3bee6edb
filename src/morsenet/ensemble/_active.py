"""The models of an ensemble still training: their stacked parameters, Adam state and best states, compacted."""

from __future__ import annotations

import torch
from torch import Tensor

from ._adam import FlatAdam
from ._layout import Layout

__all__ = ["Active"]


class Active:
    """The models still training: their original indices and every per-model tensor, compacted together.

    Parameters, Adam moments and best states live in flat buffers (see `Layout`), so masking, best-state
    copies and dropping finished models are a few tensor operations whatever the depth of the model.
    """

    def __init__(
        self,
        stacked: dict[str, Tensor],
        param_names: list[str],
        buffer_names: list[str],
        device: torch.device,
        dtype: torch.dtype,
        lr: float,
    ) -> None:
        m = next(iter(stacked.values())).shape[0]
        self.index = torch.arange(m)  # original model index of each active model (CPU)
        self.p_layout = Layout.of({k: stacked[k] for k in param_names})
        self.b_layout = Layout.of({k: stacked[k] for k in buffer_names})
        self.params = self.p_layout.pack(stacked).to(device)  # no grad itself: see `_views`
        self.buffers = self.b_layout.pack(stacked).to(device=device, dtype=dtype)
        self.best_params, self.best_buffers = self.params.clone(), self.buffers.clone()
        self.adam = FlatAdam(self.params.numel(), self.params, lr)
        self.best_score = torch.full((m,), -float("inf"), dtype=torch.float64, device=device)
        self.best_epoch = torch.full((m,), -1, dtype=torch.long, device=device)
        self.stale = torch.zeros(m, dtype=torch.long, device=device)
        self._views()

    def _views(self) -> None:
        # Each named parameter is a leaf view into the flat buffer: autograd sees M-stacked leaves (no split
        # or view nodes per step) and the update of the flat buffer is what the leaves hold.
        self.leaves = {k: v.requires_grad_(True) for k, v in self.p_layout.split(self.params).items()}
        self.buffer_views = self.b_layout.split(self.buffers)  # BatchNorm updates these in place
        self.p_index = self.p_layout.model_index(self.params.device)
        self.b_index = self.b_layout.model_index(self.params.device)

    def __len__(self) -> int:
        return int(self.index.numel())

    def param_views(self) -> dict[str, Tensor]:
        return self.leaves

    def gradient(self, loss: Tensor) -> Tensor:
        """The gradient of `loss` with respect to the flat parameter buffer."""
        grads = torch.autograd.grad(loss, list(self.leaves.values()), materialize_grads=True)
        return torch.cat([g.reshape(-1) for g in grads])

    @torch.no_grad()
    def record(self, score: Tensor, epoch: int, last: bool = False) -> None:
        """Keep the state of every model whose score improved (strictly), and count stale epochs.

        `last` (restore = "last"): keep every model's current state instead; the score still counts patience.
        """
        improved = score > self.best_score
        self.best_score = torch.where(improved, score, self.best_score)
        self.stale = torch.where(improved, torch.zeros_like(self.stale), self.stale + 1)
        if last:
            self.best_epoch = torch.full_like(self.best_epoch, epoch)
            self.best_params, self.best_buffers = self.params.clone(), self.buffers.clone()
            return
        self.best_epoch = torch.where(improved, torch.full_like(self.best_epoch, epoch), self.best_epoch)
        self.best_params = torch.where(improved[self.p_index], self.params, self.best_params)
        self.best_buffers = torch.where(improved[self.b_index], self.buffers, self.best_buffers)

    def squared_parameters(self) -> Tensor:
        """(M,) each model's sum of squared parameters (the L2 term), differentiable."""
        n = len(self)
        parts = [v.square().reshape(n, -1).sum(1) for v in self.leaves.values()]
        total = parts[0]
        for p in parts[1:]:
            total = total + p
        return total

    def best_state(self, positions: Tensor) -> dict[str, Tensor]:
        """The best states of the active models at `positions`, stacked by name."""
        views = {**self.p_layout.split(self.best_params), **self.b_layout.split(self.best_buffers)}
        return {k: v[positions] for k, v in views.items()}

    @torch.no_grad()
    def keep(self, positions: Tensor) -> None:
        """Drop every active model but those at `positions`."""
        self.index = self.index[positions.cpu()]
        p_layout, self.params = self.p_layout.select(self.params, positions)
        _, self.adam.exp_avg = self.p_layout.select(self.adam.exp_avg, positions)
        _, self.adam.exp_avg_sq = self.p_layout.select(self.adam.exp_avg_sq, positions)
        _, self.best_params = self.p_layout.select(self.best_params, positions)
        b_layout, self.buffers = self.b_layout.select(self.buffers, positions)
        _, self.best_buffers = self.b_layout.select(self.best_buffers, positions)
        self.p_layout, self.b_layout = p_layout, b_layout
        self.best_score, self.best_epoch = self.best_score[positions], self.best_epoch[positions]
        self.stale = self.stale[positions]
        self._views()
