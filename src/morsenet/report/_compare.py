"""Compare run folders: the same models of two or more runs side by side, as one self-contained HTML page.

Models are matched by name (every name common to all runs) or by an explicit list, whose items are a name
present in every run or `a=b[=c...]` (model a of the first run, b of the second, ...), so that runs of
different studies compare too. Everything is read from the run folders (metrics.json and the checkpoints).
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import __version__
from .._progress import Phase
from .._validation import atomic_write_text
from ..errors import MorsenetError
from ._analyze import ModelAnalysis, Resolutions, analyze_model
from ._build import _box_cache
from ._document import Block, Cell, Document, Figure, Paragraph, Row, Section, Table
from ._figures import plane_points, safe_name
from ._run import ModelEntry, RunFolder, read_run
from ._summary import summary_rows
from ._writers import render_html

__all__ = ["Comparison", "CompareRow", "compare_runs", "match_models", "render_compare_table"]


@dataclass(frozen=True)
class CompareRow:
    """One model of one run, as the comparison shows it (every value already in words)."""

    model: str  # the matched name (the first run's)
    run: str  # the run's label
    name: str  # the model's name in that run
    cells: dict[str, str]

    def __getitem__(self, column: str) -> str:
        return self.cells[column]


COLUMNS = (
    "test accuracy",
    "best epoch",
    "parameters",
    "predicted class",
    "can enclose",
    "critical points found",
    "winding number",
    "disk region",
    "theory vs measurement",
)
SHORT = {"test accuracy": "accuracy", "critical points found": "critical points", "theory vs measurement": "verdict"}


@dataclass
class Comparison:
    """What `compare_runs` built: the runs, the matched model names per run, the rows and the page."""

    runs: list[RunFolder]
    labels: list[str]
    matches: list[tuple[str, ...]]  # per matched model: its name in each run
    rows: list[CompareRow]
    html: Path | None = None
    figure: Path | None = None

    def __repr__(self) -> str:
        return (
            f"Comparison({len(self.runs)} runs: {', '.join(self.labels)}; {len(self.matches)} models; page {self.html})"
        )


def _labels(runs: Sequence[RunFolder]) -> list[str]:
    out: list[str] = []
    for k, run in enumerate(runs):
        label = run.path.name
        out.append(label if label not in out else f"{label} ({k + 1})")
    return out


def match_models(runs: Sequence[RunFolder], models: str | Sequence[str] | None = None) -> list[tuple[str, ...]]:
    """The models to compare: per match, its name in each run (in the runs' order).

    Args:
        runs: the parsed run folders.
        models: None (every name common to all runs, in the first run's order), or names / `a=b` items as a
            list or one comma-separated string.

    Raises:
        MorsenetError: for an unknown name, a wrong number of `=` parts, or no common model.
    """
    names = [[e.name for e in run.models] for run in runs]
    if models is None:
        common = [n for n in names[0] if all(n in other for other in names[1:])]
        if not common:
            listing = "; ".join(f"{r.path.name}: {', '.join(n)}" for r, n in zip(runs, names))
            raise MorsenetError(
                f"the runs have no model name in common ({listing}); pass --models a=b,... to pair them"
            )
        return [(n,) * len(runs) for n in common]
    items = [m.strip() for m in (models.split(",") if isinstance(models, str) else models) if m.strip()]
    if not items:
        raise MorsenetError("--models is empty; give names (a,b) or pairs (a=b), comma-separated")
    out = []
    for item in items:
        parts = [p.strip() for p in item.split("=")]
        if len(parts) == 1:
            parts = parts * len(runs)
        if len(parts) != len(runs):
            raise MorsenetError(f"--models item {item!r} names {len(parts)} models for {len(runs)} runs")
        for part, run, known in zip(parts, runs, names):
            if part not in known:
                raise MorsenetError(f"run {run.path.name!r} has no model {part!r}; it has {', '.join(known)}")
        out.append(tuple(parts))
    return out


def _entry(run: RunFolder, name: str) -> ModelEntry:
    return next(e for e in run.models if e.name == name)


def _num(v: Any, spec: str) -> str:
    return "-" if v is None or (isinstance(v, float) and math.isnan(v)) else format(v, spec)


def _rows(match: tuple[str, ...], labels: list[str], runs: list[RunFolder], analyses: list[ModelAnalysis | None]):
    out = []
    for label, run, name, a in zip(labels, runs, match, analyses):
        m = run.metrics["models"][name]
        acc = m.get("best_test_accuracy")
        cells = {
            "test accuracy": _num(acc, ".3f") if acc is not None else f"MSE {_num(m.get('best_test_loss'), '.3g')}",
            "best epoch": _num(m.get("best_epoch"), "d"),
            "parameters": str(m.get("parameters", "-")),
        }
        if a is not None:
            s = summary_rows([a])[0]
            cells.update({c: s[c] for c in COLUMNS[3:]})
        else:
            cells.update({c: "-" for c in COLUMNS[3:]})
        out.append(CompareRow(match[0], label, name, cells))
    return out


def boundary_figure(grid: Sequence[Sequence[ModelAnalysis | None]], labels: Sequence[str], names: Sequence[str]) -> Any:
    """Decision boundaries, one row per matched model and one column per run, on one shared probability
    colour scale (one colour bar for all); critical points and the tunnel marked. None without a 2-D model."""
    from matplotlib.figure import Figure as MplFigure

    from .. import plotting as P

    rows = [(n, r) for n, r in zip(names, grid) if any(a is not None and a.prediction is not None for a in r)]
    if not rows:
        return None
    ncols = len(labels)
    fig = MplFigure(figsize=(3.6 * ncols + 1.2, 3.5 * len(rows) + 0.6))
    image = None
    for i, (name, row) in enumerate(rows):
        for j, a in enumerate(row):
            ax = fig.add_subplot(len(rows), ncols, i * ncols + j + 1)
            if a is None or a.prediction is None:
                ax.set_axis_off()
                continue
            P.plot_decision_boundary(
                a.prediction,
                ax,
                data=a.data,
                critical_points=plane_points(a) or None,
                tunnel=a.tunnel,
                colorbar=False,
                legend=False,
                title=f"{name} · {labels[j]}",
            )
            ax.title.set_fontsize(9)
            image = ax.images[0] if ax.images else image
    P.grid_spacing(fig, right=1.2, wspace=0.35, hspace=0.45)
    if image is not None:
        cax = fig.add_axes((1 - 0.95 / fig.get_size_inches()[0], 0.15, 0.18 / fig.get_size_inches()[0], 0.7))
        fig.colorbar(image, cax=cax, label="probability of class 1 (shared scale)")
    P.enlarge_text(fig, P.readable_fontsize(fig.get_size_inches()[0], px=8.0))
    return fig


def _document(c: Comparison, seconds: float) -> Document:
    runs = Table.of(
        ("run", "folder", "study", "started", "quick", "models"),
        [
            [
                label,
                str(run.path),
                run.study_name,
                str(run.manifest.get("started", "-")),
                "yes" if run.manifest.get("quick") else "no",
                str(len(run.models)),
            ]
            for label, run in zip(c.labels, c.runs)
        ],
    )
    blocks: list[Block] = [
        Paragraph(
            f"{len(c.runs)} runs · {len(c.matches)} matched models · morsenet {__version__} · built in "
            f"{seconds:.1f} s from the run folders' metrics.json and checkpoints",
            "meta",
        ),
        Section("Runs", (runs,), anchor="runs", toc="Runs"),
    ]
    if c.figure is not None:
        fig = Figure(
            "Decision boundaries side by side",
            "One row per model, one column per run, all on the same box and the same colour scale (probability "
            "of class 1: blue 0, white 0.5, orange 1); the 0.5 contour in black, critical points by kind, the "
            "ring dashed and the class-0 region around the disk outlined (magenta: tunnel, with its narrowest "
            "chord; lime: bounded).",
            c.figure,
            (c.figure,),
        )
        blocks.append(Section("Decision boundaries", (fig,), anchor="boundaries", toc="Decision boundaries"))
    table_rows = []
    for r in c.rows:
        cells = [Cell(r.model), Cell(r.run), *(Cell(r[col]) for col in COLUMNS)]
        disagree = r["theory vs measurement"].startswith("DISAGREE")
        table_rows.append(Row(tuple(cells), css="disagree" if disagree else ""))
    blocks.append(
        Section(
            "Models side by side",
            (
                Paragraph(
                    "Metrics (epochs count from 1), the theory's class and whether it allows a closed boundary, "
                    "the critical points found, the winding number, the disk's region with the narrowest tunnel "
                    "width, and the verdict, per model and run."
                ),
                Table(("model", "run", *COLUMNS), tuple(table_rows), css="theory"),
            ),
            anchor="models",
            toc="Models side by side",
        )
    )
    title = " vs ".join(c.labels)
    return Document(
        f"morsenet compare: {title}", f"Compare {title}", tuple(blocks), base=c.html.parent if c.html else None
    )


def default_out(runs: Sequence[RunFolder]) -> Path:
    stem = "-vs-".join(safe_name(r.path.name) for r in runs)
    return runs[0].path.parent / f"compare-{stem[:120]}"


def compare_runs(
    run_dirs: Sequence[str | Path],
    *,
    models: str | Sequence[str] | None = None,
    out: str | Path | None = None,
    theory: bool = True,
    resolutions: Resolutions | None = None,
    dpi: int = 110,
    progress: bool | None = None,
) -> Comparison:
    """Compare the models of two or more run folders; writes `out/compare.html` (self-contained) and its figure.

    Args:
        run_dirs: run folders written by `morsenet run`.
        models: which models, matched across the runs (see `match_models`); default every common name.
        out: the folder for compare.html and figures/ (default: compare-<A>-vs-<B> next to the first run).
        theory: run the theory assessment (critical points, winding number, tunnel) of each model.
        resolutions: analysis grids (default `Resolutions.quick()`: a comparison is a quick look).
        dpi: PNG resolution of the figure.
        progress: a progress bar on stderr (None: only on a terminal).

    Raises:
        MorsenetError: for fewer than two runs, a folder that is not a run folder, or models that do not match.
    """
    t0 = time.perf_counter()
    if len(run_dirs) < 2:
        raise MorsenetError(f"compare needs at least two run folders, got {len(run_dirs)}")
    runs = [read_run(p) for p in run_dirs]
    labels = _labels(runs)
    matches = match_models(runs, models)
    resolutions = resolutions or Resolutions.quick()
    entries = [[_entry(run, name) for run, name in zip(runs, match)] for match in matches]
    with Phase("compare", len(matches) * len(runs), enabled=_enabled(progress)) as bar:
        boxes: list[tuple[tuple[float, float], ...]] = []
        analyses: list[list[ModelAnalysis]] = []
        for row in entries:
            done = []
            for e in row:
                bar.note(f"{e.name}")
                done.append(analyze_model(e, resolutions=resolutions, theory=theory))
                bar.step(f"analysed {e.name}")
            analyses.append(done)
            boxes += [a.box for a in done if a.input_dim == 2]
    grid: list[list[ModelAnalysis | None]] = [list(row) for row in analyses]
    c = Comparison(runs, labels, matches, [r for m, row in zip(matches, grid) for r in _rows(m, labels, runs, row)])
    folder = Path(out) if out is not None else default_out(runs)
    if folder.exists() and not folder.is_dir():
        raise MorsenetError(f"--out {str(folder)!r} exists and is not a folder")
    folder.mkdir(parents=True, exist_ok=True)
    c.html = folder / "compare.html"
    if boxes:
        shared = tuple((min(b[k][0] for b in boxes), max(b[k][1] for b in boxes)) for k in range(2))
        grid = _on_shared_box(entries, analyses, shared, resolutions, theory)
    fig = boundary_figure(grid, labels, [m[0] for m in matches])
    if fig is not None:
        from .. import plotting as P

        c.figure = P.save_figure(fig, folder / "figures" / "boundaries", dpi=dpi)[0]
    atomic_write_text(c.html, render_html(_document(c, time.perf_counter() - t0)))
    return c


def _on_shared_box(
    entries: list[list[ModelEntry]],
    grid: list[list[ModelAnalysis]],
    box: tuple[tuple[float, float], ...],
    resolutions: Resolutions,
    theory: bool,
) -> list[list[ModelAnalysis | None]]:
    """The 2-D models re-analysed on `box` when their own boxes differ (one box for every panel)."""
    if all(a.box == box for row in grid for a in row if a.input_dim == 2):
        return [list(row) for row in grid]
    flat = [e for row in entries for e in row]
    cache = _box_cache(flat, box)
    return [
        [analyze_model(e, resolutions=resolutions, theory=theory, cache=cache) if a.input_dim == 2 else a
         for e, a in zip(erow, arow)]
        for erow, arow in zip(entries, grid)
    ]  # fmt: skip


def _enabled(progress: bool | None) -> bool:
    from .._progress import wanted

    return wanted(progress)


def _terse(column: str, text: str) -> str:
    """A cell as the terminal shows it: zero counts dropped, the disk region without its ring fraction."""
    if column == "critical points found":
        main, _, rest = text.partition(" (")
        counts = ", ".join(p for p in main.split(", ") if not p.startswith("0 "))
        extra = rest.rstrip(")")
        if extra and not extra.startswith("0 "):
            counts = f"{counts} ({extra})"
        return counts.strip() or "none"
    if column == "disk region":
        return text.split(";")[0]
    return text


def render_compare_table(c: Comparison, *, width: int = 120) -> str:
    """The comparison as a plain-text table for the terminal (long cells shortened to fit `width`)."""
    columns = ("model", "run", *COLUMNS)
    heads = [SHORT.get(col, col) for col in columns]
    rows = [[r.model, r.run, *(_terse(col, r[col]) for col in COLUMNS)] for r in c.rows]
    limit = max(10, width // 4)

    def cut(s: str) -> str:
        s = re.sub(r"\s+", " ", s)
        return s if len(s) <= limit else s[: limit - 1] + "…"

    rows = [[cut(x) for x in r] for r in rows]
    widths = [max(len(h), *(len(r[k]) for r in rows)) for k, h in enumerate(heads)]
    line = lambda cells: "  ".join(x.ljust(w) for x, w in zip(cells, widths)).rstrip()  # noqa: E731
    out = [line(heads), line(["-" * w for w in widths])]
    previous = None
    for r in rows:
        out.append(line([r[0] if r[0] != previous else "", *r[1:]]))
        previous = r[0]
    return "\n".join(out)
