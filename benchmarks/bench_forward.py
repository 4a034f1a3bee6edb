"""Cost of the one stacked forward for a single model against plain `nn.Module` layer calls.

`MorseModel.forward` runs the model's `stacked_forward` with a model axis of length 1 (`torch.baddbmm`, the
functional BatchNorm), so that `training.fit` and the ensemble trainer share one computation. This measures a
training step (forward, backward) of the prototype's network (width 2, depth 15, BatchNorm, tanh, batch 128) that
way and, in the same process, through the same module's `nn.Linear`/`nn.BatchNorm1d` calls, alternating the two
to cancel drift; it also checks that both give the same logits and gradients bit for bit.

    python benchmarks/bench_forward.py            # 2000 steps per side
    python benchmarks/bench_forward.py --quick    # a few hundred steps (used by the tests)
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable, Sequence

import torch
from torch import Tensor

from morsenet.models import MLP, build_model


def module_forward(model: MLP, x: Tensor) -> Tensor:
    """The reference: the module's own layers called one after the other (what the forward was before)."""
    h = x
    assert model.norms is not None
    for linear, bn in zip(model.hidden_layers, model.norms):
        h = torch.tanh(torch.nn.BatchNorm1d.forward(bn, linear(h)))
    return model.readout(h).squeeze(-1)


def _steps(model: MLP, forward: Callable[[Tensor], Tensor], x: Tensor, n: int) -> float:
    model.train()
    start = time.perf_counter()
    for _ in range(n):
        model.zero_grad(set_to_none=True)
        forward(x).sum().backward()
    return (time.perf_counter() - start) / n


def main(argv: Sequence[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a few hundred steps")
    args = parser.parse_args(argv)
    steps, rounds = (100, 3) if args.quick else (500, 4)
    torch.set_num_threads(1)
    model = build_model({"kind": "mlp", "width": 2, "depth": 15, "batchnorm": True}, seed=0, input_dim=2)
    assert isinstance(model, MLP)
    x = torch.randn(128, 2, generator=torch.Generator().manual_seed(0))

    # Same numbers: logits and parameter gradients of one training step, from identical starting states.
    twin = build_model(model.config(), seed=0)
    assert isinstance(twin, MLP)
    model.train(), twin.train()
    y_stacked, y_module = model(x), module_forward(twin, x)
    y_stacked.sum().backward(), y_module.sum().backward()
    same = torch.equal(y_stacked, y_module) and all(
        torch.equal(a.grad, b.grad) for a, b in zip(model.parameters(), twin.parameters()) if a.grad is not None
    )

    stacked, module = [], []
    for _ in range(rounds):
        stacked.append(_steps(model, model, x, steps))
        module.append(_steps(model, lambda v: module_forward(model, v), x, steps))
    s, m = statistics.median(stacked), statistics.median(module)
    print(f"training step, depth-15 width-2 BatchNorm MLP, batch 128, 1 thread ({rounds} rounds x {steps} steps)")
    print(f"  stacked forward (M = 1): {s * 1e6:8.1f} us")
    print(f"  module layer calls:      {m * 1e6:8.1f} us")
    print(f"  ratio stacked / module:  {s / m:8.2f}")
    print(f"  identical logits and gradients: {same}")
    return {"stacked_s": s, "module_s": m, "ratio": s / m, "identical": float(same)}


if __name__ == "__main__":
    main()
