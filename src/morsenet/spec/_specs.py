"""Data set and model specs shared by studies and sweeps, and the parsers of their `[[datasets]]`/`[[models]]`."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from ..datasets import DATASETS, Dataset, dataset_parameters, get_dataset
from ..errors import MorsenetError
from ..models import ModelConfig, ResNetConfig, build_model, config_from_dict
from ..training import Stage, TrainConfig, parse_stages, weight_bound_refusal
from ._check import check_name, check_seed, expect


@dataclass(frozen=True)
class DatasetSpec:
    """One data set: generator `name`, its checked `params` (incl. `seed`), and a unique `label`.

    `data` is the data set built when the spec was checked (kept so it is built once; not compared).
    """

    label: str
    name: str
    params: dict[str, Any] = field(default_factory=dict)
    data: Dataset | None = field(default=None, compare=False, repr=False)

    def build(self) -> Dataset:
        return self.data if self.data is not None else get_dataset(self.name, **self.params)

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "name": self.name, **self.params}


@dataclass(frozen=True)
class ModelSpec:
    """One model: a unique `name`, its typed `config`, training overrides, an optional seed, a `family` label.

    An MLP written with the width/depth shorthand adapts to each data set's input dimension; when that gives
    different configs on different data sets, `config` is the one on the first data set, `by_dataset` holds
    (label, config) for every data set, and `for_dataset(label)` gives the spec to train on that data set.
    `table` is the config table as written (after `--set`), used to write such a model back.
    `stages` (studies only) is the staged training (`morsenet.training.Stage`; empty: one training run) and
    `init` the hand-set parameters applied right after building (name -> nested lists; empty: none).
    """

    name: str
    config: ModelConfig
    train: dict[str, Any] = field(default_factory=dict)
    seed: int | None = None
    family: str = ""
    by_dataset: tuple[tuple[str, ModelConfig], ...] = ()
    table: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    stages: tuple[Stage, ...] = ()
    init: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.family:
            object.__setattr__(self, "family", self.config.family)

    def for_dataset(self, label: str) -> ModelSpec:
        """The spec with the config for data set `label` (itself when the config is the same everywhere)."""
        configs = dict(self.by_dataset)
        if label not in configs:
            return self
        return replace(self, config=configs[label], by_dataset=())

    def config_table(self) -> dict[str, Any]:
        """The config as a TOML table: canonical, or as written when it differs between data sets."""
        return dict(self.table) if self.by_dataset else self.config.to_dict()


def train_keys(where: str, raw: Any, *, sweep: bool) -> dict[str, Any]:
    """Check the keys of a table of training settings; values are checked by `TrainConfig` (see callers)."""
    raw = dict(expect(where, raw, dict, "a table of training settings"))
    if sweep and "max_attempts" in raw:
        raise MorsenetError(
            f"{where}: max_attempts is not used in sweeps (every seed is trained once and counted); remove it"
        )
    allowed = [f.name for f in fields(TrainConfig) if not (sweep and f.name == "max_attempts")]
    for key in raw:
        if key not in allowed:
            raise MorsenetError(f"{where} has no setting {key!r}; allowed: {', '.join(allowed)}")
    return raw


# Hand-set parameters are checked against a model built at load time up to this many parameters (larger models
# are checked when they are built, before training).
_CHECK_BUILD_LIMIT = 1_000_000


def _check_init_and_stages(where: str, config: ModelConfig, init: dict[str, Any], stages: tuple[Stage, ...]) -> None:
    """Names and shapes of hand-set parameters (`init`, `set` stages), and inject stages against the config."""
    for i, st in enumerate(stages):
        if st.action != "inject":
            continue
        w = f"{where}.stages[{i}]"
        if not isinstance(config, ResNetConfig):
            raise MorsenetError(f"{w}: inject needs a ResNet (kind 'resnet'), not {config.kind!r}")
        blocks, dim = config.blocks, config.input_dim
        if st.block > blocks:
            raise MorsenetError(f"{w}.block must be in 1..{blocks} (the model's blocks, 1-based), got {st.block}")
        if len(st.x0) != dim:
            raise MorsenetError(f"{w}.x0 must have {dim} numbers (the input dimension), got {len(st.x0)}")
    tables = [(f"{where}.init", init)] + [(f"{where}.stages[{i}].parameters", st.values)
                                          for i, st in enumerate(stages) if st.action == "set"]  # fmt: skip
    named = [(f"{where}.stages[{i}].parameters", st.names) for i, st in enumerate(stages)
             if st.action in ("freeze", "unfreeze")]  # fmt: skip
    if not any(t for _, t in tables) and not named or config.n_parameters > _CHECK_BUILD_LIMIT:
        return
    from ..models import set_parameters

    model = build_model(config, seed=0)
    for w, values in tables:
        if values:
            set_parameters(model, values, what=w)
    allowed = dict(model.named_parameters())
    for w, names in named:
        for n in names:
            if n not in allowed:
                raise MorsenetError(f"{w}: the model has no parameter {n!r}; allowed: {', '.join(allowed)}")


def merged_train(where: str, base: TrainConfig, overrides: dict[str, Any]) -> TrainConfig:
    """`base` with `overrides`, checked; errors name `where`."""
    try:
        return replace(base, **overrides) if overrides else base
    except MorsenetError as err:
        raise MorsenetError(f"{where}: {err}") from None


def check_train_for_model(where: str, train: TrainConfig, config: ModelConfig) -> None:
    """Training settings that only some model kinds take, checked at load (before any folder is made)."""
    refusal = None if train.weight_bound is None else weight_bound_refusal(config.kind)
    if refusal is not None:
        raise MorsenetError(f"{where}: {refusal}")


def parse_datasets(raw: Any, *, what: str, source: str, default_seed: int) -> tuple[DatasetSpec, ...]:
    """Check `[[datasets]]` and build each data set once.

    A generator that takes a seed gets `default_seed` unless the entry sets one (studies: the study's `seed`;
    sweeps: 0). A relative csv `path` is found next to the file named by `source` (not for bundled files).
    """
    items = expect("datasets", raw, list, "an array of tables [[datasets]]")
    if not items:
        raise MorsenetError(f'{what} has no [[datasets]]; add one, e.g. [[datasets]] name = "circles"')
    out: list[DatasetSpec] = []
    for i, item in enumerate(items):
        where = f"datasets[{i}]"
        params = dict(expect(where, item, dict, "a table"))
        if "name" not in params:
            raise MorsenetError(f"{where} has no name; choose one of {', '.join(sorted(DATASETS))}")
        name = expect(f"{where}.name", params.pop("name"), str, "a string")
        label = check_name(f"{where}.label", params.pop("label", name), dots=True)
        if name in DATASETS and "seed" in dataset_parameters(name):
            params.setdefault("seed", default_seed)
        path = params.get("path")
        if name == "csv" and isinstance(path, str) and not Path(path).is_absolute():
            if source and not source.startswith("bundled:"):
                params["path"] = str((Path(source).parent / path).resolve())
        if any(d.label == label for d in out):
            raise MorsenetError(f"{where}: label {label!r} is used twice; give each data set a unique label")
        spec = DatasetSpec(label, name, params)
        try:
            out.append(replace(spec, data=spec.build()))
        except MorsenetError as err:
            raise MorsenetError(f"{where}: {err}") from None
    return tuple(out)


def _resolve(where: str, name: str, table: dict[str, Any], datasets: tuple[DatasetSpec, ...]) -> list[ModelConfig]:
    """The model's config on each data set; one line naming model and data set when it cannot take one."""
    try:
        fixed: ModelConfig | None = config_from_dict(table)
    except MorsenetError:
        fixed = None  # needs an input dimension (or is wrong: found below)
    configs: list[ModelConfig | None] = []
    errors: list[tuple[DatasetSpec, MorsenetError]] = []
    for d in datasets:
        try:
            configs.append(config_from_dict(table, input_dim=d.build().input_dim))
        except MorsenetError as err:
            configs.append(None)
            errors.append((d, err))
    if errors:
        d, first = errors[0]
        if fixed is None and len(errors) == len(datasets):
            raise MorsenetError(f"{where}: {first}")
        reason = re.sub(r"^model '[a-z_]+': ", "", str(first))
        dim = d.build().input_dim
        raise MorsenetError(f"model {name!r} cannot take data set {d.label!r} ({dim}-D inputs): {reason}")
    return [c for c in configs if c is not None]


def parse_models(
    raw: Any,
    datasets: tuple[DatasetSpec, ...],
    *,
    what: str,
    base: TrainConfig,
    sweep: bool,
) -> tuple[ModelSpec, ...]:
    """Check `[[models]]` against every data set (without allocating a model).

    Each entry is `name`, optional `family`, `train` (overrides of the base settings) and, in studies, `seed`;
    every other key belongs to the model config. Studies: an MLP shorthand on data sets of different input
    dimensions gets one config per data set. Sweeps: a model must have one config (one input dimension).
    """
    items = expect("models", raw, list, "an array of tables [[models]]")
    if not items:
        raise MorsenetError(
            f'{what} has no [[models]]; add one, e.g. [[models]] name = "w3" kind = "mlp" width = 3 depth = 2'
        )
    out: list[ModelSpec] = []
    for i, item in enumerate(items):
        table = dict(expect(f"models[{i}]", item, dict, "a table"))
        if "name" not in table:
            raise MorsenetError(f'models[{i}] has no name; add name = "..." (a unique word for the model)')
        name = check_name(f"models[{i}].name", table.pop("name"), dots=sweep)  # a study's names are file stems
        where = f"models[{i}] ({name!r})"
        if any(m.name == name for m in out):
            raise MorsenetError(f"{where}: name {name!r} is used twice; give each model a unique name")
        family = expect(f"{where}.family", table.pop("family", ""), str, "a string")
        overrides = train_keys(f"{where}.train", table.pop("train", {}), sweep=sweep)
        if not sweep:
            merged_train(f"{where}.train", base, overrides)
        seed = table.pop("seed", None)
        if seed is not None:
            if sweep:
                raise MorsenetError(f"{where}: seed is not used in sweeps (seeds come from seeds/seed_start)")
            check_seed(f"{where}.seed", seed)
        raw_stages, init = table.pop("stages", None), table.get("init")
        init = table.pop("init") if isinstance(init, dict) else {}  # a string `init` is the config's scheme
        if sweep and (raw_stages is not None or init):
            raise MorsenetError(
                f"{where}: stages and hand-set init parameters are for studies, not sweeps; remove them"
            )
        stages: tuple[Stage, ...] = ()
        if raw_stages is not None:
            stages = parse_stages(f"{where}.stages", raw_stages, merged_train(f"{where}.train", base, overrides))
        configs = _resolve(where, name, table, datasets)
        for c in dict.fromkeys(configs):
            _check_init_and_stages(where, c, init, stages)
            if not sweep:
                check_train_for_model(where, merged_train(f"{where}.train", base, overrides), c)
        by_dataset: tuple[tuple[str, ModelConfig], ...] = ()
        if any(c != configs[0] for c in configs):
            if sweep:
                raise MorsenetError(
                    f"{where}: the data sets have different input dimensions; run one sweep per input dimension"
                )
            by_dataset = tuple((d.label, c) for d, c in zip(datasets, configs))
        out.append(ModelSpec(name, configs[0], overrides, seed, family, by_dataset, table, stages, init))
    return tuple(out)
