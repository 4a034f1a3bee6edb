"""Read a run folder written by `morsenet run`: manifest, metrics, study, checkpoints, snapshots."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from ..errors import MorsenetError


@dataclass(frozen=True)
class ModelEntry:
    """One trained model of a run: its name, its metrics.json record and its files."""

    name: str
    metrics: dict[str, Any]
    checkpoint: Path
    snapshots: Path | None

    def __repr__(self) -> str:
        acc = self.metrics.get("best_test_accuracy")
        score = "" if acc is None else f", test accuracy {acc:.3f}"
        return f"ModelEntry({self.name!r}{score}, checkpoint {str(self.checkpoint)!r})"


@dataclass(frozen=True)
class RunFolder:
    """The parsed contents of a run folder (no model is loaded yet)."""

    path: Path
    manifest: dict[str, Any]
    metrics: dict[str, Any]
    study_text: str
    models: tuple[ModelEntry, ...]

    @property
    def study_name(self) -> str:
        return str(self.manifest.get("study") or self.path.name)

    def __repr__(self) -> str:
        names = ", ".join(e.name for e in self.models)
        quick = ", quick" if self.manifest.get("quick") else ""
        return f"RunFolder({str(self.path)!r}, study {self.study_name!r}{quick}, {len(self.models)} models: {names})"


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise MorsenetError(f"{path}: unreadable JSON ({str(err).splitlines()[0][:120]})") from None
    if not isinstance(data, dict):
        raise MorsenetError(f"{path}: expected a JSON object")
    return data


def read_run(run_dir: str | Path) -> RunFolder:
    """Parse `run_dir`; raises `MorsenetError` if it is missing or is not a run folder."""
    path = Path(run_dir)
    if not path.exists():
        raise MorsenetError(f"no run folder at {str(path)!r}")
    if not path.is_dir():
        raise MorsenetError(f"{str(path)!r} is not a folder; pass a run folder written by `morsenet run`")
    if not (path / "metrics.json").is_file():
        raise MorsenetError(
            f"{str(path)!r} is not a run folder (no metrics.json); pass a folder written by `morsenet run`"
        )
    metrics = _read_json(path / "metrics.json")
    manifest = _read_json(path / "manifest.json") if (path / "manifest.json").is_file() else {}
    study = path / "study.toml"
    study_text = study.read_text(encoding="utf-8") if study.is_file() else ""
    models = metrics.get("models")
    if not isinstance(models, dict) or not models:
        raise MorsenetError(f'{path / "metrics.json"}: no trained models listed under "models"')
    entries = []
    for name, record in models.items():
        if not isinstance(record, dict):
            raise MorsenetError(f"{path / 'metrics.json'}: entry {name!r} is not an object")
        ckpt = path / str(record.get("checkpoint") or f"models/{name}.pt")
        snaps = ckpt.with_name(f"{name}.snapshots.pt")
        entries.append(ModelEntry(str(name), record, ckpt, snaps if snaps.is_file() else None))
    return RunFolder(path, manifest, metrics, study_text, tuple(entries))


def load_snapshots(path: Path) -> tuple[list[int], list[dict[str, torch.Tensor]]]:
    """(epochs, state dicts) from a `models/<name>.snapshots.pt` file."""
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
        epochs, states = [int(e) for e in payload["epochs"]], list(payload["states"])
    except Exception as err:  # torch raises many types for corrupt files
        raise MorsenetError(
            f"{path}: unreadable snapshots file ({str(err).strip()[:120] or type(err).__name__})"
        ) from None
    if len(epochs) != len(states):
        raise MorsenetError(f"{path}: {len(epochs)} epochs but {len(states)} states")
    return epochs, states
