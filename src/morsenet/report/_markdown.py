"""report.md: the same content as report.html, linking the figure files instead of embedding them."""

from __future__ import annotations

from pathlib import Path

from ._assessment import assessment_markdown
from ._content import Report
from ._figures import FigureFile
from ._summary import bottleneck_markdown, summary_markdown
from ._tables import describe_model, render_metrics_table


def _figure(f: FigureFile, base: Path) -> str:
    others = ", ".join(f"[{p.suffix[1:]}]({p.relative_to(base).as_posix()})" for p in f.files[1:])
    return (
        f"![{f.title}]({f.png.relative_to(base).as_posix()})\n\n*{f.title}.* {f.caption}"
        + (f" Also: {others}." if others else "")
        + "\n"
    )


def render_markdown(r: Report) -> str:
    base, m = r.run.path, r.run.manifest
    out = [
        f"# Study `{r.run.study_name}`",
        "",
        f"Run folder `{base.name}`; morsenet {m.get('morsenet_version', '?')}, torch {m.get('torch_version', '?')}, "
        f"python {m.get('python', '?')}; started {m.get('started', '?')}, finished {m.get('finished', '?')}"
        f"{'; quick run' if m.get('quick') else ''}. Report built {r.built}. The same report with every "
        "figure embedded: `report.html`.",
        "",
    ]
    if r.description:
        out += [r.description, ""]
    out += ["## Theory versus measurement", "", summary_markdown(r.analyses), ""]
    out += ["## Metrics", "", render_metrics_table(r.run.metrics, "markdown"), "", "## Seeds and reproduction", ""]
    out += [f"- **{k}**: {v}" for k, v in r.seed_lines()]
    out += ["", f"Rebuild the report from the checkpoints without retraining: `morsenet report {base.name}`.", ""]
    if r.comparison:
        out += ["## Comparison", ""]
        out += [_figure(f, base) for f in r.comparison]
    for a in r.analyses:
        out += [
            f"## Model `{a.name}`",
            "",
            f"{describe_model(a.model.config())}; data set `{a.data.name}` ({a.input_dim}-D, {a.data.task}).",
            "",
        ]
        out += [f"> {n}\n" for n in a.notes]
        figs = r.model_figures.get(a.name, [])
        out += [_figure(f, base) for f in figs if not f.key.startswith("evolution")]
        if a.assessment is not None or a.theory_note:
            out += ["### Theory and topology", "", assessment_markdown(a.assessment, a.theory_note), ""]
        claim = bottleneck_markdown(a)
        if claim:
            out += [claim, ""]
        evolution = [f for f in figs if f.key.startswith("evolution")]
        if evolution:
            out += ["### Training evolution", ""] + [_figure(f, base) for f in evolution]
        out += [
            "<details><summary>regenerate these results</summary>",
            "",
            "```python",
            r.reproduce_snippet(a),
            "```",
            "",
            "</details>",
            "",
        ]
    return "\n".join(out)
