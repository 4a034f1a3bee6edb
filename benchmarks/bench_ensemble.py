"""Throughput of the ensemble trainer against the prototype's one-model-at-a-time loop, at M = 100 and 1000.

Trains M models of the prototype's network (width 2, depth 15, BatchNorm, tanh) on the prototype's data
(`circles`, 2000 points, 70/30 split) with batch size 128, Adam (lr 0.01) and test accuracy every epoch,
with `morsenet.ensemble.train_ensemble` for each M and, in the same process, a few models the prototype's way
(one by one: `nn.Sequential` FFnet, sigmoid + BCELoss, a shuffling `DataLoader`, best-state deepcopy), half
of them before the ensembles and half after, so that a change of machine load hits both sides alike. Both
sides train the same number of epochs without early stopping, so models per second compare equal work. Times
are wall clock and process CPU time (one thread: on a shared machine the CPU time is the steadier measure);
the time per model is set against the estimated floating-point operations of one model's training.

    python benchmarks/bench_ensemble.py                  # M = 100 and 1000, 20 epochs, 4 models one by one
    python benchmarks/bench_ensemble.py --device cuda    # the ensembles on the GPU; largest M that fits
    python benchmarks/bench_ensemble.py --quick          # a few seconds (used by the tests)
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

from morsenet.datasets import Dataset, make_circles
from morsenet.ensemble import check_device, estimate_memory, train_ensemble
from morsenet.errors import MorsenetError
from morsenet.training import TrainConfig

DEPTH, WIDTH = 15, 2
CONFIG = dict(kind="mlp", width=WIDTH, depth=DEPTH, batchnorm=True, activation="tanh")


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


def flops_per_model(data: Dataset, epochs: int, depth: int = DEPTH, width: int = WIDTH) -> float:
    """Floating-point operations of one model's training, by hand.

    Per point and layer (in -> out units): the affine map 2*in*out + out, BatchNorm in training 8*out (mean,
    centring, variance, scale, shift), the activation out (tanh counted as one operation); backward twice the
    forward. Per test point in evaluation: the affine map, the folded BatchNorm 2*out, the activation. The
    read-out is one more affine map. For depth 15, width 2 that is about 1,300 per training point and step.
    """
    ins = [2] + [width] * (depth - 1)
    train = sum(2 * i * width + width + 8 * width + width for i in ins) + 2 * width + 1
    evaluate = sum(2 * i * width + width + 2 * width + width for i in ins) + 2 * width + 1
    return epochs * (3 * train * data.x_train.shape[0] + evaluate * data.x_test.shape[0])


def _timed(fn):
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - wall, time.process_time() - cpu


def run(models: Sequence[int], loop_models: int, epochs: int, device: str = "cpu", threads: int | None = 1) -> dict:
    """Time both ways with `threads` torch threads (None or 0: torch's setting), restored afterwards."""
    before = torch.get_num_threads()
    if threads:
        torch.set_num_threads(threads)
    try:
        return _run(models, loop_models, epochs, device)
    finally:
        torch.set_num_threads(before)


def _run(models: Sequence[int], loop_models: int, epochs: int, device: str) -> dict:
    data = make_circles(2000, seed=0)
    train_cfg = TrainConfig(epochs=epochs, lr=0.01, batch_size=128, patience=0)
    dev = check_device(device)
    flops = flops_per_model(data, epochs)

    first = (loop_models + 1) // 2
    loop_acc, t_loop, c_loop = [], 0.0, 0.0

    def loop(seeds: range) -> None:
        nonlocal t_loop, c_loop
        acc, wall, cpu = _timed(lambda: [train_prototype(data, epochs, s) for s in seeds])
        loop_acc.extend(acc)
        t_loop, c_loop = t_loop + wall, c_loop + cpu

    loop(range(first))
    ensembles = []
    for m in models:
        result, wall, cpu = _timed(
            lambda m=m: train_ensemble(CONFIG, data, train_cfg, seeds=range(m), device=device, progress=False)
        )
        accs = [a for a in result.best_accuracy if a is not None]
        ensembles.append(
            {"models": m, "seconds": wall, "cpu_seconds": cpu, "models_per_s": m / wall,
             "ms_per_model": 1e3 * wall / m, "cpu_ms_per_model": 1e3 * cpu / m,
             "gflops": flops * m / wall / 1e9, "mean_accuracy": statistics.fmean(accs)}
        )  # fmt: skip
    loop(range(first, loop_models))

    out: dict = {
        "epochs": epochs,
        "device": str(dev),
        "threads": torch.get_num_threads(),
        "flops_per_model": flops,
        "loop_models": loop_models,
        "loop_seconds": t_loop,
        "loop_cpu_seconds": c_loop,
        "loop_models_per_s": loop_models / t_loop,
        "loop_mean_accuracy": statistics.fmean(loop_acc),
        "ensembles": ensembles,
    }
    for e in ensembles:
        e["ratio"] = e["models_per_s"] / out["loop_models_per_s"]
        # CPU-time ratio: meaningful for CPU ensembles (a GPU ensemble's work is not CPU time)
        e["cpu_ratio"] = (c_loop / loop_models) / (e["cpu_seconds"] / e["models"]) if dev.type == "cpu" else None
    if dev.type == "cuda":
        free, _ = torch.cuda.mem_get_info(dev)
        out["cuda_free_bytes"] = int(free)
        out["largest_m_that_fits"] = estimate_memory(CONFIG, data, train_cfg).max_models(int(0.8 * free))
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, nargs="+", default=[100, 1000], help="ensemble sizes M")
    parser.add_argument(
        "--loop-models", type=int, default=4, help="models trained one by one (half before, half after)"
    )
    parser.add_argument("--epochs", type=int, default=20, help="epochs for both (no early stopping)")
    parser.add_argument("--device", default="cpu", help="device of the ensembles (the loop runs on the CPU)")
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch threads (1, as in a sweep's worker processes; 0 keeps torch's default)",
    )
    parser.add_argument("--quick", action="store_true", help="M = 8 and 16, 1 model one by one, 2 epochs")
    parser.add_argument("--json", type=Path, help="also write the numbers to this file")
    args = parser.parse_args(argv)
    if args.quick:
        args.models, args.loop_models, args.epochs = [8, 16], 1, 2
    try:
        r = run(args.models, args.loop_models, args.epochs, args.device, args.threads)
    except MorsenetError as err:
        print(f"morsenet: error: {err}")
        return 2
    print(
        f"depth-{DEPTH} width-{WIDTH} MLP (BatchNorm, tanh) on circles, batch 128, {r['epochs']} epochs, "
        f"test accuracy every epoch, {r['threads']} torch thread(s), ensembles on {r['device']}; "
        f"FLOP estimate {r['flops_per_model'] / 1e6:.1f} MFLOP per model"
    )
    lm = r["loop_models"]
    print(
        f"one by one  n={lm:<5d} {r['loop_seconds']:8.2f} s wall {r['loop_cpu_seconds']:8.2f} s cpu  "
        f"{1e3 * r['loop_seconds'] / lm:8.1f} ms/model  mean best test accuracy {r['loop_mean_accuracy']:.3f}"
    )
    for e in r["ensembles"]:
        cpu_ratio = f"  cpu-time ratio {e['cpu_ratio']:.1f}x" if e["cpu_ratio"] is not None else ""
        print(
            f"ensemble    M={e['models']:<5d} {e['seconds']:8.2f} s wall {e['cpu_seconds']:8.2f} s cpu  "
            f"{e['ms_per_model']:8.2f} ms/model  {e['models_per_s']:8.1f} models/s  {e['gflops']:.2f} GFLOP/s  "
            f"mean best test accuracy {e['mean_accuracy']:.3f}"
        )
        print(f"ratio at M={e['models']}: {e['ratio']:.1f}x{cpu_ratio}")
    if "largest_m_that_fits" in r:
        print(f"largest M that fits in 80% of the free GPU memory ({r['cuda_free_bytes'] / 2**30:.1f} GiB): "
              f"{r['largest_m_that_fits']}")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(r, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
