"""Render a theory assessment (`Assessment.to_dict()`) generically, as HTML and as Markdown.

The assessment's exact fields belong to `morsenet.analysis`; this module shows the headline fields it knows
(verdict, agreement, prediction, explanation, critical points) and lists any other field as it comes.
"""

from __future__ import annotations

import html
import json
from typing import Any

HEADLINE = ("verdict", "agree", "prediction", "explanation", "critical_points")


def _text(value: Any, limit: int = 400) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (str, int, bool)) or value is None:
        return str(value)
    if isinstance(value, (list, tuple)) and all(isinstance(v, (int, float)) for v in value) and len(value) <= 6:
        return "(" + ", ".join(_text(v) for v in value) + ")"
    text = json.dumps(value, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# Columns shown first in the critical-point table when present; other keys stay in "all fields".
POINT_COLUMNS = ("location", "kind", "value", "index", "eigenvalues", "gradient_norm", "continuum")


def _prediction(d: dict[str, Any]) -> tuple[str | None, str | None]:
    pred, expl = d.get("prediction"), d.get("explanation")
    if isinstance(pred, dict):
        expl = expl or pred.get("explanation")
        pred = pred.get("cls") or pred.get("class") or pred.get("label") or pred.get("name") or _text(pred)
    return (None if pred is None else str(pred)), (None if expl is None else str(expl))


def critical_points(d: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The critical points of an assessment dict: a list under "critical_points", or its "points" list."""
    cps = (d or {}).get("critical_points")
    if isinstance(cps, dict):
        cps = cps.get("points")
    return [p for p in (cps or []) if isinstance(p, dict)]


def critical_point_summary(d: dict[str, Any]) -> str | None:
    cps = d.get("critical_points")
    return str(cps["summary"]) if isinstance(cps, dict) and cps.get("summary") else None


def critical_point_rows(d: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    points = critical_points(d)
    cols = [c for c in POINT_COLUMNS if any(c in p for p in points)]
    if not cols:
        for p in points:
            cols += [k for k in p if k not in cols]
    return cols, [[_text(p.get(c), 120) for c in cols] for p in points]


def _rest(d: dict[str, Any]) -> list[tuple[str, str]]:
    out = []
    for k, v in d.items():
        if k in HEADLINE or v is None or v == []:
            continue
        if isinstance(v, dict) and v.get("summary"):
            v = v["summary"]
        elif isinstance(v, list) and all(isinstance(x, str) for x in v):
            v = "; ".join(v)
        out.append((k, _text(v)))
    return out


def assessment_html(d: dict[str, Any] | None, note: str | None = None) -> str:
    """HTML fragment for the "Theory and topology" section of one model."""
    e = html.escape
    if d is None:
        return f'<p class="note">{e(note or "no theory assessment")}</p>'
    parts = []
    if d.get("verdict"):
        agree = d.get("agree")
        badge = (
            ""
            if agree is None
            else (f'<span class="badge {"ok" if agree else "bad"}">{"agrees" if agree else "disagrees"}</span> ')
        )
        parts.append(f'<p class="verdict">{badge}{e(str(d["verdict"]))}</p>')
    pred, expl = _prediction(d)
    if pred:
        parts.append(f"<p><b>Theory predicts:</b> {e(pred)}</p>")
    if expl:
        parts.append(f"<p>{e(expl)}</p>")
    cols, rows = critical_point_rows(d)
    summary = critical_point_summary(d)
    if rows:
        head = "".join(f"<th>{e(c)}</th>" for c in cols)
        body = "".join("<tr>" + "".join(f"<td>{e(v)}</td>" for v in r) + "</tr>" for r in rows)
        parts.append(
            f"<p><b>Critical points found:</b> {e(summary or str(len(rows)))}</p><table><thead><tr>"
            f"{head}</tr></thead><tbody>{body}</tbody></table>"
        )
    elif "critical_points" in d:
        parts.append(f"<p><b>Critical points found:</b> {e(summary or 'none')}</p>")
    rest = _rest(d)
    if rest:
        body = "".join(f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in rest)
        parts.append(f'<table class="kv">{body}</table>')
    if note:
        parts.append(f'<p class="note">{e(note)}</p>')
    return "\n".join(parts)


def assessment_markdown(d: dict[str, Any] | None, note: str | None = None) -> str:
    """Markdown for the "Theory and topology" section of one model."""
    if d is None:
        return f"_{note or 'no theory assessment'}_"
    lines = []
    if d.get("verdict"):
        agree = d.get("agree")
        flag = "" if agree is None else ("**agrees** - " if agree else "**disagrees** - ")
        lines.append(f"{flag}{d['verdict']}")
    pred, expl = _prediction(d)
    if pred:
        lines.append(f"**Theory predicts:** {pred}")
    if expl:
        lines.append(expl)
    cols, rows = critical_point_rows(d)
    summary = critical_point_summary(d)
    if rows:
        lines.append(f"**Critical points found:** {summary or len(rows)}\n")
        lines.append(
            "| "
            + " | ".join(cols)
            + " |\n|"
            + "|".join("---" for _ in cols)
            + "|\n"
            + "\n".join("| " + " | ".join(v.replace("|", "\\|") for v in r) + " |" for r in rows)
        )
    elif "critical_points" in d:
        lines.append(f"**Critical points found:** {summary or 'none'}")
    lines += [f"- **{k}**: {v}" for k, v in _rest(d)]
    return "\n\n".join(lines)
