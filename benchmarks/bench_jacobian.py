"""Time `jacobian_grid` against the prototype's per-point loop on its depth-15, width-2 network.

The prototype (see the seed notebook's `psi_manual`) called `torch.autograd.functional.jacobian` and then
`torch.svd` once per grid point. `jacobian_grid` does all points in a few vectorised calls. Both run here, in
the same process, on the same float32 network (BatchNorm with non-trivial running statistics, tanh), for the
scalar output and for the last hidden layer (a 2x2 Jacobian, the prototype's "sub-model" maps). The script
prints the speed-up and the largest difference between the two results, then times a 1000x1000 grid and its
peak memory.

Run:  PYTHONPATH=src python benchmarks/bench_jacobian.py            (100x100: each loop takes ~15-20 s)
      PYTHONPATH=src python benchmarks/bench_jacobian.py --quick    (20x20 and 200x200, a few seconds)
"""

from __future__ import annotations

import argparse
import copy
import resource
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

import torch

from morsenet.analysis import jacobian_grid
from morsenet.models import build_model

BOX = ((-2.0, 2.0), (-2.0, 2.0))  # the prototype's psi grid: linspace(-2, 2, grid_size) on both axes


def prototype_network(seed: int = 0) -> torch.nn.Module:
    """FFnet(depth=15, width=2, activation='tanh') with BatchNorm, in eval mode.

    Untrained, but its BatchNorm statistics are calibrated on points of the box (one forward pass in train
    mode), as training would leave them; otherwise fifteen saturated tanh layers give gradients near 1e-10
    and the comparison would be vacuous.
    """
    model = build_model(
        {"kind": "mlp", "width": 2, "depth": 15, "batchnorm": True, "activation": "tanh"}, seed=seed, input_dim=2
    )
    gen = torch.Generator().manual_seed(seed + 1)
    x = torch.rand(4096, 2, generator=gen) * 4 - 2
    for bn in model.norms:
        bn.reset_running_stats()
        bn.momentum = None  # cumulative average: after one batch the running stats are that batch's stats
    with torch.no_grad():
        model.train()(x)
    return model.eval()


def per_point_loop(func: Callable[[torch.Tensor], torch.Tensor], points: torch.Tensor) -> torch.Tensor:
    """The prototype's loop: autograd.functional.jacobian, then SVD, at each point. (n, 2) -> (n, k)."""
    out = []
    for p in points:
        x = p.clone().detach().requires_grad_(True)
        jac = torch.autograd.functional.jacobian(func, x, create_graph=True)
        out.append(torch.svd(jac.reshape(-1, 2), compute_uv=False)[1].detach())
    return torch.stack(out)


def _best_of(fn: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def compare(model: torch.nn.Module, resolution: int, layer: int | None, repeats: int) -> dict[str, Any]:
    """Time both methods on a resolution x resolution grid in the model's dtype; compare with float64 truth."""

    def func(x):
        return model(x[None]) if layer is None else model.hidden(x[None], layer)[0]

    jacobian_grid(model, BOX, 8, layer=layer)  # warm-up: torch.func traces its transforms on first use
    t_grid, grid = _best_of(lambda: jacobian_grid(model, BOX, resolution, layer=layer), repeats)
    t_loop, ref = _best_of(lambda: per_point_loop(func, grid.points.reshape(-1, 2)), 1)
    sv = grid.singular_values.reshape(ref.shape)
    truth = jacobian_grid(copy.deepcopy(model).double(), BOX, resolution, layer=layer).singular_values
    truth = truth.reshape(ref.shape)
    return {
        "resolution": resolution,
        "layer": layer,
        "dtype": str(sv.dtype).replace("torch.", ""),
        "t_grid": t_grid,
        "t_loop": t_loop,
        "ratio": t_loop / t_grid,
        "max_abs_diff": float((sv - ref).abs().max()),
        "max_sv": float(ref.max()),
        "grid_error": float((sv.double() - truth).abs().max()),
        "loop_error": float((ref.double() - truth).abs().max()),
    }


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def big_grid(model: torch.nn.Module, resolution: int, layer: int | None) -> dict[str, float]:
    before = _peak_rss_mb()
    t0 = time.perf_counter()
    res = jacobian_grid(model, BOX, resolution, layer=layer)
    seconds = time.perf_counter() - t0
    result_mb = sum(t.numel() * t.element_size() for t in (res.points, res.jacobians, res.singular_values)) / 2**20
    return {
        "resolution": resolution,
        "layer": layer,
        "seconds": seconds,
        "result_mb": result_mb,
        "peak_rss_growth_mb": _peak_rss_mb() - before,
        "peak_rss_mb": _peak_rss_mb(),
    }


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20x20 comparison and a 200x200 big grid")
    parser.add_argument("--resolution", type=int, default=None, help="comparison grid size (default 100)")
    parser.add_argument("--big", type=int, default=None, help="big grid size (default 1000)")
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch CPU threads (default 1: on a busy machine multi-threaded kernels wait for "
        "descheduled threads and the timings jump; 0 keeps torch's choice)",
    )
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    resolution = args.resolution or (20 if args.quick else 100)
    big = args.big or (200 if args.quick else 1000)
    repeats = 2 if args.quick else 5
    model = prototype_network()
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads; network: depth-15 width-2 tanh MLP with "
        f"BatchNorm (eval); box {BOX}"
    )
    model64 = copy.deepcopy(model).double()
    rows = [
        compare(model, resolution, None, repeats),
        compare(model64, resolution, None, repeats),
        compare(model64, resolution, model.n_layers, repeats),
    ]
    print(
        f"\n{'map':<19}{'dtype':>8}{'grid':>10}{'loop (s)':>10}{'grid (s)':>10}{'ratio':>8}{'max |diff|':>12}"
        f"{'grid err':>10}{'loop err':>10}"
    )
    for r in rows:
        name = "output (gradient)" if r["layer"] is None else f"hidden layer {r['layer']}"
        print(
            f"{name:<19}{r['dtype']:>8}{r['resolution']:>5}x{r['resolution']:<4}{r['t_loop']:>10.3f}"
            f"{r['t_grid']:>10.4f}{r['ratio']:>7.0f}x{r['max_abs_diff']:>12.2e}{r['grid_error']:>10.1e}"
            f"{r['loop_error']:>10.1e}"
        )
    agree = all(r["max_abs_diff"] <= 1e-5 for r in rows if r["dtype"] == "float64")
    no_worse = all(r["grid_error"] <= 2 * r["loop_error"] + 1e-12 for r in rows)
    print(
        f"\nspeed-up (float32, output map, {resolution}x{resolution}): {rows[0]['ratio']:.0f}x; target >= 500x "
        f"at 100x100.\nfloat64: grid and loop agree to 1e-5: {'yes' if agree else 'NO'}. float32: both methods "
        f"carry float32 rounding amplified by 15 layers (err = max distance to the float64 grid); the grid's "
        f"error is no larger than the loop's: {'yes' if no_worse else 'NO'}."
    )
    ok = agree and no_worse
    bigs = [big_grid(model, big, None), big_grid(model, big, model.n_layers)]
    for b in bigs:
        name = "output" if b["layer"] is None else f"hidden layer {b['layer']}"
        print(
            f"{big}x{big} grid, {name}: {b['seconds']:.2f} s, result {b['result_mb']:.0f} MB, peak RSS "
            f"{b['peak_rss_mb']:.0f} MB (+{b['peak_rss_growth_mb']:.0f} MB)"
        )
    return {"compare": rows, "big": bigs, "agree": ok, "ratio": rows[0]["ratio"]}


if __name__ == "__main__":
    main()
    sys.exit(0)
