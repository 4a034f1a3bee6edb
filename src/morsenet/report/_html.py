"""report.html: one self-contained file (CSS inline, images as base64 data URIs, no external URL)."""

from __future__ import annotations

import base64
import html
from pathlib import Path

from ._assessment import assessment_html
from ._content import Report
from ._figures import FigureFile
from ._summary import SUMMARY_CSS, bottleneck_html, summary_html
from ._tables import describe_model, render_metrics_table

CSS = (
    """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;max-width:1200px;
padding:1rem 2rem;color:#222;line-height:1.45}
h1{margin-bottom:.2rem}h2{border-bottom:2px solid #ddd;padding-bottom:.2rem;margin-top:2.2rem}
nav ul{columns:3;list-style:none;padding:0}nav a{text-decoration:none}
table{border-collapse:collapse;font-size:.85rem;margin:.6rem 0}th,td{border:1px solid #ccc;padding:.25rem .5rem;
text-align:left;vertical-align:top}thead th{background:#f3f3f3}table.metrics td:nth-child(n+4){text-align:right}
figure{margin:1rem 0 1.6rem}figure img{max-width:100%;height:auto;border:1px solid #eee}
figcaption{font-size:.85rem;color:#555}.files{font-size:.75rem;color:#777}
pre{background:#f7f7f7;padding:.6rem;overflow-x:auto;font-size:.8rem}.note{color:#8a5a00;font-style:italic}
.verdict{font-size:1.05rem;font-weight:600}.badge{border-radius:3px;padding:.05rem .4rem;color:#fff;font-size:.8rem}
.badge.ok{background:#2e7d32}.badge.bad{background:#c62828}.meta{color:#666;font-size:.85rem}
"""
    + SUMMARY_CSS
)

MIME = {".png": "image/png", ".gif": "image/gif"}


def data_uri(path: Path) -> str:
    return f"data:{MIME[path.suffix]};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def _figure(f: FigureFile, base: Path) -> str:
    e = html.escape
    links = " ".join(f'<a href="{e(p.relative_to(base).as_posix())}">{e(p.suffix[1:])}</a>' for p in f.files)
    return (
        f'<figure id="{e(f.png.relative_to(base).as_posix())}"><img src="{data_uri(f.png)}" '
        f'alt="{e(f.title)}"><figcaption><b>{e(f.title)}.</b> {e(f.caption)} '
        f'<span class="files">[{links}]</span></figcaption></figure>'
    )


def _anchor(name: str) -> str:
    return "model-" + "".join(c if c.isalnum() else "-" for c in name)


def render_html(r: Report) -> str:
    e, base = html.escape, r.run.path
    m = r.run.manifest
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>morsenet report: {e(r.run.study_name)}</title><style>{CSS}</style></head><body>",
        f"<h1>Study <code>{e(r.run.study_name)}</code></h1>",
        f'<p class="meta">run folder {e(base.name)} &middot; morsenet {e(str(m.get("morsenet_version", "?")))} '
        f"&middot; torch {e(str(m.get('torch_version', '?')))} &middot; python {e(str(m.get('python', '?')))}"
        f" &middot; started {e(str(m.get('started', '?')))} &middot; finished {e(str(m.get('finished', '?')))}"
        f"{' &middot; <b>quick run</b>' if m.get('quick') else ''} &middot; report built {e(r.built)} "
        f"in {r.seconds:.1f} s</p>",
    ]
    toc = [
        '<li><a href="#study">Study</a></li>',
        '<li><a href="#theory">Theory versus measurement</a></li>',
        '<li><a href="#metrics">Metrics</a></li>',
        '<li><a href="#seeds">Seeds and reproduction</a></li>',
    ]
    if r.comparison:
        toc.append('<li><a href="#comparison">Comparison</a></li>')
    toc += [f'<li><a href="#{_anchor(a.name)}">{e(a.name)}</a></li>' for a in r.analyses]
    out.append(f"<nav><ul>{''.join(toc)}</ul></nav>")
    out.append('<section id="study"><h2>Study</h2>')
    if r.description:
        out.append(f"<p>{e(r.description)}</p>")
    if r.run.study_text:
        out.append(f"<details><summary>study.toml (resolved)</summary><pre>{e(r.run.study_text)}</pre></details>")
    out.append("</section>")
    out.append(f'<section id="theory"><h2>Theory versus measurement</h2>{summary_html(r.analyses)}</section>')
    out.append(f'<section id="metrics"><h2>Metrics</h2>{render_metrics_table(r.run.metrics, "html")}</section>')
    seeds = "".join(f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in r.seed_lines())
    res = r.resolutions
    out.append(
        f'<section id="seeds"><h2>Seeds and reproduction</h2><table class="kv">{seeds}</table>'
        f"<p>Grids: decision boundary, level sets and surface {res.prediction}&times;{res.prediction}; "
        f"singular-value maps {res.jacobian}&times;{res.jacobian}; snapshots {res.snapshot}&times;"
        f"{res.snapshot}; 1-D curves {res.curve} points; box = data bounding box + {res.margin}. "
        f"Rebuild this report from the checkpoints, without retraining: <code>morsenet report "
        f"{e(base.name)}</code>.</p></section>"
    )
    if r.comparison:
        out.append('<section id="comparison"><h2>Comparison</h2>')
        out += [_figure(f, base) for f in r.comparison]
        out.append("</section>")
    for a in r.analyses:
        out.append(f'<section id="{_anchor(a.name)}"><h2>Model <code>{e(a.name)}</code></h2>')
        out.append(
            f"<p>{e(describe_model(a.model.config()))}; data set <code>{e(a.data.name)}</code> "
            f"({a.input_dim}-D, {e(a.data.task)}).</p>"
        )
        out += [f'<p class="note">{e(n)}</p>' for n in a.notes]
        figs = r.model_figures.get(a.name, [])
        out += [_figure(f, base) for f in figs if not f.key.startswith("evolution")]
        if a.assessment is not None or a.theory_note:
            out.append(f"<h3>Theory and topology</h3>{assessment_html(a.assessment, a.theory_note)}")
        claim = bottleneck_html(a)
        if claim:
            out.append(claim)
        evolution = [f for f in figs if f.key.startswith("evolution")]
        if evolution:
            out.append("<h3>Training evolution</h3>")
            out += [_figure(f, base) for f in evolution]
        out.append(
            f"<details><summary>regenerate these results</summary><pre>{e(r.reproduce_snippet(a))}</pre>"
            "</details></section>"
        )
    out.append("</body></html>")
    return "\n".join(out) + "\n"
