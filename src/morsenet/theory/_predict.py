"""The decision procedure of THEORY.md 3.2/3.3: effective widths, classification, and a plain-language verdict."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

from ..errors import MorsenetError
from ..models import MorseModel, graph_bottleneck
from ._architectures import (
    C1,
    IDENTITY,
    NON_MONOTONE,
    RELU,
    SMOOTH,
    Architecture,
    MLPArchitecture,
    NeuralODEArchitecture,
    ResNetArchitecture,
    activation_info,
)
from ._effective import (
    _resnet_blocks,
    can_enclose_rule,
    classify,
    effective_widths_mlp,
    effective_widths_node,
)
from ._explain import _core, _enclosure_note, _fmt, _sort_tags
from ._from_model import architecture_of

CLASSES = ("none", "morse_generic", "degenerate_mixed", "degenerate_forced", "constant", "unsupported")


@dataclass(frozen=True)
class Prediction:
    """What the theorems allow an architecture (THEORY.md 3.1).

    Attributes:
        cls: one of none, morse_generic, degenerate_mixed, degenerate_forced, constant, unsupported.
        can_enclose: whether some weights give a bounded component of a sub- or superlevel set
            (False: a disk inside a ring forces a tunnel); None when unknown.
        effective_widths: the width sequence with virtual linear layers for rank drops (3.2).
        graph_bottleneck: some layer narrower than an earlier and a later one (1.4).
        explanation: plain-language reasoning naming the theorems and their provenance tags.
        provenance: tags backing the claim: P paper, S summary, R reconstruction, D derived, C code, X external.
        theorems: names of the results used (T1, T3(b), N1, R1, L4, Beise et al., ...).
        kind: "mlp", "resnet" or "neural_ode".
        activation: activation name.
        regions_connected: True when Nguyen, Mukkamala & Hein (ICML 2018) apply: a pyramidal MLP
            (n0 >= n1 >= ... >= nL, full-rank weights) with a strictly monotone, continuous activation of
            continuous inverse (leaky-ReLU type, tanh, sigmoid, ...) has connected decision regions [X];
            None when the theorem does not apply.
        regions_unbounded: True when every connected component of every decision region is unbounded
            (Beise, Da Cruz & Schroeder, arXiv:1807.01194 [X], or L1/L4 of the Morse theory); None when unknown.
    """

    cls: str
    can_enclose: bool | None
    effective_widths: tuple[int, ...]
    graph_bottleneck: bool
    explanation: str
    provenance: tuple[str, ...]
    theorems: tuple[str, ...] = ()
    kind: str = "mlp"
    activation: str = "tanh"
    regions_connected: bool | None = None
    regions_unbounded: bool | None = None

    def __repr__(self) -> str:
        widths = "[" + ",".join(map(str, self.effective_widths)) + "]"
        if len(widths) > 60:
            widths = f"{widths[:40]}...] ({len(self.effective_widths)} widths)"
        return (
            f"Prediction(class={self.cls!r}, can_enclose={self.can_enclose}, effective_widths={widths}, "
            f"kind={self.kind!r}, activation={self.activation!r}, theorems=[{', '.join(self.theorems)}])"
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready; the class is written `class` (the attribute is `cls` only because `class` is reserved)."""
        d = asdict(self)
        d = {"class": d.pop("cls"), **d}
        d["effective_widths"] = list(self.effective_widths)
        d["provenance"] = list(self.provenance)
        d["theorems"] = list(self.theorems)
        return d


def _finish(
    cls: str,
    can: bool | None,
    seq: tuple[int, ...],
    bottleneck: bool,
    text: str,
    tags: set[str],
    names: list[str],
    kind: str,
    activation: str,
) -> Prediction:
    if can is False and "L4" not in names and cls != "unsupported":
        names = [*names, "L4"]
    return Prediction(
        cls=cls,
        can_enclose=can,
        effective_widths=seq,
        graph_bottleneck=bottleneck,
        explanation=text + _enclosure_note(can, cls),
        provenance=_sort_tags(tags),
        theorems=tuple(dict.fromkeys(names)),
        kind=kind,
        activation=activation,
    )


def _decide(
    seq: tuple[int, ...],
    *,
    kind: str,
    activation: str,
    reduced: bool,
    bottleneck: bool,
    affine: bool,
    prefix: str = "",
    prefix_tags: frozenset[str] = frozenset(),
    prefix_names: tuple[str, ...] = (),
) -> Prediction:
    """`_decide_widths`, then the decision-region theorems of Beise et al. and Nguyen et al."""
    pred = _decide_widths(
        seq, kind=kind, activation=activation, reduced=reduced, bottleneck=bottleneck, affine=affine, prefix=prefix,
        prefix_tags=prefix_tags, prefix_names=prefix_names,
    )  # fmt: skip
    return _region_theorems(pred, seq, reduced=reduced)


BEISE = "Beise et al."
NGUYEN = "Nguyen et al."


def _region_theorems(pred: Prediction, seq: tuple[int, ...], *, reduced: bool) -> Prediction:
    """Add what Beise et al. (arXiv:1807.01194) and Nguyen, Mukkamala & Hein (ICML 2018) say about the decision
    regions, each tagged X (external result, not re-derived here)."""
    family = activation_info(pred.activation).family
    text, tags, names = pred.explanation, set(pred.provenance), list(pred.theorems)
    n0, hidden = seq[0], seq[1:-1]
    monotone = family in (SMOOTH, C1, IDENTITY)
    unbounded: bool | None = True if pred.can_enclose is False else None
    connected: bool | None = None
    if pred.cls == "constant":
        return replace(pred, regions_unbounded=None)
    narrow = bool(hidden) and max(hidden) <= n0
    if pred.kind == "mlp" and narrow and (monotone or family == RELU):
        unbounded = True
        if BEISE not in names:
            names.append(BEISE)
            tags.add("X")
            text += (
                f" Beise, Da Cruz & Schroeder [X] (arXiv:1807.01194): every width is <= n0 = {n0}, so for "
                f"{pred.activation} every connected component of every decision region is unbounded."
            )
    pyramidal = bool(hidden) and all(a >= b for a, b in zip(seq[:-2], seq[1:-1]))
    if pred.kind == "mlp" and pyramidal and not reduced and monotone:
        connected = True
        names.append(NGUYEN)
        tags.add("X")
        text += (
            " Nguyen, Mukkamala & Hein [X] (ICML 2018, 'Neural networks should be wide enough to learn disconnected "
            f"decision regions'): the widths {_fmt(seq)} are pyramidal with full-rank weights and {pred.activation} is "
            "strictly monotone with a continuous inverse, so every decision region is connected."
        )
    elif pred.kind == "mlp" and pyramidal and family == RELU:
        text += " (Nguyen et al. [X] needs a strictly monotone activation such as leaky ReLU; ReLU is not.)"
    return replace(
        pred, explanation=text, provenance=_sort_tags(tags), theorems=tuple(dict.fromkeys(names)),
        regions_connected=connected, regions_unbounded=unbounded,
    )  # fmt: skip


def _decide_widths(
    seq: tuple[int, ...],
    *,
    kind: str,
    activation: str,
    reduced: bool,
    bottleneck: bool,
    affine: bool,
    prefix: str = "",
    prefix_tags: frozenset[str] = frozenset(),
    prefix_names: tuple[str, ...] = (),
) -> Prediction:
    """Apply the activation overrides of 3.3, then the width classifier."""
    family = activation_info(activation).family
    cls = classify(seq)
    tags, names = set(prefix_tags), list(prefix_names)
    if cls == "constant":
        text, t, n = _core(cls, seq, kind, reduced, bottleneck, affine)
        return _finish(cls, False, seq, bottleneck, prefix + text, tags | t, names + n, kind, activation)
    if family == IDENTITY:
        text = "Every activation is the identity, so Phi is affine: no critical points [D]" + (
            " (it is constant only on a null set of weights, since the widths widen)." if cls != "none" else "."
        )
        return _finish("none", False, seq, bottleneck, prefix + text, tags | {"D"}, names + ["T1"], kind, activation)
    if family == SMOOTH:
        text, t, n = _core(cls, seq, kind, reduced, bottleneck, affine)
        return _finish(
            cls, can_enclose_rule(seq), seq, bottleneck, prefix + text, tags | t, names + n, kind, activation
        )
    if family == C1 and cls == "none":
        text, t, n = _core(cls, seq, kind, reduced, bottleneck, affine)
        text += f" ({activation} has sigma' > 0 but is not C^2; the argument needs only sigma' > 0 [D].)"
        return _finish("none", False, seq, bottleneck, prefix + text, tags | t | {"D"}, names + n, kind, activation)
    # unsupported: C1 with possible critical points, ReLU, non-monotone
    why = {
        C1: f"{activation} has sigma' > 0 but is not C^2, so Hessians and the Morse classes are undefined",
        RELU: "ReLU has sigma' = 0 on a half-line (flat regions), which is outside the theory",
        NON_MONOTONE: f"{activation} is not monotone, so critical points can appear in any architecture",
    }[family]
    text = f"Unsupported: {why} (THEORY.md 1.2)."
    can: bool | None = None
    if family in (C1, RELU) and max(seq[1:]) <= seq[0]:
        can = False
        if kind == "neural_ode":
            text += (
                " Still, m <= n and phi_T is a homeomorphism, so every decision-region component is "
                "unbounded [D] (as in Beise et al. [X])."
            )
            tags |= {"D", "X"}
        else:
            text += (
                " Still, every effective width is <= n0, so by Beise, Da Cruz & Schroeder [X] every "
                "connected component of every decision region is unbounded."
            )
            tags |= {"X"}
        names.append(BEISE)
    elif family == NON_MONOTONE:
        text += " Beise et al. needs a monotone activation, so whether a region can be enclosed is unknown."
    else:
        text += " Some effective width exceeds n0, so no theorem decides whether a region can be enclosed."
    return _finish("unsupported", can, seq, bottleneck, prefix + text, tags, names, kind, activation)


def _predict_mlp(arch: MLPArchitecture) -> Prediction:
    seq = effective_widths_mlp(arch.widths, arch.ranks)
    reduced = len(seq) != len(arch.widths) or seq[-1] == 0
    return _decide(
        seq,
        kind="mlp",
        activation=arch.activation,
        reduced=reduced,
        bottleneck=graph_bottleneck(arch.widths),
        affine=len(arch.widths) == 2,
    )


def _predict_node(arch: NeuralODEArchitecture) -> Prediction:
    seq = effective_widths_node(arch)
    r = min(arch.dim, arch.input_dim) if arch.rank_lift is None else arch.rank_lift
    reduced = r < min(arch.dim, arch.input_dim)
    prefix = (
        f"Neural ODE with n = {arch.input_dim}, m = {arch.dim}, rank A = {r}: unified effective widths "
        f"{_fmt(seq)} (phi_T is a width-m diffeomorphism) [D]. "
    )
    return _decide(
        seq,
        kind="neural_ode",
        activation=arch.activation,
        reduced=reduced,
        bottleneck=graph_bottleneck((arch.input_dim, arch.dim, arch.dim, 1)),
        affine=False,
        prefix=prefix,
        prefix_tags=frozenset({"D"}),
    )


def _predict_resnet(arch: ResNetArchitecture) -> Prediction:
    seq, counts = _resnet_blocks(arch)
    parts, names = [], []
    if counts["R1"]:
        rule = "delta = 0" if arch.residual == 0 else "delta * Lip(sigma) * ||W_k||_2 < |eps|"
        parts.append(f"{counts['R1']} block(s) are diffeomorphisms by R1 ({rule})")
        names.append("R1")
    if counts["R2"]:
        parts.append(f"{counts['R2']} block(s) have eps = 0 and act as MLP layers (R2)")
        names.append("R2")
    if counts["R3"]:
        why = "no weight bound given" if arch.weight_bound is None else "R1 does not apply"
        parts.append(f"{counts['R3']} block(s) are hidden augmentations d -> 2d -> d (R3; {why})")
        names.append("R3")
    if counts["zero"]:
        parts.append(f"{counts['zero']} block(s) have eps = delta = 0 and output 0")
    prefix = (
        f"ResNet n0 = {arch.input_dim}, d = {arch.width}, {arch.blocks} blocks, eps = {arch.skip:g}, "
        f"delta = {arch.residual:g}: "
        + ("; ".join(parts) if parts else "no blocks")
        + f" [D]; effective widths {_fmt(seq)}. "
    )
    return _decide(
        seq,
        kind="resnet",
        activation=arch.activation,
        reduced=False,
        bottleneck=graph_bottleneck(seq),
        affine=False,
        prefix=prefix,
        prefix_tags=frozenset({"D"}),
        prefix_names=tuple(names),
    )


def predict(arch: Architecture | Any, *, rtol: float = 1e-6) -> Prediction:
    """What the theorems allow an architecture or a built model (THEORY.md 3.2-3.3).

    Args:
        arch: an `MLPArchitecture`, `ResNetArchitecture`, `NeuralODEArchitecture`, or a morsenet model
            (MLP, ResNet, NeuralODE) whose actual ranks, spectral norms and read-out are read off its weights.
        rtol: relative tolerance for numerical rank (singular values <= rtol * largest count as 0).

    Returns:
        A `Prediction`.

    Raises:
        MorsenetError: for an invalid architecture or an object that is neither an architecture nor a model.
    """
    if isinstance(arch, MLPArchitecture):
        return _predict_mlp(arch)
    if isinstance(arch, ResNetArchitecture):
        return _predict_resnet(arch)
    if isinstance(arch, NeuralODEArchitecture):
        return _predict_node(arch)
    if isinstance(arch, MorseModel):
        return predict(architecture_of(arch, rtol=rtol))
    raise MorsenetError(f"predict needs an architecture or a morsenet model, got {type(arch).__name__}")
