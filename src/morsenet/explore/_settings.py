"""The explorer's settings: one flat mapping of strings (the page's form, the URL query) checked as a study.

Keys: `data` (a generator name or "csv") with its parameters as `d.<param>` (a CSV upload as `d.upload`),
`kind` (mlp, resnet, neural_ode) with the config's keys as `m.<key>`, training as `t.<key>` (epochs, lr,
batch_size, patience), `seed`, and view choices as `v.<key>` (`v.map`: the second map). Every value is read
as TOML would read it (true/false, an integer, a number, a comma list of integers for `m.widths`, else a
string), put into a one-model study and checked by `morsenet.study.parse_study`: the explorer refuses
exactly what `morsenet run` refuses, with the same messages, and "export study" writes that study.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from ..datasets import DATASETS, FIXED_DIM, Dataset, dataset_parameters
from ..errors import MorsenetError
from ..models import CONFIGS, ModelConfig, model_parameters
from ..study import Study, parse_study
from ..training import TrainConfig

# Data sets the explorer offers: 2-D classification only (not the 1-D and 3-D generators; spheres needs dim 2).
EXPLORE_DATASETS = tuple(n for n in DATASETS if FIXED_DIM.get(n, 2) == 2)
TRAIN_KEYS = ("epochs", "lr", "batch_size", "patience")
MAPS = ("gradient_norm", "min_sv", "max_sv", "logit")
VIEW_DEFAULTS = {"map": "gradient_norm", "layer": "0"}
# The singular-value maps' layer: 0 is the last hidden representation, k the representation after layer k (a
# layer slider; values past the model's layers are clamped to its last, and the map's label says which it shows).
MAX_VIEW_LAYER = 1000
# Guards against a typo freezing the machine (the study layer allows far more for batch runs).
MAX_SAMPLES = 20_000
MAX_EPOCHS = 100_000
MAX_EXPLORE_PARAMETERS = 200_000

DEFAULTS: dict[str, str] = {
    "data": "circles",
    "d.n_samples": "1000",
    "d.seed": "0",
    "kind": "mlp",
    "m.widths": "2,3,3,1",
    "m.activation": "tanh",
    "m.batchnorm": "true",
    "t.epochs": "300",
    "t.lr": "0.01",
    "t.batch_size": "128",
    "t.patience": "0",
    "seed": "0",
    "v.map": "gradient_norm",
}
# A model kind other than the default starts from these (keys the user gives win).
KIND_DEFAULTS: dict[str, dict[str, str]] = {
    "mlp": {"m.widths": "2,3,3,1", "m.activation": "tanh", "m.batchnorm": "true"},
    "resnet": {"m.width": "2", "m.blocks": "10", "m.skip": "1.0", "m.residual": "0.1", "m.activation": "tanh",
               "m.batchnorm": "true"},
    "neural_ode": {"m.dim": "3", "m.T": "1.0", "m.steps": "20", "m.pieces": "10", "m.activation": "tanh"},
}  # fmt: skip

_INT = re.compile(r"^[+-]?\d+$")
_INT_LIST = re.compile(r"^\s*\d+(\s*,\s*\d+)*\s*$")


def parse_value(text: str) -> Any:
    """A form value as TOML reads it: true/false, an integer, a finite or not number, else the string."""
    s = text.strip()
    if s in ("true", "false"):
        return s == "true"
    if _INT.match(s):
        return int(s)
    try:
        return float(s)
    except ValueError:
        return s


def format_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    if isinstance(value, float):
        return repr(value) if value != int(value) or abs(value) >= 1e16 else f"{value:.1f}"
    return str(value)


@dataclass(frozen=True)
class Settings:
    """Checked explorer settings: the one-model study they describe, plus the view choices.

    Attributes:
        values: the canonical flat mapping (what the URL query holds).
        study: the checked study (one data set, one model, `max_attempts` 1, no threshold).
        data: the data set, built once.
        config: the model's typed config.
        view: view choices (`map`).
    """

    values: dict[str, str]
    study: Study
    data: Dataset = field(repr=False)
    config: ModelConfig
    view: dict[str, str]

    @property
    def seed(self) -> int:
        return self.study.seed

    @property
    def train(self) -> TrainConfig:
        return self.study.train

    @property
    def query(self) -> str:
        return urlencode(self.values, safe=",")

    def training_key(self) -> str:
        """Everything but the view choices, resolved: two settings with the same key train the same model.

        The data set's parameters with every default filled in, the model config, the training settings and the
        seed, not the raw form values: a URL that leaves out a default and a form that lists it describe the same model, so a
        view-only change after the first page load keeps training (it restarted it before)."""
        d = self.study.datasets[0]
        data = {**dataset_parameters(d.name), **d.params}
        return json.dumps([d.name, data, self.config.to_dict(), self.train.to_dict(), self.seed], sort_keys=True,
                          default=str)  # fmt: skip

    def export_toml(self) -> str:
        """The study file that `morsenet run` trains this model from (same data, config, settings and seed)."""
        return self.study.dumps()


def _strings(raw: Mapping[str, Any]) -> dict[str, str]:
    out = {}
    for key, value in raw.items():
        if not isinstance(key, str):
            raise MorsenetError(f"setting names must be strings, got {key!r}")
        if isinstance(value, (list, tuple)):
            value = ",".join(str(v) for v in value)
        elif isinstance(value, bool):
            value = "true" if value else "false"
        elif not isinstance(value, (str, int, float)):
            raise MorsenetError(f"setting {key!r} must be a string or a number, got {type(value).__name__}")
        out[key] = str(value)
    return out


def _data_table(values: dict[str, str], upload_dir: Path | None) -> dict[str, Any]:
    name = values.get("data", DEFAULTS["data"])
    if name not in EXPLORE_DATASETS:
        raise MorsenetError(f"unknown dataset {name!r}; the explorer offers {', '.join(EXPLORE_DATASETS)}")
    table: dict[str, Any] = {"name": name}
    for key, text in values.items():
        if not key.startswith("d."):
            continue
        param = key[2:]
        if name == "csv" and param == "upload":
            table["path"] = str(_upload_path(text, upload_dir))
            continue
        if param in ("path", "label"):  # the page reads uploads only, never a file named by the client
            raise MorsenetError(f"dataset setting {param!r} is not available here; upload a CSV file instead")
        table[param] = parse_value(text)  # unknown parameters are refused by the study layer
    if name == "spheres" and table.get("dim", 2) != 2:
        raise MorsenetError(f"the explorer shows 2-D classification data; spheres needs dim = 2, got {table['dim']!r}")
    if name == "csv" and "path" not in table:
        raise MorsenetError("dataset 'csv': upload a CSV file first (columns x1,x2,label)")
    n = table.get("n_samples")
    if isinstance(n, int) and n > MAX_SAMPLES:
        raise MorsenetError(f"dataset {name!r}: the explorer takes n_samples <= {MAX_SAMPLES}, got {n}")
    return table


def _upload_path(token: str, upload_dir: Path | None) -> Path:
    if upload_dir is None or not re.fullmatch(r"[0-9a-f]{32}", token):
        raise MorsenetError(f"unknown CSV upload {token!r}; upload the file again")
    path = upload_dir / f"{token}.csv"
    if not path.is_file():
        raise MorsenetError(f"unknown CSV upload {token!r} (uploads last as long as the server); upload it again")
    return path


def _model_table(values: dict[str, str]) -> dict[str, Any]:
    kind = values.get("kind", DEFAULTS["kind"])
    if kind not in CONFIGS:
        raise MorsenetError(f"unknown model kind {kind!r}; choose one of {', '.join(CONFIGS)}")
    allowed = [k for k in model_parameters(kind) if k != "input_dim"]
    table: dict[str, Any] = {"name": "explored", "kind": kind}
    for key, text in values.items():
        if not key.startswith("m."):
            continue
        param = key[2:]
        if param not in allowed:
            raise MorsenetError(f"model {kind!r} has no parameter {param!r}; allowed: {', '.join(allowed)}")
        if param == "widths":
            if not _INT_LIST.match(text):
                raise MorsenetError(f"model 'mlp': widths must be a list of integers such as 2,3,3,1, got {text!r}")
            table[param] = [int(v) for v in text.split(",")]
        else:
            table[param] = parse_value(text)
    return table


def _train_table(values: dict[str, str]) -> dict[str, Any]:
    table: dict[str, Any] = {"max_attempts": 1}
    for key, text in values.items():
        if key.startswith("t."):
            if key[2:] not in TRAIN_KEYS:
                raise MorsenetError(f"training has no setting {key[2:]!r} here; allowed: {', '.join(TRAIN_KEYS)}")
            table[key[2:]] = parse_value(text)
    epochs = table.get("epochs")
    if isinstance(epochs, int) and epochs > MAX_EPOCHS:
        raise MorsenetError(f"train.epochs must be <= {MAX_EPOCHS} in the explorer, got {epochs}")
    return table


def _view(values: dict[str, str]) -> dict[str, str]:
    view = dict(VIEW_DEFAULTS)
    for key, text in values.items():
        if key.startswith("v."):
            if key[2:] not in VIEW_DEFAULTS:
                raise MorsenetError(f"no view setting {key[2:]!r}; allowed: {', '.join(VIEW_DEFAULTS)}")
            view[key[2:]] = text
    if view["map"] not in MAPS:
        raise MorsenetError(f"v.map must be one of {', '.join(MAPS)}, got {view['map']!r}")
    layer = view["layer"]
    if not layer.isdigit() or not 0 <= int(layer) <= MAX_VIEW_LAYER:
        raise MorsenetError(
            f"v.layer must be an integer from 0 (the last hidden layer) to {MAX_VIEW_LAYER}, got {layer!r}"
        )
    view["layer"] = str(int(layer))
    return view


def parse_settings(raw: Mapping[str, Any], *, upload_dir: Path | None = None) -> Settings:
    """Check the explorer's flat settings (missing keys take `DEFAULTS` when `data`/`kind` match them).

    Raises:
        MorsenetError: one line naming the setting and what is allowed (the study layer's own messages).
    """
    given = _strings(raw)
    values = dict(given)
    same_data = given.get("data", DEFAULTS["data"]) == DEFAULTS["data"]
    for key, default in DEFAULTS.items():
        if key not in values and not key.startswith("m.") and (same_data or not key.startswith("d.")):
            values[key] = default
    if not any(k.startswith("m.") for k in given):  # a kind alone gets its defaults; a partial model does not
        values.update(KIND_DEFAULTS.get(values["kind"], {}))
    for key in values:
        if key not in ("data", "kind", "seed") and key[:2] not in ("d.", "m.", "t.", "v."):
            raise MorsenetError(f"unknown setting {key!r}; settings are data, d.*, kind, m.*, t.*, seed, v.*")
    view = _view(values)
    seed = parse_value(values.get("seed", "0"))
    table = {
        "name": "explore",
        "description": "exported from morsenet explore",
        "seed": seed,
        "train": _train_table(values),
        "datasets": [_data_table(values, upload_dir)],
        "models": [_model_table(values)],
    }
    study = parse_study(table)
    data = study.datasets[0].build()
    if data.input_dim != 2 or data.task != "classification":
        raise MorsenetError(
            f"the explorer shows 2-D classification data; {study.datasets[0].name!r} gives {data.input_dim}-D "
            f"{data.task} data"
        )
    config = study.models[0].config
    if config.n_parameters > MAX_EXPLORE_PARAMETERS:
        raise MorsenetError(
            f"the explorer trains models of up to {MAX_EXPLORE_PARAMETERS:,} parameters live; this one has "
            f"{config.n_parameters:,} (use `morsenet run` for it)"
        )
    canonical = {k: values[k] for k in sorted(values)}
    return Settings(canonical, study, data, config, view)


def options() -> dict[str, Any]:
    """What the page offers: data sets with their parameters and defaults, model kinds with theirs, maps."""
    from ..models import ACTIVATIONS

    datasets = {}
    for name in EXPLORE_DATASETS:
        params = {k: v for k, v in dataset_parameters(name).items() if k != "path"}
        datasets[name] = {k: None if v is None else format_value(v) for k, v in params.items()}
    kinds = {kind: [k for k in model_parameters(kind) if k != "input_dim"] for kind in CONFIGS}
    return {
        "datasets": datasets,
        "kinds": kinds,
        "activations": list(ACTIVATIONS),
        "maps": list(MAPS),
        "train": list(TRAIN_KEYS),
        "defaults": dict(DEFAULTS),
        "kind_defaults": {k: dict(v) for k, v in KIND_DEFAULTS.items()},
        "vector_fields": ["outside", "inside"],
        "limits": {"n_samples": MAX_SAMPLES, "epochs": MAX_EPOCHS, "parameters": MAX_EXPLORE_PARAMETERS},
    }
