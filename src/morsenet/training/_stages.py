"""Staged training: train, change the model (inject a critical point, set, freeze, unfreeze), train again.

A study model's `stages` run in order on one model. A training stage is a table of training-setting overrides
(`{epochs = 500, patience = 0, restore = "last"}`) applied on top of the model's settings and run by `fit`; an
action stage has `action = "inject" | "set" | "freeze" | "unfreeze"` (see `Stage`). The histories of the
training stages are concatenated into one `History` whose `stages` marks say where each stage starts.

Retries: the attempts of `max_attempts`/`threshold` apply to the stages up to and including the FIRST training
stage (each attempt builds the model from seed + k, applies the hand-set `init` and those stages); the best
attempt then runs the remaining stages once: an action after training is part of the experiment, not
something to retry. Later stages' `max_attempts` and `threshold` are therefore refused.

After an injection, later epochs record |grad f(x0)| and the distance from x0 to the nearest critical point
(Levenberg-Marquardt on grad f = 0 from the point found last time, and from x0 and a ring of starts around it
when that fails and every `FULL_SEARCH_EVERY` records; float64): an `InjectionTrace`, every epoch of a training stage of up to `TRACE_POINTS` epochs (every
epochs // TRACE_POINTS epochs in longer ones) and at the end of every stage, with the state it ends with.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any

import torch
from torch import nn

from ..datasets import Dataset
from ..errors import MorsenetError
from ..models import (
    Injection,
    ModelConfig,
    MorseModel,
    build_model,
    freeze,
    inject_critical_point,
    set_parameters,
    unfreeze,
)
from ._config import TrainConfig
from ._history import History, StageMark
from ._injection_trace import SURVIVAL_RADIUS, InjectionTrace, nearest_critical_distance, nearest_critical_point
from ._loop import Attempt, Callback, TrainResult, fit, validation_split

__all__ = ["ACTIONS", "SURVIVAL_RADIUS", "InjectionTrace", "Stage", "StagedResult", "StageState",
           "TRACE_POINTS", "nearest_critical_distance", "nearest_critical_point", "parse_stages",
           "train_staged"]  # fmt: skip

ACTIONS = ("train", "inject", "set", "freeze", "unfreeze")
_ACTION_KEYS = {"inject": ("action", "x0", "block", "freeze"), "set": ("action", "parameters"),
                "freeze": ("action", "parameters"), "unfreeze": ("action", "parameters")}  # fmt: skip
MAX_STAGES = 100
# An injection trace records about this many points per training stage (every epoch for stages this short).
TRACE_POINTS = 100


@dataclass(frozen=True)
class Stage:
    """One stage. `action` "train": `train` holds overrides of the model's training settings; "inject": a
    critical point at `x0` in block `block` (1-based), `freeze` its parameters; "set": `values` maps parameter
    names to hand-set values; "freeze"/"unfreeze": `names` of parameters."""

    action: str = "train"
    train: dict[str, Any] = field(default_factory=dict)
    x0: tuple[float, ...] = ()
    block: int = 0
    freeze: bool = False
    values: dict[str, Any] = field(default_factory=dict)
    names: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The stage as written in a study (a TOML inline table)."""
        if self.action == "train":
            return dict(self.train)
        if self.action == "inject":
            return {"action": "inject", "x0": list(self.x0), "block": self.block, "freeze": self.freeze}
        if self.action == "set":
            return {"action": "set", "parameters": dict(self.values)}
        return {"action": self.action, "parameters": list(self.names)}

    def label(self, config: TrainConfig | None = None) -> str:
        if self.action == "train":
            epochs = config.epochs if config is not None else self.train.get("epochs")
            return f"train {epochs} epochs" + (f" (restore {config.restore})" if config is not None else "")
        if self.action == "inject":
            point = ", ".join(f"{v:g}" for v in self.x0)
            return f"inject a critical point at ({point}) in block {self.block}" + (", frozen" if self.freeze else "")
        if self.action == "set":
            return "set " + ", ".join(self.values)
        return f"{self.action} " + ", ".join(self.names)


def _number_list(where: str, raw: Any) -> tuple[float, ...]:
    ok = (
        isinstance(raw, list)
        and bool(raw)
        and all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in raw)
    )
    if not ok:
        raise MorsenetError(f"{where} must be a list of finite numbers (the point), got {raw!r}")
    return tuple(float(v) for v in raw)


def parse_stages(where: str, raw: Any, base: TrainConfig) -> tuple[Stage, ...]:
    """Check a model's `stages` (an array of inline tables); training stages are merged with `base` and checked.

    Raises:
        MorsenetError: one line naming `where[i]` and what is allowed.
    """
    if not isinstance(raw, list) or not raw or not all(isinstance(s, dict) for s in raw):
        raise MorsenetError(f"{where} must be a non-empty array of tables, e.g. [{{epochs = 200}}, "
                            '{action = "inject", x0 = [0.0, 0.0], block = 4}]')  # fmt: skip
    if len(raw) > MAX_STAGES:
        raise MorsenetError(f"{where} has {len(raw)} stages; at most {MAX_STAGES}")
    out: list[Stage] = []
    trained = False
    settings = [f.name for f in fields(TrainConfig)]
    for i, item in enumerate(raw):
        w = f"{where}[{i}]"
        action = item.get("action", "train")
        if action not in ACTIONS:
            raise MorsenetError(f"{w}.action must be one of {', '.join(ACTIONS)}, got {action!r}")
        if action == "train":
            overrides = {k: v for k, v in item.items() if k != "action"}
            for key in overrides:
                if key not in settings:
                    raise MorsenetError(f"{w} has no training setting {key!r}; allowed: {', '.join(settings)}")
            if trained and ({"max_attempts", "threshold"} & set(overrides)):
                raise MorsenetError(f"{w}: max_attempts and threshold apply to the first training stage only")
            try:
                replace(base, **overrides)
            except MorsenetError as err:
                raise MorsenetError(f"{w}: {err}") from None
            out.append(Stage("train", train=overrides))
            trained = True
            continue
        for key in item:
            if key not in _ACTION_KEYS[action]:
                raise MorsenetError(f"{w} ({action}) has no key {key!r}; allowed: {', '.join(_ACTION_KEYS[action])}")
        if action == "inject":
            block = item.get("block")
            if isinstance(block, bool) or not isinstance(block, int) or block < 1:
                raise MorsenetError(f"{w}.block must be an integer >= 1 (the block, 1-based), got {block!r}")
            frz = item.get("freeze", False)
            if not isinstance(frz, bool):
                raise MorsenetError(f"{w}.freeze must be true or false, got {frz!r}")
            out.append(Stage("inject", x0=_number_list(f"{w}.x0", item.get("x0")), block=block, freeze=frz))
        elif action == "set":
            values = item.get("parameters")
            if not isinstance(values, dict) or not values:
                raise MorsenetError(f'{w}.parameters must be a table of name = values, e.g. {{"block_layers.3.bias" '
                                    "= [5.0, 5.0]}")  # fmt: skip
            out.append(Stage("set", values=dict(values)))
        else:
            names = item.get("parameters")
            if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
                raise MorsenetError(f"{w}.parameters must be a list of parameter names, got {names!r}")
            out.append(Stage(action, names=tuple(names)))
    return tuple(out)


@dataclass
class StageState:
    """The model's state after a stage: epochs trained so far, the stage's label, a copy of the state dict."""

    epochs: int
    label: str
    state: dict[str, torch.Tensor]


@dataclass
class StagedResult:
    """A staged training's result (`result`, as `train` gives it, with the concatenated history), the state at
    every stage boundary, the injections made and their traces."""

    result: TrainResult
    boundaries: list[StageState]
    injections: list[Injection]
    traces: list[InjectionTrace]

    def stages_file(self) -> dict[str, Any]:
        """What `models/NAME.stages.pt` holds: epochs, labels and state dicts at the stage boundaries."""
        return {"epochs": [b.epochs for b in self.boundaries], "labels": [b.label for b in self.boundaries],
                "states": [b.state for b in self.boundaries]}  # fmt: skip

    def meta(self) -> dict[str, Any]:
        return {"injections": [i.to_dict() for i in self.injections], "traces": [t.to_dict() for t in self.traces]}


def _extend(total: History, part: History) -> None:
    offset = total.epochs_run
    total.train_loss += part.train_loss
    total.test_loss += part.test_loss
    total.test_accuracy += part.test_accuracy
    total.val_loss += part.val_loss
    total.val_accuracy += part.val_accuracy
    for key, values in part.loss_terms.items():
        total.loss_terms.setdefault(key, [math.nan] * offset).extend(values)
    total.r1_ratio += part.r1_ratio
    total.stopped_early = part.stopped_early


def _state(model: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


class _Run:
    """One model going through the stages (state shared by the epoch callback)."""

    def __init__(self, model: MorseModel, user: Callback | None) -> None:
        self.model, self.user = model, user
        self.history = History()
        self.boundaries: list[StageState] = []
        self.injections: list[Injection] = []
        self.traces: list[InjectionTrace] = []
        self.last_train: TrainConfig | None = None

    def callback(self, offset: int, every: int) -> Callback:
        def cb(epoch: int, model: nn.Module, history: History) -> None:
            if (epoch + 1) % every == 0:
                for t in self.traces:
                    t.record(offset + epoch + 1, model)
            if self.user is not None:
                self.user(offset + epoch, model, history)

        return cb

    def run(self, stage: Stage, base: TrainConfig, data: Dataset, seed: int, progress: bool | None, desc: str) -> None:
        start = self.history.epochs_run
        if stage.action == "train":
            cfg = replace(base, **stage.train)
            label = stage.label(cfg)
            every = max(1, cfg.epochs // TRACE_POINTS)
            cb = self.callback(start, every)
            part = fit(self.model, data, cfg, seed=seed, callback=cb, progress=progress, desc=desc)
            for t in self.traces:  # the state the stage ends with (restored best or last)
                t.record(start + part.epochs_run, self.model)
            _extend(self.history, part)
            kept = part.epochs_run - 1 if cfg.restore == "last" else part.best_epoch
            self.history.best_epoch = start + kept
            self.last_train = cfg
        else:
            label = stage.label()
            if stage.action == "inject":
                inj = inject_critical_point(self.model, stage.x0, stage.block, freeze=stage.freeze)
                self.injections.append(inj)
                trace = InjectionTrace(inj.x0, inj.block, start)
                trace.record(start, self.model)
                self.traces.append(trace)
            elif stage.action == "set":
                set_parameters(self.model, stage.values, what=f"stage {label!r}")
            elif stage.action == "freeze":
                freeze(self.model, stage.names)
            else:
                unfreeze(self.model, stage.names)
        self.history.stages.append(StageMark(start, label))
        self.boundaries.append(StageState(self.history.epochs_run, label, _state(self.model)))


def train_staged(
    model_config: dict[str, Any] | ModelConfig,
    data: Dataset,
    config: TrainConfig,
    stages: Sequence[Stage] = (),
    *,
    seed: int = 0,
    init: Mapping[str, Any] | None = None,
    callback_factory: Callable[[int], Callback | None] | None = None,
    progress: bool | None = None,
    desc: str = "",
) -> StagedResult:
    """Build a model, apply the hand-set `init` parameters, and run `stages` on it (none: one training stage with
    `config`). Attempts (seed, seed + 1, ...) repeat the stages up to the first training stage until the
    selection accuracy reaches `config.threshold` (see the module docstring); the rest run once on the best.

    `callback_factory(attempt_seed)` may give an epoch callback; it receives the epoch counted over all stages.

    Raises:
        MorsenetError: for a hand-set parameter or action that does not fit the model (one line).
    """
    stages = tuple(stages) or (Stage("train"),)
    if not any(s.action == "train" for s in stages):
        raise MorsenetError("stages: at least one stage must train (a table of training settings, e.g. {epochs = 100})")
    first = next(i for i, s in enumerate(stages) if s.action == "train")
    head, tail = stages[: first + 1], stages[first + 1 :]
    data = validation_split(data, config)
    classify = data.task == "classification"
    best: tuple[float, _Run, int] | None = None
    attempts: list[Attempt] = []
    for k in range(config.max_attempts):
        s = seed + k
        model = build_model(model_config, seed=s, input_dim=data.input_dim)
        if init:
            set_parameters(model, init, what="init")
        run = _Run(model, callback_factory(s) if callback_factory else None)
        run.boundaries.append(StageState(0, "initial", _state(model)))
        label = f"{desc} attempt {k + 1}/{config.max_attempts}" if config.max_attempts > 1 else desc
        for stage in head:
            run.run(stage, config, data, s, progress, label)
        h = run.history
        attempts.append(Attempt(s, h.best_accuracy, h.best_test_loss, h.epochs_run, h.best_val_accuracy,
                                h.best_val_loss))  # fmt: skip
        score = h.selection_score(classify)
        if best is None or score > best[0]:
            best = (score, run, s)
        if config.threshold is None or not classify or score >= config.threshold:
            break
    assert best is not None
    score, run, s = best
    for stage in tail:
        run.run(stage, config, data, s, progress, desc)
    reached = None if (config.threshold is None or not classify) else score >= config.threshold
    result = TrainResult(run.model, run.history, attempts, s, reached)
    return StagedResult(result, run.boundaries, run.injections, run.traces)
