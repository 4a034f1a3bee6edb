"""Adam over the flat parameter buffer of M stacked models: one fused update per step."""

from __future__ import annotations

import torch
from torch import Tensor
from torch.optim.adam import adam as adam_update

__all__ = ["FlatAdam"]


class FlatAdam:
    """Adam (no weight decay) on one flat parameter buffer holding every model's parameters: one fused update.

    The update is element-wise, so running it on the stacked parameters of M models gives each model the
    numbers `torch.optim.Adam` gives it alone (up to the last bit: the fused kernel, `torch.optim.adam.adam`
    with `fused=True`, orders a few roundings differently from the single-tensor path `fit` uses), and masking
    or dropping finished models is a plain index operation. Where the fused kernel is unavailable (a device
    or dtype it does not support) the single-tensor update is written out instead.
    """

    def __init__(
        self, n: int, like: Tensor, lr: float, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8
    ) -> None:
        self.lr, self.beta1, self.beta2, self.eps = lr, betas[0], betas[1], eps
        self.exp_avg = torch.zeros(n, dtype=like.dtype, device=like.device)
        self.exp_avg_sq = torch.zeros_like(self.exp_avg)
        self.step_count = 0  # every active model has taken the same number of steps
        self.fused = True

    def step(self, param: Tensor, grad: Tensor) -> None:
        self.step_count += 1
        if self.fused:
            try:
                steps = [torch.tensor(float(self.step_count - 1), device=param.device)]  # the kernel adds 1
                adam_update(
                    [param], [grad], [self.exp_avg], [self.exp_avg_sq], [], steps, fused=True, amsgrad=False,
                    beta1=self.beta1, beta2=self.beta2, lr=self.lr, weight_decay=0.0, eps=self.eps, maximize=False,
                )  # fmt: skip
                return
            except (RuntimeError, NotImplementedError):  # not before any state was changed: fall back for good
                self.fused = False
        self.exp_avg.lerp_(grad, 1 - self.beta1)
        self.exp_avg_sq.mul_(self.beta2).addcmul_(grad, grad, value=1 - self.beta2)
        step = float(self.step_count)
        bias_correction1 = 1 - self.beta1**step
        bias_correction2 = 1 - self.beta2**step
        step_size = self.lr / bias_correction1
        denom = (self.exp_avg_sq.sqrt() / bias_correction2**0.5).add_(self.eps)
        with torch.no_grad():
            param.addcdiv_(self.exp_avg, denom, value=-step_size)
