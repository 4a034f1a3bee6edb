"""The plain-language explanations of a prediction: which theorem applies and why (THEORY.md 3.3)."""

from __future__ import annotations

_TAG_ORDER = "PSRDCNX"


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
