"""Train M models of one architecture as one batched computation, each exactly as `training.fit` would."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from .._validation import as_dtype, as_generator, intra_op_threads
from ..datasets import Dataset
from ..errors import MorsenetError
from ..models import ModelConfig, MorseModel, ResNetConfig, build_model, config_from_dict
from ..training import History, TrainConfig, batch_slices, validation_split
from ..training._loop import progress_bar
from ..training._penalties import loss_weights, training_loss
from ..training._weight_bound import check_weight_bound, project_stacked, stacked_r1_ratio
from ._active import Active
from ._memory import DEFAULT_FRACTION, available_memory, estimate_memory, models_per_chunk

Forward = Callable[..., Tensor]


@dataclass
class EnsembleResult:
    """M trained models of one architecture, each restored to its best epoch, with their histories.

    Attributes:
        model_config: the canonical model config (as `model.config()` reports it).
        seeds: model `i` was built and shuffled from `seeds[i]`.
        histories: one `History` per model, as `training.fit` returns it.
        train_config: the settings every model was trained with.
        state: stacked state dicts `{name: (M, ...)}` on the CPU (best epoch of each model).
        task: "classification" or "regression".
    """

    model_config: dict[str, Any]
    seeds: list[int]
    histories: list[History]
    train_config: TrainConfig
    state: dict[str, Tensor]
    task: str = "classification"

    def __len__(self) -> int:
        return len(self.seeds)

    def state_dict(self, i: int) -> dict[str, Tensor]:
        """Model `i`'s state dict (copies), loadable into `build_model(model_config)`."""
        self._check_index(i)
        return {k: v[i].clone() for k, v in self.state.items()}

    def model(self, i: int) -> MorseModel:
        """Model `i` as an ordinary module in eval mode (what `fit` with seed `seeds[i]` leaves behind)."""
        self._check_index(i)
        model = build_model(self.model_config, seed=self.seeds[i]).to(as_dtype(self.train_config.dtype))
        model.load_state_dict(self.state_dict(i))
        return model.eval()

    def models(self) -> list[MorseModel]:
        return [self.model(i) for i in range(len(self))]

    @property
    def best_accuracy(self) -> list[float | None]:
        return [h.best_accuracy for h in self.histories]

    def reached_threshold(self, threshold: float | None = None) -> list[bool | None]:
        """Per model: selection accuracy (validation if split off, else test) >= `threshold` (default: the train
        config's); None if undefined."""
        t = self.train_config.threshold if threshold is None else threshold
        if t is None or self.task != "classification":
            return [None] * len(self)
        return [h.best_accuracy is not None and h.selection_score(True) >= t for h in self.histories]

    def logits(self, x: Tensor) -> Tensor:
        """Every model's logits at the points x (n, d) at once, in eval mode; returns (M, n)."""
        template = build_model(self.model_config, seed=0).to(as_dtype(self.train_config.dtype))
        forward = template.stacked_forward
        floats = {k: v for k, v in self.state.items() if v.is_floating_point()}
        params = {k: v for k, v in floats.items() if k in dict(template.named_parameters())}
        buffers = {k: v for k, v in floats.items() if k not in params}
        x = x.to(next(iter(params.values())).dtype)
        with torch.no_grad():
            return forward(params, buffers, x.expand(len(self), *x.shape), False)

    def _check_index(self, i: int) -> None:
        if not -len(self) <= i < len(self):
            raise MorsenetError(f"ensemble has {len(self)} models; index {i} is out of range")


def batched_forward(template: MorseModel) -> Forward:
    """The stacked forward of models shaped like `template`: `forward(params, buffers, x, training) -> (M, B)`.

    It is the model's own `stacked_forward` (the one computation `template.forward` runs with M = 1).
    """
    if not isinstance(template, MorseModel):
        raise MorsenetError(f"ensembles need a morsenet model, got {type(template).__name__}")
    return template.stacked_forward


def _check_seeds(seeds: Iterable[int]) -> list[int]:
    try:
        seeds = list(seeds)
    except TypeError:
        raise MorsenetError(f"seeds must be a list of integers, got {type(seeds).__name__}") from None
    if not seeds:
        raise MorsenetError("seeds is empty; an ensemble needs at least one seed")
    for s in seeds:
        if isinstance(s, bool) or not isinstance(s, int):
            raise MorsenetError(f"seeds must be integers, got {s!r}")
    return seeds


def _per_model_loss(task: str, logits: Tensor, target: Tensor) -> Tensor:
    """(M,) each model's mean loss over its own points (logits, target: (M, n))."""
    if task == "classification":
        return F.binary_cross_entropy_with_logits(logits, target, reduction="none").mean(1)
    return F.mse_loss(logits, target, reduction="none").mean(1)


def train_ensemble(
    model_config: dict[str, Any] | ModelConfig,
    data: Dataset,
    config: TrainConfig = TrainConfig(),
    *,
    seeds: Iterable[int],
    device: str | torch.device = "cpu",
    threads: int | None = 1,
    progress: bool | None = None,
    desc: str = "",
    memory_budget: int | None = None,
) -> EnsembleResult:
    """Train one model per seed, all at once, each exactly as `training.fit(model, data, config, seed=s)`.

    Model `m` starts from `build_model(model_config, seed=seeds[m])`, draws its minibatch order each epoch
    from its own `as_generator(seeds[m])`, keeps its own BatchNorm statistics, and stops on its own patience;
    its best epoch (highest test accuracy; lowest test MSE for regression) is restored. The parameters of all
    models are stacked along a leading axis and trained with one batched forward/backward and one Adam update
    per minibatch; models that stop early leave the batch. `config.threshold` only labels success
    (`EnsembleResult.reached_threshold`): an ensemble trains every seed once and does not retry.

    Every training mode of `fit` is the same here: `restore = "last"` keeps each model's last epoch,
    `weight_bound` projects the stacked block weights after each step (one batched spectral norm), the loss
    terms are computed on the stacked forward (input gradients per model from one gradient of the summed
    per-point losses w.r.t. the stacked points), and `History.r1_ratio` is filled for ResNets with skip != 0.

    Args:
        model_config: a model config dict (kind "mlp", "resnet" or "neural_ode"; shorthands allowed).
        data: the data set (the same for every model).
        config: epochs, lr, batch size, patience and dtype.
        seeds: one integer per model.
        device: "cpu" (default), "cuda", "cuda:1", ...
        threads: torch intra-op threads while training on the CPU, restored afterwards; None keeps the
            current setting. The batched operations are small, so extra threads mostly add synchronisation
            (on a busy 2-core machine 2 threads made a 100-model ensemble 8x slower than 1); parallelise with
            processes instead, as sweeps do.
        progress: a progress bar over epochs (None: only when stderr is a terminal).
        desc: label for the progress bar.
        memory_budget: bytes the ensemble may use on the device (None: 80% of what is free there, CUDA's
            free memory or the machine's available memory). Before anything is allocated, `estimate_memory`
            sizes one model; when all seeds do not fit at once they are trained in consecutive chunks of as many
            as fit (each model trains alone either way: chunks change at most the last bits of batched kernels).

    Returns:
        `EnsembleResult`; `.model(i)` is model i as an ordinary module.

    Raises:
        MorsenetError: for a bad model config, bad seeds, an unavailable device, or when not even one model
            fits in the memory budget.
    """
    seeds = _check_seeds(seeds)
    if threads is not None and (isinstance(threads, bool) or not isinstance(threads, int) or threads < 1):
        raise MorsenetError(f"threads must be an integer >= 1 or None, got {threads!r}")
    if memory_budget is not None and (
        isinstance(memory_budget, bool) or not isinstance(memory_budget, int) or memory_budget < 1
    ):
        raise MorsenetError(f"memory_budget must be a positive number of bytes or None, got {memory_budget!r}")
    device = check_device(device)
    spec = config_from_dict(model_config, input_dim=data.input_dim)
    budget = memory_budget if memory_budget is not None else int(DEFAULT_FRACTION * available_memory(device))
    chunk = models_per_chunk(estimate_memory(spec, data, config), len(seeds), budget, device)
    parts = []
    with intra_op_threads(threads if device.type == "cpu" else None):
        for start in range(0, len(seeds), chunk):
            part = seeds[start : start + chunk]
            label = desc if chunk == len(seeds) else f"{desc} models {start + 1}-{start + len(part)}/{len(seeds)}"
            parts.append(_train(spec, data, config, part, device, progress, label))
    return parts[0] if len(parts) == 1 else _concatenate(parts)


def check_device(device: str | torch.device) -> torch.device:
    """`device` as a torch device that works here, or a one-line MorsenetError saying why not."""
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as err:
        raise MorsenetError(
            f"device {str(device)!r} is not available ({str(err).splitlines()[0]}); use --device cpu"
        ) from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise MorsenetError(
            f"device {str(device)!r} is not available (torch.cuda.is_available() is false: no GPU, no driver or a "
            f"CPU-only torch build); use --device cpu"
        )
    try:
        torch.zeros(1, device=dev)
    except (RuntimeError, AssertionError) as err:
        raise MorsenetError(
            f"device {str(device)!r} is not available ({str(err).splitlines()[0]}); use --device cpu"
        ) from None
    return dev


def _concatenate(parts: list[EnsembleResult]) -> EnsembleResult:
    """The chunks of one ensemble, in order, as one result."""
    first = parts[0]
    return EnsembleResult(
        first.model_config,
        [s for p in parts for s in p.seeds],
        [h for p in parts for h in p.histories],
        first.train_config,
        {k: torch.cat([p.state[k] for p in parts]) for k in first.state},
        first.task,
    )


def _train(
    model_config: dict[str, Any] | ModelConfig,
    data: Dataset,
    config: TrainConfig,
    seeds: list[int],
    device: torch.device,
    progress: bool | None,
    desc: str,
) -> EnsembleResult:
    dtype = as_dtype(config.dtype)
    spec = config_from_dict(model_config, input_dim=data.input_dim)
    canonical = spec.to_dict()
    template = build_model(spec, seed=seeds[0]).to(dtype)  # BatchNorm settings; every model starts as its seed says
    forward = template.stacked_forward
    param_names = [n for n, _ in template.named_parameters()]
    draws = [template.initial_parameters(s) for s in seeds]
    stacked = {
        k: torch.stack([d[k] for d in draws]).to(dtype) if k in param_names else v.expand(len(seeds), *v.shape).clone()
        for k, v in template.state_dict().items()
    }
    del draws
    counters = [k for k, v in stacked.items() if not v.is_floating_point()]  # BatchNorm num_batches_tracked
    buffer_names = [k for k in stacked if k not in param_names and k not in counters]
    final = {k: v.clone() for k, v in stacked.items()}  # receives each model's best state when it finishes
    act = Active(stacked, param_names, buffer_names, device, dtype, config.lr)

    data = validation_split(data, config)  # the split `fit` makes (seeded by config.val_seed alone)
    x, y = data.x_train.to(device=device, dtype=dtype), data.y_train.to(device=device, dtype=dtype)
    xv = None if data.x_val is None else data.x_val.to(device=device, dtype=dtype)
    yv = None if data.y_val is None else data.y_val.to(device=device, dtype=dtype)
    xt, yt = data.x_test.to(device=device, dtype=dtype), data.y_test.to(device=device, dtype=dtype)
    classify = data.task == "classification"
    slices = batch_slices(x.shape[0], config.batch_size)
    gens = [as_generator(s) for s in seeds]
    histories = [History() for _ in seeds]
    terms = config.loss_terms
    term_names = list(loss_weights(config)) if terms else []
    for h in histories:
        if terms:
            h.loss_weights = loss_weights(config)
            h.loss_terms = {name: [] for name in term_names}
    bound, last = config.weight_bound, config.restore == "last"
    if bound is not None:
        check_weight_bound(template)
    has_r1 = isinstance(spec, ResNetConfig) and spec.skip != 0 and spec.blocks > 0  # theory.r1_ratio is defined

    def train_forward(xb: Tensor, update_statistics: bool) -> Tensor:
        """The training forward of the active models; without updating BatchNorm's statistics on request."""
        buffers = act.buffer_views if update_statistics else {k: v.clone() for k, v in act.buffer_views.items()}
        return forward(act.param_views(), buffers, xb, True)

    def finish(positions: Tensor, stopped_early: bool) -> None:
        """Hand the best states of the active models at `positions` over to `final`."""
        where = act.index[positions.cpu()]
        for k, v in act.best_state(positions).items():
            final[k][where] = v.to("cpu", final[k].dtype)
        for k in counters:  # what BatchNorm counted up to the restored epoch
            final[k][where] = ((act.best_epoch[positions] + 1) * len(slices)).cpu()
        for i, e in zip(where.tolist(), act.best_epoch[positions].tolist()):
            histories[i].best_epoch, histories[i].stopped_early = e, stopped_early

    epochs = progress_bar(range(config.epochs), progress, desc)
    for epoch in epochs:
        n = len(act)
        perms = torch.stack([torch.randperm(x.shape[0], generator=gens[i]) for i in act.index.tolist()])
        perms = perms.to(device)
        totals = torch.zeros(n, dtype=torch.float64, device=device)
        sums = {name: torch.zeros(n, dtype=torch.float64, device=device) for name in term_names}
        for sl in slices:
            idx = perms[:, sl].reshape(-1)  # index_select: 2-3x faster than x[idx] with a 2-D index
            xb, yb = x.index_select(0, idx).view(n, -1, x.shape[1]), y.index_select(0, idx).view(n, -1)
            if terms:
                parts = training_loss(train_forward, xb, yb, data.task, config, act.squared_parameters)
                losses = parts.total
                for name, value in parts.raw.items():
                    sums[name] += value.detach().to(torch.float64)
            else:
                losses = _per_model_loss(data.task, forward(act.param_views(), act.buffer_views, xb, True), yb)
            # The sum's gradient w.r.t. model m's parameters is the gradient of model m's own mean loss.
            act.adam.step(act.params, act.gradient(losses.sum()))
            if bound is not None:
                project_stacked(template, act.p_layout.split(act.params), act.buffer_views, bound)
            totals += losses.detach().to(torch.float64)
        with torch.no_grad():
            logits = forward(act.param_views(), act.buffer_views, xt.expand(n, *xt.shape), False)
            test_loss = _per_model_loss(data.task, logits, yt.expand(n, -1))
            acc = ((logits >= 0).to(yt.dtype) == yt).float().mean(1)  # meaningful for classification only
            score = acc.to(torch.float64) if classify else -test_loss.to(torch.float64)
            if xv is not None and yv is not None:
                val_logits = forward(act.param_views(), act.buffer_views, xv.expand(n, *xv.shape), False)
                val_loss = _per_model_loss(data.task, val_logits, yv.expand(n, -1))
                val_acc = ((val_logits >= 0).to(yv.dtype) == yv).float().mean(1)
                score = val_acc.to(torch.float64) if classify else -val_loss.to(torch.float64)
                for i, vl, va in zip(act.index.tolist(), val_loss.tolist(), val_acc.tolist()):
                    histories[i].val_loss.append(vl)
                    if classify:
                        histories[i].val_accuracy.append(va)
        for i, tr, te, a in zip(
            act.index.tolist(),
            (totals / len(slices)).tolist(),
            test_loss.tolist(),
            acc.tolist(),
        ):
            histories[i].train_loss.append(tr)
            histories[i].test_loss.append(te)
            if classify:
                histories[i].test_accuracy.append(a)
        if term_names:
            means = {name: (v / len(slices)).tolist() for name, v in sums.items()}
            for j, i in enumerate(act.index.tolist()):
                for name in term_names:
                    histories[i].loss_terms[name].append(means[name][j])
        ratios = stacked_r1_ratio(template, act.p_layout.split(act.params), act.buffer_views) if has_r1 else None
        if ratios is not None:
            for i, r in zip(act.index.tolist(), ratios.tolist()):
                histories[i].r1_ratio.append(r)
        act.record(score, epoch, last)
        if hasattr(epochs, "set_postfix_str"):
            best = f", best acc {float(act.best_score.max()):.3f}" if classify else ""
            epochs.set_postfix_str(f"{n}/{len(seeds)} training{best}")
        stopped = act.stale >= config.patience if config.patience else torch.zeros(n, dtype=torch.bool, device=device)
        if epoch == config.epochs - 1:
            finish(torch.nonzero(stopped).flatten(), True)
            finish(torch.nonzero(~stopped).flatten(), False)
        elif bool(stopped.any()):
            finish(torch.nonzero(stopped).flatten(), True)
            if bool(stopped.all()):
                break
            act.keep(torch.nonzero(~stopped).flatten())
    if hasattr(epochs, "close"):
        epochs.close()
    return EnsembleResult(canonical, seeds, histories, config, final, data.task)
