"""Studies: which data sets, models and training settings a run uses, loaded from TOML with overrides."""

from __future__ import annotations

import copy
import tomllib
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

from ..datasets import DATASETS, Dataset, get_dataset
from ..errors import MorsenetError
from ..models import normalize_config
from ..training import TrainConfig
from . import _toml

_TOP_KEYS = ("name", "description", "seed", "train", "snapshots", "report", "datasets", "models")
_QUICK = {"n_samples": 400, "epochs": 15, "max_attempts": 1, "snapshot_every": 5}


@dataclass(frozen=True)
class DatasetSpec:
    """One data set of a study: generator `name`, its `params` (incl. `seed`), and a unique `label`."""

    label: str
    name: str
    params: dict[str, Any] = field(default_factory=dict)

    def build(self) -> Dataset:
        return get_dataset(self.name, **self.params)


@dataclass(frozen=True)
class ModelSpec:
    """One model of a study: a unique `name`, the model `config` (with "kind"), training overrides, seed."""

    name: str
    config: dict[str, Any]
    train: dict[str, Any] = field(default_factory=dict)
    seed: int | None = None


@dataclass(frozen=True)
class Study:
    """A resolved study: every model is trained on every data set."""

    name: str
    description: str
    seed: int
    train: TrainConfig
    datasets: tuple[DatasetSpec, ...]
    models: tuple[ModelSpec, ...]
    snapshot_every: int = 0
    report: dict[str, Any] = field(default_factory=dict)
    source: str = ""

    def train_config(self, model: ModelSpec) -> TrainConfig:
        return replace(self.train, **model.train) if model.train else self.train

    def model_seed(self, model: ModelSpec) -> int:
        return self.seed if model.seed is None else model.seed

    def run_name(self, dataset: DatasetSpec, model: ModelSpec) -> str:
        """Key of one trained model in metrics.json and its checkpoint file name."""
        return model.name if len(self.datasets) == 1 else f"{dataset.label}-{model.name}"

    def entries(self) -> list[tuple[str, DatasetSpec, ModelSpec]]:
        return [(self.run_name(d, m), d, m) for d in self.datasets for m in self.models]

    def to_dict(self) -> dict[str, Any]:
        """The study as TOML-able data; `load_study` of its `dumps` gives the same study."""
        out: dict[str, Any] = {
            "name": self.name,
            "description": self.description,
            "seed": self.seed,
            "train": self.train.to_dict(),
            "snapshots": {"every": self.snapshot_every},
        }
        if self.report:
            out["report"] = dict(self.report)
        out["datasets"] = [{"label": d.label, "name": d.name, **d.params} for d in self.datasets]
        out["models"] = []
        for m in self.models:
            entry = {"name": m.name, **m.config}
            if m.seed is not None:
                entry["seed"] = m.seed
            if m.train:
                entry["train"] = dict(m.train)
            out["models"].append(entry)
        return out

    def dumps(self) -> str:
        return _toml.dumps(self.to_dict())


def bundled_studies() -> dict[str, str]:
    """Bundled study names and their one-line descriptions."""
    return bundled_descriptions(__package__, "studies")


def bundled_descriptions(package: str, folder: str) -> dict[str, str]:
    """Names of the TOML files bundled in `package`/`folder` and the first line of their descriptions."""
    out = {}
    for entry in sorted(resources.files(package).joinpath(folder).iterdir(), key=lambda p: p.name):
        if entry.name.endswith(".toml"):
            data = tomllib.loads(entry.read_text(encoding="utf-8"))
            lines = str(data.get("description", "")).strip().splitlines()
            out[entry.name[:-5]] = lines[0] if lines else ""
    return out


def read_study_text(study: str | Path | None) -> tuple[str, str]:
    """Return (source description, TOML text) for a bundled study name or a file path (None: "default")."""
    study = "default" if study is None else study
    path = Path(study)
    if path.suffix == ".toml" or path.exists():
        if not path.is_file():
            raise MorsenetError(
                f"no study file {str(path)!r}; give a .toml path or one of: {', '.join(bundled_studies())}"
            )
        return str(path), path.read_text(encoding="utf-8")
    res = resources.files(__package__).joinpath("studies", f"{study}.toml")
    if not res.is_file():
        raise MorsenetError(
            f"unknown study {str(study)!r}; give a .toml path or one of: {', '.join(bundled_studies())}"
        )
    return f"bundled:{study}", res.read_text(encoding="utf-8")


def parse_override(text: str) -> tuple[list[str], Any]:
    """`key.path=value` with a TOML value (bare words are strings): (["key", "path"], value)."""
    if "=" not in text:
        raise MorsenetError(f"--set {text!r}: expected key=value, e.g. --set train.epochs=50")
    key, raw = text.split("=", 1)
    key, raw = key.strip(), raw.strip()
    if not key or any(not part for part in key.split(".")):
        raise MorsenetError(f"--set {text!r}: empty key; use dotted keys like train.epochs or models.NAME.depth")
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw
    return key.split("."), value


def _apply_override(data: dict[str, Any], path: list[str], value: Any) -> None:
    head = path[0]
    if head in ("datasets", "models") and len(path) >= 3:
        key = "label" if head == "datasets" else "name"
        items = data.get(head, [])
        match = [it for it in items if it.get(key, it.get("name")) == path[1]]
        if not match:
            names = [it.get(key, it.get("name")) for it in items]
            raise MorsenetError(
                f"--set {'.'.join(path)}: no {head[:-1]} named {path[1]!r}; the study has: {', '.join(map(str, names))}"
            )
        target = match[0]
        rest = path[2:]
    elif head in _TOP_KEYS or head == "snapshots":
        target, rest = data, path
    else:
        raise MorsenetError(
            f"--set {'.'.join(path)}: unknown key {head!r}; allowed: {', '.join(_TOP_KEYS)} "
            "(datasets.LABEL.key and models.NAME.key address one entry)"
        )
    for part in rest[:-1]:
        nxt = target.setdefault(part, {})
        if not isinstance(nxt, dict):
            raise MorsenetError(f"--set {'.'.join(path)}: {part!r} is not a table")
        target = nxt
    target[rest[-1]] = value


def _expect(where: str, value: Any, kind: type | tuple[type, ...], want: str) -> Any:
    if isinstance(value, bool) and kind in (int, float, (int, float)):
        raise MorsenetError(f"{where} must be {want}, got {value!r}")
    if not isinstance(value, kind):
        raise MorsenetError(f"{where} must be {want}, got {value!r}")
    return value


def parse_study(data: dict[str, Any], *, source: str = "", quick: bool = False) -> Study:
    """Check raw study data (as read from TOML) and resolve it into a `Study`."""
    data = copy.deepcopy(data)
    for key in data:
        if key not in _TOP_KEYS:
            raise MorsenetError(f"study has no key {key!r}; allowed: {', '.join(_TOP_KEYS)}")
    name = _expect("name", data.get("name", Path(source).stem or "study"), str, "a string")
    if not name or any(c in name for c in "/\\ ") or name.startswith("."):
        raise MorsenetError(f"name {name!r} must be a non-empty word without spaces or slashes")
    seed = _expect("seed", data.get("seed", 0), int, "an integer")
    train_data = dict(_expect("train", data.get("train", {}), dict, "a table"))
    snapshots = _expect("snapshots", data.get("snapshots", {}), dict, "a table")
    for key in snapshots:
        if key != "every":
            raise MorsenetError(f"snapshots has no key {key!r}; allowed: every")
    every = _expect("snapshots.every", snapshots.get("every", 0), int, "an integer >= 0 (0 disables)")
    if every < 0:
        raise MorsenetError(f"snapshots.every must be >= 0, got {every}")
    report = _expect("report", data.get("report", {}), dict, "a table")
    raw_datasets = _expect("datasets", data.get("datasets", []), list, "an array of tables [[datasets]]")
    raw_models = _expect("models", data.get("models", []), list, "an array of tables [[models]]")
    if not raw_datasets:
        raise MorsenetError('study has no [[datasets]]; add one, e.g. [[datasets]] name = "circles"')
    if not raw_models:
        raise MorsenetError(
            'study has no [[models]]; add one, e.g. [[models]] name = "w3" kind = "mlp" widths = [2, 3, 3, 1]'
        )
    if quick:
        train_data["epochs"] = min(train_data.get("epochs", 300), _QUICK["epochs"])
        train_data["max_attempts"] = _QUICK["max_attempts"]
        if every:
            every = min(every, _QUICK["snapshot_every"])
    train = TrainConfig.from_dict(train_data)

    datasets: list[DatasetSpec] = []
    built: dict[str, Dataset] = {}
    for i, raw in enumerate(raw_datasets):
        where = f"datasets[{i}]"
        raw = dict(_expect(where, raw, dict, "a table"))
        if "name" not in raw:
            raise MorsenetError(f"{where} has no name; choose one of {', '.join(sorted(DATASETS))}")
        dname = raw.pop("name")
        label = raw.pop("label", dname)
        raw.setdefault("seed", seed)
        if (
            dname == "csv"
            and isinstance(raw.get("path"), str)
            and not Path(raw["path"]).is_absolute()
            and source
            and not source.startswith("bundled:")
        ):
            # A data file named in a study file is found next to that file, wherever the run starts.
            raw["path"] = str((Path(source).parent / raw["path"]).resolve())
        if quick and "n_samples" in _dataset_keys(dname):
            raw["n_samples"] = min(raw.get("n_samples", 2000), _QUICK["n_samples"])
        spec = DatasetSpec(str(label), str(dname), raw)
        if spec.label in built:
            raise MorsenetError(f"{where}: label {spec.label!r} is used twice; give each data set a unique label")
        try:
            built[spec.label] = spec.build()
        except MorsenetError as err:
            raise MorsenetError(f"{where}: {err}") from None
        datasets.append(spec)

    models: list[ModelSpec] = []
    for i, raw in enumerate(raw_models):
        where = f"models[{i}]"
        raw = dict(_expect(where, raw, dict, "a table"))
        mname = raw.pop("name", None)
        if not isinstance(mname, str) or not mname or any(c in mname for c in "/\\ ."):
            raise MorsenetError(f"{where} needs a name (a word without spaces, dots or slashes), got {mname!r}")
        where = f"model {mname!r}"
        if any(m.name == mname for m in models):
            raise MorsenetError(f"{where}: the name is used twice; model names must be unique")
        mtrain = dict(_expect(f"{where}: train", raw.pop("train", {}), dict, "a table"))
        mseed = raw.pop("seed", None)
        if mseed is not None:
            _expect(f"{where}: seed", mseed, int, "an integer")
        if quick:
            if "epochs" in mtrain:
                mtrain["epochs"] = min(mtrain["epochs"], _QUICK["epochs"])
            if "max_attempts" in mtrain:
                mtrain["max_attempts"] = 1
        try:
            replace(train, **TrainConfig.from_dict(mtrain, where=f"{where}: train").to_dict())
        except MorsenetError as err:
            raise MorsenetError(str(err)) from None
        config = None
        for label, ds in built.items():
            try:
                config = normalize_config(raw, input_dim=ds.input_dim)
            except MorsenetError as err:
                raise MorsenetError(f"{where} on data set {label!r}: {err}") from None
        models.append(ModelSpec(mname, config, mtrain, mseed))
    return Study(
        name,
        str(data.get("description", "")).strip(),
        seed,
        train,
        tuple(datasets),
        tuple(models),
        every,
        dict(report),
        source,
    )


def _dataset_keys(name: str) -> list[str]:
    from ..datasets import dataset_parameters

    return list(dataset_parameters(name)) if name in DATASETS else []


def load_study(study: str | Path | None = None, *, overrides: list[str] = (), quick: bool = False) -> Study:
    """Read a bundled study (by name) or a TOML file, apply `key=value` overrides, and check everything.

    Raises:
        MorsenetError: naming the key and what is allowed, for any unknown key, wrong type, out-of-range
            value, unknown data set or model, or missing file.
    """
    source, text = read_study_text(study)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise MorsenetError(f"{source}: not valid TOML ({err})") from None
    for item in overrides:
        path, value = parse_override(item)
        _apply_override(data, path, value)
    return parse_study(data, source=source, quick=quick)
