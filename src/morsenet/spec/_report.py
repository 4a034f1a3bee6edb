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


@dataclass(frozen=True)
class ReportSpec:
    """Where and how finely the analyses look; None leaves the default (the data's box, the report's grid).

    Attributes:
        box: ((x0, x1), (y0, y1)[, (z0, z1)]) in the data's coordinates, or None.
        resolution: grid nodes per axis of the maps and searches, or None.
    """

    box: tuple[tuple[float, float], ...] | None = None
    resolution: int | None = None

    def __post_init__(self) -> None:
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
        return self.box is None and self.resolution is None

    def to_dict(self) -> dict[str, Any]:
        """The `[report]` table as written (absent fields left out)."""
        out: dict[str, Any] = {}
        if self.box is not None:
            out["box"] = [v for pair in self.box for v in pair]
        if self.resolution is not None:
            out["resolution"] = self.resolution
        return out


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
    spec = ReportSpec(table.get("box"), table.get("resolution"))
    if spec.box is not None:
        for label, dim in dims:
            if dim != len(spec.box):
                raise MorsenetError(
                    f"report.box has {len(spec.box)} axes but data set {label!r} has {dim}-D inputs; "
                    f"give {2 * dim} numbers"
                )
    return spec
