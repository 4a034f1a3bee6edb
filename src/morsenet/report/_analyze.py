"""Compute everything a model's report section shows (no drawing here): grids, spectra, snapshots, theory."""

from __future__ import annotations

import inspect
import json
import time
from dataclasses import dataclass, field
from typing import Any

from torch import nn

from ..analysis import (
    BlockJacobians,
    JacobianGrid,
    PredictionCurve,
    PredictionGrid,
    TrainingSnapshot,
    WeightSpectra,
    block_jacobian_eigenvalues,
    jacobian_grid,
    prediction_curve,
    prediction_grid,
    training_snapshots,
    weight_spectra,
)
from ..datasets import Dataset, dataset_parameters, get_dataset
from ..errors import MorsenetError
from ..models import load
from ..training import History
from ._overlay import TunnelOverlay, tunnel_overlay
from ._run import ModelEntry, load_snapshots


@dataclass(frozen=True)
class Resolutions:
    """Grid sizes: decision boundary / level sets / surface, singular-value maps, snapshots, 1-D curves."""

    prediction: int = 200
    jacobian: int = 120
    snapshot: int = 80
    curve: int = 1001
    margin: float = 0.2

    @classmethod
    def quick(cls) -> Resolutions:
        """Coarser grids for `--quick` runs, whose report must build in seconds."""
        return cls(prediction=100, jacobian=60, snapshot=48, curve=401)


@dataclass
class ModelAnalysis:
    """A trained model of a run with its data and every computed result its figures need."""

    entry: ModelEntry
    model: nn.Module
    data: Dataset
    history: History | None
    meta: dict[str, Any]
    box: tuple[tuple[float, float], ...] = ()
    prediction: PredictionGrid | None = None
    gradient: JacobianGrid | None = None
    hidden: JacobianGrid | None = None
    curve: PredictionCurve | None = None
    blocks: BlockJacobians | None = None
    spectra: WeightSpectra | None = None
    snapshots: tuple[TrainingSnapshot, ...] = ()
    assessment: dict[str, Any] | None = None
    theory_note: str | None = None
    theory: dict[str, Any] | None = None  # `morsenet.theory.predict(model).to_dict()`, for every model
    overlay: TunnelOverlay | None = None  # the tunnel highlight of the decision-boundary figures
    ring_data: bool = False  # a disk-inside-ring data set, so the tunnel test's ring is the data's ring
    notes: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.entry.name

    @property
    def input_dim(self) -> int:
        return self.data.input_dim


def _dataset(meta: dict[str, Any], record: dict[str, Any], cache: dict[str, Dataset]) -> Dataset:
    spec = meta.get("dataset") or record.get("dataset") or {}
    name, params = spec.get("name"), dict(spec.get("params") or {})
    if not name:
        raise MorsenetError(f"model {meta.get('name')!r}: the checkpoint does not say which data set it used")
    key = json.dumps([name, params], sort_keys=True, default=str)
    if key not in cache:
        cache[key] = get_dataset(name, **params)
    return cache[key]


def _ring_arguments(data: Dataset) -> dict[str, Any]:
    """For the disk-inside-ring data: the ring and disk radii and the class-1 test points of the tunnel test."""
    if data.input_dim != 2 or data.name not in ("circles", "spheres") or data.params.get("standardize"):
        return {}  # (standardised coordinates move the ring)
    defaults = dataset_parameters(data.name)
    if data.name == "circles":
        p = {k: data.params.get(k, defaults.get(k)) for k in ("inner_radius", "outer_radius", "buffer")}
        ring = (float(p["inner_radius"]), float(p["outer_radius"]))
        inner = float(p["inner_radius"]) - float(p["buffer"])
    else:  # concentric spheres in the plane: disk r1, ring r2..r3
        p = {k: data.params.get(k, defaults.get(k)) for k in ("r1", "r2", "r3")}
        ring, inner = (float(p["r2"]), float(p["r3"])), float(p["r1"])
    return {"ring": ring, "inner_radius": inner, "ring_points": data.x_test[data.y_test > 0.5]}


# ----- Theory and topology (hook for morsenet.analysis.assess_model; the lead owns its integration) -----
def assess(model: nn.Module, box: Any, data: Dataset | None = None) -> tuple[dict[str, Any] | None, str | None]:
    """The theory-and-topology hook: `morsenet.analysis.assess_model(...).to_dict()` when it is available."""
    try:
        from ..analysis import assess_model  # type: ignore[attr-defined]
    except ImportError:
        return None, "the theory assessment (morsenet.analysis.assess_model) is not available in this version"
    try:
        params = inspect.signature(assess_model).parameters
        open_kw = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
        extra = {k: v for k, v in (_ring_arguments(data) if data is not None else {}).items() if open_kw or k in params}
        return assess_model(model, box=box, seed=0, **extra).to_dict(), None
    except Exception as err:  # a failing assessment must not take the figures down with it
        first = str(err).strip().splitlines()[0][:200] if str(err).strip() else ""
        return None, f"theory assessment failed: {type(err).__name__}: {first}"


def _predict(model: nn.Module) -> dict[str, Any] | None:
    """The theory's prediction for the model's weights (cheap; shown in the summary even without assessment)."""
    try:
        from ..theory import predict

        return predict(model).to_dict()
    except Exception:  # a model outside the theory's protocol simply gets no row entries
        return None


def _overlay(a: ModelAnalysis) -> None:
    """The tunnel highlight from the assessment's tunnel test; a failure only adds a note."""
    if not a.ring_data or a.assessment is None or a.prediction is None or a.prediction.probabilities is None:
        return
    try:
        a.overlay = tunnel_overlay(a.assessment.get("tunnel"), a.prediction, a.model)
    except Exception as err:  # the figures still draw without the highlight
        a.notes.append(f"tunnel highlight skipped: {type(err).__name__}: {str(err).strip()[:160]}")


def analyze_model(
    entry: ModelEntry,
    *,
    resolutions: Resolutions = Resolutions(),
    cache: dict[str, Dataset] | None = None,
    theory: bool = True,
) -> ModelAnalysis:
    """Load `entry`'s checkpoint, rebuild its data set exactly, and compute the analyses for its figures."""
    model = load(entry.checkpoint)
    meta = dict(getattr(model, "checkpoint_meta", {}) or {})
    data = _dataset(meta, entry.metrics, {} if cache is None else cache)
    history = History.from_dict(meta["history"]) if meta.get("history") else None
    a = ModelAnalysis(entry, model, data, history, meta)
    a.spectra = weight_spectra(model)
    if a.input_dim != getattr(model, "input_dim", a.input_dim):
        raise MorsenetError(f"model {entry.name!r} takes {model.input_dim} inputs but its data set has {a.input_dim}")
    a.box = data.box(resolutions.margin)
    a.theory = _predict(model)
    a.ring_data = bool(_ring_arguments(data))
    if not theory:
        a.theory_note = "theory assessment skipped (--no-theory)"
    elif a.input_dim <= 3:  # critical points in 1-3 dimensions; regions and the tunnel test in 2-D only
        t = time.perf_counter()
        a.assessment, a.theory_note = assess(model, a.box, data)
        a.seconds["theory"] = time.perf_counter() - t
    else:
        a.theory_note = (
            f"the theory assessment (critical-point search) handles 1- to 3-D inputs; this model has "
            f"{a.input_dim}: only the theory's prediction is shown"
        )
    if a.input_dim == 2:
        a.prediction = prediction_grid(model, a.box, resolutions.prediction, task=data.task)
        a.gradient = jacobian_grid(model, a.box, resolutions.jacobian)
        a.hidden = jacobian_grid(model, a.box, resolutions.jacobian, layer=model.n_layers)
        _overlay(a)
    elif a.input_dim == 1:
        a.curve = prediction_curve(model, a.box[0], resolutions.curve, task=data.task)
        if getattr(model, "kind", None) == "resnet" and model.n_blocks:
            a.blocks = block_jacobian_eigenvalues(model, a.curve.x[:, None])
    else:
        a.notes.append(
            f"{a.input_dim}-D inputs: the 2-D maps (decision boundary, level sets, singular-value maps, "
            "surface) are skipped; the data figure shows the first two coordinates"
        )
    if entry.snapshots is not None:
        epochs, states = load_snapshots(entry.snapshots)
        a.snapshots = training_snapshots(
            model.config(),
            epochs,
            states,
            box=a.box if a.input_dim == 2 else None,
            interval=a.box[0] if a.input_dim == 1 else None,
            resolution=resolutions.snapshot if a.input_dim == 2 else resolutions.curve,
            task=data.task,
        )
    return a
