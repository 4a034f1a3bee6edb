"""The training loop: Adam, BCE on logits (MSE for regression), best-state restore, early stopping, retries."""

from __future__ import annotations

import copy
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .._validation import Seed, as_dtype, as_generator, intra_op_threads
from ..datasets import Dataset
from ..models import ModelConfig, MorseModel, build_model
from ..theory import r1_ratio
from ._config import TrainConfig
from ._history import History
from ._penalties import Forward, loss_weights, training_loss
from ._weight_bound import check_weight_bound, project_weights

Callback = Callable[[int, nn.Module, "History"], None]


def batch_slices(n: int, batch_size: int) -> list[slice]:
    """Minibatch boundaries; a last batch of a single point joins the previous one (BatchNorm needs 2)."""
    starts = list(range(0, n, batch_size))
    if len(starts) > 1 and n - starts[-1] == 1:
        starts.pop()
    return [slice(s, e) for s, e in zip(starts, starts[1:] + [n])]


def loss_fn(task: str) -> Callable[[Tensor, Tensor], Tensor]:
    return F.binary_cross_entropy_with_logits if task == "classification" else F.mse_loss


def accuracy(logits: Tensor, labels: Tensor) -> float:
    """Fraction of points with (sigmoid(logit) >= 0.5) == label."""
    return float(((logits >= 0).to(labels.dtype) == labels).float().mean())


def fit(
    model: nn.Module,
    data: Dataset,
    config: TrainConfig = TrainConfig(),
    *,
    seed: Seed = 0,
    callback: Callback | None = None,
    progress: bool | None = None,
    desc: str = "",
    threads: int | None = 1,
) -> History:
    """Train `model` in place on `data` and restore its best state (highest accuracy; lowest MSE).

    `config.restore = "last"` keeps the last epoch's state instead (`History.best_epoch` is then the last
    epoch run: always the kept epoch). `config.weight_bound` projects every residual block's effective weight
    onto spectral norm <= B after each optimiser step (`project_weights`; ResNets only: another kind is a
    MorsenetError). The loss terms of `config.loss_terms` are added as `training_loss` says, and their raw
    per-epoch means go to `History.loss_terms`. For ResNets with skip != 0, `History.r1_ratio` gets
    `morsenet.theory.r1_ratio(model)` after each epoch (eval mode).

    The best epoch is chosen (and patience counted) on the data's validation part when it has one, or when
    `config.val_fraction > 0` (then split off the training points by `with_validation(config.val_fraction,
    seed=config.val_seed)`: the same split whatever `seed`); otherwise on the test set, as the prototype did.

    The minibatch order comes from `seed` alone, so the same model, data, config and seed give the same
    numbers. `callback(epoch, model, history)` runs after each epoch's evaluation (in eval mode).
    `progress` shows a bar on a terminal (None: only when stderr is a terminal). `threads` torch intra-op
    threads are used during training (None: torch's setting); one is fastest for these small models and gives
    the same numbers as the ensemble trainer.
    """
    with intra_op_threads(threads):
        return _fit(model, data, config, seed, callback, progress, desc)


def _fit(
    model: nn.Module,
    data: Dataset,
    config: TrainConfig,
    seed: Seed,
    callback: Callback | None,
    progress: bool | None,
    desc: str,
) -> History:
    gen = as_generator(seed)
    data = validation_split(data, config)
    dtype = as_dtype(config.dtype)
    model.to(dtype)
    x, y = data.x_train.to(dtype), data.y_train.to(dtype)
    xt, yt = data.x_test.to(dtype), data.y_test.to(dtype)
    val = None if data.x_val is None or data.y_val is None else (data.x_val.to(dtype), data.y_val.to(dtype))
    criterion = loss_fn(data.task)
    classify = data.task == "classification"
    if config.weight_bound is not None:
        check_weight_bound(model)
    terms = config.loss_terms
    opt = torch.optim.Adam(model.parameters(), lr=config.lr)
    history = History()
    if terms:
        history.loss_weights = loss_weights(config)
        history.loss_terms = {name: [] for name in history.loss_weights}
    best_score, best_state, stale = -float("inf"), None, 0
    epochs = progress_bar(range(config.epochs), progress, desc)
    for epoch in epochs:
        model.train()
        perm = torch.randperm(x.shape[0], generator=gen)
        total, count = 0.0, 0
        sums = dict.fromkeys(history.loss_terms, 0.0)
        for sl in batch_slices(x.shape[0], config.batch_size):
            idx = perm[sl]
            if terms:
                parts = training_loss(_module_forward(model), x[idx], y[idx], data.task, config,
                                      lambda: _squared_parameters(model))  # fmt: skip
                loss = parts.total
                for name, value in parts.raw.items():
                    sums[name] += float(value.detach())
            else:
                loss = criterion(model(x[idx]), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            if config.weight_bound is not None:
                project_weights(model, config.weight_bound)
            total, count = total + float(loss.detach()), count + 1
        history.train_loss.append(total / count)
        for name, part_sum in sums.items():
            history.loss_terms[name].append(part_sum / count)
        model.eval()
        with torch.no_grad():
            logits = model(xt)
            history.test_loss.append(float(criterion(logits, yt)))
            if classify:
                history.test_accuracy.append(accuracy(logits, yt))
            if val is not None:
                val_logits = model(val[0])
                history.val_loss.append(float(criterion(val_logits, val[1])))
                if classify:
                    history.val_accuracy.append(accuracy(val_logits, val[1]))
        ratio = r1_ratio(model)
        if ratio is not None:
            history.r1_ratio.append(ratio)
        if val is not None:
            score = history.val_accuracy[-1] if classify else -history.val_loss[-1]
        else:
            score = history.test_accuracy[-1] if classify else -history.test_loss[-1]
        improved = score > best_score
        if improved:
            best_score, stale = score, 0
        else:
            stale += 1
        if config.restore == "last":
            history.best_epoch = epoch  # the kept epoch: the last one run
        elif improved:
            best_state = copy.deepcopy(model.state_dict())
            history.best_epoch = epoch
        if callback is not None:
            callback(epoch, model, history)
        if hasattr(epochs, "set_postfix"):
            epochs.set_postfix_str(
                f"loss {history.train_loss[-1]:.3f} "
                + (f"acc {history.test_accuracy[-1]:.3f}" if classify else f"test mse {history.test_loss[-1]:.2e}")
            )
        if config.patience and stale >= config.patience:
            history.stopped_early = True
            break
    if hasattr(epochs, "close"):
        epochs.close()
    if config.restore == "best":
        assert best_state is not None  # the first epoch always improves on -inf
        model.load_state_dict(best_state)
    model.eval()
    return history


def _module_forward(model: nn.Module) -> Forward:
    """`training_loss`'s forward for one module: `update_statistics=False` keeps BatchNorm's running statistics."""

    def forward(x: Tensor, update_statistics: bool) -> Tensor:
        if update_statistics:
            return model(x)
        # The training forward on copies of the buffers: BatchNorm updates (and counts) the copies only.
        params: dict[str, Tensor] = dict(model.named_parameters())
        buffers = {k: b.clone() for k, b in model.named_buffers()}
        if isinstance(model, MorseModel):
            return model.stacked_forward(params, buffers, x, True)
        return torch.func.functional_call(model, {**params, **buffers}, (x,))

    return forward


def _squared_parameters(model: nn.Module) -> Tensor:
    """The sum of squares of the trainable parameters (the L2 term)."""
    total: Tensor | None = None
    for p in model.parameters():
        if p.requires_grad:
            s = p.square().sum()
            total = s if total is None else total + s
    return total if total is not None else torch.zeros(())


def validation_split(data: Dataset, config: TrainConfig) -> Dataset:
    """`data` with the validation part `config` asks for (`data` itself when it has one or none is asked)."""
    if data.x_val is not None or not config.val_fraction:
        return data
    return data.with_validation(config.val_fraction, seed=config.val_seed)


def progress_bar(it: range, progress: bool | None, desc: str):
    """`it` wrapped in a tqdm bar when `progress` (None: when stderr is a terminal), else `it` itself."""
    if progress is None:
        progress = sys.stderr.isatty()
    if not progress:
        return it
    from tqdm.auto import tqdm  # a dependency; imported here so that silent runs never load it

    return tqdm(it, desc=desc, leave=False, dynamic_ncols=True)


@dataclass
class Attempt:
    """One attempt's seed and numbers at its best epoch (`best_accuracy` is the test accuracy)."""

    seed: int
    best_accuracy: float | None
    best_test_loss: float
    epochs_run: int
    best_val_accuracy: float | None = None
    best_val_loss: float | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "seed": self.seed,
            "best_accuracy": self.best_accuracy,
            "best_test_loss": self.best_test_loss,
            "epochs_run": self.epochs_run,
        }
        if self.best_val_loss is not None:
            out["best_val_accuracy"] = self.best_val_accuracy
            out["best_val_loss"] = self.best_val_loss
        return out


@dataclass
class TrainResult:
    """The kept model (best attempt), its history, and every attempt's seed and result."""

    model: MorseModel
    history: History
    attempts: list[Attempt]
    seed: int
    reached_threshold: bool | None


def _score(history: History, classify: bool) -> float:
    """The selection set's accuracy (classification) or minus its loss at the best epoch: higher is better.

    The selection set is the validation part when there is one, else the test set (the prototype's protocol).
    """
    return history.selection_score(classify)


def attempt_seeds(seed: int, max_attempts: int) -> list[int]:
    """Seeds of successive attempts: seed, seed + 1, ... (recorded, so any attempt can be rerun)."""
    return [seed + k for k in range(max_attempts)]


def train(
    model_config: dict[str, Any] | ModelConfig,
    data: Dataset,
    config: TrainConfig = TrainConfig(),
    *,
    seed: int = 0,
    callback_factory: Callable[[int], Callback | None] | None = None,
    progress: bool | None = None,
    desc: str = "",
) -> TrainResult:
    """Build and fit a model, retrying with new seeds until the selection accuracy reaches `config.threshold`.

    The selection accuracy is the validation accuracy when `config.val_fraction > 0` (one split, seeded by
    `config.val_seed`, shared by every attempt), else the test accuracy (the prototype's protocol).

    Each attempt `k` builds the model from seed `seed + k` and orders minibatches from the same seed; the
    best attempt is kept. `callback_factory(attempt_seed)` may supply a per-attempt epoch callback.
    """
    best: tuple[float, MorseModel, History, int] | None = None
    attempts = []
    classify = data.task == "classification"
    data = validation_split(data, config)
    for k, s in enumerate(attempt_seeds(seed, config.max_attempts)):
        model = build_model(model_config, seed=s, input_dim=data.input_dim)
        cb = callback_factory(s) if callback_factory else None
        label = f"{desc} attempt {k + 1}/{config.max_attempts}" if config.max_attempts > 1 else desc
        history = fit(model, data, config, seed=s, callback=cb, progress=progress, desc=label)
        attempts.append(
            Attempt(
                s,
                history.best_accuracy,
                history.best_test_loss,
                history.epochs_run,
                history.best_val_accuracy,
                history.best_val_loss,
            )
        )
        score = _score(history, classify)
        if best is None or score > best[0]:
            best = (score, model, history, s)
        if config.threshold is None or not classify or score >= config.threshold:
            break
    assert best is not None  # max_attempts >= 1
    _, model, history, s = best
    reached = None if (config.threshold is None or not classify) else _score(history, True) >= config.threshold
    return TrainResult(model, history, attempts, s, reached)
