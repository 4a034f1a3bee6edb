"""Sweep files: a grid (data sets x models x training settings) times a number of seeds, read from TOML.

A sweep is a small composition of the spec layer (`morsenet.spec`): every value is checked there, at load,
once; `--quick` shrinks the checked values. Rules: a data set's seed defaults to 0 (a sweep has no
top-level `seed`; its seeds are the models'); every model has one config (one input dimension per sweep).
Grids (`sweep._grid`): a `[[models]]` entry with `grid = {skip = [...], residual = [...]}` or `ratio = [...]`, a
`[[training]]` entry with `grid = {weight_bound = {logspace = [lo, hi, n]}}`, expand into one entry per combination
on the raw tables, before the usual checks.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from .._validation import MAX_SEED, bounded_int
from ..errors import MorsenetError
from ..spec import (
    QUICK,
    DatasetSpec,
    ModelSpec,
    ReportSpec,
    apply_overrides,
    bundled_descriptions,
    check_name,
    check_train_for_model,
    expect,
    merged_train,
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
from ._grid import expand_grid_entries

ANALYSES = ("spectra", "theory", "tunnel", "critical_points", "escape")
# What a sweep runs when its file names no `analyses`: "escape" (the nearest critical point over growing radii,
# column nearest_critical_distance) costs about 1 s a model, more than the others together, so it is asked for.
DEFAULT_ANALYSES = ("spectra", "theory", "tunnel", "critical_points")
# Upper bounds of the per-model analysis settings: a sweep runs them for every model, and the tunnel grid holds
# resolution^2 points (2001^2 = 4 million: about a second per model), the circles radii x angles points.
ANALYSIS_LIMITS = {"tunnel_resolution": 2001, "tunnel_radii": 2000, "tunnel_angles": 20000,
                   "critical_point_starts": 10000}  # fmt: skip
# Seeds per cell: every seed is a row (the default sweep has 50); the seed list is built in memory.
MAX_SEEDS = 100_000
# Grid cells (data sets x models x training settings, grids expanded): each is a cell of seeds and a report line.
MAX_CELLS = 2_000
_TOP_KEYS = (
    "name",
    "description",
    "seeds",
    "seed_start",
    "chunk_size",
    "analyses",
    "train",
    "analysis",
    "report",
    "datasets",
    "models",
    "training",
)
REPORT_KEYS = ("box",)

__all__ = [
    "ANALYSES", "AnalysisSettings", "Cell", "DatasetSpec", "ModelSpec", "SweepConfig", "TrainingSpec",
    "bundled_sweeps", "load_sweep", "parse_sweep",
]  # fmt: skip


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
            if f.type == "int":
                if isinstance(v, bool) or not isinstance(v, int) or v < 4:
                    raise MorsenetError(f"analysis.{f.name} must be an integer >= 4, got {v!r}")
                bounded_int(f"analysis.{f.name}", v, 4, ANALYSIS_LIMITS[f.name], why="per model, in every cell")
            if f.type == "float" and (isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 < v < math.inf):
                raise MorsenetError(f"analysis.{f.name} must be a finite number > 0, got {v!r}")


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
        report: the `[report]` table (`box` only; None: the default box).
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
    report: ReportSpec = ReportSpec()

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
            **({"report": self.report.to_dict()} if not self.report.is_default else {}),
            "datasets": [d.to_dict() for d in self.datasets],
            "models": [
                {"name": m.name, "family": m.family, **m.config.to_dict(), **({"train": m.train} if m.train else {})}
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


def _count(where: str, value: Any, minimum: int, want: str, maximum: int, why: str) -> int:
    expect(where, value, int, want)
    if value < minimum:
        raise MorsenetError(f"{where} must be {want}, got {value!r}")
    return bounded_int(where, value, minimum, maximum, why=why)


def _training(raw: Any, base: TrainConfig) -> tuple[TrainingSpec, ...]:
    items = [raw] if isinstance(raw, dict) else raw
    expect("training", items, list, "an array of tables [[training]]")
    out: list[TrainingSpec] = []
    for i, item in enumerate(items):
        where = f"training[{i}]"
        table = dict(expect(where, item, dict, "a table"))
        label = check_name(f"{where}.label", table.pop("label", "default" if i == 0 else f"setting{i}"), dots=True)
        overrides = train_keys(f"{where} ({label!r})", table, sweep=True)
        if any(t.label == label for t in out):
            raise MorsenetError(f"{where}: label {label!r} is used twice; give each training setting a unique label")
        out.append(TrainingSpec(label, overrides))
    return tuple(out)


def parse_sweep(data: dict[str, Any], *, source: str = "", quick: bool = False) -> SweepConfig:
    """Check raw sweep data (as read from TOML) and resolve it into a `SweepConfig`.

    `quick` then shrinks the checked sweep for a smoke test (`morsenet.spec.QUICK`: at most 4 seeds, 15 epochs,
    patience 5, 400 points, coarse analyses).

    Raises:
        MorsenetError: naming the key and what is allowed, for an unknown key, a wrong type or a bad value.
    """
    for key in data:
        if key not in _TOP_KEYS:
            raise MorsenetError(f"sweep has no key {key!r}; allowed: {', '.join(_TOP_KEYS)}")
    name = check_name("name", data.get("name", Path(source).stem or "sweep"), dots=True)
    description = expect("description", data.get("description", ""), str, "a string").strip()
    seeds = _count("seeds", data.get("seeds", 10), 1, "an integer >= 1 (seeds per grid cell)", MAX_SEEDS,
                   "one row per seed and cell")  # fmt: skip
    seed_start = _count("seed_start", data.get("seed_start", 0), 0, "an integer >= 0", MAX_SEED, "a 64-bit seed")
    chunk = _count("chunk_size", data.get("chunk_size", 25), 1, "an integer >= 1 (seeds per task)", MAX_SEEDS,
                   "at most the seeds of a cell")  # fmt: skip
    analyses = expect(
        "analyses", data.get("analyses", list(DEFAULT_ANALYSES)), list, f"a list of {', '.join(ANALYSES)}"
    )
    for a in analyses:
        if a not in ANALYSES:
            raise MorsenetError(f"analyses: unknown analysis {a!r}; choose from {', '.join(ANALYSES)}")
    train = TrainConfig.from_dict(train_keys("train", data.get("train", {}), sweep=True))
    analysis_raw = dict(expect("analysis", data.get("analysis", {}), dict, "a table"))
    allowed = [f.name for f in fields(AnalysisSettings)]
    for key in analysis_raw:
        if key not in allowed:
            raise MorsenetError(f"analysis has no setting {key!r}; allowed: {', '.join(allowed)}")
    analysis = AnalysisSettings(**analysis_raw)
    datasets = parse_datasets(data.get("datasets", []), what="sweep", source=source, default_seed=0)
    raw_models = expand_grid_entries(data.get("models", []), what="models", name_key="name", ratio=True)
    models = parse_models(raw_models, datasets, what="sweep", base=train, sweep=True)
    raw_training = expand_grid_entries(data.get("training", [{"label": "default"}]), what="training", name_key="label")
    training = _training(raw_training, train)
    n_cells = len(datasets) * len(models) * len(training)
    if n_cells > MAX_CELLS:
        raise MorsenetError(
            f"the sweep has {n_cells:,} cells (data sets x models x training settings); at most {MAX_CELLS:,}"
        )
    dims = [(d.label, d.build().input_dim) for d in datasets]
    report = parse_report(data.get("report", {}), keys=REPORT_KEYS, dims=dims)
    sweep = SweepConfig(
        name,
        description,
        seeds,
        seed_start,
        chunk,
        tuple(analyses),
        train,
        analysis,
        datasets,
        models,
        training,
        source,
        report,
    )
    for m in models:  # every merged training config must be valid
        for t in training:
            where = f"cell {datasets[0].label}/{m.name}/{t.label}"
            check_train_for_model(where, merged_train(where, train, {**t.overrides, **m.train}), m.config)
    return shrink(sweep) if quick else sweep


def shrink(sweep: SweepConfig) -> SweepConfig:
    """The checked `sweep` with the `--quick` limits (`morsenet.spec.QUICK`)."""
    coarse = {k: min(getattr(sweep.analysis, k), getattr(QUICK, k)) for k in
              ("tunnel_resolution", "tunnel_radii", "tunnel_angles", "critical_point_starts")}  # fmt: skip
    return replace(
        sweep,
        seeds=min(sweep.seeds, QUICK.seeds),
        chunk_size=min(sweep.chunk_size, QUICK.seeds),
        train=quick_train(sweep.train, sweep=True),
        analysis=replace(sweep.analysis, **coarse),
        datasets=tuple(quick_dataset(d) for d in sweep.datasets),
        models=tuple(replace(m, train=quick_overrides(m.train, sweep=True)) for m in sweep.models),
        training=tuple(replace(t, overrides=quick_overrides(t.overrides, sweep=True)) for t in sweep.training),
    )


def bundled_sweeps() -> dict[str, str]:
    """Bundled sweep names and their one-line descriptions."""
    return bundled_descriptions(__package__, "sweeps")


def load_sweep(
    sweep: str | Path = "default", *, overrides: list[str] | tuple[str, ...] = (), quick: bool = False
) -> SweepConfig:
    """Load a sweep from a .toml path or a bundled name ("default"), apply `key=value` overrides, check it.

    Overrides address top-level keys (seeds=8, train.epochs=50, analysis.tunnel_radii=16) and entries:
    datasets.LABEL.key, models.NAME.key, training.LABEL.key.

    Raises:
        MorsenetError: for a missing file, invalid TOML, or an invalid sweep (one line naming the problem).
    """
    source, data = read_toml(sweep, package=__package__, folder="sweeps", what="sweep")
    apply_overrides(data, overrides, what="sweep", keys=_TOP_KEYS)
    try:
        return parse_sweep(data, source=source, quick=quick)
    except MorsenetError as err:
        raise MorsenetError(f"{source}: {err}") from None
