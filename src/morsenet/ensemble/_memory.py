"""How much device memory an ensemble needs, before anything is allocated there; how many models fit at once."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from .._validation import as_dtype
from ..datasets import Dataset
from ..errors import MorsenetError
from ..models import ModelConfig, build_model, config_from_dict
from ..training import TrainConfig
from ..training._penalties import training_loss

# Training keeps every model's parameters five times over (values, gradient, two Adam moments, best state)
# and its floating buffers twice (values, best state).
PARAM_COPIES, BUFFER_COPIES = 5, 2
# The backward pass holds gradients of about the size of what the forward saved, beside it.
BACKWARD_FACTOR = 2.0
# The per-epoch test evaluation (no graph) holds a few representations of the widest layer at once.
EVAL_LIVE = 4
# Share of the free memory a chunk may plan to use (the allocator's caches and fragmentation take the rest).
DEFAULT_FRACTION = 0.8


@dataclass(frozen=True)
class MemoryEstimate:
    """Bytes an ensemble of one architecture needs: `fixed` (the data set) plus `per_model` for each model.

    Attributes:
        per_model: parameters and their optimiser state, buffers, one minibatch's saved activations and
            their gradients, and the test evaluation, for one model.
        fixed: the training and test points and labels (held once, whatever M).
        activations: of `per_model`, the bytes autograd saves for one model's backward pass on one minibatch.
    """

    per_model: int
    fixed: int
    activations: int = 0

    def total(self, n_models: int) -> int:
        """Bytes for `n_models` models trained at once."""
        return self.fixed + n_models * self.per_model

    def max_models(self, budget: int) -> int:
        """The largest M whose `total(M)` fits in `budget` bytes (0 when not even one model fits)."""
        return max(0, (budget - self.fixed) // self.per_model)


def estimate_memory(
    model_config: dict[str, Any] | ModelConfig, data: Dataset, config: TrainConfig = TrainConfig()
) -> MemoryEstimate:
    """Estimate the memory of `train_ensemble(model_config, data, config, ...)`, per model and fixed.

    The activations are counted, not guessed: one model's training step is traced on the CPU (a stack of
    M = 1, one minibatch) and every tensor that autograd saves for the backward pass is summed, so any
    architecture (depth, widths, ResNet blocks, RK4 stages of a neural ODE) is measured as it runs; with loss
    terms on (`config.loss_terms`) the whole training loss is traced, so the input gradient's graph and the FGSM
    forward pass are counted too. Nothing is allocated on the target device.
    """
    dtype = as_dtype(config.dtype)
    item = torch.empty((), dtype=dtype).element_size()
    spec = config_from_dict(model_config, input_dim=data.input_dim)
    template = build_model(spec, seed=0).to(dtype)
    params = {k: v.detach()[None].clone().requires_grad_(True) for k, v in template.named_parameters()}
    buffers = {k: v[None].clone() for k, v in template.named_buffers() if v.is_floating_point()}
    n_params = sum(v.numel() for v in params.values())
    n_buffers = sum(v.numel() for v in buffers.values())
    batch = min(config.batch_size, data.x_train.shape[0])
    x = data.x_train[:batch].to(dtype)[None]

    state = {t.untyped_storage().data_ptr() for t in (*params.values(), *buffers.values())}
    saved: dict[tuple[int, int], int] = {}

    def pack(t: Tensor) -> Tensor:
        ptr = t.untyped_storage().data_ptr()
        if ptr not in state:  # views of parameters and buffers are counted above
            saved[(ptr, int(t.storage_offset()))] = t.numel() * t.element_size()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        if config.loss_terms:  # the input gradient's graph (double backprop) and the FGSM forward count too
            y = data.y_train[:batch].to(dtype)[None]

            def forward(points: Tensor, update: bool) -> Tensor:
                return template.stacked_forward(params, buffers if update else dict(buffers), points, True)

            squares = [v.square().sum() for v in params.values()]
            training_loss(forward, x, y, data.task, config, lambda: torch.stack(squares).sum())
        else:
            template.stacked_forward(params, buffers, x, True)
    activations = sum(saved.values())
    widest = max(spec.width_sequence)
    n_train, n_test = data.x_train.shape[0], data.x_test.shape[0]
    per_model = (
        PARAM_COPIES * n_params * item
        + BUFFER_COPIES * n_buffers * item
        + math.ceil(BACKWARD_FACTOR * activations)
        + EVAL_LIVE * n_test * widest * item
        + n_train * 8  # the epoch's minibatch order (int64)
        + batch * (data.input_dim + 1) * item  # the gathered minibatch
        + 4 * n_test * item  # test logits, losses, accuracy
    )
    fixed = (n_train + n_test) * (data.input_dim + 1) * item
    return MemoryEstimate(per_model, fixed, activations)


def available_memory(device: torch.device) -> int:
    """Free bytes on `device`: what CUDA reports free, or the machine's available memory for the CPU."""
    if device.type == "cuda":
        free, _ = torch.cuda.mem_get_info(device)
        return int(free)
    try:  # Linux: what can be had without swapping, reclaimable caches included
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):  # pragma: no cover - platforms without sysconf
        return 2**62


def models_per_chunk(estimate: MemoryEstimate, n_models: int, budget: int, device: torch.device) -> int:
    """How many of `n_models` to train at once within `budget` bytes; a MorsenetError if not even one fits."""
    fit = estimate.max_models(budget)
    if fit < 1:
        raise MorsenetError(
            f"one model needs about {_mib(estimate.total(1))} but only {_mib(budget)} are available on "
            f"{device}; use a smaller batch size, a smaller model or --device cpu"
        )
    return min(n_models, fit)


def _mib(n: int) -> str:
    return f"{n / 2**20:.1f} MiB"
