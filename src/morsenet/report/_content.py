"""What a report holds once everything is computed and drawn, and the document built from it (written once)."""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from typing import Any

from torch import Tensor

from ._analyze import ModelAnalysis, Resolutions
from ._claims import check_claims, r1_text, report_spec
from ._document import Block, Code, Document, Fields, Figure, Paragraph, Section, Table
from ._figures import FigureFile
from ._run import RunFolder
from ._summary import bottleneck_section, numerically_degenerate, summary_section
from ._tables import metrics_table


@dataclass
class Report:
    run: RunFolder
    analyses: list[ModelAnalysis]
    model_figures: dict[str, list[FigureFile]]
    comparison: list[FigureFile]
    resolutions: Resolutions
    built: str
    version: str
    seconds: float = 0.0
    box: tuple[tuple[float, float], ...] | None = None  # `--box` or the study's report.box, when given
    box_source: str = ""  # where `box` came from: "--box" or "the study's report.box"
    figures: str = "all"  # the figure set drawn: "all" or "core" (see `report._figures.EXTRA_FIGURES`)

    def __repr__(self) -> str:
        figures = sum(len(v) for v in self.model_figures.values()) + len(self.comparison)
        return (
            f"Report({str(self.run.path)!r}, {len(self.analyses)} models, {figures} figures, "
            f"built {self.built} in {self.seconds:.1f} s)"
        )

    @property
    def study(self) -> dict[str, Any]:
        try:
            return tomllib.loads(self.run.study_text) if self.run.study_text else {}
        except tomllib.TOMLDecodeError:
            return {}

    @property
    def description(self) -> str:
        return str(self.study.get("description", "")).strip()

    def seed_lines(self) -> list[tuple[str, str]]:
        """(what, seed) pairs: every seed the run and the report used."""
        out = []
        seeds = self.run.manifest.get("seeds") or {}
        if "study" in seeds:
            out.append(("study seed", str(seeds["study"])))
        for label, s in (seeds.get("datasets") or {}).items():
            out.append((f"data set {label}", str(s)))
        for name, record in self.run.metrics.get("models", {}).items():
            attempts = [a.get("seed") for a in record.get("attempts", [])]
            out.append(
                (
                    f"model {name}",
                    f"kept attempt seed {record.get('seed')}; attempt seeds "
                    f"{json.dumps(attempts)}; data set {record.get('dataset', {}).get('name')} with "
                    f"{json.dumps(record.get('dataset', {}).get('params', {}), sort_keys=True)}",
                )
            )
        out.append(("report analyses", "deterministic grids (no randomness); theory assessment seed 0"))
        return out

    def reproduce_snippet(self, a: ModelAnalysis) -> str:
        spec = a.meta.get("dataset") or a.entry.metrics.get("dataset") or {}
        box = tuple(tuple(round(v, 6) for v in side) for side in a.box)
        lines = [
            "import morsenet",
            "from morsenet.analysis import jacobian_grid, prediction_grid, weight_spectra",
            f'model = morsenet.load("{a.entry.checkpoint.relative_to(self.run.path).as_posix()}")',
            f'data = morsenet.get_dataset("{spec.get("name")}", **{json.dumps(spec.get("params", {}))})',
            "spectra = weight_spectra(model)",
        ]
        if a.input_dim == 2:
            r = self.resolutions
            lines += [
                f"box = {box}",
                f"grid = prediction_grid(model, box, {r.prediction}, task=data.task)",
                f"jac = jacobian_grid(model, box, {r.jacobian}, layer=model.n_layers)",
            ]
        elif a.input_dim == 1:
            lines += [
                "from morsenet.analysis import prediction_curve",
                f"curve = prediction_curve(model, {box[0]}, {self.resolutions.curve}, task=data.task)",
            ]
        return "\n".join(lines)


# ----- the document -----

POINT_COLUMNS = ("location", "kind", "logit", "Morse index", "Hessian eigenvalues", "|grad f|", "degenerate continuum")


def _num(v: float) -> str:
    return f"{v:.4g}"


def _vec(t: Tensor) -> str:
    return "(" + ", ".join(_num(float(x)) for x in t.reshape(-1)) + ")"


def _yes_no(v: bool | None, yes: str = "yes", no: str = "no") -> str | None:
    return None if v is None else (yes if v else no)


def assessment_blocks(a: ModelAnalysis) -> list[Block]:
    """The "Theory and topology" blocks of one model: verdict, prediction, critical points, the other findings.

    Everything is named as a researcher would (class, can enclose, winding number, encloses the disk), never by
    the fields of the result objects.
    """
    d = a.assessment
    if d is None:
        return [Paragraph(a.theory_note or "no theory assessment", "note")]
    pred = d.prediction
    out: list[Block] = [
        Paragraph(d.verdict, "verdict", badge=("agrees" if d.agree else "disagrees", d.agree)),
        Paragraph(
            f"**Theory predicts:** class `{pred.cls}`; can enclose: "
            f"{_yes_no(pred.can_enclose, 'yes', 'no (a tunnel is forced)') or 'unknown'}"
        ),
        Paragraph(pred.explanation),
    ]
    cps = d.critical_points
    out.append(Paragraph(f"**Critical points found:** {cps.summary()} ({cps.completeness_summary()})"))
    if cps.points:
        rows = [
            [_vec(p.location), p.kind, _num(p.value), str(p.index), _vec(p.eigenvalues), _num(p.gradient_norm),
             "yes" if p.continuum else "no"]
            for p in cps.points
        ]  # fmt: skip
        out.append(Table.of(POINT_COLUMNS, rows))
    winding = None
    if a.input_dim == 2:
        winding = (
            "undefined (the gradient vanishes on the circle)"
            if d.winding is None
            else f"{d.winding} (gradient around the circle of radius {_num(d.winding_radius)} about the origin)"
        )
    frame = (
        " (measured in the disk-and-ring frame of the standardised data: circles around 0, original units)"
        if d.tunnel_frame == "disk_ring"
        else ""
    )
    rest = [
        ("decision regions", None if d.regions is None else d.regions.summary()),
        ("tunnel test", None if d.tunnel is None else d.tunnel.summary() + frame),
        ("winding number", winding),
        ("measured", numerically_degenerate(d) if d.measured == "numerically_degenerate" else d.measured),
        ("encloses the disk", _yes_no(d.encloses)),
        ("R1 (trained, BatchNorm folded)", r1_text(a.model)),
        ("why it disagrees" if not d.agree else "reasons", "; ".join(d.reasons) or None),
        ("notes", "; ".join(d.notes) or None),
    ]
    out.append(Fields(tuple((k, v) for k, v in rest if v is not None)))
    if a.theory_note:
        out.append(Paragraph(a.theory_note, "note"))
    return out


def _box_text(box: tuple[tuple[float, float], ...]) -> str:
    return " × ".join(f"[{lo:g}, {hi:g}]" for lo, hi in box)


def _anchor(name: str) -> str:
    return "model-" + "".join(c if c.isalnum() else "-" for c in name)


def _figure(f: FigureFile) -> Figure:
    return Figure(f.title, f.caption, f.png, f.files)


def _model_section(r: Report, a: ModelAnalysis) -> Section:
    figs = r.model_figures.get(a.name, [])
    blocks: list[Block] = [
        Paragraph(
            f"{a.model.describe()}; data set `{a.data.name}` ({a.input_dim}-D, {a.data.task}); analysis box "
            f"{_box_text(a.box)}."
        )
    ]
    blocks += [Paragraph(n, "note") for n in a.notes]
    grouped = ("evolution", "inside_")  # figures shown in their own sections below
    blocks += [_figure(f) for f in figs if not f.key.startswith(grouped)]
    theory: list[Block] = assessment_blocks(a)
    claim = bottleneck_section(a)
    if claim is not None:
        theory.append(claim)
    blocks.append(Section("Theory and topology", tuple(theory)))
    inside = [_figure(f) for f in figs if f.key.startswith("inside_")]
    if inside:
        blocks.append(Section("Inside the network", tuple(inside)))
    evolution = [_figure(f) for f in figs if f.key.startswith("evolution")]
    if evolution:
        blocks.append(Section("Training evolution", tuple(evolution)))
    blocks.append(Code(r.reproduce_snippet(a), "regenerate these results", "python"))
    return Section(f"Model `{a.name}`", tuple(blocks), anchor=_anchor(a.name), toc=a.name)


def claims_section(r: Report) -> list[Block]:
    """The "Claims checked" section: the study's `[[report.claims]]` against this run (none without claims)."""
    checks = check_claims(report_spec(r.study).claims, r.analyses)
    if not checks:
        return []
    rows = [[f"`{c.claim.model}`: {c.claim.expect.replace('_', ' ')}", c.claim.source or "-", c.run, c.result,
             c.verdict] for c in checks]  # fmt: skip
    text = Paragraph(
        "Each claim of the study's sources against this run's tunnel test and critical-point search; "
        "undecided: the test could not decide, the list of critical points is only a lower bound, or the run "
        "lacks the model."
    )
    table = Table.of(("claim", "source", "run", "this run's result", "verdict"), rows)
    return [Section("Claims checked", (text, table), anchor="claims", toc="Claims checked")]


def report_document(r: Report) -> Document:
    """The run report as one document (the HTML and the Markdown writers render it)."""
    m, res = r.run.manifest, r.resolutions
    meta = (
        f"run folder {r.run.path.name} · morsenet {m.get('morsenet_version', '?')} · torch "
        f"{m.get('torch_version', '?')} · python {m.get('python', '?')} · started {m.get('started', '?')} · "
        f"finished {m.get('finished', '?')}{' · **quick run**' if m.get('quick') else ''} · report built "
        f"{r.built} in {r.seconds:.1f} s · report.html embeds every figure, report.md links the files"
    )
    study: list[Block] = [Paragraph(r.description)] if r.description else []
    if r.figures == "core":
        study.append(
            Paragraph(
                "**Core figures only** (the figure set of a quick run): the side-by-side comparisons, where every "
                "model's decision boundary, gradient norm and training curves are drawn (once, there), and the "
                "study's own topic figures; the per-model maps (the hidden layer's singular values among them), "
                "the data, surface, escape and weight figures, the level sets (unless the study sets "
                "report.levels), the training evolution, the layer-resolved maps and the neural-ODE flows are left "
                "out; every table and verdict is complete. `morsenet report "
                f"RUN --figures all` (RUN: this run's folder, `{r.run.path.name}`) draws them all."
            )
        )
    if r.run.study_text:
        study.append(Code(r.run.study_text, "study.toml (resolved)", "toml"))
    seeds = (
        Fields(tuple(r.seed_lines())),
        Paragraph(
            f"Grids: decision boundary, level sets and surface {res.prediction}×{res.prediction}; singular-value "
            f"maps {res.jacobian}×{res.jacobian}; snapshots {res.snapshot}×{res.snapshot}; 1-D curves {res.curve} "
            f"points; box = "
            + (
                f"{_box_text(r.box)} (given by {r.box_source or '--box'}) for the models with {len(r.box)} inputs"
                + (
                    ""
                    if all(len(a.box) == len(r.box) for a in r.analyses)
                    else ", the data's box + margin for the others"
                )
                if r.box is not None
                else f"the data's bounding box widened by {res.margin} on every side (each model's box is stated in "
                "its section)"
            )
            + f". Rebuild this report from the checkpoints, without retraining: `morsenet report {r.run.path.name}`"
            + (f" (options: --box, --resolution N; this report: --resolution {res.prediction})")
            + "."
        ),
    )
    sections: list[Block] = [
        Paragraph(meta, "meta"),
        Section("Study", tuple(study), anchor="study", toc="Study"),
        summary_section(r.analyses),
        *claims_section(r),
        Section("Metrics", (metrics_table(r.run.metrics),), anchor="metrics", toc="Metrics"),
        Section("Seeds and reproduction", seeds, anchor="seeds", toc="Seeds and reproduction"),
    ]
    if r.comparison:
        figs = tuple(_figure(f) for f in r.comparison)
        sections.append(Section("Comparison", figs, anchor="comparison", toc="Comparison"))
    sections += [_model_section(r, a) for a in r.analyses]
    name = r.run.study_name
    return Document(f"morsenet report: {name}", f"Study `{name}`", tuple(sections), base=r.run.path)
