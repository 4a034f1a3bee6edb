"""Throughput of the ensemble trainer against the prototype's one-model-at-a-time loop.

Trains M models of the prototype's network (width 2, depth 15, BatchNorm, tanh) on the prototype's data
(`circles`, 2000 points, 70/30 split) with batch size 128, Adam (lr 0.01) and test accuracy every epoch,
once with `morsenet.ensemble.train_ensemble` and, in the same process, a few models the prototype's way
(one by one: `nn.Sequential` FFnet, sigmoid + BCELoss, a shuffling `DataLoader`, best-state deepcopy).
Both sides train the same number of epochs without early stopping, so models per second compare equal work.

    python benchmarks/bench_ensemble.py              # M = 100, 20 epochs, 3 models one by one
    python benchmarks/bench_ensemble.py --quick      # a few seconds (used by the tests)
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import time
from collections.abc import Sequence
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from morsenet.datasets import make_circles
from morsenet.ensemble import train_ensemble
from morsenet.training import TrainConfig

DEPTH, WIDTH = 15, 2


class FFnet(nn.Module):
    """The prototype's network: depth x (Linear, BatchNorm1d, Tanh), a Linear read-out and a sigmoid."""

    def __init__(self, depth: int = DEPTH, width: int = WIDTH) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        n_in = 2
        for _ in range(depth):
            layers += [nn.Linear(n_in, width), nn.BatchNorm1d(width), nn.Tanh()]
            n_in = width
        layers.append(nn.Linear(n_in, 1))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.net(x))


def train_prototype(data, epochs: int, seed: int, lr: float = 0.01, batch_size: int = 128) -> float:
    """The prototype's `train_model` loop (DataLoader, BCELoss, eval each epoch, best-state copy); best accuracy."""
    with torch.random.fork_rng(devices=[]):  # the prototype seeds the global RNG; keep the caller's untouched
        torch.manual_seed(seed)
        model = FFnet()
        train = DataLoader(TensorDataset(data.x_train, data.y_train[:, None]), batch_size=batch_size, shuffle=True)
        test = DataLoader(TensorDataset(data.x_test, data.y_test[:, None]), batch_size=len(data.y_test))
        opt = torch.optim.Adam(model.parameters(), lr=lr)
        criterion = nn.BCELoss()
        best_acc, best_state = 0.0, None
        for _ in range(epochs):
            model.train()
            for xb, yb in train:
                loss = criterion(model(xb), yb)
                opt.zero_grad()
                loss.backward()
                opt.step()
            model.eval()
            with torch.no_grad():
                accs = [float(((model(xt) >= 0.5).float() == yt).float().mean()) for xt, yt in test]
            acc = sum(accs) / len(accs)
            if acc > best_acc:
                best_acc, best_state = acc, copy.deepcopy(model.state_dict())
        if best_state is not None:
            model.load_state_dict(best_state)
    return best_acc


def run(models: int, loop_models: int, epochs: int, device: str = "cpu", threads: int | None = 1) -> dict:
    """Time both ways with `threads` torch threads (None or 0: torch's setting), restored afterwards."""
    before = torch.get_num_threads()
    if threads:
        torch.set_num_threads(threads)
    try:
        return _run(models, loop_models, epochs, device)
    finally:
        torch.set_num_threads(before)


def _run(models: int, loop_models: int, epochs: int, device: str) -> dict:
    data = make_circles(2000, seed=0)
    config = dict(kind="mlp", width=WIDTH, depth=DEPTH, batchnorm=True, activation="tanh")
    train_cfg = TrainConfig(epochs=epochs, lr=0.01, batch_size=128, patience=0)

    start = time.perf_counter()
    result = train_ensemble(config, data, train_cfg, seeds=range(models), device=device, progress=False)
    t_ensemble = time.perf_counter() - start

    start = time.perf_counter()
    loop_acc = [train_prototype(data, epochs, seed) for seed in range(loop_models)]
    t_loop = time.perf_counter() - start

    ens_acc = [a for a in result.best_accuracy if a is not None]
    out = {
        "models": models,
        "loop_models": loop_models,
        "epochs": epochs,
        "device": device,
        "threads": torch.get_num_threads(),
        "ensemble_seconds": t_ensemble,
        "loop_seconds": t_loop,
        "ensemble_models_per_s": models / t_ensemble,
        "loop_models_per_s": loop_models / t_loop,
        "ensemble_mean_accuracy": statistics.fmean(ens_acc),
        "loop_mean_accuracy": statistics.fmean(loop_acc),
    }
    out["ratio"] = out["ensemble_models_per_s"] / out["loop_models_per_s"]
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=100, help="ensemble size M")
    parser.add_argument("--loop-models", type=int, default=3, help="models trained one by one")
    parser.add_argument("--epochs", type=int, default=20, help="epochs for both (no early stopping)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch threads (1, as in a sweep's worker processes; 0 keeps torch's default)",
    )
    parser.add_argument("--quick", action="store_true", help="M = 8, 1 model one by one, 2 epochs")
    parser.add_argument("--json", type=Path, help="also write the numbers to this file")
    args = parser.parse_args(argv)
    if args.quick:
        args.models, args.loop_models, args.epochs = 8, 1, 2
    r = run(args.models, args.loop_models, args.epochs, args.device, args.threads)
    print(
        f"depth-{DEPTH} width-{WIDTH} MLP (BatchNorm, tanh) on circles, batch 128, {r['epochs']} epochs, "
        f"test accuracy every epoch, {r['threads']} torch thread(s), device {r['device']}"
    )
    print(
        f"ensemble    M={r['models']:<5d} {r['ensemble_seconds']:8.2f} s  {r['ensemble_models_per_s']:8.3f} models/s"
        f"  mean best test accuracy {r['ensemble_mean_accuracy']:.3f}"
    )
    print(
        f"one by one  n={r['loop_models']:<5d} {r['loop_seconds']:8.2f} s  {r['loop_models_per_s']:8.3f} models/s"
        f"  mean best test accuracy {r['loop_mean_accuracy']:.3f}"
    )
    print(f"ratio {r['ratio']:.1f}x")
    if args.json:
        args.json.write_text(json.dumps(r, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
