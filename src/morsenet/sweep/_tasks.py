"""The unit of work of a sweep: train a chunk of seeds of one grid cell as an ensemble and describe each model.

Tasks are plain dicts in and plain rows (dicts) out, so they travel to Dask workers without pickling any
morsenet objects; `run_task` is all a worker needs to import.
"""

from __future__ import annotations

import functools
import json
import math
import time
from collections.abc import Sequence
from typing import Any

import torch

from ..analysis import escape_analysis, find_critical_points, tunnel_analysis
from ..analysis._exact_field import LayerChain, layer_chain
from ..analysis._frame import geometry_frame
from ..analysis._lockstep import run_lockstep
from ..analysis._scalar_field import ScalarFn, as_scalar_field, preactivation_fn
from ..datasets import Dataset, DiskRing, get_dataset
from ..ensemble import train_ensemble
from ..models import MorseModel, ResNetConfig, count_parameters
from ..theory import predict, r1_ratio
from ..training import TrainConfig
from ._config import AnalysisSettings, Cell, SweepConfig

# What the tunnel, escape and critical-point analyses evaluate: a model's layer chain, or the model itself.
Field = MorseModel | LayerChain
# Chains of at most this many layers are analysed one model after another: their evaluations cost too little for
# the lockstep's hand-overs to pay (0.9x measured for 1-2 hidden layers, 1.1-1.7x from 4 on; benchmarks/README.md).
LOCKSTEP_MIN_STEPS = 2


def make_tasks(
    sweep: SweepConfig, done: set[tuple[str, int]], *, device: str = "cpu", chunk_size: int | None = None
) -> list[dict[str, Any]]:
    """One task per chunk of consecutive seeds of each cell, skipping chunks whose rows are all `done`.

    Chunks are fixed by the sweep (not by what is left), so a resumed sweep trains exactly the ensembles an
    uninterrupted one would have trained.
    """
    size = chunk_size or sweep.chunk_size
    seeds = sweep.seed_list
    tasks = []
    for cell in sweep.cells():
        for start in range(0, len(seeds), size):
            chunk = seeds[start : start + size]
            if all((cell.id, s) in done for s in chunk):
                continue
            tasks.append(_task(sweep, cell, chunk, device))
    return tasks


def _task(sweep: SweepConfig, cell: Cell, seeds: list[int], device: str) -> dict[str, Any]:
    train = cell.train
    coords = {
        "sweep": sweep.name,
        "cell": cell.id,
        "dataset": cell.dataset.label,
        "model": cell.model.name,
        "training": cell.training.label,
        "family": cell.model.family,
        "epochs_max": train.epochs,
        "lr": train.lr,
        "batch_size": train.batch_size,
        "patience": train.patience,
        "threshold": train.threshold,
        "weight_bound": train.weight_bound,
    }
    return {
        "cell": cell.id,
        "seeds": list(seeds),
        "coords": coords,
        "dataset": {"name": cell.dataset.name, "params": dict(cell.dataset.params)},
        "model": cell.model.config.to_dict(),
        "train": train.to_dict(),
        "analyses": list(sweep.analyses),
        "analysis": {k: getattr(sweep.analysis, k) for k in AnalysisSettings.__dataclass_fields__},
        "device": device,
    }


@functools.lru_cache(maxsize=8)
def _dataset(key: str) -> Dataset:
    spec = json.loads(key)
    return get_dataset(spec["name"], **spec["params"])


def run_task(task: dict[str, Any]) -> list[dict[str, Any]]:
    """Train the task's seeds as one ensemble and return one row per model (runs on a worker)."""
    data = _dataset(json.dumps(task["dataset"], sort_keys=True))
    config = TrainConfig.from_dict(task["train"])
    start = time.perf_counter()
    result = train_ensemble(
        task["model"], data, config, seeds=task["seeds"], device=task.get("device", "cpu"), progress=False
    )
    train_seconds = (time.perf_counter() - start) / len(task["seeds"])
    settings = AnalysisSettings(**task["analysis"])
    reached = result.reached_threshold()
    models = result.models()
    start = time.perf_counter()
    analyses = analyze_models(models, data, task["analyses"], settings)
    analysis_seconds = (time.perf_counter() - start) / len(models)
    rows = []
    for i, (seed, model) in enumerate(zip(task["seeds"], models)):
        h = result.histories[i]
        row = dict(task["coords"])
        row.update(describe_architecture(model))
        row.update(skip_residual_columns(model))
        row.update(
            seed=seed,
            best_accuracy=h.best_accuracy,
            best_test_loss=h.best_test_loss,
            best_epoch=h.best_epoch + 1 if h.best_epoch >= 0 else None,  # 1-based, as metrics.json
            selection=h.selection,
            val_accuracy=h.best_val_accuracy,
            epochs=h.epochs_run,
            stopped_early=h.stopped_early,
            reached_threshold=reached[i],
            final_train_loss=h.train_loss[-1],
            train_seconds=round(train_seconds, 4),
        )
        row.update(analyses[i])
        row["analysis_seconds"] = round(analysis_seconds, 4)  # the chunk's analyses (run together) per model
        rows.append(row)
    return rows


def describe_architecture(model: MorseModel) -> dict[str, Any]:
    """Grid-independent description: kind, depth (hidden layers / blocks / time pieces), widths, size."""
    spec = model.spec
    return {
        "kind": spec.kind,
        "depth": spec.depth,
        "width": spec.width,
        "min_width": spec.min_width,
        "bottleneck": model.bottleneck,
        "batchnorm": spec.batchnorm,
        "activation": spec.activation,
        "n_params": count_parameters(model),
    }


def skip_residual_columns(model: MorseModel) -> dict[str, Any]:
    """skip, residual, ratio = skip / residual (None for non-ResNets or residual 0), rule R1's ratio of the trained,
    BatchNorm-folded weights (`theory.r1_ratio`) and whether R1 holds (ratio < 1; None where R1 does not apply)."""
    spec = model.spec
    if not isinstance(spec, ResNetConfig):
        return {"skip": None, "residual": None, "ratio": None, "r1_ratio": None, "r1_holds": None}
    r1 = r1_ratio(model)
    return {
        "skip": spec.skip,
        "residual": spec.residual,
        "ratio": spec.skip / spec.residual if spec.residual != 0 else None,
        "r1_ratio": r1,
        "r1_holds": None if r1 is None else bool(r1 < 1),
    }


def weight_spectrum_stats(model: MorseModel) -> dict[str, Any]:
    """Smallest singular value and condition number of every affine map (BatchNorm folded in).

    `sv_min` and `cond_max` summarise the hidden maps (all but the read-out, whose one singular value is
    just the read-out norm); the per-layer lists include the read-out last.
    """
    sv_min, cond = [], []
    for w, _ in model.affine_maps():
        s = torch.linalg.svdvals(w.detach().to(torch.float64))
        smin, smax = float(s[-1]), float(s[0])
        sv_min.append(smin)
        cond.append(smax / smin if smin > 0 else math.inf)
    hidden_sv, hidden_cond = sv_min[:-1] or sv_min, cond[:-1] or cond
    return {"sv_min": min(hidden_sv), "cond_max": max(hidden_cond), "layer_sv_min": sv_min, "layer_cond": cond}


def analyze_models(
    models: Sequence[MorseModel], data: Dataset, analyses: list[str], settings: AnalysisSettings
) -> list[dict[str, Any]]:
    """`analyze` for each of M models of one architecture, batched across the models: models with a layer chain
    (MLPs, ResNets) run in lockstep (`analysis._lockstep`: one stacked pass answers every model's field
    evaluation), with the columns `analyze` gives each model alone (equal to rounding, `tests/test_lockstep.py`);
    other models (neural ODEs) and chains of at most `LOCKSTEP_MIN_STEPS` layers one after another."""
    chains = [layer_chain(m) for m in models]
    first = chains[0] if chains else None
    if len(models) < 2 or first is None or any(c is None for c in chains) or len(first.steps) <= LOCKSTEP_MIN_STEPS:
        return [analyze(m, data, analyses, settings, field=c) for m, c in zip(models, chains)]
    results, _ = run_lockstep(
        [c for c in chains if c is not None],
        lambda i, field: analyze(models[i], data, analyses, settings, field=field),
    )
    out = []
    for r in results:
        if isinstance(r, Exception):  # `analyze` records its parts' errors itself; this is the lockstep failing
            raise r
        out.append(r)
    return out


def analyze(
    model: MorseModel,
    data: Dataset,
    analyses: list[str],
    settings: AnalysisSettings,
    *,
    field: LayerChain | None = None,
) -> dict[str, Any]:
    """The requested per-model analyses as flat columns; an analysis (or one part of it) that fails leaves its
    columns empty and names the error in `analysis_errors` (one model's oddity must not cost the chunk).

    The tunnel, escape and critical-point analyses evaluate `field`: the model's float64 layer chain with exact
    slopes (`analysis._exact_field`; by default its own, or the routed one of `analyze_models`), or the model
    itself when it has no chain (neural ODEs)."""
    out: dict[str, Any] = {}
    errors = []
    f: Field = field if field is not None else (layer_chain(model) or model)
    for name in analyses:
        for part, fn in _ANALYSES[name]:
            try:
                out.update(fn(model, f, data, settings))
            except Exception as err:  # noqa: BLE001 - recorded per model, see docstring
                first = str(err).splitlines()[0][:200] if str(err) else ""
                errors.append(f"{part}: {type(err).__name__}: {first}")
    if errors:
        out["analysis_errors"] = "; ".join(errors)
    return out


def _spectra(model: MorseModel, f: Field, data: Dataset, settings: AnalysisSettings) -> dict[str, Any]:
    return weight_spectrum_stats(model)


def _theory(model: MorseModel, f: Field, data: Dataset, settings: AnalysisSettings) -> dict[str, Any]:
    p = predict(model)
    return {"theory_class": p.cls, "theory_can_enclose": p.can_enclose}


def _critical_points(model: MorseModel, f: Field, data: Dataset, settings: AnalysisSettings) -> dict[str, Any]:
    if data.input_dim != 2:
        return {}
    search = find_critical_points(
        f,
        data.box(settings.box_margin),
        n_starts=settings.critical_point_starts,
        seed=0,
        preactivations=preactivation_fn(model),
    )
    counts = search.counts
    return {
        "n_critical_points": len(search.points),
        "n_minima": counts.get("minimum", 0),
        "n_maxima": counts.get("maximum", 0),
        "n_saddles": counts.get("saddle", 0),
        "n_degenerate": counts.get("degenerate", 0),
        "completeness": search.completeness,  # "complete" (index-certified list) or "lower_bound"
    }


def _planar_geometry(data: Dataset) -> DiskRing | None:
    """The data's disk-inside-ring geometry when it lies in the plane (the tunnel test is a 2-D statement)."""
    g = data.geometry
    return g if g is not None and g.dim == 2 else None


def _framed(model: Field, g: DiskRing, b: float) -> tuple[Field | ScalarFn, DiskRing, Any]:
    """(field, geometry, box [-b, b]^2 around the centre) for the tunnel and escape analyses.

    Raw data: the model itself (its exact layer chain is what the critical-point search certifies) in data
    coordinates. Standardised data: the disk and the ring are ellipses in the data's coordinates, so the field
    moves into the geometry's frame (`geometry_frame`), where they are circles around 0 with their original radii
    and the box is [-b, b]^2 in original units.
    """
    if not g.standardized:
        box = tuple((c - b, c + b) for c in g.center)
        return model, g, box
    data_box = tuple((c - s * b, c + s * b) for c, s in zip(g.center, g.scale))
    frame = geometry_frame(as_scalar_field(model), data_box, g)
    return frame.call, frame.geometry, frame.box


def _tunnel(model: MorseModel, f: Field, data: Dataset, settings: AnalysisSettings) -> dict[str, Any]:
    g = _planar_geometry(data)
    if g is None:
        return {}  # no disk-inside-ring geometry in the plane (other data sets, 3-D spheres)
    framed, frame, box = _framed(f, g, settings.tunnel_box)
    result = tunnel_analysis(
        framed,
        box,
        inner_radius=frame.disk_radius,
        ring=frame.ring,
        center=frame.center,
        resolution=settings.tunnel_resolution,
        n_radii=settings.tunnel_radii,
        n_angles=settings.tunnel_angles,
        k_minima=4,
    )
    decided = result.status in ("tunnel", "bounded")
    return {
        "topology": result.status,  # "tunnel", "bounded", "undecided" or "no_inner_region"
        "tunnel": result.status == "tunnel" if decided else None,
        "tunnel_width": result.narrowest_width if result.status == "tunnel" else None,
        "tunnel_thin": bool(result.thin),
        "ring_fraction_class0": result.ring_area_fraction_class0,
    }


def _escape(model: MorseModel, f: Field, data: Dataset, settings: AnalysisSettings) -> dict[str, Any]:
    g = _planar_geometry(data)
    if g is None:
        return {}
    framed, frame, _ = _framed(f, g, settings.tunnel_box)
    # escape_analysis's own circles (48 x 256): its cost (0.3 s for a width-2 depth-4 MLP, 1-1.5 s at depth 15 on
    # one core) is the refinement's iterations, which fewer circles or angles do not shorten (measured: 16 x 64
    # costs the same), so the sweep keeps the full sampling.
    escape = escape_analysis(framed, frame.center, box_radius=settings.tunnel_box)
    return {"nearest_critical_distance": escape.nearest_critical_distance}


_ANALYSES: dict[str, tuple[tuple[str, Any], ...]] = {
    "spectra": (("spectra", _spectra),),
    "theory": (("theory", _theory),),
    "tunnel": (("tunnel", _tunnel),),
    "critical_points": (("critical_points", _critical_points),),
    "escape": (("escape", _escape),),
}
