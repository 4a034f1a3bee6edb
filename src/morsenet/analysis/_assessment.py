"""Theory versus measurement for one model: prediction, critical points, winding number, regions, tunnel."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch
from torch import Tensor, nn

from .._validation import Seed
from ..errors import MorsenetError
from ..models import MorseModel
from ._cells import CellSettings
from ._critical_points import DEFAULT_STARTS, CriticalPointSearch, check_starts, search_critical_points
from ._grid import ASSESSMENT_RESOLUTION, Box, check_box
from ._regions import _check_resolution, _logit_threshold, regions_on_grid
from ._scalar_field import ScalarFn, as_scalar_field
from ._topology import (
    K_MINIMA,
    N_ANGLES,
    N_RADII,
    DecisionRegions,
    TunnelAnalysis,
    check_ring_points,
    check_tunnel,
    tunnel_on_circles,
)
from ._winding import winding

if TYPE_CHECKING:  # the theory package imports nothing from analysis, but keep the runtime import lazy
    from ..datasets import DiskRing
    from ..theory import Prediction

# Classes whose statement holds for EVERY weight choice, so a measurement can contradict them.
_NO_NONDEGENERATE = ("none", "degenerate_forced", "constant")


@dataclass(frozen=True)
class Assessment:
    """What the theory allows a model, what the model shows, and whether the two agree.

    Attributes:
        prediction: the theory's `Prediction` for the model's actual weights.
        critical_points: the critical-point search in `box`.
        regions: decision-region components on a grid (2-D models only).
        tunnel: the disk-inside-ring tunnel test (2-D models whose box holds the ring).
        winding: index of grad f on the circle of radius `winding_radius` around the centre (2-D only;
            None when undefined because the gradient vanishes on the circle).
        winding_radius: that circle's radius.
        measured: none, morse (all critical points non-degenerate), degenerate, mixed, constant, or
            numerically_degenerate (nothing resolved, but points float64 cannot resolve: every layer has full rank
            and the product of the layer Jacobians is below float64 resolution).
        encloses: whether the class-0 region around the centre is bounded (None when not measured).
        verdict: "theory says X; this model shows Y", with DISAGREEMENT and the reasons when they disagree.
        agree: False exactly when a measurement contradicts a statement that holds for every weight choice.
        reasons: the contradictions (empty when `agree`).
        notes: remarks that are not contradictions (non-generic findings, measurements skipped).
        center: centre of the disk (and of the winding circle).
        numerically_degenerate_sigma_min: log10 of the smallest singular value of the Jacobian product at the
            numerically degenerate points (the smallest over them; None when there are none).
        tunnel_frame: where the tunnel test and the winding number were measured: "data" (the data's
            coordinates) or "disk_ring" (standardised data: the frame of `morsenet.analysis._frame.geometry_frame`,
            in which the disk and the ring are circles around 0 in original units; `tunnel`'s centre, ring, mask
            and certificate are then in that frame, while `regions` stays in data coordinates).
    """

    prediction: Prediction
    critical_points: CriticalPointSearch
    regions: DecisionRegions | None
    tunnel: TunnelAnalysis | None
    winding: int | None
    winding_radius: float
    measured: str
    encloses: bool | None
    verdict: str
    agree: bool
    reasons: tuple[str, ...]
    notes: tuple[str, ...]
    center: tuple[float, ...] = (0.0, 0.0)
    numerically_degenerate_sigma_min: float | None = None
    tunnel_frame: str = "data"

    @property
    def completeness(self) -> str:
        """The critical-point list's completeness: "complete (index-certified)" or "at least N; ..."."""
        return self.critical_points.completeness_summary()

    def __repr__(self) -> str:
        cps = self.critical_points
        winding = "" if self.regions is None and self.winding is None else f", winding_number={self.winding}"
        tunnel = "" if self.tunnel is None else f", tunnel={self.tunnel.status!r}"
        return (
            f"Assessment(theory={self.prediction.cls!r}, can_enclose={self.prediction.can_enclose}, "
            f"measured={self.measured!r}, critical_points={len(cps.points)} ({cps.completeness}){winding}, "
            f"encloses_disk={self.encloses}{tunnel}, agree={self.agree})"
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, in the field's words: `winding_number` (index of grad f on the circle of radius
        `winding_circle_radius` around `center`), `encloses_disk` (the class-0 region around the disk is bounded),
        `can_enclose` (the theory's answer, also under `prediction`)."""
        return {
            "center": list(self.center),
            "completeness": self.critical_points.completeness,
            "completeness_summary": self.completeness,
            "numerically_degenerate_sigma_min_log10": self.numerically_degenerate_sigma_min,
            "tunnel_frame": self.tunnel_frame,
            "prediction": self.prediction.to_dict(),
            "critical_points": self.critical_points.to_dict(),
            "regions": None if self.regions is None else self.regions.to_dict(),
            "tunnel": None if self.tunnel is None else self.tunnel.to_dict(),
            "winding_number": self.winding,
            "winding_circle_radius": self.winding_radius,
            "measured": self.measured,
            "can_enclose": self.prediction.can_enclose,
            "encloses_disk": self.encloses,
            "verdict": self.verdict,
            "agree": self.agree,
            "reasons": list(self.reasons),
            "notes": list(self.notes),
        }


def _measured(search: CriticalPointSearch) -> str:
    if search.flat:
        return "constant"
    if not search.points:
        return "numerically_degenerate" if search.numerically_degenerate else "none"
    nd, dg = search.n_nondegenerate, search.n_degenerate
    return "mixed" if nd and dg else ("morse" if nd else "degenerate")


def _input_dim(model: nn.Module) -> int:
    if not isinstance(model, MorseModel):
        raise MorsenetError(f"{type(model).__name__} is not a morsenet model (no input_dim)")
    return model.input_dim


def assess_model(
    model: nn.Module,
    box: Sequence[Sequence[float]] | None = None,
    *,
    seed: Seed = 0,
    ring: tuple[float, float] = (0.5, 1.0),
    inner_radius: float = 0.3,
    n_starts: int = DEFAULT_STARTS,
    resolution: int = ASSESSMENT_RESOLUTION,
    threshold: float = 0.5,
    ring_points: Tensor | None = None,
    geometry: DiskRing | None = None,
    cells: CellSettings | None = None,
    circles: tuple[int, int] = (N_RADII, N_ANGLES),
) -> Assessment:
    """Compare what the theorems allow a model with what the model actually does.

    Contradictions (`agree` False) are measured facts that a theorem rules out for every weight choice:
    a non-degenerate critical point for classes none / degenerate_forced, any critical point (or a nonzero
    winding number) for class none, a non-constant model for class constant, and a bounded class-0 region
    around the disk when `can_enclose` is False. Classes morse_generic and degenerate_mixed only say what is
    possible, so nothing measured contradicts them.

    Args:
        model: a morsenet model (MLP, ResNet, NeuralODE) with input dimension 1, 2 or 3.
        box: ((lo, hi), ...) per input dimension; default [-2, 2] in each.
        seed: seed of the critical-point search.
        ring: (inner, outer) radii of the class-1 ring for the tunnel test.
        inner_radius: radius of the class-0 disk; also the radius of the winding-number circle.
        n_starts: starts of the critical-point search.
        resolution: grid nodes per axis for the decision regions.
        threshold: probability threshold.
        ring_points: (n, 2) class-1 test points for the tunnel test's misclassified fraction.
        geometry: a `morsenet.datasets.DiskRing` (centre, disk radius, ring); when given it replaces `ring` and
            `inner_radius`, and the winding circle is the disk's circle around its centre.
        cells: budget of the critical-point search's index bookkeeping (`CellSettings`).
        circles: (circles, angles per circle) of the tunnel test's circle sampling.

    Returns:
        An `Assessment`.

    Raises:
        MorsenetError: for a model without the protocol, an input dimension above 3, or a bad box.
    """
    from ..theory import predict

    center: tuple[float, ...] = (0.0, 0.0)
    if geometry is not None:
        ring = (float(geometry.ring[0]), float(geometry.ring[1]))
        inner_radius, center = float(geometry.disk_radius), tuple(geometry.center)
    dim, box_t = _check_arguments(model, box, ring, inner_radius, n_starts)
    prediction = predict(model)
    call = as_scalar_field(model)  # one float64 copy for every measurement
    search = search_critical_points(model, call, box_t, n_starts=n_starts, seed=seed, cells=cells)
    regions = tunnel = winding = None
    notes: list[str] = [f"critical points: {search.completeness_summary()}"]
    if not search.complete and search.completeness_reason:
        notes.append(f"critical-point list is a lower bound: {search.completeness_reason}")
    tunnel_frame = "data"
    if geometry is not None and geometry.dim != dim:
        raise MorsenetError(f"the geometry is {geometry.dim}-D but the model takes {dim}-D inputs")
    if dim == 2:
        framed = geometry is not None and geometry.standardized
        regions, tunnel, winding = _topology(
            call, box_t, ring, inner_radius, resolution, threshold, ring_points, notes, center=center,
            geometry=geometry if framed else None, circles=circles,
        )  # fmt: skip
        if framed:
            tunnel_frame = "disk_ring"
            notes.append(
                "standardised data: the tunnel test and the winding number were measured in the disk-and-ring frame "
                "(u -> f(center + scale * u), where the disk and the ring are circles around 0 in original units); "
                "the decision regions are in data coordinates"
            )
    elif geometry is not None and geometry.dim == 3:
        notes.append(
            "3-D disk-and-ring geometry (a ball inside a spherical shell): the 2-D tunnel test and the winding "
            "number do not apply; only the critical points are measured"
        )
    else:
        notes.append(f"decision-region topology and the tunnel test need 2-D inputs (this model has {dim})")
    measured = _measured(search)
    encloses = None if tunnel is None or tunnel.status not in ("tunnel", "bounded") else tunnel.bounded
    if tunnel is not None and tunnel.centre_class != 0:
        notes.append("the centre is classified 1, so the tunnel test has no inner region")
    if tunnel is not None and tunnel.status == "undecided":
        notes.append(f"tunnel test undecided: {tunnel.undecided_reason}")
    nd_sigma = None
    if search.numerically_degenerate:
        logs = [
            p.product_sigma_min_log10 for p in search.numerically_degenerate if p.product_sigma_min_log10 is not None
        ]
        nd_sigma = min(logs) if logs else None
        notes.append(
            f"{len(search.numerically_degenerate)} numerically degenerate point(s): every layer has full rank but "
            "the product of the layer Jacobians has smallest singular value "
            + ("below float64 resolution" if nd_sigma is None else f"1e{nd_sigma:.1f}, below float64 resolution")
            + "; float64 cannot decide whether they are critical, so they are no evidence against the theory"
        )

    reasons = _contradictions(prediction, search, winding, encloses, notes)
    agree = not reasons
    verdict = f"theory says {_theory_phrase(prediction)}; this model shows {_measured_phrase(search, tunnel)}" + (
        "" if agree else " -- DISAGREEMENT: " + "; ".join(reasons)
    )
    return Assessment(
        prediction=prediction,
        critical_points=search,
        regions=regions,
        tunnel=tunnel,
        winding=winding,
        winding_radius=float(inner_radius),
        center=tuple(float(v) for v in center),
        numerically_degenerate_sigma_min=nd_sigma,
        tunnel_frame=tunnel_frame,
        measured=measured,
        encloses=encloses,
        verdict=verdict,
        agree=agree,
        reasons=tuple(reasons),
        notes=tuple(notes),
    )


def _check_arguments(
    model: nn.Module, box: Sequence[Sequence[float]] | None, ring: tuple[float, float], inner_radius: float,
    n_starts: int,
) -> tuple[int, Box]:  # fmt: skip
    """The input dimension and the checked box of `assess_model` (its MorsenetErrors on bad arguments)."""
    dim = _input_dim(model)
    if dim > 3:
        raise MorsenetError(f"assess_model handles input dimension 1, 2 or 3, got {dim}")
    box_t = check_box(((-2.0, 2.0),) * dim if box is None else box, dim)
    try:
        b, c = (float(v) for v in ring)
    except (TypeError, ValueError):
        raise MorsenetError(f"`ring` must be a pair (inner, outer) of radii, got {ring!r}") from None
    if not 0 < inner_radius < b < c:
        raise MorsenetError(
            f"need 0 < inner_radius < ring[0] < ring[1], got inner_radius={inner_radius}, ring={tuple(ring)}"
        )
    check_starts(n_starts)
    return dim, box_t


def _contradictions(
    prediction: Prediction, search: CriticalPointSearch, winding: int | None, encloses: bool | None, notes: list[str]
) -> list[str]:
    """The measurements that contradict a statement holding for every weight choice; remarks go to `notes`."""
    reasons: list[str] = []
    cls = prediction.cls
    if cls == "constant" and not search.flat:
        reasons.append("the theory says Phi is constant but its gradient is not zero")
    if cls in _NO_NONDEGENERATE and search.n_nondegenerate:
        reasons.append(f"{search.n_nondegenerate} non-degenerate critical point(s) found, which class {cls} rules out")
    if cls == "none" and search.n_degenerate:
        reasons.append(f"{search.n_degenerate} degenerate critical point(s) found, but class none has none")
    if cls == "none" and winding not in (None, 0) and not search.numerically_degenerate:
        reasons.append(
            f"winding number {winding} around the origin certifies a critical point, which class none rules out"
        )
    if prediction.can_enclose is False and encloses:
        reasons.append("the class-0 region around the disk is bounded, but this architecture cannot enclose")
    if cls == "morse_generic" and search.n_degenerate:
        notes.append("degenerate critical points found: non-generic (allowed on a null set of weights)")
    if cls in ("morse_generic", "degenerate_mixed") and encloses is False:
        notes.append("this architecture could enclose the disk, but these weights leave a tunnel")
    if search.n_rejected:
        notes.append(
            f"{search.n_rejected} refined start(s) rejected as near-critical artefacts "
            "(saturated tails, or gradients small but above the float64 rounding floor)"
        )
    return reasons


def _topology(
    call: ScalarFn, box: Box, ring: tuple[float, float], inner_radius: float, resolution: int, threshold: float,
    ring_points: Tensor | None, notes: list[str], *, center: tuple[float, ...] = (0.0, 0.0),
    geometry: DiskRing | None = None, circles: tuple[int, int] = (N_RADII, N_ANGLES),
) -> tuple[DecisionRegions, TunnelAnalysis | None, int | None]:  # fmt: skip
    """Decision regions, the tunnel test (reusing the regions) and the winding number of a 2-D model's field
    `call`; what could not be measured goes to `notes`.

    With a (standardised) `geometry`, the tunnel test and the winding number run in its disk-and-ring frame
    (`geometry_frame`: circles around 0, original radii; the ring points mapped there too), on regions of
    their own; the returned regions stay in data coordinates.
    """
    grid = _check_resolution(resolution)
    regions = regions_on_grid(call, box, grid, _logit_threshold(threshold), float(threshold))
    field, field_box, field_regions = call, box, regions
    if geometry is not None:
        from ._frame import geometry_frame

        frame = geometry_frame(call, box, geometry)
        field, field_box, center = frame.call, frame.box, frame.geometry.center
        field_regions = regions_on_grid(field, field_box, grid, _logit_threshold(threshold), float(threshold))
    tunnel = winding_ = None
    try:
        n_radii, n_angles = circles
        checked = check_tunnel(field_box, center, inner_radius, ring, threshold, n_radii, n_angles, K_MINIMA)
        pts = None if ring_points is None else check_ring_points(ring_points)
        if pts is not None and geometry is not None:  # the ring points into the frame too
            pts = (pts - torch.tensor(geometry.center, dtype=torch.float64)) / torch.tensor(geometry.scale).double()
        tunnel = tunnel_on_circles(
            field, field_box, checked, field_regions, pts, n_radii=n_radii, n_angles=n_angles, k_minima=K_MINIMA
        )
    except MorsenetError as err:
        notes.append(f"tunnel test skipped: {err}")
    try:
        c = torch.tensor(center, dtype=torch.float64)
        winding_ = winding(field, c, float(inner_radius), n=64, max_points=1 << 15)
    except MorsenetError as err:
        notes.append(str(err))
    return regions, tunnel, winding_


def _theory_phrase(prediction: Prediction) -> str:
    text = {
        "none": "no critical points",
        "morse_generic": "critical points possible, generically non-degenerate",
        "degenerate_mixed": "non-degenerate and degenerate critical points possible",
        "degenerate_forced": "every critical point degenerate",
        "constant": "constant output",
        "unsupported": "activation outside the theory",
    }[prediction.cls]
    enclose = {True: "can enclose", False: "cannot enclose (tunnel forced)", None: "enclosure unknown"}
    return f"{prediction.cls} ({text}; {enclose[prediction.can_enclose]})"


def _measured_phrase(search: CriticalPointSearch, tunnel: TunnelAnalysis | None) -> str:
    text = search.summary() + f" [{search.completeness_summary()}]"
    if not search.points and search.numerically_degenerate:
        text += "; numerically degenerate (float64 cannot resolve the Jacobian product), not a disagreement"
    if tunnel is not None:
        if tunnel.centre_class != 0:
            text += "; centre classified 1"
        elif tunnel.status == "undecided":
            text += "; tunnel test undecided"
        elif tunnel.bounded:
            text += "; disk enclosed (bounded class-0 region)"
        else:
            text += "; tunnel (class-0 region reaches the box edge)"
    return text
