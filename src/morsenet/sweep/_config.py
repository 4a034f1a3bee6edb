"""Sweep files: a grid (data sets x models x training settings) times a number of seeds, read from TOML."""

from __future__ import annotations

import copy
import json
import tomllib
from dataclasses import asdict, dataclass, field, fields, replace
from importlib import resources
from pathlib import Path
from typing import Any

from ..datasets import DATASETS, Dataset, dataset_parameters
from ..errors import MorsenetError
from ..models import normalize_config
from ..study._config import DatasetSpec, bundled_descriptions
from ..training import TrainConfig

ANALYSES = ("spectra", "theory", "tunnel", "critical_points")
_TOP_KEYS = (
    "name",
    "description",
    "seeds",
    "seed_start",
    "chunk_size",
    "analyses",
    "train",
    "analysis",
    "datasets",
    "models",
    "training",
)
_QUICK = {"seeds": 4, "epochs": 15, "patience": 5, "n_samples": 600}


@dataclass(frozen=True)
class AnalysisSettings:
    """Per-model analysis settings, modest by default: a sweep analyses hundreds of models.

    Attributes:
        box_margin: margin around the data's bounding box for the critical-point search.
        tunnel_box: half-width of the square box [-b, b]^2 for the tunnel analysis (must hold the ring).
        tunnel_resolution: grid nodes per axis of the flood fill.
        tunnel_radii: circles between the centre and the box edge.
        tunnel_angles: angles sampled per circle before refinement.
        critical_point_starts: random starts of the critical-point search.
    """

    box_margin: float = 0.2
    tunnel_box: float = 2.0
    tunnel_resolution: int = 65
    tunnel_radii: int = 48
    tunnel_angles: int = 256
    critical_point_starts: int = 16

    def __post_init__(self) -> None:
        for f in fields(self):
            v = getattr(self, f.name)
            if f.type == "int" and (isinstance(v, bool) or not isinstance(v, int) or v < 4):
                raise MorsenetError(f"analysis.{f.name} must be an integer >= 4, got {v!r}")
            if f.type == "float" and (isinstance(v, bool) or not isinstance(v, (int, float)) or not v > 0):
                raise MorsenetError(f"analysis.{f.name} must be a number > 0, got {v!r}")


@dataclass(frozen=True)
class ModelSpec:
    """One architecture of the grid: `name`, canonical model `config`, plot `family`, training overrides."""

    name: str
    config: dict[str, Any]
    family: str
    train: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TrainingSpec:
    """One training setting of the grid: `label` and overrides of the sweep's [train] table."""

    label: str
    overrides: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Cell:
    """One grid cell: a data set, an architecture and a training setting; `id` is "dataset/model/training"."""

    id: str
    dataset: DatasetSpec
    model: ModelSpec
    training: TrainingSpec
    train: TrainConfig


@dataclass(frozen=True)
class SweepConfig:
    """A resolved sweep: every model of `models` on every data set, under every training setting, per seed.

    Attributes:
        name, description: shown in the report.
        seeds: number of seeds per cell; the seeds are seed_start, ..., seed_start + seeds - 1.
        seed_start: the first seed.
        chunk_size: seeds per task (one batched ensemble); the unit of work sent to a worker.
        analyses: per-model analyses, a subset of spectra, theory, tunnel, critical_points.
        train: base training settings.
        analysis: analysis settings.
        datasets, models, training: the grid's axes.
        source: where the sweep came from (a path or "bundled:NAME").
    """

    name: str
    description: str
    seeds: int
    seed_start: int
    chunk_size: int
    analyses: tuple[str, ...]
    train: TrainConfig
    analysis: AnalysisSettings
    datasets: tuple[DatasetSpec, ...]
    models: tuple[ModelSpec, ...]
    training: tuple[TrainingSpec, ...]
    source: str = ""

    @property
    def seed_list(self) -> list[int]:
        return list(range(self.seed_start, self.seed_start + self.seeds))

    def cells(self) -> list[Cell]:
        out = []
        for d in self.datasets:
            for m in self.models:
                for t in self.training:
                    cfg = replace(self.train, **{**t.overrides, **m.train})
                    out.append(Cell(f"{d.label}/{m.name}/{t.label}", d, m, t, cfg))
        return out

    @property
    def n_models(self) -> int:
        return len(self.datasets) * len(self.models) * len(self.training) * self.seeds

    def to_dict(self) -> dict[str, Any]:
        """The sweep as plain data (what `parse_sweep` reads back); written to the output folder."""
        return {
            "name": self.name,
            "description": self.description,
            "seeds": self.seeds,
            "seed_start": self.seed_start,
            "chunk_size": self.chunk_size,
            "analyses": list(self.analyses),
            "train": self.train.to_dict(),
            "analysis": asdict(self.analysis),
            "datasets": [{"label": d.label, "name": d.name, **d.params} for d in self.datasets],
            "models": [
                {"name": m.name, "family": m.family, **m.config, **({"train": m.train} if m.train else {})}
                for m in self.models
            ],
            "training": [{"label": t.label, **t.overrides} for t in self.training],
        }

    def fingerprint(self) -> str:
        """What must not change between a sweep and its `--resume` (everything but chunking and text)."""
        d = self.to_dict()
        for key in ("description", "chunk_size"):
            d.pop(key)
        return json.dumps(d, sort_keys=True)


def _expect(where: str, value: Any, kind: type | tuple[type, ...], want: str) -> Any:
    if (isinstance(value, bool) and kind is not bool) or not isinstance(value, kind):
        raise MorsenetError(f"{where} must be {want}, got {value!r}")
    return value


def _label(where: str, value: Any) -> str:
    _expect(where, value, str, "a string")
    if not value or any(c in value for c in '/\\\n"') or value != value.strip():
        raise MorsenetError(f"{where} {value!r} must be a non-empty name without slashes, quotes or edge spaces")
    return value


def _train_overrides(where: str, raw: Any) -> dict[str, Any]:
    raw = dict(_expect(where, raw, dict, "a table of training settings"))
    if "max_attempts" in raw:
        raise MorsenetError(
            f"{where}: max_attempts is not used in sweeps (every seed is trained once and counted); remove it"
        )
    allowed = [f.name for f in fields(TrainConfig) if f.name != "max_attempts"]
    for key in raw:
        if key not in allowed:
            raise MorsenetError(f"{where} has no setting {key!r}; allowed: {', '.join(allowed)}")
    return raw


def _family(config: dict[str, Any]) -> str:
    kind = config["kind"]
    if kind == "mlp":
        hidden = config["widths"][1:-1]
        narrow = " + bottleneck" if len(hidden) > 2 and min(hidden[1:-1] or [max(hidden)]) < max(hidden) else ""
        return f"MLP width {max(hidden)}{narrow}"
    if kind == "resnet":
        return f"ResNet width {config['width']}, skip {config['skip']:g}, residual {config['residual']:g}"
    return f"neural ODE dim {config['dim']}"


def parse_sweep(data: dict[str, Any], *, source: str = "", quick: bool = False) -> SweepConfig:
    """Check raw sweep data (as read from TOML) and resolve it into a `SweepConfig`.

    `quick` shrinks the sweep for a smoke test: at most 4 seeds, 15 epochs (patience 5), 600 points.

    Raises:
        MorsenetError: naming the key and what is allowed, for an unknown key, a wrong type or a bad value.
    """
    data = copy.deepcopy(data)
    for key in data:
        if key not in _TOP_KEYS:
            raise MorsenetError(f"sweep has no key {key!r}; allowed: {', '.join(_TOP_KEYS)}")
    name = _label("name", data.get("name", Path(source).stem or "sweep"))
    description = _expect("description", data.get("description", ""), str, "a string")
    seeds = _expect("seeds", data.get("seeds", 10), int, "an integer >= 1 (seeds per grid cell)")
    seed_start = _expect("seed_start", data.get("seed_start", 0), int, "an integer >= 0")
    chunk = _expect("chunk_size", data.get("chunk_size", 25), int, "an integer >= 1 (seeds per task)")
    if seeds < 1 or seed_start < 0 or chunk < 1:
        raise MorsenetError(
            f"need seeds >= 1, seed_start >= 0 and chunk_size >= 1, got seeds={seeds}, "
            f"seed_start={seed_start}, chunk_size={chunk}"
        )
    analyses = _expect("analyses", data.get("analyses", list(ANALYSES)), list, f"a list of {', '.join(ANALYSES)}")
    for a in analyses:
        if a not in ANALYSES:
            raise MorsenetError(f"analyses: unknown analysis {a!r}; choose from {', '.join(ANALYSES)}")
    train_raw = _train_overrides("train", data.get("train", {}))
    analysis_raw = dict(_expect("analysis", data.get("analysis", {}), dict, "a table"))
    allowed = [f.name for f in fields(AnalysisSettings)]
    for key in analysis_raw:
        if key not in allowed:
            raise MorsenetError(f"analysis has no setting {key!r}; allowed: {', '.join(allowed)}")
    analysis = AnalysisSettings(**analysis_raw)
    raw_datasets = _expect("datasets", data.get("datasets", []), list, "an array of tables [[datasets]]")
    raw_models = _expect("models", data.get("models", []), list, "an array of tables [[models]]")
    raw_training = data.get("training", [{"label": "default"}])
    if isinstance(raw_training, dict):
        raw_training = [raw_training]
    _expect("training", raw_training, list, "an array of tables [[training]]")
    if not raw_datasets:
        raise MorsenetError('sweep has no [[datasets]]; add one, e.g. [[datasets]] name = "circles"')
    if not raw_models:
        raise MorsenetError(
            'sweep has no [[models]]; add one, e.g. [[models]] name = "w3" kind = "mlp" width = 3 depth = 2'
        )
    if quick:
        seeds = min(seeds, _QUICK["seeds"])
        chunk = min(chunk, _QUICK["seeds"])
        train_raw["epochs"] = min(train_raw.get("epochs", 300), _QUICK["epochs"])
        train_raw["patience"] = min(train_raw.get("patience", 100) or _QUICK["patience"], _QUICK["patience"])
        analysis = AnalysisSettings(
            **{
                **asdict(analysis),
                "tunnel_resolution": 33,
                "tunnel_radii": 16,
                "tunnel_angles": 64,
                "critical_point_starts": 8,
            }
        )
    try:
        train = TrainConfig.from_dict(train_raw)
    except MorsenetError as err:
        raise MorsenetError(f"[train]: {err}") from None

    datasets: list[DatasetSpec] = []
    built: dict[str, Dataset] = {}
    for i, raw in enumerate(raw_datasets):
        where = f"datasets[{i}]"
        raw = dict(_expect(where, raw, dict, "a table"))
        if "name" not in raw:
            raise MorsenetError(f"{where} has no name; choose one of {', '.join(sorted(DATASETS))}")
        dname = _expect(f"{where}.name", raw.pop("name"), str, "a string")
        label = _label(f"{where}.label", raw.pop("label", dname))
        if dname in DATASETS and "seed" in dataset_parameters(dname):
            raw.setdefault("seed", 0)
        if (
            dname == "csv"
            and isinstance(raw.get("path"), str)
            and not Path(raw["path"]).is_absolute()
            and source
            and not source.startswith("bundled:")
        ):
            raw["path"] = str((Path(source).parent / raw["path"]).resolve())
        if quick and dname in DATASETS and "n_samples" in dataset_parameters(dname):
            raw["n_samples"] = min(raw.get("n_samples", 2000), _QUICK["n_samples"])
        spec = DatasetSpec(label, dname, raw)
        if label in built:
            raise MorsenetError(f"{where}: label {label!r} is used twice; give each data set a unique label")
        try:
            built[label] = spec.build()
        except MorsenetError as err:
            raise MorsenetError(f"{where}: {err}") from None
        datasets.append(spec)

    models: list[ModelSpec] = []
    for i, raw in enumerate(raw_models):
        where = f"models[{i}]"
        raw = dict(_expect(where, raw, dict, "a table"))
        if "name" not in raw:
            raise MorsenetError(f'{where} has no name; add name = "..." (a unique label for the architecture)')
        mname = _label(f"{where}.name", raw.pop("name"))
        where = f"models[{i}] ({mname!r})"
        family = raw.pop("family", None)
        overrides = _train_overrides(f"{where}.train", raw.pop("train", {}))
        if quick:
            for key in ("epochs", "patience"):
                if key in overrides:
                    overrides[key] = min(overrides[key], _QUICK[key]) if overrides[key] else overrides[key]
        configs = set()
        for d in built.values():
            try:
                configs.add(json.dumps(normalize_config(raw, input_dim=d.input_dim), sort_keys=True))
            except MorsenetError as err:
                raise MorsenetError(f"{where}: {err}") from None
        if len(configs) > 1:
            raise MorsenetError(
                f"{where}: the data sets have different input dimensions; run one sweep per input dimension"
            )
        config = json.loads(configs.pop())
        if any(m.name == mname for m in models):
            raise MorsenetError(f"{where}: name {mname!r} is used twice; give each model a unique name")
        if family is not None:
            _expect(f"{where}.family", family, str, "a string")
        models.append(ModelSpec(mname, config, family or _family(config), overrides))

    training: list[TrainingSpec] = []
    for i, raw in enumerate(raw_training):
        where = f"training[{i}]"
        raw = dict(_expect(where, raw, dict, "a table"))
        label = _label(f"{where}.label", raw.pop("label", "default" if i == 0 else f"setting{i}"))
        overrides = _train_overrides(f"{where} ({label!r})", raw)
        if quick:
            for key in ("epochs", "patience"):
                if key in overrides and overrides[key]:
                    overrides[key] = min(overrides[key], _QUICK[key])
        if any(t.label == label for t in training):
            raise MorsenetError(f"{where}: label {label!r} is used twice; give each training setting a unique label")
        training.append(TrainingSpec(label, overrides))

    sweep = SweepConfig(
        name,
        description.strip(),
        seeds,
        seed_start,
        chunk,
        tuple(analyses),
        train,
        analysis,
        tuple(datasets),
        tuple(models),
        tuple(training),
        source,
    )
    for cell in sweep.cells():  # every merged training config must be valid
        try:
            replace(sweep.train, **{**cell.training.overrides, **cell.model.train})
        except MorsenetError as err:
            raise MorsenetError(f"cell {cell.id}: {err}") from None
    return sweep


def bundled_sweeps() -> dict[str, str]:
    """Bundled sweep names and their one-line descriptions."""
    return bundled_descriptions(__package__, "sweeps")


def load_sweep(sweep: str | Path = "default", *, quick: bool = False) -> SweepConfig:
    """Load a sweep from a .toml path or a bundled name ("default").

    Raises:
        MorsenetError: for a missing file, invalid TOML, or an invalid sweep (one line naming the problem).
    """
    path = Path(sweep)
    if path.suffix == ".toml" or path.exists():
        if not path.is_file():
            raise MorsenetError(
                f"no sweep file {str(path)!r}; give a .toml path or one of: {', '.join(bundled_sweeps())}"
            )
        source, text = str(path), path.read_text(encoding="utf-8")
    else:
        res = resources.files(__package__).joinpath("sweeps", f"{sweep}.toml")
        if not res.is_file():
            raise MorsenetError(
                f"unknown sweep {str(sweep)!r}; give a .toml path or one of: {', '.join(bundled_sweeps())}"
            )
        source, text = f"bundled:{sweep}", res.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise MorsenetError(f"{source}: not valid TOML ({err})") from None
    try:
        return parse_sweep(data, source=source, quick=quick)
    except MorsenetError as err:
        raise MorsenetError(f"{source}: {err}") from None
