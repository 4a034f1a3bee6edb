"""Published claims checked against a run (`[[report.claims]]` of a study), rule R1's line, the study's `[report]`.

A claim names a model and what the source says of it: the tunnel appears ("tunnel"), the disk is enclosed
("bounded"), it has critical points or none. `check_claims` reads this run's results for that model (the tunnel
test and the critical-point search of its assessment) and says whether they agree, disagree, or cannot decide
(undecided tunnel test, a critical-point list that is only a lower bound, a model the run does not hold).
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ..errors import MorsenetError
from ..spec._report import Claim, ReportSpec
from ..theory import r1_ratio
from ._analyze import ModelAnalysis

Verdict = Literal["agrees", "disagrees", "undecided"]

__all__ = ["Claim", "ClaimCheck", "check_claim", "check_claims", "r1_text", "report_spec", "study_report_spec"]


@dataclass(frozen=True)
class ClaimCheck:
    """One claim against one run of its model: `result` in words and the `verdict`."""

    claim: Claim
    run: str
    result: str
    verdict: Verdict


def report_spec(study: dict[str, Any]) -> ReportSpec:
    """The `[report]` of a parsed study.toml as a ReportSpec (the default when absent or invalid: a report of an
    older or hand-edited run must still build)."""
    table = study.get("report") if isinstance(study, dict) else None
    if not isinstance(table, dict):
        return ReportSpec()
    try:
        return ReportSpec(
            None,
            None,
            table.get("levels"),
            table.get("probability_levels"),
            table.get("claims", ()),
        )
    except MorsenetError:
        return ReportSpec()


@functools.lru_cache(maxsize=32)
def _study_at(folder: Path) -> ReportSpec:
    path = folder / "study.toml"
    try:
        return report_spec(tomllib.loads(path.read_text()))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return ReportSpec()


def study_report_spec(a: ModelAnalysis) -> ReportSpec:
    """The `[report]` of the study whose run holds `a` (its checkpoint lies in RUN/models/; study.toml in RUN)."""
    for folder in list(Path(a.entry.checkpoint).parents)[:3]:
        if (folder / "study.toml").is_file():
            return _study_at(folder)
    return ReportSpec()


def r1_text(model: Any) -> str | None:
    """Rule R1 for the trained, BatchNorm-folded weights, in words; None where R1 does not apply."""
    ratio = r1_ratio(model)
    if ratio is None:
        return None
    if ratio < 1:
        return f"holds (ratio {ratio:.3g} < 1): every block is a diffeomorphism"
    return f"does not hold (ratio {ratio:.3g} >= 1): the blocks need not be diffeomorphisms"


def _runs(claim: Claim, analyses: Sequence[ModelAnalysis]) -> list[ModelAnalysis]:
    """The runs of the claim's model: named `model`, or `DATASET-model` in a study of several data sets."""
    if claim.dataset:
        names = {f"{claim.dataset}-{claim.model}"}
        return [a for a in analyses if a.name in names] or [a for a in analyses if a.name == claim.model]
    return [a for a in analyses if a.name == claim.model or a.name.endswith(f"-{claim.model}")]


def check_claim(claim: Claim, a: ModelAnalysis) -> ClaimCheck:
    """The claim against one run's assessment."""
    d = a.assessment
    if d is None:
        return ClaimCheck(claim, a.name, "no assessment (not a 2-D classifier)", "undecided")
    if claim.expect in ("tunnel", "bounded"):
        t = d.tunnel
        status = None if t is None else t.status
        if status not in ("tunnel", "bounded"):
            what = "no tunnel test" if status is None else f"tunnel test {status.replace('_', ' ')}"
            return ClaimCheck(claim, a.name, what, "undecided")
        result = "tunnel" if status == "tunnel" else "bounded (the disk is enclosed)"
        return ClaimCheck(claim, a.name, result, "agrees" if status == claim.expect else "disagrees")
    cps = d.critical_points
    n, complete = len(cps.points), cps.completeness == "complete"
    if n:
        result = f"{n} critical point{'s' if n != 1 else ''} found"
        return ClaimCheck(claim, a.name, result, "agrees" if claim.expect == "critical_points" else "disagrees")
    if not complete:
        return ClaimCheck(claim, a.name, "none found (the search is not certified complete)", "undecided")
    return ClaimCheck(
        claim, a.name, "none (certified complete)", "agrees" if claim.expect == "no_critical_points" else "disagrees"
    )


def check_claims(claims: Sequence[Claim], analyses: Sequence[ModelAnalysis]) -> list[ClaimCheck]:
    """Every claim against every run of its model (a claim whose model the run lacks: one undecided check)."""
    out: list[ClaimCheck] = []
    for claim in claims:
        runs = _runs(claim, analyses)
        if not runs:
            out.append(ClaimCheck(claim, "-", "the run has no model of this name", "undecided"))
        out += [check_claim(claim, a) for a in runs]
    return out
