"""The "Theory versus measurement" table (one row per model) and the note on the prototype's bottleneck claim.

Both read the assessment as `Assessment.to_dict()` (what crosses process boundaries in `build_report`), and
the theory's prediction (`Prediction.to_dict()`) for models the assessment does not cover.
"""

from __future__ import annotations

import html
import math
from typing import Any

from ._analyze import ModelAnalysis

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


def _prediction(a: ModelAnalysis) -> dict[str, Any] | None:
    pred = (a.assessment or {}).get("prediction")
    return pred if isinstance(pred, dict) else a.theory


def _yes_no(value: Any) -> str:
    return {True: "yes", False: "no (tunnel forced)"}.get(value, "unknown")


def _theorems(pred: dict[str, Any] | None) -> str:
    if not pred:
        return "-"
    names = ", ".join(str(t) for t in pred.get("theorems") or ()) or "-"
    tags = ",".join(str(t) for t in pred.get("provenance") or ())
    return f"{names} [{tags}]" if tags else names


def _critical(d: dict[str, Any] | None) -> str:
    cps = (d or {}).get("critical_points")
    if not isinstance(cps, dict):
        return "-"
    if cps.get("flat"):
        return "constant: every point critical"
    counts = cps.get("counts") or {}
    if not counts:  # an older or foreign dict: count the listed points
        for p in cps.get("points") or []:
            counts[p.get("kind")] = counts.get(p.get("kind"), 0) + 1
    cont = cps.get("n_continua")
    if cont is None:
        cont = sum(bool(p.get("continuum")) for p in cps.get("points") or [])
    text = ", ".join(f"{int(counts.get(k, 0))} {short}" for k, short in KIND_SHORT)
    return f"{text} ({int(cont)} {'continuum' if cont == 1 else 'continua'})"


def _winding(d: dict[str, Any] | None, a: ModelAnalysis) -> str:
    if d is None:
        return "-"
    if a.input_dim != 2:
        return "n/a (not 2-D)"
    w = d.get("winding")
    return "undefined (grad = 0 on the circle)" if w is None else str(w)


def _percent(x: float | None) -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{100 * x:.1f}%"


def _region(d: dict[str, Any] | None, a: ModelAnalysis) -> str:
    if d is None:
        return "-"
    if a.input_dim != 2:
        return "n/a (not 2-D)"
    if not a.ring_data:
        return "n/a (not a disk-inside-ring data set)"
    t = d.get("tunnel")
    if not isinstance(t, dict):
        return "not measured"
    if t.get("centre_class") != 0:
        return "centre classified 1 (no inner region)"
    frac = t.get("ring_points_fraction_class0")
    ring = (
        f"ring test points classified 0: {_percent(frac)}"
        if frac is not None
        else f"ring area classified 0: {_percent(t.get('ring_area_fraction_class0'))}"
    )
    if t.get("tunnel"):
        width = t.get("narrowest_width")
        thin = ", thinner than the grid" if t.get("thin") else ""
        return f"tunnel (narrowest width {'-' if width is None else f'{width:.3g}'}{thin}); {ring}"
    return f"bounded; {ring}"


def _verdict(a: ModelAnalysis) -> tuple[bool | None, str]:
    d = a.assessment
    if d is None:
        return None, f"not assessed ({a.theory_note or 'no assessment'})"
    agree = d.get("agree")
    if agree is None:
        return None, "-"
    if agree:
        return True, "agree"
    reasons = "; ".join(str(r) for r in d.get("reasons") or ()) or str(d.get("verdict", ""))
    return False, f"DISAGREE: {reasons}"


def summary_rows(analyses: list[ModelAnalysis]) -> list[dict[str, Any]]:
    """One row per model: column name -> text, plus "_agree" (True, False or None)."""
    rows = []
    for a in analyses:
        pred, d = _prediction(a), a.assessment
        agree, verdict = _verdict(a)
        rows.append(
            {
                "model": a.name,
                "predicted class": (pred or {}).get("cls", "-"),
                "can enclose": _yes_no((pred or {}).get("can_enclose")) if pred else "-",
                "theorems [provenance]": _theorems(pred),
                "critical points found": _critical(d),
                "winding number": _winding(d, a),
                "disk region": _region(d, a),
                "theory vs measurement": verdict,
                "_agree": agree,
            }
        )
    return rows


INTRO = (
    "What the theorems allow each model (THEORY.md 3.1; the tags say where each statement comes from) against "
    "what its trained weights show: critical points of the logit in the plot box by kind (a continuum is a "
    "line of degenerate critical points), the winding number of the gradient on the circle around the "
    "origin whose radius is the disk's (nonzero certifies a critical point inside), and whether the class-0 "
    "region around the disk is bounded or escapes through a tunnel (L4), with the narrowest tunnel width and "
    "the fraction of class-1 ring test points classified 0. DISAGREE means a measurement contradicts a "
    "statement that holds for every weight choice."
)


def _disagreeing(rows: list[dict[str, Any]]) -> list[str]:
    return [r["model"] for r in rows if r["_agree"] is False]


def summary_markdown(analyses: list[ModelAnalysis]) -> str:
    rows = summary_rows(analyses)
    out = [INTRO, ""]
    bad = _disagreeing(rows)
    if bad:
        out += [f"**{WARNING} {len(bad)} model(s) DISAGREE with the theory: {', '.join(bad)}.**", ""]
    out += ["| " + " | ".join(COLUMNS) + " |", "|" + "|".join("---" for _ in COLUMNS) + "|"]
    for r in rows:
        cells = [str(r[c]).replace("|", "\\|") for c in COLUMNS]
        if r["_agree"] is False:
            cells[-1] = f"**{WARNING} {cells[-1]}**"
            cells[0] = f"**{cells[0]}**"
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


SUMMARY_CSS = """
table.theory td.agree{background:#e8f5e9}
table.theory tr.disagree td{background:#fde0e0}
table.theory tr.disagree td.verdict-cell{background:#c62828;color:#fff;font-weight:700}
p.alarm{background:#c62828;color:#fff;font-weight:700;padding:.4rem .6rem;border-radius:3px}
"""


def summary_html(analyses: list[ModelAnalysis]) -> str:
    e = html.escape
    rows = summary_rows(analyses)
    parts = [f"<p>{e(INTRO)}</p>"]
    bad = _disagreeing(rows)
    if bad:
        parts.append(
            f'<p class="alarm">{WARNING} {len(bad)} model(s) DISAGREE with the theory: {e(", ".join(bad))}.</p>'
        )
    head = "".join(f"<th>{e(c)}</th>" for c in COLUMNS)
    body = []
    for r in rows:
        cells = [f"<td>{e(str(r[c]))}</td>" for c in COLUMNS[:-1]]
        verdict = e(str(r[COLUMNS[-1]]))
        if r["_agree"] is False:
            cells[0] = f"<td><b>{e(r['model'])}</b></td>"
            cells.append(f'<td class="verdict-cell"><b>{WARNING} {verdict}</b></td>')
            body.append('<tr class="disagree">' + "".join(cells) + "</tr>")
        else:
            cls = ' class="agree"' if r["_agree"] else ""
            cells.append(f"<td{cls}>{verdict}</td>")
            body.append("<tr>" + "".join(cells) + "</tr>")
    parts.append(f'<table class="theory"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>')
    return "\n".join(parts)


# ----- the prototype's bottleneck claim (THEORY.md 5.4, T3(b), L5) -----


def _fmt_point(v: Any) -> str:
    try:
        return "(" + ", ".join(f"{float(x):.3g}" for x in v) + ")"
    except (TypeError, ValueError):
        return str(v)


def _bottleneck_dip(pred: dict[str, Any]) -> str:
    seq = [int(v) for v in pred.get("effective_widths") or ()]
    if len(seq) < 2:
        return ""
    n0 = seq[0]
    p = next((i for i in range(1, len(seq)) if seq[i] > seq[i - 1]), None)
    dip = min(seq[:p]) if p else min(seq[1:])
    return (
        (
            f" (here the effective widths [{','.join(map(str, seq))}] drop to {dip} < n0 = {n0} before the first "
            "widening)"
        )
        if dip < n0
        else ""
    )


def bottleneck_claim(a: ModelAnalysis) -> list[str] | None:
    """Paragraphs (plain text) on the notebook's bottleneck claim for a `degenerate_forced` model, else None."""
    pred = _prediction(a)
    if not pred or pred.get("cls") != "degenerate_forced":
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
    cps = d.get("critical_points") if isinstance(d.get("critical_points"), dict) else {}
    points = [p for p in cps.get("points") or [] if isinstance(p, dict)]
    continua = [p for p in points if p.get("continuum")]
    isolated = [p for p in points if p.get("kind") == "degenerate" and not p.get("continuum")]
    nondeg = [p for p in points if p.get("kind") != "degenerate"]
    found = []
    if cps.get("flat"):
        found.append("the logit is constant on the box, so every point is a (degenerate) critical point")
    for p in continua[:4]:
        ext = p.get("extent") or {}
        span = (
            f", running from {_fmt_point(ext['first'])} to {_fmt_point(ext['last'])}"
            if ext.get("first") is not None and ext.get("last") is not None
            else ""
        )
        null = p.get("null_directions")
        direction = f", null direction {_fmt_point(null[0])}" if null else ""
        found.append(
            f"a line of degenerate critical points through {_fmt_point(p.get('location'))}{direction}"
            f"{span} (logit {float(p.get('value', float('nan'))):.3g})"
        )
    if len(continua) > 4:
        found.append(f"{len(continua) - 4} more such lines")
    if isolated:
        found.append(
            f"{len(isolated)} isolated degenerate critical point(s), e.g. at {_fmt_point(isolated[0].get('location'))}"
        )
    if nondeg:
        kinds = ", ".join(sorted({str(p.get("kind")) for p in nondeg}))
        found.append(f"{len(nondeg)} NON-degenerate critical point(s) ({kinds}), which T3(b) rules out")
    n_starts = cps.get("n_starts")
    measured = (
        "This trained model: the critical-point search"
        + (f" ({n_starts} starts)" if n_starts else "")
        + (" found " + "; ".join(found) + "." if found else " found no critical point in the box.")
    )
    t = d.get("tunnel") if a.ring_data and isinstance(d.get("tunnel"), dict) else None
    if t is None:
        region = "The tunnel test does not apply to this model's data."
        enclosure = None
    elif t.get("centre_class") != 0:
        region = "The disk's centre is classified 1, so there is no inner region to test."
        enclosure = None
    elif t.get("tunnel"):
        width = t.get("narrowest_width")
        angles = ", ".join(f"{float(x):.0f} deg" for x in t.get("crossing_angles_deg") or ()) or "n/a"
        region = (
            f"Its class-0 region around the disk is not enclosed: it escapes through a tunnel (crossing the "
            f"ring at {angles}, narrowest width {'-' if width is None else f'{width:.3g}'}), and "
            f"{_percent(t.get('ring_points_fraction_class0'))} of the ring's test points are classified 0."
        )
        enclosure = True
    else:
        region = "Its class-0 region around the disk is bounded: the ring encloses it, which T3(b)/L4 rule out."
        enclosure = False
    if nondeg or enclosure is False:
        verdict = (
            "Which statement this supports: neither. The measurement contradicts THEORY.md (see the "
            "DISAGREE verdict), and a non-degenerate critical point or a bounded basin would refute the "
            "notebook too; suspect numerics (saturated neurons, grid resolution) before the theorem."
        )
    elif continua or isolated or cps.get("flat"):
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


def bottleneck_markdown(a: ModelAnalysis) -> str | None:
    paragraphs = bottleneck_claim(a)
    return None if paragraphs is None else "#### The prototype's bottleneck claim\n\n" + "\n\n".join(paragraphs)


def bottleneck_html(a: ModelAnalysis) -> str | None:
    paragraphs = bottleneck_claim(a)
    if paragraphs is None:
        return None
    return "<h4>The prototype's bottleneck claim</h4>" + "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
