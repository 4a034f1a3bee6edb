"""Compute a neural ODE's flow section of the report (no drawing here): trajectories of test points through the
flow and the flow-Jacobian singular-value maps over unit sub-intervals (`analysis/_flow.py`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import torch
from torch import Tensor

from ..analysis import FlowJacobianMaps, FlowTrajectories, default_intervals, flow_jacobian_maps, trajectories
from ..datasets import Dataset
from ..models import MorseModel, NeuralODEConfig

__all__ = ["FlowAnalysis", "flow_analysis"]

QUICK_RESOLUTION = 60  # `Resolutions.quick().jacobian`: at or below it the section is drawn at its quick size


@dataclass(frozen=True)
class FlowAnalysis:
    """What the flow figures of one neural ODE show.

    Attributes:
        trajectories: test points carried through the flow (evenly spaced ones when there are more than `n`).
        labels: (n,) their targets (class labels for classification; None for regression).
        maps: the flow-Jacobian maps over the input box (2-D inputs; None otherwise).
        quick: drawn at the quick size (fewer GIF frames).
    """

    trajectories: FlowTrajectories
    labels: Tensor | None
    maps: FlowJacobianMaps | None
    quick: bool


def flow_analysis(model: MorseModel, data: Dataset, box: tuple[tuple[float, float], ...],
                  resolution: int) -> FlowAnalysis | None:  # fmt: skip
    """The flow section of a neural ODE (None for any other model). `resolution` is the report's Jacobian grid:
    at the quick size (<= 60) 200 trajectories and a 24 x 24 map grid over at most 4 sub-intervals, else 400,
    half that resolution and at most 8 sub-intervals."""
    if model.kind != "neural_ode":
        return None
    quick = resolution <= QUICK_RESOLUTION
    x, y = data.x_test, data.y_test
    n = min(len(x), 200 if quick else 400)
    idx = torch.linspace(0, len(x) - 1, n).round().long()
    traj = trajectories(model, x[idx])
    labels = y[idx].reshape(-1) if data.task == "classification" else None
    maps = None
    if model.input_dim == 2:
        spec = cast(NeuralODEConfig, model.spec)
        intervals = default_intervals(spec.T, spec.pieces, cap=4 if quick else 8)
        maps = flow_jacobian_maps(model, box, 24 if quick else max(24, resolution // 2), intervals=intervals)
    return FlowAnalysis(traj, labels, maps, quick)
