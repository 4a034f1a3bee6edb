"""Theory versus measurement for one model: prediction, critical points, winding number, regions, tunnel."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from torch import Tensor, nn

from .._validation import Seed
from ..errors import MorsenetError
from ._critical_points import CriticalPointSearch, find_critical_points, winding_number
from ._scalar_field import check_box
from ._topology import DecisionRegions, TunnelAnalysis, decision_regions, tunnel_analysis

if TYPE_CHECKING:  # the theory package imports nothing from analysis, but keep the runtime import lazy
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
        measured: none, morse (all critical points non-degenerate), degenerate, mixed, or constant.
        encloses: whether the class-0 region around the centre is bounded (None when not measured).
        verdict: "theory says X; this model shows Y", with DISAGREEMENT and the reasons when they disagree.
        agree: False exactly when a measurement contradicts a statement that holds for every weight choice.
        reasons: the contradictions (empty when `agree`).
        notes: remarks that are not contradictions (non-generic findings, measurements skipped).
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

    def to_dict(self) -> dict[str, Any]:
        return {
            "prediction": self.prediction.to_dict(),
            "critical_points": self.critical_points.to_dict(),
            "regions": None if self.regions is None else self.regions.to_dict(),
            "tunnel": None if self.tunnel is None else self.tunnel.to_dict(),
            "winding": self.winding,
            "winding_radius": self.winding_radius,
            "measured": self.measured,
            "encloses": self.encloses,
            "verdict": self.verdict,
            "agree": self.agree,
            "reasons": list(self.reasons),
            "notes": list(self.notes),
        }


def _measured(search: CriticalPointSearch) -> str:
    if search.flat:
        return "constant"
    if not search.points:
        return "none"
    nd, dg = search.n_nondegenerate, search.n_degenerate
    return "mixed" if nd and dg else ("morse" if nd else "degenerate")


def _input_dim(model: nn.Module) -> int:
    dim = getattr(model, "input_dim", None)
    if dim is None:
        try:
            cfg = model.config()  # type: ignore[operator]
            dim = cfg.get("input_dim") or cfg["widths"][0]
        except Exception:  # anything without the protocol
            raise MorsenetError(f"{type(model).__name__} is not a morsenet model (no input_dim)") from None
    return int(dim)


def assess_model(
    model: nn.Module,
    box: Sequence[Sequence[float]] | None = None,
    *,
    seed: Seed = 0,
    ring: tuple[float, float] = (0.5, 1.0),
    inner_radius: float = 0.3,
    n_starts: int = 256,
    resolution: int = 201,
    threshold: float = 0.5,
    ring_points: Tensor | None = None,
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

    Returns:
        An `Assessment`.

    Raises:
        MorsenetError: for a model without the protocol, an input dimension above 3, or a bad box.
    """
    from ..theory import predict

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
    prediction = predict(model)
    search = find_critical_points(model, box_t, n_starts=n_starts, seed=seed)
    regions = tunnel = winding = None
    notes: list[str] = []
    if dim == 2:
        regions = decision_regions(model, box_t, resolution=resolution, threshold=threshold)
        try:
            tunnel = tunnel_analysis(
                model,
                box_t,
                inner_radius=inner_radius,
                ring=ring,
                threshold=threshold,
                ring_points=ring_points,
                resolution=resolution,
                regions=regions,
            )
        except MorsenetError as err:
            notes.append(f"tunnel test skipped: {err}")
        try:
            winding = winding_number(model, (0.0, 0.0), inner_radius)
        except MorsenetError as err:
            notes.append(str(err))
    else:
        notes.append(f"decision-region topology and the tunnel test need 2-D inputs (this model has {dim})")
    measured = _measured(search)
    encloses = None if tunnel is None or tunnel.centre_class != 0 else tunnel.bounded
    if tunnel is not None and tunnel.centre_class != 0:
        notes.append("the centre is classified 1, so the tunnel test has no inner region")

    reasons: list[str] = []
    cls = prediction.cls
    if cls == "constant" and not search.flat:
        reasons.append("the theory says Phi is constant but its gradient is not zero")
    if cls in _NO_NONDEGENERATE and search.n_nondegenerate:
        reasons.append(f"{search.n_nondegenerate} non-degenerate critical point(s) found, which class {cls} rules out")
    if cls == "none" and search.n_degenerate:
        reasons.append(f"{search.n_degenerate} degenerate critical point(s) found, but class none has none")
    if cls == "none" and winding not in (None, 0):
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
        measured=measured,
        encloses=encloses,
        verdict=verdict,
        agree=agree,
        reasons=tuple(reasons),
        notes=tuple(notes),
    )


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
    text = search.summary()
    if tunnel is not None:
        if tunnel.centre_class != 0:
            text += "; centre classified 1"
        elif tunnel.bounded:
            text += "; disk enclosed (bounded class-0 region)"
        else:
            text += "; tunnel (class-0 region reaches the box edge)"
    return text
