"""build_report: run folder -> figures/, report.html and report.md, from the saved checkpoints alone."""

from __future__ import annotations

import dataclasses
import json
import math
import os
import shutil
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .. import __version__
from .._progress import Phase, wanted
from .._validation import atomic_write_text
from ..datasets import Dataset, get_dataset
from ..errors import MorsenetError
from ..models import read_checkpoint
from ..spec._report import FIGURE_SETS, MAX_RESOLUTION, MIN_RESOLUTION, check_figure_set, figure_set
from ._analyze import Resolutions
from ._comparisons import COMPARISONS
from ._content import Report, report_document
from ._figures import FigureFile
from ._jobs import ReportWorkers, run_beside, run_jobs
from ._run import ModelEntry, read_run
from ._summary import summary_json
from ._writers import render_html, render_markdown

FORMATS = ("png", "svg", "pdf")
DPI, QUICK_DPI = 150, 100


def check_formats(formats: Sequence[str] | str) -> tuple[str, ...]:
    """Validate figure formats: a subset of png, svg, pdf (png is always written: the HTML embeds it)."""
    if isinstance(formats, str):
        formats = formats.split(",")
    out = tuple(dict.fromkeys(f.strip().lower().lstrip(".") for f in formats if f.strip()))
    bad = [f for f in out if f not in FORMATS]
    if bad:
        raise MorsenetError(f"unknown figure format {bad[0]!r}; choose from {', '.join(FORMATS)} (e.g. png,svg)")
    return out or ("png",)


def _relocate(figs: list[FigureFile], old: Path, new: Path) -> list[FigureFile]:
    def move(p: Path) -> Path:
        return new / p.relative_to(old)

    return [dataclasses.replace(f, png=move(f.png), files=tuple(move(p) for p in f.files)) for f in figs]


@dataclasses.dataclass(frozen=True)
class _BoxedDataset(Dataset):
    """A data set whose analysis box is fixed (`morsenet report --box`) instead of its bounding box + margin."""

    fixed_box: tuple[tuple[float, float], ...] = ()

    def box(self, margin: float = 0.2) -> tuple[tuple[float, float], ...]:
        return self.fixed_box


def parse_box(text: str | Sequence[float] | Sequence[Sequence[float]]) -> tuple[tuple[float, float], ...]:
    """Parse "X0,X1,Y0,Y1" (or "X0,X1" for 1-D models), flat numbers or (lo, hi) pairs (a study's `report.box`)
    -> ((X0, X1), (Y0, Y1)); MorsenetError for anything else."""
    parts: list[Any] = text.split(",") if isinstance(text, str) else list(text)
    if parts and all(isinstance(p, (tuple, list)) for p in parts):
        parts = [v for pair in parts for v in pair]  # (lo, hi) pairs
    try:
        values = [float(v) for v in parts]
    except (TypeError, ValueError):
        raise MorsenetError(f"--box must be numbers X0,X1,Y0,Y1 (e.g. -2,2,-2,2), got {text!r}") from None
    if len(values) not in (2, 4, 6) or not all(math.isfinite(v) for v in values):
        raise MorsenetError(f"--box needs 2, 4 or 6 finite numbers (X0,X1[,Y0,Y1[,Z0,Z1]]), got {text!r}")
    box = tuple((values[k], values[k + 1]) for k in range(0, len(values), 2))
    if any(lo >= hi for lo, hi in box):
        raise MorsenetError(f"--box needs X0 < X1 (and Y0 < Y1), got {text!r}")
    return box


def _study_report(study_text: str) -> tuple[list | None, int | None, str | None]:
    """The `[report]` box, resolution and figure set of a run's study.toml (None for what it leaves out or cannot
    be read)."""
    import tomllib

    try:
        table = tomllib.loads(study_text).get("report") if study_text else None
    except tomllib.TOMLDecodeError:
        return None, None, None
    if not isinstance(table, dict):
        return None, None, None
    box, res, figures = table.get("box"), table.get("resolution"), table.get("figures")
    return (
        (box if isinstance(box, list) else None),
        (res if isinstance(res, int) else None),
        (figures if figures in FIGURE_SETS else None),
    )


def check_figures(figures: object) -> str:
    """`--figures`: "all" or "core"; MorsenetError for anything else."""
    return check_figure_set("--figures", figures)


def _box_cache(entries: Sequence[ModelEntry], box: tuple[tuple[float, float], ...] | None) -> dict[str, Dataset]:
    """Data sets for `analyze_model`'s cache whose box is `box` (for the models with as many inputs)."""
    cache: dict[str, Dataset] = {}
    if box is None:
        return cache
    for entry in entries:
        spec = entry.metrics.get("dataset") or {}
        name, params = spec.get("name"), dict(spec.get("params") or {})
        if not name:
            continue
        key = json.dumps([name, params], sort_keys=True, default=str)  # the key `analyze_model` looks up
        if key not in cache:
            data = get_dataset(name, **params)
            if data.input_dim == len(box):
                fields = {f.name: getattr(data, f.name) for f in dataclasses.fields(data)}
                cache[key] = _BoxedDataset(**fields, fixed_box=box)
    return cache


def build_report(
    run_dir: str | Path,
    *,
    formats: Sequence[str] = ("png",),
    progress: bool | None = False,
    dpi: int | None = None,
    resolutions: Resolutions | None = None,
    theory: bool = True,
    workers: int | ReportWorkers | None = None,
    box: str | Sequence[float] | Sequence[Sequence[float]] | None = None,
    resolution: int | None = None,
    figures: str | None = None,
) -> Path:
    """Build `figures/`, `report.html`, `report.md` and `summary.json` (the theory-versus-measurement table as
    data) of a run folder from its checkpoints (no training).

    Args:
        run_dir: a folder written by `morsenet run` (metrics.json, manifest.json, study.toml, models/).
        formats: figure formats, from png, svg, pdf; PNG is always written (report.html embeds it).
        progress: print one line per model to stderr and, on a terminal, a progress bar over the analyses and
            figures; None: both only when stderr is a terminal; False: silent.
        dpi: PNG resolution; default 150 (100 for a quick run).
        resolutions: grid sizes of the analyses; default `Resolutions()` (`Resolutions.quick()` for a quick run).
        box: the analysis box of every model with as many inputs, "X0,X1,Y0,Y1", numbers or (lo, hi) pairs (a
            study's `report.box`); default: each data set's bounding box widened by the margin (the one box policy,
            `morsenet.analysis._grid.default_search_box`).
        resolution: nodes per axis of the decision-boundary grid (the singular-value maps get 60% of it,
            snapshots 40%); overrides `resolutions`' grids.
        theory: run the theory assessment (`morsenet.analysis.assess_model`) for 1- to 3-D models.
        workers: processes drawing models in parallel; default min(models, CPU cores, 4), and 1 for a core figure
            set (a few seconds of work, less than starting the processes would cost); or `ReportWorkers` started
            ahead of time, which then work beside this process (`run_beside`). Workers are spawned,
            so a script calling this at top level (outside `if __name__ == "__main__":`) runs sequentially.
        figures: "all" (every figure) or "core" (leaves out `EXTRA_FIGURES` and the analyses only they need:
            the quick look); default: the study's `report.figures`, else core for a quick run and all otherwise.

    Returns:
        The path of report.html.

    Raises:
        MorsenetError: for a missing folder, a folder that is not a run folder, a corrupt checkpoint or an
            unknown format.
    """
    t0 = time.perf_counter()
    formats = check_formats(formats)
    run = read_run(run_dir)
    for entry in run.models:  # fail fast on a missing or corrupt checkpoint, before any drawing
        read_checkpoint(entry.checkpoint)
    quick = bool(run.manifest.get("quick"))
    resolutions = resolutions or (Resolutions.quick() if quick else Resolutions())
    # the study's own [report] box and grid, unless given here (a rebuild then matches the run's report)
    study_box, study_resolution, study_figures = _study_report(run.study_text)
    if figures is not None:
        figures = check_figures(figures)
    figures = figure_set(figures or study_figures, quick=quick)
    source = "--box" if box is not None else "the study's report.box"
    box = study_box if box is None else box
    resolution = study_resolution if resolution is None else resolution
    if resolution is not None:  # the bounds of a study's report.resolution
        if (
            isinstance(resolution, bool)
            or not isinstance(resolution, int)
            or not MIN_RESOLUTION <= resolution <= MAX_RESOLUTION
        ):
            raise MorsenetError(
                f"--resolution must be an integer from {MIN_RESOLUTION} to {MAX_RESOLUTION}, got {resolution!r}"
            )
        resolutions = dataclasses.replace(
            resolutions,
            prediction=resolution,
            jacobian=max(8, round(0.6 * resolution)),
            snapshot=max(8, round(0.4 * resolution)),
        )
    fixed = None if box is None else parse_box(box)
    cache = _box_cache(run.models, fixed)
    if fixed is not None and not cache:
        raise MorsenetError(f"--box has {len(fixed)} (lo, hi) pairs but no model of this run takes {len(fixed)} inputs")
    dpi = dpi or (QUICK_DPI if quick else DPI)
    if workers is None:  # a core figure set is seconds of work in all: starting processes would cost more
        workers = 1 if figures == "core" else min(len(run.models), os.cpu_count() or 1, 4)
    show = progress is True or (progress is None and wanted(None))
    say = (lambda s: print(f"report: {s}", file=sys.stderr, flush=True)) if show else (lambda s: None)
    bar = Phase("report", 2 * len(run.models) + len(COMPARISONS), enabled=show and wanted(None))
    building = run.path / ".figures.building"
    final = run.path / "figures"
    shutil.rmtree(building, ignore_errors=True)
    try:
        with bar:
            if isinstance(workers, ReportWorkers):
                results, comparison = run_beside(
                    run.models, building, resolutions, formats, dpi, theory, say, bar, cache, figures, workers
                )
            else:
                results, comparison = run_jobs(
                    run.models, building, resolutions, formats, dpi, theory, workers, say, bar, cache, figures
                )
        analyses = [a for a, _ in results]
        if final.exists():
            shutil.rmtree(final)
        building.rename(final)
    finally:
        shutil.rmtree(building, ignore_errors=True)
    per_model = {a.name: _relocate(figs, building, final) for a, figs in results}
    report = Report(
        run,
        analyses,
        per_model,
        _relocate(comparison, building, final),
        resolutions,
        datetime.now(UTC).isoformat(timespec="seconds"),
        __version__,
        box=fixed,
        box_source=source if fixed is not None else "",
        figures=figures,
    )
    report.seconds = time.perf_counter() - t0
    document = report_document(report)
    summary = summary_json(analyses, run.metrics)
    atomic_write_text(run.path / "summary.json", json.dumps(summary, indent=2) + "\n")
    atomic_write_text(run.path / "report.md", render_markdown(document))
    html_path = run.path / "report.html"
    atomic_write_text(html_path, render_html(document))
    say(f"wrote {html_path} in {time.perf_counter() - t0:.1f} s")
    return html_path
