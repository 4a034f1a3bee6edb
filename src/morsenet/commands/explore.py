"""`morsenet explore`: a live playground in the browser (training, decision map, critical points, tunnel)."""

from __future__ import annotations

import argparse

HELP = (
    "a live playground in the browser: train a small network on 2-D data and watch the decision boundary, "
    "the tunnel and the critical points form"
)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=8765, help="port to listen on (default 8765; 0: any free port)")
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: reachable from this machine only)"
    )
    parser.add_argument("--no-browser", action="store_true", help="do not open a browser; just print the URL")
    parser.add_argument(
        "--measure-rate",
        type=float,
        metavar="SECONDS",
        help="serve nothing: train the speed target (depth-15 width-2 MLP, 100x100 map) for SECONDS and print the "
        "view updates per second (one core: taskset -c 0 morsenet explore --measure-rate 10)",
    )


def execute(args: argparse.Namespace) -> int:
    from ..errors import MorsenetError
    from ..explore import serve

    if args.measure_rate is not None:
        import torch

        from ..explore._rate import TARGET, format_rate, measure_update_rate

        if not 0 < args.measure_rate <= 3600:
            raise MorsenetError(f"--measure-rate must be a number of seconds in (0, 3600], got {args.measure_rate}")
        torch.set_num_threads(1)
        print(f"{format_rate(measure_update_rate(seconds=args.measure_rate))}: {TARGET}")
        return 0
    # tiny models: one intra-op thread is fastest and leaves a core for the views
    serve(args.host, args.port, open_browser=not args.no_browser, threads=1)
    return 0
