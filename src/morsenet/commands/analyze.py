"""`morsenet analyze`: a saved model's theory prediction next to what it actually does."""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from typing import Any

from ..errors import MorsenetError

HELP = (
    "compare a saved model with the theory: critical points, winding number, decision regions, tunnel test, "
    "and a theory-versus-measurement verdict"
)


# Lets `--box -2,2,-2,2` through: argparse otherwise takes any word starting with "-" (other than a plain
# negative number) for an option. None of our options look like this pattern.
_NEGATIVE_LIST = re.compile(r"^-\.?\d[\d.,eE+-]*$")


def configure(parser: argparse.ArgumentParser) -> None:
    if hasattr(parser, "_negative_number_matcher"):
        parser._negative_number_matcher = _NEGATIVE_LIST
    parser.add_argument("model", metavar="MODEL.pt", help="a checkpoint written by `morsenet run`")
    parser.add_argument(
        "--box",
        metavar="LO,HI[,LO,HI...]",
        help="search box, one LO,HI pair per input dimension (default -2,2 in each: this command reads no data set, "
        "while `morsenet report` uses the data's bounding box + 0.2; pass that box here to match); "
        "e.g. --box -2,2,-2,2 or --box=-3,3,-3,3",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the critical-point search (default 0)")
    parser.add_argument("--starts", type=int, default=256, help="starts of the critical-point search (default 256)")
    parser.add_argument(
        "--ring",
        metavar="INNER,OUTER",
        default="0.5,1.0",
        help="radii of the class-1 ring for the tunnel test (default 0.5,1.0)",
    )
    parser.add_argument(
        "--inner-radius",
        type=float,
        default=0.3,
        help="radius of the class-0 disk, also of the winding-number circle (default 0.3)",
    )
    parser.add_argument("--resolution", type=int, default=201, help="grid nodes per axis (default 201)")
    parser.add_argument("--threshold", type=float, default=0.5, help="probability threshold (default 0.5)")
    parser.add_argument("--json", action="store_true", help="print the assessment as JSON")
    parser.add_argument("--strict", action="store_true", help="exit with status 1 when theory and model disagree")


def parse_floats(text: str, what: str) -> tuple[float, ...]:
    try:
        values = tuple(float(v) for v in text.split(","))
    except ValueError:
        raise MorsenetError(f"{what} must be comma-separated numbers such as -2,2,-2,2, got {text!r}") from None
    if not all(math.isfinite(v) for v in values):
        raise MorsenetError(f"{what} must be finite numbers, got {text!r}")
    return values


def parse_box(text: str, dim: int) -> tuple[tuple[float, float], ...]:
    """Parse "-2,2,-2,2" into ((-2, 2), (-2, 2)) for a `dim`-dimensional model."""
    values = parse_floats(text, "--box")
    if len(values) != 2 * dim:
        raise MorsenetError(
            f"--box needs {2 * dim} numbers (LO,HI per input dimension) for this {dim}-D model, got {len(values)}"
        )
    pairs = tuple((values[2 * i], values[2 * i + 1]) for i in range(dim))
    for lo, hi in pairs:
        if not lo < hi:
            raise MorsenetError(f"--box needs LO < HI in every dimension, got {text!r}")
    return pairs


# The box without --box: `morsenet analyze` has no data set (the report's box is the data's box + margin,
# `morsenet.analysis._grid.default_search_box`), so it keeps +-2 per axis and says so.
DEFAULT_HALF_WIDTH = 2.0
DEFAULT_BOX_SOURCE = "the default -2..2 per axis: this command reads no data set; the report uses the data's box + 0.2"


def box_text(box: Any) -> str:
    return " x ".join(f"[{float(lo):g}, {float(hi):g}]" for lo, hi in box)


def format_assessment(a: Any, path: str, box_source: str = "") -> str:
    """Human-readable report of an `Assessment`."""
    from .theory import format_prediction

    source = f" ({box_source})" if box_source else ""
    lines = [
        f"model: {path}",
        f"search box: {box_text(a.critical_points.box)}{source}",
        "",
        "theory",
        *("  " + line for line in format_prediction(a.prediction).splitlines()),
        "",
        "measurement",
        f"  critical points: {a.critical_points.summary()}",
        f"  completeness: {a.critical_points.completeness_summary()}",
    ]
    for cell in a.critical_points.unresolved_cells[:6]:
        b = ", ".join(f"[{lo:+.3f}, {hi:+.3f}]" for lo, hi in cell.box)
        lines.append(f"    unresolved cell {b}: {cell.reason}")
    for p in a.critical_points.numerically_degenerate[:6]:
        loc = ", ".join(f"{v:+.4f}" for v in p.location.tolist())
        s = (
            ""
            if p.product_sigma_min_log10 is None
            else f"; sigma_min of the Jacobian product 1e{p.product_sigma_min_log10:.1f}"
        )
        lines.append(f"    numerically degenerate at ({loc}){s}")
    for p in a.critical_points.points[:12]:
        loc = ", ".join(f"{v:+.4f}" for v in p.location.tolist())
        length = "" if p.length is None else f", length {p.length:.3g}"
        extra = f", on a critical {p.critical_set} ({p.n_merged} merged points{length})" if p.continuum else ""
        z = "" if p.max_preactivation is None else f", max |z| {p.max_preactivation:.2g}"
        lines.append(f"    {p.kind:10s} at ({loc}), f = {p.value:+.4g}, Morse index {p.index}{extra}{z}")
    if len(a.critical_points.points) > 12:
        lines.append(f"    ... {len(a.critical_points.points) - 12} more")
    if a.regions is not None:
        w = "undefined (gradient vanishes on the circle)" if a.winding is None else str(a.winding)
        centre = "the origin" if not any(a.center) else "(" + ", ".join(f"{v:g}" for v in a.center) + ")"
        lines.append(f"  winding number around {centre} (radius {a.winding_radius:g}): {w}")
        lines.append(f"  decision regions: {a.regions.summary()}")
    if a.tunnel is not None:
        t = a.tunnel
        lines.append(f"  tunnel test: {t.summary()}")
        if t.certificate is not None:
            ends = f"from ({t.certificate[0][0]:+.3f}, {t.certificate[0][1]:+.3f})"
            lines.append(f"    certificate: {t.certificate_kind} of {len(t.certificate)} vertices {ends}")
        every = "yes" if t.every_ring_circle_has_class0 else "no"
        lines.append(
            f"    every circle in the ring holds a class-0 point: {every}; "
            f"ring area classified 0: {100 * t.ring_area_fraction_class0:.2f}%"
        )
    if a.encloses is not None:
        lines.append(f"  encloses the disk: {'yes' if a.encloses else 'no'}")
    for note in a.notes:
        lines.append(f"  note: {note}")
    lines += ["", a.verdict]
    if not a.agree:
        lines += ["", "!!! DISAGREEMENT between theory and measurement: " + "; ".join(a.reasons) + " !!!"]
    return "\n".join(lines)


# Bounds on the search: --resolution^2 grid nodes (2001^2 = 4 million), --starts Newton searches.
MAX_RESOLUTION = 2001
MAX_STARTS = 100_000


def check_arguments(args: argparse.Namespace) -> tuple[float, float]:
    """Check every option before the model is read; returns the ring radii."""
    from .._validation import bounded_int, check_seed_value, finite_number

    check_seed_value("--seed", args.seed)
    # lower bounds and the ring's order are the analysis's own checks; here: what would allocate too much
    if args.starts > MAX_STARTS:
        bounded_int("--starts", args.starts, 1, MAX_STARTS, why="Newton searches of the critical-point search")
    if args.resolution > MAX_RESOLUTION:
        bounded_int("--resolution", args.resolution, 3, MAX_RESOLUTION, why="a grid of resolution^2 nodes")
    if not finite_number("--inner-radius", args.inner_radius, want="a finite number > 0") > 0:
        raise MorsenetError(f"--inner-radius must be a finite number > 0, got {args.inner_radius}")
    if not 0 < finite_number("--threshold", args.threshold, want="a number in (0, 1)") < 1:
        raise MorsenetError(f"--threshold must be a number in (0, 1), got {args.threshold}")
    ring = parse_floats(args.ring, "--ring")
    if len(ring) != 2:
        raise MorsenetError(f"--ring needs INNER,OUTER (two numbers), got {args.ring!r}")
    return ring[0], ring[1]


def execute(args: argparse.Namespace) -> int:
    from ..analysis import assess_model
    from ..models import load

    ring = check_arguments(args)
    model = load(args.model)
    dim = model.input_dim
    box = parse_box(args.box, dim) if args.box else ((-DEFAULT_HALF_WIDTH, DEFAULT_HALF_WIDTH),) * dim
    source = "--box" if args.box else DEFAULT_BOX_SOURCE
    assessment = assess_model(
        model,
        box,
        seed=args.seed,
        ring=(ring[0], ring[1]),
        inner_radius=args.inner_radius,
        n_starts=args.starts,
        resolution=args.resolution,
        threshold=args.threshold,
    )
    if args.json:
        box_json = {"box": [list(p) for p in box], "box_source": source}
        print(json.dumps({"model": str(args.model), **box_json, **assessment.to_dict()}, indent=2))
    else:
        print(format_assessment(assessment, str(args.model), source))
    if not assessment.agree:
        print(f"morsenet: DISAGREEMENT: {'; '.join(assessment.reasons)}", file=sys.stderr)
        return 1 if args.strict else 0
    return 0
