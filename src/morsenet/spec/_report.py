"""`[report]` of a study or sweep file: the analysis box and grid resolution the report, `analyze` and sweeps use."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import MorsenetError
from ._check import expect

# A box coordinate beyond 10^6 is a typo (the data sets live within a few units of the origin); the finest
# grid the report draws is 2001 x 2001 nodes (4 million forward passes per map).
MAX_BOX_COORDINATE = 1e6
MIN_RESOLUTION, MAX_RESOLUTION = 3, 2001
# What the level-set figure draws: the logit's level sets (default) or the probability's (the companion code's).
LEVELS = ("logit", "probability")
DEFAULT_PROBABILITY_LEVELS = 20  # the companion code's figures
MAX_LEVELS = 200
# What a claim may expect of a model (checked by `morsenet.report._claims`): its class-0 region around the disk
# escapes through the ring ("tunnel") or is enclosed ("bounded"); it has critical points or has none.
CLAIM_EXPECTATIONS = ("tunnel", "bounded", "critical_points", "no_critical_points")
# Which figures the report draws: every figure, or the core ones (`morsenet.report._figures.EXTRA_FIGURES` lists
# what "core" leaves out); a quick run draws the core ones unless its study says otherwise.
FIGURE_SETS = ("all", "core")
MAX_CLAIMS = 100


@dataclass(frozen=True)
class Claim:
    """A published claim about one model of a study, checked against the run (`[[report.claims]]`).

    Attributes:
        model: the model's name in the study.
        expect: one of `CLAIM_EXPECTATIONS`.
        source: where the claim comes from (shown beside the result).
        dataset: the data set's label, when the study has several ("" : every data set the model ran on).
    """

    model: str
    expect: str
    source: str = ""
    dataset: str = ""

    def __post_init__(self) -> None:
        for key in ("model", "source", "dataset"):
            expect(f"report.claims.{key}", getattr(self, key), str, "a string")
        if not self.model:
            raise MorsenetError("report.claims.model must name a model of the study")
        if self.expect not in CLAIM_EXPECTATIONS:
            raise MorsenetError(
                f"report.claims.expect must be one of {', '.join(CLAIM_EXPECTATIONS)}, got {self.expect!r}"
            )

    def to_dict(self) -> dict[str, Any]:
        out = {"model": self.model, "expect": self.expect, "source": self.source}
        return {**out, "dataset": self.dataset} if self.dataset else out


@dataclass(frozen=True)
class ReportSpec:
    """Where and how finely the analyses look; None leaves the default (the data's box, the report's grid).

    Attributes:
        box: ((x0, x1), (y0, y1)[, (z0, z1)]) in the data's coordinates, or None.
        resolution: grid nodes per axis of the maps and searches, or None.
        levels: what the level-set figure draws, "logit" or "probability" (None: the logit).
        probability_levels: contours of the probability figure (None: 20); only with levels = "probability".
        claims: published claims checked against the run (the report's "Claims checked" section).
        figures: "all" or "core" (`FIGURE_SETS`); None: core for a quick run, all otherwise.
    """

    box: tuple[tuple[float, float], ...] | None = None
    resolution: int | None = None
    levels: str | None = None
    probability_levels: int | None = None
    claims: tuple[Claim, ...] = ()
    figures: str | None = None

    def __post_init__(self) -> None:
        if self.figures is not None:
            check_figure_set("report.figures", self.figures)
        if self.levels is not None and self.levels not in LEVELS:
            raise MorsenetError(f"report.levels must be one of {', '.join(LEVELS)}, got {self.levels!r}")
        n = self.probability_levels
        if n is not None:
            if isinstance(n, bool) or not isinstance(n, int) or not 2 <= n <= MAX_LEVELS:
                raise MorsenetError(f"report.probability_levels must be an integer in 2..{MAX_LEVELS}, got {n!r}")
            if self.levels != "probability":
                raise MorsenetError('report.probability_levels needs levels = "probability"')
        object.__setattr__(self, "claims", _claims(self.claims))
        if self.box is not None:
            object.__setattr__(self, "box", check_box("report.box", self.box))
        r = self.resolution
        if r is not None and (
            isinstance(r, bool) or not isinstance(r, int) or not MIN_RESOLUTION <= r <= MAX_RESOLUTION
        ):
            raise MorsenetError(
                f"report.resolution must be an integer >= {MIN_RESOLUTION} and <= {MAX_RESOLUTION:,}, got {r!r}"
            )

    @property
    def is_default(self) -> bool:
        return (
            self.box is None
            and self.resolution is None
            and self.levels is None
            and not self.claims
            and self.figures is None
        )

    @property
    def n_probability_levels(self) -> int:
        """Contours of the probability level-set figure."""
        return self.probability_levels or DEFAULT_PROBABILITY_LEVELS

    def to_dict(self) -> dict[str, Any]:
        """The `[report]` table as written (absent fields left out)."""
        out: dict[str, Any] = {}
        if self.box is not None:
            out["box"] = [v for pair in self.box for v in pair]
        if self.resolution is not None:
            out["resolution"] = self.resolution
        if self.levels is not None:
            out["levels"] = self.levels
        if self.probability_levels is not None:
            out["probability_levels"] = self.probability_levels
        if self.claims:
            out["claims"] = [c.to_dict() for c in self.claims]
        if self.figures is not None:
            out["figures"] = self.figures
        return out


def check_figure_set(where: str, value: object) -> str:
    """A figure set, "all" or "core" (`FIGURE_SETS`); a MorsenetError naming `where` for anything else."""
    if value not in FIGURE_SETS:
        raise MorsenetError(f"{where} must be one of {', '.join(FIGURE_SETS)}, got {value!r}")
    return str(value)


def figure_set(chosen: str | None, *, quick: bool) -> str:
    """The figure set a report draws: the one chosen (`--figures`, a study's `report.figures`), else core for a
    quick run and all otherwise."""
    return chosen or ("core" if quick else "all")


def _claims(raw: Any) -> tuple[Claim, ...]:
    """`[[report.claims]]` tables (or Claims) as Claims."""
    if isinstance(raw, tuple) and all(isinstance(c, Claim) for c in raw):
        return raw
    items = expect("report.claims", raw, (list, tuple), 'an array of tables [[report.claims]] (model = "...", ...)')
    if len(items) > MAX_CLAIMS:
        raise MorsenetError(f"report.claims: at most {MAX_CLAIMS}, got {len(items)}")
    out = []
    for i, item in enumerate(items):
        if isinstance(item, Claim):
            out.append(item)
            continue
        table = dict(expect(f"report.claims[{i}]", item, dict, "a table"))
        allowed = ("model", "expect", "source", "dataset")
        for key in table:
            if key not in allowed:
                raise MorsenetError(f"report.claims[{i}] has no key {key!r}; allowed: {', '.join(allowed)}")
        if "model" not in table or "expect" not in table:
            raise MorsenetError(f'report.claims[{i}] needs model and expect, e.g. model = "m" expect = "tunnel"')
        out.append(Claim(**table))
    return tuple(out)


def check_box(where: str, value: Any) -> tuple[tuple[float, float], ...]:
    """[x0, x1, y0, y1] (2, 4 or 6 finite numbers, each lo < hi) as ((x0, x1), (y0, y1), ...)."""
    if isinstance(value, (tuple, list)) and value and all(isinstance(p, (tuple, list)) for p in value):
        value = [v for pair in value for v in pair]  # already as pairs
    want = "a list of 4 numbers [x0, x1, y0, y1] (2 for 1-D data, 6 for 3-D)"
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence) or len(value) not in (2, 4, 6):
        raise MorsenetError(f"{where} must be {want}, got {value!r}")
    for v in value:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise MorsenetError(f"{where} must be {want} (finite), got {list(value)!r}")
        if abs(v) > MAX_BOX_COORDINATE:
            raise MorsenetError(f"{where}: coordinates must be within +-{MAX_BOX_COORDINATE:g}, got {v!r}")
    box = tuple((float(value[k]), float(value[k + 1])) for k in range(0, len(value), 2))
    for axis, (lo, hi) in zip("xyz", box):
        if not lo < hi:
            raise MorsenetError(f"{where}: need {axis}0 < {axis}1, got {axis}0={lo:g}, {axis}1={hi:g}")
    return box


def parse_report(raw: Any, *, keys: Sequence[str], dims: Sequence[tuple[str, int]]) -> ReportSpec:
    """Check a `[report]` table with the allowed `keys` against the data sets' (label, input dimension)."""
    table = expect("report", raw, dict, "a table, e.g. [report] box = [-2, 2, -2, 2]")
    for key in table:
        if key not in keys:
            raise MorsenetError(f"report has no key {key!r}; allowed: {', '.join(keys)}")
    spec = ReportSpec(
        table.get("box"),
        table.get("resolution"),
        table.get("levels"),
        table.get("probability_levels"),
        table.get("claims", ()),
        table.get("figures"),
    )
    if spec.box is not None:
        for label, dim in dims:
            if dim != len(spec.box):
                raise MorsenetError(
                    f"report.box has {len(spec.box)} axes but data set {label!r} has {dim}-D inputs; "
                    f"give {2 * dim} numbers"
                )
    return spec
