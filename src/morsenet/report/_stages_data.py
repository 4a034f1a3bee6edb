"""What the staged-training and 1-D figures show, computed (no drawing here): stage states, injection traces,
before/after maps, and the per-layer 1-D derivatives with one frame per snapshot."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from ..analysis import PredictionGrid, prediction_grid
from ..analysis._one_d_layers import OneDLayers, one_d_layers
from ..analysis._prediction import Task
from ..errors import MorsenetError
from ..models import MorseModel, build_model
from ..training import InjectionTrace
from ._run import load_snapshots

__all__ = ["OneDAnalysis", "StageMap", "StagesAnalysis", "one_d_analysis", "stages_analysis"]


@dataclass(frozen=True)
class StageMap:
    """The model's prediction grid after `epochs` epochs; `label` says when ("before inject", "after inject",
    "after retraining")."""

    epochs: int
    label: str
    prediction: PredictionGrid


@dataclass(frozen=True)
class StagesAnalysis:
    """Staged training: the stage boundaries (epochs, labels), before/after maps, and every injection's trace."""

    epochs: tuple[int, ...]
    labels: tuple[str, ...]
    maps: tuple[StageMap, ...]
    traces: tuple[InjectionTrace, ...]


@dataclass(frozen=True)
class OneDAnalysis:
    """The final model's per-layer derivatives and one `OneDLayers` per snapshot (the GIF's frames)."""

    final: OneDLayers
    frames: tuple[OneDLayers, ...]


def _model(model: MorseModel, state: dict[str, torch.Tensor]) -> MorseModel:
    m = build_model(model.config(), seed=0)
    m.load_state_dict(state)
    return m.eval()


def stages_analysis(model: MorseModel, meta: dict[str, Any], checkpoint: Path, box: Any, resolution: int,
                    task: Task) -> StagesAnalysis | None:  # fmt: skip
    """Read `NAME.stages.pt` beside the checkpoint (None when the model was not trained in stages).

    Maps (2-D inputs): the state before the first action, right after each action, and the final state."""
    path = checkpoint.with_name(checkpoint.name[: -len(".pt")] + ".stages.pt")
    if not path.is_file():
        return None
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
        epochs, labels, states = list(payload["epochs"]), list(payload["labels"]), list(payload["states"])
    except Exception as err:  # torch raises many types for corrupt files
        raise MorsenetError(f"{path}: unreadable stages file ({str(err).strip()[:120]})") from None
    traces = tuple(InjectionTrace.from_dict(t) for t in (meta.get("staged") or {}).get("traces", []))
    maps: list[StageMap] = []
    if model.input_dim == 2:
        actions = [i for i, lab in enumerate(labels) if i > 0 and not lab.startswith("train")]
        roles: dict[int, str] = {len(labels) - 1: "after retraining"}
        for i in actions[:2]:
            roles[i] = "after " + str(labels[i]).split()[0]
        if actions:
            roles.setdefault(actions[0] - 1, "before " + str(labels[actions[0]]).split()[0])
        for i in sorted(roles):
            m = _model(model, states[i])
            maps.append(StageMap(int(epochs[i]), roles[i], prediction_grid(m, box, resolution, task=task)))
    return StagesAnalysis(tuple(int(e) for e in epochs), tuple(map(str, labels)), tuple(maps), traces)


def one_d_analysis(model: MorseModel, interval: tuple[float, float], snapshots: Path | None,
                   resolution: int = 201) -> OneDAnalysis | None:  # fmt: skip
    """Per-layer derivatives of a 1-D width-1 model and of each snapshot (None for other models)."""
    try:
        final = one_d_layers(model, interval, resolution)
    except MorsenetError:
        return None
    frames: list[OneDLayers] = []
    if snapshots is not None:
        ep, states = load_snapshots(snapshots)
        frames = [one_d_layers(_model(model, s), interval, resolution, epoch=e) for e, s in zip(ep, states)]
    return OneDAnalysis(final, tuple(frames))
