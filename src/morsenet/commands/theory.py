"""`morsenet theory`: what the theorems allow an architecture or a saved model."""

from __future__ import annotations

import argparse
import json
from typing import Any

from ..errors import MorsenetError

HELP = "what the theorems allow an architecture (--widths, --resnet, --node) or a saved model"

EPILOG = """examples:
  morsenet theory --widths 2,1,2,1                    MLP [2,1,2,1] (tanh): degenerate_forced
  morsenet theory --widths 2,3,1 --ranks 1,1          MLP with rank W1 = 1: effectively [2,1,3,1]
  morsenet theory --resnet 2,2,20 --skip 1 --residual 0.1 --weight-bound 5
                                                      ResNet n0=2, width 2, 20 blocks; R1 applies
  morsenet theory --node 2,3 --rank-lift 1            neural ODE n=2, m=3, rank A = 1
  morsenet theory runs/x/models/mlp.pt --json         a saved model, ranks read off its weights
"""


def configure(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = EPILOG
    parser.add_argument(
        "model",
        nargs="?",
        metavar="MODEL.pt",
        help="a checkpoint written by `morsenet run` (ranks, norms and read-out are read off it)",
    )
    parser.add_argument("--widths", metavar="N0,H1,...,1", help="MLP widths, input first, output 1 last")
    parser.add_argument(
        "--ranks",
        metavar="R1,...",
        help="MLP: rank of each weight matrix W_1..W_{L+1} "
        "(default full rank; 0 for the last one means a zero read-out)",
    )
    parser.add_argument("--resnet", metavar="N0,WIDTH,BLOCKS", help="ResNet: input dim, block width, block count")
    parser.add_argument("--skip", type=float, default=1.0, help="ResNet skip weight eps (default 1)")
    parser.add_argument("--residual", type=float, default=1.0, help="ResNet residual weight delta (default 1)")
    parser.add_argument(
        "--weight-bound", type=float, metavar="B", help="ResNet: bound on every block's ||W_k||_2 (enables rule R1)"
    )
    parser.add_argument("--no-input-layer", action="store_true", help="ResNet without input layer (width = N0)")
    parser.add_argument("--node", metavar="N,M", help="neural ODE: input dim n, phase-space dim m")
    parser.add_argument("--rank-lift", type=int, metavar="R", help="neural ODE: rank of the lift A (default full)")
    parser.add_argument(
        "--zero-readout", action="store_true", help="ResNet / neural ODE: the read-out weight is zero (constant output)"
    )
    parser.add_argument(
        "--activation",
        default="tanh",
        help="activation (tanh, sigmoid, softplus, identity, relu, leaky_relu, ...; default tanh)",
    )
    parser.add_argument("--json", action="store_true", help="print the prediction as JSON")


# The most entries a comma-separated list takes (widths: input, up to 1000 hidden layers, output).
MAX_LIST = 1_002


def parse_ints(text: str, what: str) -> tuple[int, ...]:
    """Parse "2,1,2,1" into (2, 1, 2, 1); MorsenetError with a one-line message otherwise."""
    if not text.strip():
        raise MorsenetError(f"{what} is empty; give comma-separated integers such as 2,1,2,1")
    if text.count(",") >= MAX_LIST:
        raise MorsenetError(f"{what} may list at most {MAX_LIST:,} integers, got {text.count(',') + 1:,}")
    try:
        values = tuple(int(v) for v in text.split(","))
    except ValueError:
        raise MorsenetError(f"{what} must be comma-separated integers such as 2,1,2,1, got {text!r}") from None
    return values


def check_numbers(args: argparse.Namespace) -> None:
    """Every number option finite (nan or inf has no meaning for a weight or a bound)."""
    from .._validation import finite_number

    for name in ("skip", "residual", "weight_bound"):
        value = getattr(args, name)
        if value is not None:
            finite_number(f"--{name.replace('_', '-')}", value)


def build_architecture(args: argparse.Namespace) -> Any:
    """The architecture or loaded model that `args` describe."""
    from ..theory import MLPArchitecture, NeuralODEArchitecture, ResNetArchitecture

    check_numbers(args)
    given = [name for name in ("model", "widths", "resnet", "node") if getattr(args, name) is not None]
    if len(given) != 1:
        raise MorsenetError(
            "give exactly one of MODEL.pt, --widths, --resnet or --node"
            + (f" (got {', '.join(given)})" if given else "")
        )
    if args.model:
        from ..models import load

        return load(args.model)
    if args.widths is not None:
        ranks = parse_ints(args.ranks, "--ranks") if args.ranks else None
        return MLPArchitecture(widths=parse_ints(args.widths, "--widths"), activation=args.activation, ranks=ranks)
    if args.ranks:
        raise MorsenetError("--ranks applies to --widths only")
    if args.resnet is not None:
        dims = parse_ints(args.resnet, "--resnet")
        if len(dims) != 3:
            raise MorsenetError(f"--resnet needs N0,WIDTH,BLOCKS (three integers), got {args.resnet!r}")
        return ResNetArchitecture(
            input_dim=dims[0],
            width=dims[1],
            blocks=dims[2],
            skip=args.skip,
            residual=args.residual,
            activation=args.activation,
            input_layer=not args.no_input_layer,
            weight_bound=args.weight_bound,
            readout_nonzero=not args.zero_readout,
        )
    dims = parse_ints(args.node, "--node")
    if len(dims) != 2:
        raise MorsenetError(f"--node needs N,M (two integers), got {args.node!r}")
    return NeuralODEArchitecture(
        input_dim=dims[0],
        dim=dims[1],
        rank_lift=args.rank_lift,
        readout_nonzero=not args.zero_readout,
        activation=args.activation,
    )


def format_prediction(pred: Any) -> str:
    """Human-readable lines for a `Prediction`."""
    enclose = {True: "yes", False: "no (a disk inside a ring forces a tunnel)", None: "unknown"}[pred.can_enclose]
    seq = "[" + ",".join(str(w) for w in pred.effective_widths) + "]"
    return "\n".join(
        [
            f"kind:              {pred.kind} ({pred.activation})",
            f"class:             {pred.cls}",
            f"can enclose:       {enclose}",
            f"effective widths:  {seq}",
            f"graph bottleneck:  {'yes' if pred.graph_bottleneck else 'no'}",
            f"decision regions:  {_regions_line(pred)}",
            f"theorems:          {', '.join(pred.theorems) or '-'}",
            f"provenance:        {', '.join(pred.provenance) or '-'}"
            "  (P paper, S summary, R reconstruction, D derived, C code, X external)",
            "",
            pred.explanation,
        ]
    )


def _regions_line(pred: Any) -> str:
    """What Beise et al. / Nguyen et al. say about the decision regions (connected, unbounded), or "unknown"."""
    parts = []
    if getattr(pred, "regions_unbounded", None):
        parts.append("every component unbounded")
    if getattr(pred, "regions_connected", None):
        parts.append("connected (Nguyen et al.)")
    return ", ".join(parts) or "no theorem applies"


def execute(args: argparse.Namespace) -> int:
    from ..theory import predict

    pred = predict(build_architecture(args))
    if args.json:
        print(json.dumps(pred.to_dict(), indent=2))
    else:
        print(format_prediction(pred))
    return 0
