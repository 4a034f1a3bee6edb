"""Training evolution: the decision boundary (or 1-D curve) and weight spectra at saved epochs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from torch import Tensor

from ..errors import MorsenetError
from . import _repr
from ._grid import SNAPSHOT_RESOLUTION, Box, Interval
from ._prediction import PredictionCurve, PredictionGrid, Task, prediction_curve, prediction_grid
from ._spectra import WeightSpectra, weight_spectra


@dataclass(frozen=True)
class TrainingSnapshot:
    """The model at one epoch.

    Attributes:
        epoch: the epoch after which the state was saved (as recorded by training).
        prediction: `PredictionGrid` for 2-D inputs, `PredictionCurve` for 1-D inputs, None otherwise.
        spectra: weight singular values at that epoch.
    """

    epoch: int
    prediction: PredictionGrid | PredictionCurve | None
    spectra: WeightSpectra

    def __repr__(self) -> str:
        p = self.prediction
        if isinstance(p, PredictionGrid):
            pred = f"grid {_repr.grid(*p.logits.shape)}"
        elif isinstance(p, PredictionCurve):
            pred = f"curve of {len(p.x)} points"
        else:
            pred = "None"
        return (
            f"TrainingSnapshot(epoch={self.epoch}, prediction={pred}, layers={len(self.spectra.layers)}, "
            f"ranks={_repr.items(self.spectra.ranks)})"
        )


def training_snapshots(
    model_config: Mapping[str, Any],
    epochs: Sequence[int],
    states: Sequence[Mapping[str, Tensor]],
    *,
    box: Box | None = None,
    interval: Interval | None = None,
    resolution: int = SNAPSHOT_RESOLUTION,
    task: Task = "classification",
) -> tuple[TrainingSnapshot, ...]:
    """Rebuild the model at each saved state and evaluate it (no training happens here).

    Args:
        model_config: `model.config()` of the trained model.
        epochs: (k,) epoch of each state.
        states: (k,) state dicts, e.g. the `states` list of a run's `models/<name>.snapshots.pt`.
        box: grid box for 2-D models.
        interval: sample interval for 1-D models.
        resolution: grid (or curve) resolution per snapshot.
        task: "classification" or "regression".

    Returns:
        One `TrainingSnapshot` per state, in the given order.
    """
    from ..models import build_model  # models never import analysis; imported here to keep that one-way

    if len(epochs) != len(states):
        raise MorsenetError(f"snapshots: {len(epochs)} epochs but {len(states)} states")
    model = build_model(dict(model_config), seed=0)
    dim = model.input_dim
    out = []
    for epoch, state in zip(epochs, states):
        try:
            model.load_state_dict(state)
        except (RuntimeError, TypeError) as err:
            raise MorsenetError(
                f"snapshot at epoch {epoch} does not fit the model ({str(err).strip().splitlines()[0][:120]})"
            ) from None
        model.eval()
        pred: PredictionGrid | PredictionCurve | None = None
        if dim == 2 and box is not None:
            pred = prediction_grid(model, box, resolution, task=task)
        elif dim == 1 and interval is not None:
            pred = prediction_curve(model, interval, max(resolution, 2), task=task)
        out.append(TrainingSnapshot(int(epoch), pred, weight_spectra(model)))
    return tuple(out)
