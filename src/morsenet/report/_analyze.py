"""Compute everything a model's report section shows (no drawing here): grids, spectra, snapshots, theory."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from ..analysis import (
    Assessment,
    BlockJacobians,
    EscapeAnalysis,
    JacobianGrid,
    PredictionCurve,
    PredictionGrid,
    TrainingSnapshot,
    Tunnel3D,
    TunnelAnalysis,
    WeightSpectra,
    assess_model,
    block_jacobian_eigenvalues,
    escape_analysis,
    jacobian_grid,
    prediction_curve,
    prediction_grid,
    training_snapshots,
    weight_spectra,
)
from ..analysis._critical_points import DEFAULT_STARTS
from ..analysis._frame import geometry_frame
from ..analysis._grid import default_search_box
from ..analysis._scalar_field import as_scalar_field
from ..analysis._topology import N_ANGLES, N_RADII
from ..analysis._tunnel_3d import ThreeDViews, three_d_resolution, three_d_views
from ..datasets import Dataset, get_dataset
from ..errors import MorsenetError
from ..models import MorseModel, load
from ..theory import Prediction, predict
from ..training import History
from ._flow_data import FlowAnalysis, flow_analysis
from ._inside import InsideMaps, add_inside_maps
from ._run import ModelEntry, load_snapshots
from ._stages_data import OneDAnalysis, StagesAnalysis, one_d_analysis, stages_analysis


@dataclass(frozen=True)
class Resolutions:
    """Grid sizes: decision boundary / level sets / surface, singular-value maps, snapshots, 1-D curves; and the
    sampling of the theory assessment: critical-point search starts, the tunnel test's circles and angles."""

    prediction: int = 200
    jacobian: int = 120
    snapshot: int = 80
    curve: int = 1001
    margin: float = 0.2
    critical_point_starts: int = DEFAULT_STARTS
    tunnel_circles: tuple[int, int] = (N_RADII, N_ANGLES)

    @classmethod
    def quick(cls) -> Resolutions:
        """Coarser grids and sampling for `--quick` runs, whose report must build in seconds (the circles and
        starts of the default sweep's analyses)."""
        return cls(
            prediction=100, jacobian=60, snapshot=48, curve=401, critical_point_starts=64, tunnel_circles=(48, 256)
        )


@dataclass
class ModelAnalysis:
    """A trained model of a run with its data and every computed result its figures need."""

    entry: ModelEntry
    model: MorseModel
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
    assessment: Assessment | None = None
    escape: EscapeAnalysis | None = None  # min |grad f| against the radius, nearest critical point (2-D models)
    three_d: ThreeDViews | None = None  # 3-D models: logit grid (isosurface), axis slices, 3-D tunnel test
    theory_note: str | None = None
    theory: Prediction | None = None  # `morsenet.theory.predict(model)`, for every model
    inside: InsideMaps | None = None  # the layer-resolved and Lyapunov maps (2-D models; `report/_inside.py`)
    stages: StagesAnalysis | None = None  # staged training: stage states, maps, injection traces (`_stages_data`)
    one_d: OneDAnalysis | None = None  # per-layer 1-D derivatives and their GIF frames (width-1 1-D models)
    flow: FlowAnalysis | None = None  # neural ODEs: trajectories and flow-Jacobian maps (`_flow_data`)
    notes: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    figures: str = "all"  # the report's figure set: "all", or "core" (the analyses only extras need are skipped)

    @property
    def name(self) -> str:
        return self.entry.name

    @property
    def input_dim(self) -> int:
        return self.data.input_dim

    @property
    def ring_data(self) -> bool:
        """A disk-inside-ring data set in the plane: the tunnel test's ring is the data's ring."""
        return self.data.geometry is not None and self.input_dim == 2

    @property
    def prediction_theory(self) -> Prediction | None:
        """The assessment's prediction, else the plain prediction."""
        return self.assessment.prediction if self.assessment is not None else self.theory

    @property
    def tunnel_3d(self) -> Tunnel3D | None:
        """The 3-D tunnel test on the data's ball and shell (3-D models whose data have that geometry)."""
        return self.three_d.tunnel if self.input_dim == 3 and self.three_d is not None else None

    @property
    def tunnel(self) -> TunnelAnalysis | None:
        """The tunnel test to highlight on the decision boundary: ring data with an inner region only, measured in
        the data's coordinates (a test run in the disk-and-ring frame of standardised data has its circles, mask
        and certificate in that frame, so the maps, drawn in data coordinates, leave it out)."""
        d = self.assessment
        t = None if d is None else d.tunnel
        if d is None or t is None or not self.ring_data or t.status == "no_inner_region":
            return None
        return t if d.tunnel_frame == "data" else None


def _dataset(meta: dict[str, Any], record: dict[str, Any], cache: dict[str, Dataset]) -> Dataset:
    spec = meta.get("dataset") or record.get("dataset") or {}
    name, params = spec.get("name"), dict(spec.get("params") or {})
    if not name:
        raise MorsenetError(f"model {meta.get('name')!r}: the checkpoint does not say which data set it used")
    key = json.dumps([name, params], sort_keys=True, default=str)
    if key not in cache:
        cache[key] = get_dataset(name, **params)
    return cache[key]


def _assess(a: ModelAnalysis, resolutions: Resolutions) -> None:
    """The theory-and-topology assessment; a failure only leaves a note (the figures still draw)."""
    g = a.data.geometry
    ring: dict[str, Any] = {}
    if g is not None:  # the tunnel test on the data's own disk and ring, with its class-1 test points
        ring = {"geometry": g, "ring_points": a.data.x_test[a.data.y_test > 0.5]}
    try:
        a.assessment = assess_model(
            a.model,
            a.box,
            seed=0,
            n_starts=resolutions.critical_point_starts,
            circles=resolutions.tunnel_circles,
            **ring,
        )
    except Exception as err:  # a failing assessment must not take the figures down with it
        first = str(err).strip().splitlines()[0][:200] if str(err).strip() else ""
        a.theory_note = f"theory assessment failed: {type(err).__name__}: {first}"
    if a.input_dim == 2:
        try:
            if g is not None and g.standardized:  # circles of the original units: the disk-and-ring frame
                frame = geometry_frame(as_scalar_field(a.model), a.box, g)
                field: Any = frame.call
                centre, box = frame.geometry.center, frame.box
            else:
                field, centre, box = a.model, (g.center if g is not None else (0.0, 0.0)), a.box
            radius = max(max(abs(lo - c), abs(hi - c)) for (lo, hi), c in zip(box, centre))
            a.escape = escape_analysis(field, centre, box_radius=radius)
        except Exception as err:  # like the assessment: a note, never a missing report
            a.notes.append(f"escape analysis failed: {type(err).__name__}: {str(err)[:200]}")


def analyze_model(
    entry: ModelEntry,
    *,
    resolutions: Resolutions = Resolutions(),
    cache: dict[str, Dataset] | None = None,
    theory: bool = True,
    box: tuple[tuple[float, float], ...] | None = None,
    figures: str = "all",
) -> ModelAnalysis:
    """Load `entry`'s checkpoint, rebuild its data set exactly, and compute the analyses for its figures.

    The analysis box is `morsenet.analysis._grid.default_search_box`: `box` when it has the model's input
    dimension (a study's `report.box`, `--box`), else the data's bounding box widened by `resolutions.margin`.
    `figures = "core"` skips what only the extra figures show (the layer-resolved maps, the training snapshots,
    the neural-ODE flows); every analysis a table or verdict reads is computed either way.
    """
    model = load(entry.checkpoint)
    meta = dict(model.checkpoint_meta)
    data = _dataset(meta, entry.metrics, {} if cache is None else cache)
    history = History.from_dict(meta["history"]) if meta.get("history") else None
    a = ModelAnalysis(entry, model, data, history, meta, figures=figures)
    extras = figures == "all"
    a.spectra = weight_spectra(model)
    if a.input_dim != model.input_dim:
        raise MorsenetError(f"model {entry.name!r} takes {model.input_dim} inputs but its data set has {a.input_dim}")
    fixed = box if box is not None and len(box) == a.input_dim else None
    a.box = default_search_box(data, fixed, margin=resolutions.margin)
    a.theory = predict(model)
    if not theory:
        a.theory_note = "theory assessment skipped (--no-theory)"
    elif a.input_dim <= 3:  # critical points in 1-3 dimensions; regions and the tunnel test in 2-D only
        t = time.perf_counter()
        _assess(a, resolutions)
        a.seconds["theory"] = time.perf_counter() - t
    else:
        a.theory_note = (
            f"the theory assessment (critical-point search) handles 1- to 3-D inputs; this model has "
            f"{a.input_dim}: only the theory's prediction is shown"
        )
    if a.input_dim == 2:
        a.prediction = prediction_grid(model, a.box, resolutions.prediction, task=data.task)
        a.gradient = jacobian_grid(model, a.box, resolutions.jacobian)
        if extras:  # the hidden layer's maps (singular-value figure, full comparison) and the inside section
            a.hidden = jacobian_grid(model, a.box, resolutions.jacobian, layer=model.n_layers)
            add_inside_maps(a, resolutions.jacobian)  # a failure only adds a note to `a.notes`
    elif a.input_dim == 1:
        a.curve = prediction_curve(model, a.box[0], resolutions.curve, task=data.task)
        if any(step.is_block for step in (model.chain() or ())):
            a.blocks = block_jacobian_eigenvalues(model, a.curve.x[:, None])
    elif a.input_dim == 3:
        t = time.perf_counter()
        try:  # the decision isosurface, the slices and the 3-D tunnel test; a failure only adds a note
            g = data.geometry
            a.three_d = three_d_views(
                model, a.box, geometry=g, ring_points=None if g is None else data.x_test[data.y_test > 0.5],
                resolution=three_d_resolution(resolutions.prediction), slice_resolution=resolutions.jacobian,
            )  # fmt: skip
        except Exception as err:
            a.notes.append(f"3-D views failed: {type(err).__name__}: {str(err)[:200]}")
        a.seconds["three_d"] = time.perf_counter() - t
    else:
        a.notes.append(
            f"{a.input_dim}-D inputs: the 2-D maps (decision boundary, level sets, singular-value maps, "
            "surface) are skipped; the data figure shows the first two coordinates"
        )
    if entry.snapshots is not None and extras:
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
    _staged_and_one_d(a, resolutions)  # a failure only adds a note to `a.notes`
    if not extras:
        return a
    t = time.perf_counter()
    try:  # neural ODEs: trajectories and flow-Jacobian maps (`report/_flow_data.py`); a failure only adds a note
        a.flow = flow_analysis(model, data, a.box, resolutions.jacobian)
    except Exception as err:
        a.notes.append(f"flow analysis failed: {type(err).__name__}: {str(err)[:200]}")
    a.seconds["flow"] = time.perf_counter() - t
    return a


def _staged_and_one_d(a: ModelAnalysis, resolutions: Resolutions) -> None:
    try:
        a.stages = stages_analysis(a.model, a.meta, a.entry.checkpoint, a.box, resolutions.snapshot, a.data.task)
        if a.input_dim == 1:
            x = a.data.x_train[:, 0]  # the data's interval (the companion's [-1, 1] for square_1d)
            a.one_d = one_d_analysis(a.model, (float(x.min()), float(x.max())), a.entry.snapshots, 201)
    except Exception as err:  # like the assessment: a note, never a missing report
        a.notes.append(f"stage / 1-D layer analysis failed: {type(err).__name__}: {str(err)[:200]}")
