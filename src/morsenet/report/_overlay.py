"""The tunnel highlight of a 2-D classifier: the class-0 component around the disk and its narrowest chord.

`morsenet.analysis.tunnel_analysis` says whether the class-0 region around the disk is bounded or escapes
through a tunnel, where it crosses the middle of the ring, and its narrowest chord width and radius. The figure
also needs the component itself and where the narrowest chord lies; both are derived here from the report's
prediction grid and, for the chord, the classifier's logit on the circle of the narrowest radius.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from ..analysis import label_components


@dataclass(frozen=True)
class TunnelOverlay:
    """What `morsenet.plotting.plot_tunnel` draws.

    Attributes:
        status: "tunnel" or "bounded".
        center: (x, y) centre of disk and ring.
        ring: (inner, outer) radii of the ring.
        inner_radius: radius of the disk.
        xs, ys: the grid of `mask`.
        mask: (ny, nx) the class-0 grid component containing the centre; None when the grid calls the centre 1.
        crossing_angles: angles (radians) where the region crosses the middle of the ring.
        chord: ((x0, y0), (x1, y1)) ends of the narrowest chord; None without a tunnel or a located chord.
        width: the narrowest chord width (from the tunnel analysis).
        radius: the radius where it occurs.
        thin: the tunnel is narrower than the analysis grid (found only by its circle test).
    """

    status: str
    center: tuple[float, float]
    ring: tuple[float, float]
    inner_radius: float
    xs: np.ndarray
    ys: np.ndarray
    mask: np.ndarray | None
    crossing_angles: tuple[float, ...] = ()
    chord: tuple[tuple[float, float], tuple[float, float]] | None = None
    width: float | None = None
    radius: float | None = None
    thin: bool = False

    @property
    def closed(self) -> bool:
        """Whether the outlined component stays off the grid's edge (its outline is a closed curve)."""
        if self.mask is None:
            return False
        m = self.mask
        return not (m[0, :].any() or m[-1, :].any() or m[:, 0].any() or m[:, -1].any())


def _as_dict(tunnel: Any) -> dict[str, Any] | None:
    if tunnel is None or isinstance(tunnel, dict):
        return tunnel
    return tunnel.to_dict()


def _nearest(axis: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Index of the nearest node of a uniform grid axis."""
    step = (axis[-1] - axis[0]) / max(len(axis) - 1, 1)
    return np.clip(np.rint((values - axis[0]) / step), 0, len(axis) - 1).astype(np.int64)


def _runs(below: np.ndarray) -> list[tuple[int, int]]:
    """Cyclic runs of True as (first, last) indices, last possibly >= len (wrapped); [] or [(0, n-1)] edge cases."""
    n = len(below)
    if below.all():
        return [(0, n - 1)]
    start = int(np.argmin(below))  # a False sample: no run crosses it
    order = np.roll(below, -start)
    runs, k = [], 0
    while k < n:
        if order[k]:
            j = k
            while j + 1 < n and order[j + 1]:
                j += 1
            runs.append((k + start, j + start))
            k = j + 1
        else:
            k += 1
    return runs


def _chord(
    t: dict[str, Any], xs: np.ndarray, ys: np.ndarray, mask: np.ndarray | None, f: Any, thr: float, n_angles: int
) -> tuple[tuple[float, float], tuple[float, float]] | None:
    """Ends of the class-0 arc on the circle of the narrowest radius whose chord matches the narrowest width."""
    width, r = t.get("narrowest_width"), t.get("narrowest_radius")
    if width is None or r is None or r <= 0 or width >= 2 * r * (1 - 1e-6):
        return None  # no neck: the region covers half the circle or more (the width is capped at the diameter)
    cx, cy = (float(v) for v in t.get("center", (0.0, 0.0)))
    step = 2 * math.pi / n_angles
    theta = step * np.arange(n_angles)
    px, py = cx + r * np.cos(theta), cy + r * np.sin(theta)
    ii, jj = _nearest(xs, px), _nearest(ys, py)
    if f is not None:
        from ..analysis._scalar_field import as_scalar_field, evaluate

        pts = torch.from_numpy(np.stack([px, py], axis=1))
        below = evaluate(as_scalar_field(f), pts).numpy() < thr
    elif mask is not None:
        below = mask[jj, ii]
    else:
        below = np.zeros(n_angles, dtype=bool)
    best, best_err = None, math.inf
    runs = _runs(below) if below.any() else []
    members = [
        (a, b)
        for a, b in runs
        if mask is not None and mask[jj[np.arange(a, b + 1) % n_angles], ii[np.arange(a, b + 1) % n_angles]].any()
    ]
    for a, b in members or runs:
        lo, hi = theta[0] + (a - 0.5) * step, theta[0] + (b + 0.5) * step
        if hi - lo >= 2 * math.pi:
            continue
        w = 2 * r * math.sin(min(hi - lo, math.pi) / 2)
        if abs(w - width) < best_err:
            best, best_err = (lo, hi), abs(w - width)
    if best is None:  # thinner than the samples: centre the chord on the crossing nearest to the circle
        angles = t.get("crossing_angles_deg") or []
        if not angles:
            return None
        mid = math.radians(float(angles[0]))
        half = math.asin(min(1.0, width / (2 * r)))
        best = (mid - half, mid + half)
    lo, hi = best
    return (cx + r * math.cos(lo), cy + r * math.sin(lo)), (cx + r * math.cos(hi), cy + r * math.sin(hi))


def tunnel_overlay(tunnel: Any, prediction: Any, f: Any = None, *, n_angles: int = 4096) -> TunnelOverlay | None:
    """The tunnel highlight for a model's figures, or None when there is nothing to highlight.

    Args:
        tunnel: a `TunnelAnalysis` or its `to_dict()` (as in `Assessment.to_dict()["tunnel"]`).
        prediction: the `PredictionGrid` the figure draws (same box); its logits give the component.
        f: the classifier (model or callable), to locate the narrowest chord on its circle; without it the
            chord is located on the grid.
        n_angles: samples on the circle of the narrowest radius.

    Returns:
        A `TunnelOverlay` when the centre is classified 0 and the region is a tunnel or bounded, else None.
    """
    t = _as_dict(tunnel)
    if not t or t.get("centre_class") != 0 or not (t.get("tunnel") or t.get("bounded")):
        return None
    status = "tunnel" if t.get("tunnel") else "bounded"
    threshold = float(t.get("threshold", 0.5))
    thr = math.log(threshold / (1 - threshold))
    xs = prediction.xs.detach().cpu().double().numpy()
    ys = prediction.ys.detach().cpu().double().numpy()
    logits = prediction.logits.detach().cpu().double().numpy()
    classes = (logits >= thr).astype(np.int64)
    center = tuple(float(v) for v in t.get("center", (0.0, 0.0)))
    i = int(np.argmin(np.abs(xs - center[0])))
    j = int(np.argmin(np.abs(ys - center[1])))
    mask = None
    if classes[j, i] == 0:
        labels = label_components(classes)
        mask = labels == labels[j, i]
    chord = _chord(t, xs, ys, mask, f, thr, n_angles) if status == "tunnel" else None
    return TunnelOverlay(
        status=status,
        center=center,
        ring=tuple(float(v) for v in t["ring"]),
        inner_radius=float(t.get("inner_radius", 0.0)),
        xs=xs,
        ys=ys,
        mask=mask,
        crossing_angles=tuple(math.radians(float(a)) for a in t.get("crossing_angles_deg") or ())
        if status == "tunnel"
        else (),
        chord=chord,
        width=t.get("narrowest_width"),
        radius=t.get("narrowest_radius"),
        thin=bool(t.get("thin")),
    )
