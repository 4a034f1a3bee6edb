"""Studies: which data sets, models and training settings a run uses, loaded from TOML with overrides.

A study is a small composition of the spec layer (`morsenet.spec`): every value is checked there, at load,
once; `--quick` shrinks the checked values. Rules:

* A data set's seed defaults to the study's `seed` (0 when absent).
* Every model is trained on every data set. A model that cannot take a data set's input dimension fails at
  load, naming both. An MLP given by width/depth adapts to each data set (one config per data set).
* The keys are name, description, seed, train, snapshots, report, datasets, models; anything else is refused.
  `[report]` holds `box = [x0, x1, y0, y1]` (6 numbers for 3-D data) and `resolution = N`: the study's analysis
  box and grid (`Study.report`, a `ReportSpec`; None fields leave the defaults).
* A model may have `stages` (staged training: training-setting overrides and actions inject / set / freeze /
  unfreeze, see `morsenet.training._stages`) and `init` (a table of hand-set parameters, name = values, applied
  right after building; a string `init` is the model config's initialisation scheme). `--quick` caps every
  training stage's epochs like the model's own.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..errors import MorsenetError
from ..spec import (
    QUICK,
    DatasetSpec,
    ModelSpec,
    ReportSpec,
    apply_overrides,
    bundled_descriptions,
    check_name,
    check_seed,
    expect,
    parse_datasets,
    parse_models,
    parse_report,
    quick_dataset,
    quick_overrides,
    quick_train,
    read_toml,
    train_keys,
)
from ..training import TrainConfig
from . import _toml

_TOP_KEYS = ("name", "description", "seed", "train", "snapshots", "report", "datasets", "models")
REPORT_KEYS = ("box", "resolution", "levels", "probability_levels", "claims", "figures")

__all__ = ["DatasetSpec", "ModelSpec", "ReportSpec", "Study", "bundled_studies", "load_study", "parse_study"]


@dataclass(frozen=True)
class Study:
    """A resolved study: every model is trained on every data set; `report` is its `[report]` table."""

    name: str
    description: str
    seed: int
    train: TrainConfig
    datasets: tuple[DatasetSpec, ...]
    models: tuple[ModelSpec, ...]
    snapshot_every: int = 0
    source: str = ""
    report: ReportSpec = ReportSpec()

    def train_config(self, model: ModelSpec) -> TrainConfig:
        return replace(self.train, **model.train) if model.train else self.train

    def model_seed(self, model: ModelSpec) -> int:
        return self.seed if model.seed is None else model.seed

    def run_name(self, dataset: DatasetSpec, model: ModelSpec) -> str:
        """Key of one trained model in metrics.json and its checkpoint file name."""
        return model.name if len(self.datasets) == 1 else f"{dataset.label}-{model.name}"

    def entries(self) -> list[tuple[str, DatasetSpec, ModelSpec]]:
        """(run name, data set, model with its config for that data set) for every pair."""
        return [(self.run_name(d, m), d, m.for_dataset(d.label)) for d in self.datasets for m in self.models]

    def to_dict(self) -> dict[str, Any]:
        """The study as TOML-able data; `load_study` of its `dumps` gives the same study."""
        out: dict[str, Any] = {
            "name": self.name,
            "description": self.description,
            "seed": self.seed,
            "train": self.train.to_dict(),
            "snapshots": {"every": self.snapshot_every},
            **({"report": self.report.to_dict()} if not self.report.is_default else {}),
            "datasets": [d.to_dict() for d in self.datasets],
            "models": [],
        }
        for m in self.models:
            entry = {"name": m.name, **m.config_table()}
            if m.family != m.config.family:
                entry["family"] = m.family
            if m.seed is not None:
                entry["seed"] = m.seed
            if m.train:
                entry["train"] = dict(m.train)
            if m.init:
                entry["init"] = dict(m.init)
            if m.stages:
                entry["stages"] = [s.to_dict() for s in m.stages]
            out["models"].append(entry)
        return out

    def dumps(self) -> str:
        return _toml.dumps(self.to_dict())


def bundled_studies() -> dict[str, str]:
    """Bundled study names and their one-line descriptions."""
    return bundled_descriptions(__package__, "studies")


def parse_study(data: dict[str, Any], *, source: str = "", quick: bool = False) -> Study:
    """Check raw study data (as read from TOML) and resolve it into a `Study`; `quick` then shrinks it."""
    for key in data:
        if key not in _TOP_KEYS:
            raise MorsenetError(f"study has no key {key!r}; allowed: {', '.join(_TOP_KEYS)}")
    name = check_name("name", data.get("name", Path(source).stem or "study"), dots=True)
    description = expect("description", data.get("description", ""), str, "a string").strip()
    seed = check_seed("seed", data.get("seed", 0))
    train = TrainConfig.from_dict(train_keys("train", data.get("train", {}), sweep=False))
    snapshots = expect("snapshots", data.get("snapshots", {}), dict, "a table")
    for key in snapshots:
        if key != "every":
            raise MorsenetError(f"snapshots has no key {key!r}; allowed: every")
    every = expect("snapshots.every", snapshots.get("every", 0), int, "an integer >= 0 (0 disables)")
    if every < 0:
        raise MorsenetError(f"snapshots.every must be >= 0, got {every}")
    datasets = parse_datasets(data.get("datasets", []), what="study", source=source, default_seed=seed)
    models = parse_models(data.get("models", []), datasets, what="study", base=train, sweep=False)
    dims = [(d.label, d.build().input_dim) for d in datasets]
    report = parse_report(data.get("report", {}), keys=REPORT_KEYS, dims=dims)
    study = Study(name, description, seed, train, datasets, models, every, source, report)
    return shrink(study) if quick else study


def shrink(study: Study) -> Study:
    """The checked `study` with the `--quick` limits (`morsenet.spec.QUICK`)."""
    models = []
    for m in study.models:
        stages = tuple(
            replace(s, train=quick_overrides(s.train, sweep=False)) if s.action == "train" else s for s in m.stages
        )
        models.append(replace(m, train=quick_overrides(m.train, sweep=False), stages=stages))
    return replace(
        study,
        train=quick_train(study.train, sweep=False),
        datasets=tuple(quick_dataset(d) for d in study.datasets),
        models=tuple(models),
        snapshot_every=min(study.snapshot_every, QUICK.snapshot_every),
    )


def load_study(
    study: str | Path | None = None, *, overrides: list[str] | tuple[str, ...] = (), quick: bool = False
) -> Study:
    """Read a bundled study (by name) or a TOML file, apply `key=value` overrides, and check everything.

    Raises:
        MorsenetError: naming the key and what is allowed, for any unknown key, wrong type, out-of-range
            value, unknown data set or model, a model that cannot take a data set, or a missing file.
    """
    source, data = read_toml(study, package=__package__, folder="studies", what="study")
    apply_overrides(data, overrides, what="study", keys=_TOP_KEYS)
    return parse_study(data, source=source, quick=quick)
