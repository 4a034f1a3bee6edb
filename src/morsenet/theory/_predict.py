"""The decision procedure of THEORY.md 3.2/3.3: effective widths, classification, and a plain-language verdict."""

from __future__ import annotations

from dataclasses import asdict, dataclass
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
from ._from_model import architecture_of

CLASSES = ("none", "morse_generic", "degenerate_mixed", "degenerate_forced", "constant", "unsupported")

_TAG_ORDER = "PSRDCNX"


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

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["effective_widths"] = list(self.effective_widths)
        d["provenance"] = list(self.provenance)
        d["theorems"] = list(self.theorems)
        return d


# --------------------------------------------------------------------------------------------------------------
# 3.2 effective widths and 3.3 classifier (pure functions of integer sequences)


def _ffnn_layer(seq: list[int], n_in: int, n_out: int, rank: int | None) -> bool:
    """Append an FFNN layer n_in -> n_out of the given rank to `seq`; True when a virtual layer was inserted."""
    full = min(n_in, n_out)
    r = full if rank is None else rank
    if r < full:
        seq.append(r)
        seq.append(n_out)
        return True
    seq.append(n_out)
    return False


def effective_widths_mlp(widths: tuple[int, ...], ranks: tuple[int, ...] | None = None) -> tuple[int, ...]:
    """Effective width sequence of an FFNN (THEORY.md 3.2); a rank-0 read-out ends the sequence with 0."""
    seq = [widths[0]]
    last = len(widths) - 1
    for l in range(1, last + 1):
        r = None if ranks is None else ranks[l - 1]
        if l == last and r == 0:
            seq.append(0)  # zero read-out: [..., n_L, 0] as in test vector 21
        else:
            _ffnn_layer(seq, widths[l - 1], widths[l], r)
    return tuple(seq)


def effective_widths_node(arch: NeuralODEArchitecture) -> tuple[int, ...]:
    n, m = arch.input_dim, arch.dim
    r = min(m, n) if arch.rank_lift is None else arch.rank_lift
    seq = [n] + ([r] if r < min(m, n) else []) + [m, m] + [1 if arch.readout_nonzero else 0]
    return tuple(seq)


def _resnet_blocks(arch: ResNetArchitecture) -> tuple[tuple[int, ...], dict[str, int]]:
    """Effective widths of a ResNet plus how many blocks fell under each rule (R1 diffeo, R2 MLP, R3 augmentation)."""
    lip = activation_info(arch.activation).lipschitz
    d = arch.width
    seq = [arch.input_dim]
    if arch.input_layer:
        _ffnn_layer(seq, arch.input_dim, d, arch.input_rank)
    counts = {"R1": 0, "R2": 0, "R3": 0, "zero": 0}
    eps, delta = arch.skip, arch.residual
    for k in range(arch.blocks):
        rank = None if arch.block_ranks is None else arch.block_ranks[k]
        bound = None if not isinstance(arch.weight_bound, tuple) else arch.weight_bound[k]
        if rank == 0:
            bound = 0.0  # W_k = 0: the block is affine
        if eps == 0:
            if delta == 0:
                seq.append(0)  # the block outputs 0: Phi constant
                counts["zero"] += 1
            else:
                _ffnn_layer(seq, d, d, rank)
                counts["R2"] += 1
        elif delta == 0 or (bound is not None and abs(delta) * lip * bound < abs(eps)):
            seq.append(d)
            counts["R1"] += 1
        else:
            seq += [2 * d, d]
            counts["R3"] += 1
    seq.append(1 if arch.readout_nonzero else 0)
    return tuple(seq), counts


def classify(seq: tuple[int, ...] | list[int]) -> str:
    """THEORY.md 3.3 on an effective width sequence (seq[0] = n0, last entry 1 or 0)."""
    seq = list(seq)
    if 0 in seq:
        return "constant"
    n0 = seq[0]
    p = next((i for i in range(1, len(seq)) if seq[i] > seq[i - 1]), None)
    if p is None:
        return "none"
    if min(seq[:p]) < n0:
        return "degenerate_forced"
    for j in range(p, len(seq)):
        if seq[j] < n0 and any(seq[k] > seq[j] for k in range(j + 1, len(seq))):
            return "degenerate_mixed"
    return "morse_generic"


def can_enclose_rule(seq: tuple[int, ...] | list[int]) -> bool:
    """[D] rule: True exactly when a width > n0 appears before any width < n0 (and no width is 0)."""
    if 0 in seq:
        return False
    n0 = seq[0]
    for w in seq[1:]:
        if w > n0:
            return True
        if w < n0:
            return False
    return False


# --------------------------------------------------------------------------------------------------------------
# explanations


def _fmt(seq: tuple[int, ...]) -> str:
    return "[" + ",".join(str(s) for s in seq) + "]"


def _dip(seq: tuple[int, ...]) -> tuple[int, int]:
    """(p, m_p): the last index before the first widening and its width."""
    p = next(i for i in range(1, len(seq)) if seq[i] > seq[i - 1])
    return p - 1, seq[p - 1]


def _sort_tags(tags: set[str]) -> tuple[str, ...]:
    return tuple(sorted(tags, key=_TAG_ORDER.index))


def _core(
    cls: str, seq: tuple[int, ...], kind: str, reduced: bool, bottleneck: bool, affine: bool
) -> tuple[str, set[str], list[str]]:
    """Explanation, tags and theorem names of the width-sequence verdict for a smooth activation."""
    n0 = seq[0]
    if cls == "constant":
        what = "lambda = 0" if kind == "neural_ode" else "a rank-0 affine map (e.g. a zero read-out)"
        return (
            f"An effective width is 0 ({what}), so Phi is constant: every point is a degenerate critical "
            "point and no level set can enclose anything [D].",
            {"D"},
            ["T4"] if kind == "mlp" else [],
        )
    if cls == "none":
        if kind == "neural_ode":
            tags = {"P"} if not reduced else {"S", "D"}
            name = "N1" if not reduced else "N3/N1"
            return (
                f"{name} (Kuehn & Kuntz, neural ODE, m <= n, full-rank lift, lambda != 0) "
                f"[{''.join(_sort_tags(tags))}]: grad Phi = A^T Dphi_T^T lambda never vanishes, so Phi has "
                "no critical points.",
                tags,
                [name],
            )
        if affine:
            return (
                "No hidden layer: Phi is affine with a nonzero gradient, so it has no critical points [D].",
                {"D"},
                ["T1"],
            )
        if kind == "resnet":
            return (
                f"The effective widths {_fmt(seq)} never widen, so by T1 applied to the unified sequence "
                "Phi has no critical points for any weights [D].",
                {"D"},
                ["T1"],
            )
        if reduced:
            return (
                f"T1 on the effective widths {_fmt(seq)} (normal form T4 [S]): never widening and full rank "
                "after factoring the rank drops, so Phi has no critical points [D].",
                {"S", "D"},
                ["T1", "T4"],
            )
        return (
            "T1 (Kuehn & Kuntz, non-augmented MLP) [P]: the widths never increase, every weight has full "
            "rank and sigma' > 0, so grad Phi = W_{L+1} D_L ... D_1 W_1 is never 0: no critical points.",
            {"P"},
            ["T1"],
        )
    if cls == "degenerate_forced":
        p, mp = _dip(seq)
        dim = n0 - mp
        base = (
            f"T3(b) [R,D]: the effective widths {_fmt(seq)} drop to {mp} < n0 = {n0} before the first "
            f"widening, so every critical point lies on a fibre (of dimension n0 - {mp} = {dim}) of the map "
            f"through layer {p} and is degenerate; critical points exist for an open set of weights, but they are "
            "unbounded (L5) and cannot enclose anything."
        )
        tags, names = {"R", "D"}, ["T3(b)", "L5"]
        if kind == "neural_ode":
            base = base.replace("T3(b) [R,D]", "N3 [S,D] (rank A < min(m, n); unified with T3(b))")
            tags, names = {"S", "D"}, ["N3", "T3(b)", "L5"]
        elif reduced:
            base += " A rank drop is what creates the dip (normal form T4 [S,D])."
            tags |= {"S"}
            names.append("T4")
        return base, tags, names
    if cls == "degenerate_mixed":
        return (
            f"T3(c) [D]: the effective widths {_fmt(seq)} widen before they dip below n0 = {n0} and widen "
            "again later, so both non-degenerate and degenerate critical points occur (each for a "
            "positive-measure set of weights): Phi is not generically Morse.",
            {"D"},
            ["T3(c)"],
        )
    # morse_generic
    if kind == "neural_ode":
        return (
            "N2 (Kuehn & Kuntz, augmented neural ODE, m > n, full-rank lift, lambda != 0) [P]: critical "
            "points are possible and for almost every weight all of them are non-degenerate.",
            {"P"},
            ["N2"],
        )
    if kind == "resnet":
        return (
            f"R3 [D]: some blocks are hidden augmentations d -> 2d -> d, so the effective widths "
            f"{_fmt(seq)} widen without dropping below n0 first; critical points are possible and "
            "generically non-degenerate (standard ResNets can embed critical points, KKW-Tunnel [P,C]).",
            {"P", "C", "D"},
            ["R3", "T2"],
        )
    if bottleneck:
        return (
            f"T2' [D]: beyond the paper's stated condition: the graph has a bottleneck, but the effective "
            f"widths {_fmt(seq)} never dip below n0 = {n0} before widening, so Phi is still generically Morse "
            "(derived here and checked numerically, not claimed by the paper).",
            {"D"},
            ["T2'"],
        )
    if reduced:
        return (
            f"T2 on the effective widths {_fmt(seq)} (normal form T4 [S]): augmented without a dip below n0, "
            "so critical points are possible and generically non-degenerate [D].",
            {"S", "D"},
            ["T2", "T4"],
        )
    return (
        "T2 (Kuehn & Kuntz, augmented MLP without bottleneck) [P]: critical points are possible for an open "
        "set of weights and for almost every weight every critical point is non-degenerate (Phi is Morse).",
        {"P"},
        ["T2"],
    )


def _enclosure_note(can: bool | None, cls: str) -> str:
    if can is False:
        if cls == "unsupported":
            return (
                " Consequence L4: a classifier that labels a disk inside a ring must leave a tunnel through the ring."
            )
        return (
            " Consequence L1/L4 [D]: no sublevel or superlevel set has a bounded component, so a classifier "
            "that labels a disk inside a ring must leave a tunnel through the ring."
        )
    if can is True:
        return " Some weights give a bounded basin, so a disk inside a ring can be enclosed."
    return ""


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
        names.append("Beise et al.")
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
