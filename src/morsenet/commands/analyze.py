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
        help="search box, one LO,HI pair per input dimension (default -2,2 in each); "
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


def format_assessment(a: Any, path: str) -> str:
    """Human-readable report of an `Assessment`."""
    from .theory import format_prediction

    lines = [
        f"model: {path}",
        "",
        "theory",
        *("  " + line for line in format_prediction(a.prediction).splitlines()),
        "",
        "measurement",
        f"  critical points: {a.critical_points.summary()}",
    ]
    for p in a.critical_points.points[:12]:
        loc = ", ".join(f"{v:+.4f}" for v in p.location.tolist())
        extra = f", continuum of {p.n_merged} points, null dim {p.null_directions.shape[0]}" if p.continuum else ""
        z = "" if p.max_preactivation is None else f", max |z| {p.max_preactivation:.2g}"
        lines.append(f"    {p.kind:10s} at ({loc}), f = {p.value:+.4g}, index {p.index}{extra}{z}")
    if len(a.critical_points.points) > 12:
        lines.append(f"    ... {len(a.critical_points.points) - 12} more")
    if a.regions is not None:
        w = "undefined (gradient vanishes on the circle)" if a.winding is None else str(a.winding)
        lines.append(f"  winding number around the origin (radius {a.winding_radius:g}): {w}")
        lines.append(f"  decision regions: {a.regions.summary()}")
    if a.tunnel is not None:
        t = a.tunnel
        lines.append(f"  tunnel test: {t.summary()}")
        every = "yes" if t.every_ring_circle_has_class0 else "no"
        lines.append(
            f"    every circle in the ring holds a class-0 point: {every}; "
            f"ring area classified 0: {100 * t.ring_area_fraction_class0:.2f}%"
        )
    for note in a.notes:
        lines.append(f"  note: {note}")
    lines += ["", a.verdict]
    if not a.agree:
        lines += ["", "!!! DISAGREEMENT between theory and measurement: " + "; ".join(a.reasons) + " !!!"]
    return "\n".join(lines)


def execute(args: argparse.Namespace) -> int:
    from ..analysis import assess_model
    from ..models import load

    ring = parse_floats(args.ring, "--ring")
    if len(ring) != 2:
        raise MorsenetError(f"--ring needs INNER,OUTER (two numbers), got {args.ring!r}")
    model = load(args.model)
    dim = model.input_dim
    box = parse_box(args.box, dim) if args.box else None
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
        print(json.dumps({"model": str(args.model), **assessment.to_dict()}, indent=2))
    else:
        print(format_assessment(assessment, str(args.model)))
    if not assessment.agree:
        print(f"morsenet: DISAGREEMENT: {'; '.join(assessment.reasons)}", file=sys.stderr)
        return 1 if args.strict else 0
    return 0
