"""What the page draws, computed from a snapshot of the weights: the fast views (decision map, a second map,
weight spectra) for every update, and the slower analysis (critical points, tunnel, theory) at a lower rate.

Maps travel as base64 bytes (one byte per grid node, row 0 at the bottom), with the range they encode.
"""

from __future__ import annotations

import base64
import math
import threading
from dataclasses import replace
from typing import Any

import torch
from torch import Tensor

from ..analysis import (
    assess_model,
    find_critical_points,
    grid_axes,
    grid_points,
    jacobian_grid,
    prediction_grid,
    weight_spectra,
)
from ..datasets import Dataset
from ..models import ModelConfig, MorseModel, NeuralODEConfig, build_model
from ..theory import predict

MAP_RESOLUTION = 100
# `build_model` seeds torch's initialisation inside `torch.random.fork_rng`, which saves and restores the global
# RNG state; two threads doing that at once could leave it changed, so the explorer's threads take turns.
_BUILD_LOCK = threading.Lock()
ANALYSIS_RESOLUTION = 101
ANALYSIS_STARTS = 48
TRAJECTORY_POINTS = 48
MAX_CURVE_POINTS = 400


def build(config: ModelConfig | dict[str, Any], seed: int) -> MorseModel:
    """`build_model`, one thread at a time (see `_BUILD_LOCK`)."""
    with _BUILD_LOCK:
        return build_model(config, seed=seed)


def view_box(data: Dataset, margin: float = 0.5) -> tuple[tuple[float, float], tuple[float, float]]:
    """A square box around the data, centred on the origin for data with a disk-inside-ring geometry (so the
    tunnel test's circles fit), else on the data's bounding box."""
    (x0, x1), (y0, y1) = data.box(0.0)
    if data.geometry is not None:
        r = max(abs(x0), abs(x1), abs(y0), abs(y1)) + margin
        return (-r, r), (-r, r)
    cx, cy, half = (x0 + x1) / 2, (y0 + y1) / 2, max(x1 - x0, y1 - y0) / 2 + margin
    return (cx - half, cx + half), (cy - half, cy + half)


def encode(values: Tensor, lo: float, hi: float) -> str:
    """(ny, nx) values clipped to [lo, hi] as base64 of one byte per node (0: lo, 255: hi)."""
    v = values.detach().to(torch.float64).nan_to_num(nan=lo)
    scaled = ((v - lo) / (hi - lo if hi > lo else 1.0)).clamp(0, 1) * 255
    return base64.b64encode(scaled.round().to(torch.uint8).numpy().tobytes()).decode("ascii")


def points_payload(data: Dataset) -> dict[str, Any]:
    """Train and test points with their labels, rounded for the wire."""

    def pack(x: Tensor, y: Tensor) -> list[list[float]]:
        return [[round(float(a), 4), round(float(b), 4), int(c)] for (a, b), c in zip(x.tolist(), y.tolist())]

    return {"train": pack(data.x_train, data.y_train), "test": pack(data.x_test, data.y_test)}


def _thin(values: list[float]) -> list[float]:
    if len(values) <= MAX_CURVE_POINTS:
        return [round(v, 5) for v in values]
    step = len(values) / MAX_CURVE_POINTS
    return [round(values[int(i * step)], 5) for i in range(MAX_CURVE_POINTS)] + [round(values[-1], 5)]


def curves_payload(train_loss: list[float], test_loss: list[float], test_accuracy: list[float]) -> dict[str, Any]:
    return {
        "epochs": len(train_loss),
        "train_loss": _thin(train_loss),
        "test_loss": _thin(test_loss),
        "test_accuracy": _thin(test_accuracy),
    }


def logits_and_gradient_norm(model: MorseModel, points: Tensor) -> tuple[Tensor, Tensor]:
    """Logits and |grad f| at every grid point (..., 2) from one forward and one backward pass: in eval mode
    points do not interact, so the gradient of the sum of the logits is each point's own gradient
    (`jacobian_grid` gives the same numbers, slower)."""
    x = points.reshape(-1, 2).detach().clone().requires_grad_(True)
    logits = model(x)
    (grad,) = torch.autograd.grad(logits.sum(), x)
    shape = points.shape[:-1]
    return logits.detach().reshape(shape), grad.norm(dim=1).reshape(shape).detach()


def _log_map(kind: str, label: str, field: Tensor) -> dict[str, Any]:
    logv = torch.log10(field.to(torch.float64).clamp_min(1e-300))
    # at most 8 decades, skipping the lowest percent: saturated float32 units give exact zeros (log10 = -300)
    # that would flatten the rest; such places show in the darkest colour
    hi = float(logv.max())
    lo = max(float(torch.quantile(logv.flatten(), 0.01)), hi - 8.0)
    if hi - lo < 1e-9:
        hi = lo + 1.0
    return {"kind": kind, "label": label, "lo": lo, "hi": hi, "log": True, "values": encode(logv, lo, hi)}


def maps(model: MorseModel, box: Any, kind: str, layer: int = 0) -> tuple[Tensor, dict[str, Any]]:
    """The logits on the grid and the chosen second map: log10 |grad f|; log10 of the min or max singular value
    of the input Jacobian of a hidden representation x -> h_k (`layer` k; 0 or past the last: the last one, the
    map the read-out sees; a rank collapse shows as a dark min); or the logit itself (drawn as level sets)."""
    dtype = next(model.parameters()).dtype
    points = grid_points(*grid_axes(box, MAP_RESOLUTION, dtype))
    if kind == "gradient_norm":
        logits, norm = logits_and_gradient_norm(model, points)
        return logits, _log_map(kind, "log10 |grad f|", norm)
    logits = prediction_grid(model, box, MAP_RESOLUTION).logits
    if kind == "logit":
        lo, hi = float(logits.min()), float(logits.max())
        return logits, {"kind": kind, "label": "logit (level sets)", "lo": lo, "hi": hi, "log": False,
                        "values": encode(logits, lo, hi)}  # fmt: skip
    k = model.n_layers if layer <= 0 else min(layer, model.n_layers)
    jac = jacobian_grid(model, box, MAP_RESOLUTION, layer=k)
    which = "min" if kind == "min_sv" else "max"
    field = jac.min_singular_value if kind == "min_sv" else jac.max_singular_value
    name = "h_L" if k == model.n_layers else f"h_{k}"
    out = _log_map(
        kind, f"log10 {which} singular value of the Jacobian of x -> {name} (layer {k} of {model.n_layers})", field
    )
    out["layer"], out["n_layers"] = k, model.n_layers
    return logits, out


def spectra_payload(model: MorseModel) -> list[dict[str, Any]]:
    spectra = weight_spectra(model)
    return [
        {"name": s.name, "values": [float(v) for v in s.singular_values.tolist()], "rank": s.rank}
        for s in spectra.layers
    ]


def fast_view(model: MorseModel, box: Any, map_kind: str, layer: int = 0) -> dict[str, Any]:
    """Decision map (probabilities), second map (of hidden layer `layer`, 0: the last) and weight spectra of
    `model` (in eval mode)."""
    logits, second = maps(model, box, map_kind, layer)
    return {
        "resolution": MAP_RESOLUTION,
        "box": [list(b) for b in box],
        "probability": encode(torch.sigmoid(logits), 0.0, 1.0),
        "second": second,
        "spectra": spectra_payload(model),
    }


def _points(search: Any) -> list[dict[str, Any]]:
    return [
        {
            "x": float(p.location[0]),
            "y": float(p.location[1]),
            "kind": p.kind,
            "index": p.index,
            "value": float(p.value),
            "continuum": bool(p.continuum),
        }  # fmt: skip
        for p in search.points
    ]


def _mask(mask: Tensor | None) -> dict[str, Any] | None:
    if mask is None:
        return None
    ny, nx = mask.shape
    data = base64.b64encode(mask.to(torch.uint8).numpy().tobytes()).decode("ascii")
    return {"nx": int(nx), "ny": int(ny), "values": data}


def _theory(prediction: Any) -> dict[str, Any]:
    return {
        "class": prediction.cls,
        "can_enclose": prediction.can_enclose,
        "theorems": list(prediction.theorems),
        "effective_widths": list(prediction.effective_widths),
        "explanation": prediction.explanation,
    }


def analysis(model: MorseModel, data: Dataset, box: Any, *, seed: int = 0) -> dict[str, Any]:
    """Critical points, the tunnel (for disk-inside-ring data) and the theory verdict of `model`."""
    g = data.geometry
    if g is not None and g.dim == 2:
        a = assess_model(
            model, box, seed=seed, geometry=g, n_starts=ANALYSIS_STARTS, resolution=ANALYSIS_RESOLUTION
        )  # fmt: skip
        t = a.tunnel
        tunnel = None
        if t is not None:
            tunnel = {
                "status": t.status,
                "summary": t.summary(),
                "narrowest_width": t.narrowest_width,
                "chord": None if t.chord is None else [list(p) for p in t.chord],
                "crossing_angles": [math.degrees(v) for v in t.crossing_angles],
                "mask": _mask(t.mask),
                "box": [list(b) for b in t.box],
            }
        return {
            "critical_points": _points(a.critical_points),
            "summary": a.critical_points.summary(),
            "tunnel": tunnel,
            "theory": _theory(a.prediction),
            "verdict": a.verdict,
            "agree": a.agree,
            "notes": list(a.notes),
        }
    search = find_critical_points(model, box, n_starts=ANALYSIS_STARTS, seed=seed)
    prediction = predict(model)
    return {
        "critical_points": _points(search),
        "summary": search.summary(),
        "tunnel": None,
        "theory": _theory(prediction),
        "verdict": f"theory says {prediction.cls} (can enclose: {prediction.can_enclose}); "
        f"this model shows {search.summary()}",
        "agree": None,
        "notes": ["the tunnel test needs disk-inside-ring data (circles, 2-D spheres)"],
    }


def trajectories(model: MorseModel, config: ModelConfig, data: Dataset) -> list[list[list[float]]] | None:
    """For a neural ODE: the first two coordinates of the lifted test points at every piece boundary,
    from models that stop after 0, 1, ..., `pieces` pieces (the same weights, a shorter time)."""
    if not isinstance(config, NeuralODEConfig):
        return None
    x = data.x_test[:TRAJECTORY_POINTS].to(next(model.parameters()).dtype)
    state = model.state_dict()
    per_piece = config.steps // config.pieces
    with torch.no_grad():
        paths = [model.hidden(x, 1)[:, :2]]
        for k in range(1, config.pieces + 1):
            cfg = replace(config, T=config.T * k / config.pieces, steps=per_piece * k, pieces=k)
            part = build(cfg, seed=0).to(x.dtype)
            sub = {n: (v[:k] if n.startswith("field_") else v) for n, v in state.items()}
            part.load_state_dict(sub)
            paths.append(part.eval().hidden(x, 2)[:, :2])
    stacked = torch.stack(paths, 1)  # (n, pieces + 1, 2)
    return [[[round(float(a), 4), round(float(b), 4)] for a, b in path] for path in stacked.tolist()]
