"""The "Theory versus measurement" table (one row per model) and the note on the prototype's bottleneck claim.

Both read the typed `Assessment` of each model, and the theory's `Prediction` for models it does not cover.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from torch import Tensor

from ..analysis import Assessment, CriticalPointSearch, TunnelAnalysis
from ..plotting._marks import undecided_label as undecided
from ..theory import Prediction
from ._analyze import ModelAnalysis
from ._document import Block, Cell, Paragraph, Row, Section, Table

COLUMNS = (
    "model",
    "predicted class",
    "can enclose",
    "theorems [provenance]",
    "critical points found",
    "winding number",
    "disk region",
    "theory vs measurement",
)
KIND_SHORT = (("minimum", "min"), ("maximum", "max"), ("saddle", "saddle"), ("degenerate", "degenerate"))
WARNING = "\u26a0"


def _yes_no(value: bool | None) -> str:
    return {True: "yes", False: "no (tunnel forced)"}.get(value, "unknown") if value is not None else "unknown"


def _theorems(pred: Prediction | None) -> str:
    if pred is None:
        return "-"
    names = ", ".join(pred.theorems) or "-"
    tags = ",".join(pred.provenance)
    return f"{names} [{tags}]" if tags else names


def numerically_degenerate(d: Assessment) -> str:
    """The numerically degenerate finding with its singular value (float64 cannot decide: not a disagreement)."""
    s = d.numerically_degenerate_sigma_min
    sigma = "below float64 resolution" if s is None else f"1e{s:.1f}"
    return (
        f"numerically degenerate: smallest singular value of the layer-Jacobian product {sigma} "
        "(float64 cannot resolve it; not a disagreement)"
    )


def _critical(d: Assessment | None) -> str:
    if d is None:
        return "-"
    cps = d.critical_points
    if cps.flat:
        return "constant: every point critical"
    complete = cps.completeness_summary()
    if d.measured == "numerically_degenerate":
        return f"{numerically_degenerate(d)}; {complete}"
    text = ", ".join(f"{cps.counts.get(k, 0)} {short}" for k, short in KIND_SHORT)
    cont = cps.n_continua
    return f"{text} ({cont} {'continuum' if cont == 1 else 'continua'}); {complete}"


def _winding(d: Assessment | None, a: ModelAnalysis) -> str:
    if d is None:
        return "-"
    if a.input_dim != 2:
        return "n/a (not 2-D)"
    return "undefined (grad = 0 on the circle)" if d.winding is None else str(d.winding)


def _percent(x: float | None) -> str:
    return "-" if x is None or math.isnan(x) else f"{100 * x:.1f}%"


def _region(d: Assessment | None, a: ModelAnalysis) -> str:
    if d is None:
        return "-"
    t3 = a.tunnel_3d
    if t3 is not None:  # the 3-D tunnel test on the data's ball and shell
        return t3.summary()
    if a.input_dim != 2:
        return "n/a (not 2-D)"
    if not a.ring_data:
        return "n/a (not a disk-inside-ring data set)"
    t = d.tunnel
    if t is None:
        return "not measured"
    if t.status == "no_inner_region":
        return "centre classified 1 (no inner region)"
    frac = t.ring_points_fraction_class0
    ring = (
        f"ring test points classified 0: {_percent(frac)}"
        if frac is not None
        else f"ring area classified 0: {_percent(t.ring_area_fraction_class0)}"
    )
    frame = " (measured in the disk-and-ring frame)" if d.tunnel_frame == "disk_ring" else ""
    if t.status == "tunnel":
        width = t.narrowest_width
        thin = ", thinner than the grid" if t.thin else ""
        return f"tunnel (narrowest width {'-' if width is None else f'{width:.3g}'}{thin}){frame}; {ring}"
    if t.status == "bounded":
        return f"bounded{frame}; {ring}"
    return f"{undecided(t)}{frame}; {ring}"  # anything else is no verdict: never shown as bounded


def _verdict(a: ModelAnalysis) -> tuple[bool | None, str]:
    d = a.assessment
    if d is None:
        return None, f"not assessed ({a.theory_note or 'no assessment'})"
    if d.agree:
        return True, "agree"
    return False, f"DISAGREE: {'; '.join(d.reasons) or d.verdict}"


@dataclass(frozen=True)
class SummaryRow:
    """One model's row of the summary table: its cells (in COLUMNS order) and whether theory and model agree."""

    cells: dict[str, str]
    agree: bool | None

    def __getitem__(self, column: str) -> str:
        return self.cells[column]


def summary_rows(analyses: Sequence[ModelAnalysis]) -> list[SummaryRow]:
    """One row per model."""
    rows = []
    for a in analyses:
        pred, d = a.prediction_theory, a.assessment
        agree, verdict = _verdict(a)
        cells = {
            "model": a.name,
            "predicted class": "-" if pred is None else pred.cls,
            "can enclose": "-" if pred is None else _yes_no(pred.can_enclose),
            "theorems [provenance]": _theorems(pred),
            "critical points found": _critical(d),
            "winding number": _winding(d, a),
            "disk region": _region(d, a),
            "theory vs measurement": verdict,
        }
        rows.append(SummaryRow(cells, agree))
    return rows


INTRO = (
    "What the theorems allow each model (THEORY.md 3.1; the tags say where each statement comes from) against "
    "what its trained weights show: critical points of the logit in the plot box by kind (a continuum is a "
    "line of degenerate critical points), the winding number of the gradient on the circle around the "
    "origin whose radius is the disk's (nonzero certifies a critical point inside), and whether the class-0 "
    "region around the disk is bounded or escapes through a tunnel (L4), with the narrowest tunnel width and "
    "the fraction of class-1 ring test points classified 0. The critical points end with the list's completeness: "
    '"complete (index-certified)" when the index bookkeeping closed on every cell of the box, else "at least N" '
    '(a lower bound, with the cells left unresolved); "numerically degenerate" marks points float64 cannot '
    "resolve (with the smallest singular value of the layer-Jacobian product), which are no disagreement. A "
    "tunnel test that certified neither a tunnel (a checked class-0 path to the box edge) nor an enclosure (a "
    'checked class-1 closed curve) reads "undecided (reason)". DISAGREE means a measurement contradicts a '
    "statement that holds for every weight choice."
)


def summary_section(analyses: Sequence[ModelAnalysis]) -> Section:
    """The "Theory versus measurement" section: the introduction, an alarm on disagreement, the table."""
    rows = summary_rows(analyses)
    blocks: list[Block] = [Paragraph(INTRO)]
    bad = [r["model"] for r in rows if r.agree is False]
    if bad:
        blocks.append(Paragraph(f"{WARNING} {len(bad)} model(s) DISAGREE with the theory: {', '.join(bad)}.", "alarm"))
    table = []
    for r in rows:
        cells = [Cell(r[c]) for c in COLUMNS]
        if r.agree is False:
            cells[0] = Cell(r["model"], bold=True)
            cells[-1] = Cell(f"{WARNING} {r[COLUMNS[-1]]}", bold=True, css="verdict-cell")
            table.append(Row(tuple(cells), css="disagree"))
        else:
            cells[-1] = Cell(r[COLUMNS[-1]], css="agree" if r.agree else "")
            table.append(Row(tuple(cells)))
    blocks.append(Table(COLUMNS, tuple(table), css="theory"))
    return Section("Theory versus measurement", tuple(blocks), anchor="theory", toc="Theory versus measurement")


# ----- the prototype's bottleneck claim (THEORY.md 5.4, T3(b), L5) -----


def _fmt_point(v: Tensor | Sequence[float]) -> str:
    return "(" + ", ".join(f"{float(x):.3g}" for x in v) + ")"


def _bottleneck_dip(pred: Prediction) -> str:
    seq = list(pred.effective_widths)
    if len(seq) < 2:
        return ""
    n0 = seq[0]
    p = next((i for i in range(1, len(seq)) if seq[i] > seq[i - 1]), None)
    dip = min(seq[:p]) if p else min(seq[1:])
    return (
        f" (here the effective widths [{','.join(map(str, seq))}] drop to {dip} < n0 = {n0} before the first widening)"
        if dip < n0
        else ""
    )


def _found(cps: CriticalPointSearch) -> tuple[list[str], bool, bool]:
    """What the search found, in words; and whether it found degenerate and non-degenerate points."""
    continua = [p for p in cps.points if p.continuum]
    isolated = [p for p in cps.points if p.degenerate and not p.continuum]
    nondeg = [p for p in cps.points if not p.degenerate]
    found = []
    if cps.flat:
        found.append("the logit is constant on the box, so every point is a (degenerate) critical point")
    for p in continua[:4]:
        span = (
            f", running from {_fmt_point(p.members[0])} to {_fmt_point(p.members[-1])}"
            if p.members is not None and len(p.members)
            else ""
        )
        null = p.null_directions
        direction = f", null direction {_fmt_point(null[0])}" if null is not None and len(null) else ""
        found.append(
            f"a line of degenerate critical points through {_fmt_point(p.location)}{direction}{span} "
            f"(logit {p.value:.3g})"
        )
    if len(continua) > 4:
        found.append(f"{len(continua) - 4} more such lines")
    if isolated:
        found.append(
            f"{len(isolated)} isolated degenerate critical point(s), e.g. at {_fmt_point(isolated[0].location)}"
        )
    if nondeg:
        kinds = ", ".join(sorted({p.kind for p in nondeg}))
        found.append(f"{len(nondeg)} NON-degenerate critical point(s) ({kinds}), which T3(b) rules out")
    return found, bool(continua or isolated or cps.flat), bool(nondeg)


def _region_sentence(t: TunnelAnalysis | None) -> tuple[str, bool | None]:
    if t is None:
        return "The tunnel test does not apply to this model's data.", None
    if t.status == "no_inner_region":
        return "The disk's centre is classified 1, so there is no inner region to test.", None
    if t.status == "tunnel":
        width = t.narrowest_width
        angles = ", ".join(f"{math.degrees(x):.0f} deg" for x in t.crossing_angles) or "n/a"
        return (
            f"Its class-0 region around the disk is not enclosed: it escapes through a tunnel (crossing the "
            f"ring at {angles}, narrowest width {'-' if width is None else f'{width:.3g}'}), and "
            f"{_percent(t.ring_points_fraction_class0)} of the ring's test points are classified 0."
        ), True
    if t.status != "bounded":
        return f"The tunnel test is {undecided(t)}: neither a tunnel nor an enclosure is certified.", None
    return "Its class-0 region around the disk is bounded: the ring encloses it, which T3(b)/L4 rule out.", False


def bottleneck_claim(a: ModelAnalysis) -> list[str] | None:
    """Paragraphs (plain text) on the notebook's bottleneck claim for a `degenerate_forced` model, else None."""
    pred = a.prediction_theory
    if pred is None or pred.cls != "degenerate_forced":
        return None
    claim = (
        'The prototype notebook claims that a bottleneck "cannot generate a singular point". THEORY.md '
        "(5.4, T3(b), L5) says it can: after a bottleneck" + _bottleneck_dip(pred) + " every critical point "
        "is degenerate, and critical points come as whole lines (fibres) of degenerate critical points, which "
        "are unbounded; what a bottleneck cannot do is enclose a bounded region, so on the disk-inside-ring "
        "data it must leave a tunnel (L4)."
    )
    d = a.assessment
    if d is None:
        return [
            claim,
            f"This model was not assessed ({a.theory_note or 'no assessment'}), so the measurement "
            "decides nothing here.",
        ]
    cps = d.critical_points
    found, degenerate, nondeg = _found(cps)
    measured = f"This trained model: the critical-point search ({cps.n_starts} starts)" + (
        " found " + "; ".join(found) + "." if found else " found no critical point in the box."
    )
    region, enclosure = _region_sentence(d.tunnel if a.ring_data else None)
    if nondeg or enclosure is False:
        verdict = (
            "Which statement this supports: neither. The measurement contradicts THEORY.md (see the "
            "DISAGREE verdict), and a non-degenerate critical point or a bounded basin would refute the "
            "notebook too; suspect numerics (saturated neurons, grid resolution) before the theorem."
        )
    elif degenerate:
        verdict = (
            "Which statement this supports: THEORY.md. The bottleneck did generate singular points, as "
            "degenerate critical points (lines), so the notebook's claim is false for this very model"
            + ("; and, as THEORY.md says, they do not enclose the disk." if enclosure else ".")
        )
    else:
        verdict = (
            "Which statement this supports: on singular points, neither decisively: these weights happen to "
            "have no critical point in the box, which matches the notebook's observation, but by T3(a)/(b) "
            "lines of degenerate critical points occur for an open set of bottleneck weights (THEORY.md 4.3 "
            "gives one), so the notebook's general claim is still wrong."
            + (" On enclosure it supports THEORY.md: no bounded region, a tunnel instead." if enclosure else "")
        )
    return [claim, measured + " " + region, verdict]


def bottleneck_section(a: ModelAnalysis) -> Section | None:
    """The bottleneck claim as a (sub-)section, or None."""
    paragraphs = bottleneck_claim(a)
    if paragraphs is None:
        return None
    return Section("The prototype's bottleneck claim", tuple(Paragraph(p) for p in paragraphs))


# ----- the same summary as JSON (summary.json next to report.html), in the field's vocabulary -----


def summary_json(analyses: Sequence[ModelAnalysis], metrics: dict) -> dict:
    """Per model what the "Theory versus measurement" table says, as data: the field's names, epochs from 1.

    Keys per model: test_accuracy, val_accuracy, selection ("test": the prototype protocol, the model chosen on
    the test set; "validation"), best_epoch, class, can_enclose, theorems, critical_points (counts by kind and
    continua, completeness, measured, numerically_degenerate_sigma_min_log10), winding_number, disk_region
    (status: tunnel, bounded, undecided, no inner region or None; frame; undecided_reason; narrowest_width;
    ring_points_classified_0), agrees, verdict.
    """
    out: dict = {"models": {}}
    for a, row in zip(analyses, summary_rows(analyses)):
        pred, d = a.prediction_theory, a.assessment
        record = metrics.get("models", {}).get(a.name, {})
        region = None
        t = None if d is None or not a.ring_data else d.tunnel
        if t is not None:
            frac = t.ring_points_fraction_class0
            region = {
                "frame": d.tunnel_frame if d is not None else "data",
                "undecided_reason": t.undecided_reason or None if t.status == "undecided" else None,
                "status": {"no_inner_region": "no inner region"}.get(t.status, t.status),
                "narrowest_width": t.narrowest_width if t.status == "tunnel" else None,
                "ring_points_classified_0": None if frac is None or math.isnan(frac) else frac,
            }
        t3 = a.tunnel_3d
        if t3 is not None:  # 3-D: the ball's class-0 region and the box's surface
            frac = t3.ring_points_fraction_class0
            region = {
                "frame": "data",
                "undecided_reason": t3.undecided_reason or None if t3.verdict == "undecided" else None,
                "status": {"no_inner_region": "no inner region"}.get(t3.verdict, t3.verdict),
                "narrowest_width": None,
                "ring_points_classified_0": None if frac is None or math.isnan(frac) else frac,
            }
        counts = None
        if d is not None:
            cps = d.critical_points
            counts = {
                **{k: cps.counts.get(k, 0) for k, _ in KIND_SHORT},
                "continua": cps.n_continua,
                "completeness": cps.completeness,
                "completeness_summary": cps.completeness_summary(),
                "measured": d.measured,
                "numerically_degenerate_sigma_min_log10": d.numerically_degenerate_sigma_min,
            }
        out["models"][a.name] = {
            "test_accuracy": record.get("test_accuracy", record.get("best_test_accuracy")),
            "val_accuracy": record.get("val_accuracy"),
            "selection": record.get("selection", "test"),
            "best_epoch": record.get("best_epoch"),
            "class": None if pred is None else pred.cls,
            "can_enclose": None if pred is None else pred.can_enclose,
            "theorems": row["theorems [provenance]"],
            "critical_points": counts,
            "winding_number": None if d is None or a.input_dim != 2 else d.winding,
            "disk_region": region,
            "agrees": row.agree,
            "verdict": row["theory vs measurement"],
        }
        if a.stages is not None and a.stages.traces:  # staged training: does each injected critical point survive?
            out["models"][a.name]["injections"] = [
                {"x0": list(t.x0), "block": t.block, "survives": t.survives, "distance": t.nearest_distance[-1],
                 "radius": t.radius, "verdict": t.verdict} for t in a.stages.traces
            ]  # fmt: skip
    return out
