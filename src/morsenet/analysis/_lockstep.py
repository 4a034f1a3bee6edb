"""Analyses of M models of one architecture batched across the models: their field evaluations in lockstep.

The certified analyses (the critical-point search with its cell bookkeeping, the tunnel test) are long chains of
data-dependent steps; for the tiny networks here nearly all of their time is the fixed cost of each small tensor
operation, not arithmetic. Running them for M models at once amortises that cost without rewriting them: each
model's analysis runs unchanged in a thread of its own, with a field (`RoutedChain`) whose evaluations, instead of
computing, wait until every running analysis has asked for one (or finished). The last one to ask answers them
all with one pass of a `StackedChain` (the M models' maps on a leading model axis, gathered per point), and the
analyses go on to their next evaluation. Python's lock means the analyses' own bookkeeping still runs one at a
time; the evaluations, most of the cost, run M at a time.

One chain and a stack run the same per-point kernels (`chain_values`, `chain_derivatives`), so a point's numbers
do not depend on who shares the pass beyond rounding (a vectorised elementwise kernel can round a point one ulp
differently from its scalar tail), and an analysis reaches the same verdicts alone and in lockstep
(`tests/test_lockstep.py`).
"""

from __future__ import annotations

import functools
import threading
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import torch
from torch import Tensor

from ..errors import MorsenetError
from ._exact_field import LayerChain, PointMaps, chain_derivatives, chain_values

R = TypeVar("R")

__all__ = ["Lockstep", "RoutedChain", "StackedChain", "run_lockstep"]


class StackedChain:
    """M layer chains of one architecture (same steps, skip and residual scales, widths and activation), their
    maps stacked on a leading model axis: weights[k] (M, out, in), biases[k] (M, out), w_out (M, n_L), c_out (M,).
    """

    def __init__(self, chains: Sequence[LayerChain]) -> None:
        if not chains:
            raise MorsenetError("a stacked chain needs at least one chain")
        first = chains[0]
        for k, c in enumerate(chains[1:], start=1):
            same = c.activation == first.activation and len(c.steps) == len(first.steps)
            same = same and all(
                a.skip == b.skip and a.residual == b.residual and a.weight.shape == b.weight.shape
                for a, b in zip(c.steps, first.steps)
            )
            if not same or c.w_out.shape != first.w_out.shape:
                raise MorsenetError(
                    f"chain {k} does not have the architecture of chain 0; a stack needs one architecture"
                )
        self.chains = tuple(chains)
        self.weights = tuple(torch.stack([c.steps[k].weight for c in chains]) for k in range(len(first.steps)))
        self.biases = tuple(torch.stack([c.steps[k].bias for c in chains]) for k in range(len(first.steps)))
        self.w_out = torch.stack([c.w_out for c in chains])
        self.c_out = torch.tensor([c.c_out for c in chains], dtype=torch.float64)

    def __len__(self) -> int:
        return len(self.chains)

    def point_maps(self, models: Tensor) -> PointMaps:
        """The maps of each point's model: `models` (n,) indices into the stack."""
        return PointMaps(
            tuple(w[models] for w in self.weights),
            tuple(b[models] for b in self.biases),
            self.w_out[models],
            self.c_out[models],
        )

    def values(self, models: Tensor, x: Tensor) -> Tensor:
        """f_m(x) (n,) for points x (n, d) of models `models` (n,)."""
        return chain_values(self.chains[0], self.point_maps(models), x)

    def derivatives(self, models: Tensor, x: Tensor, *, hessian: bool = True) -> tuple[Tensor, Tensor, Tensor | None]:
        """Values, gradients and Hessians of each point's model (see `LayerChain.derivatives`)."""
        return chain_derivatives(self.chains[0], self.point_maps(models), x, hessian=hessian)


@dataclass(frozen=True)
class RoutedChain(LayerChain):
    """Model `index`'s chain whose values and derivatives are answered by the `Lockstep` pass (everything else,
    such as the layer Jacobians of the rounding floor, is the chain's own). A call that needs an autograd graph
    is computed directly: a graph must not join analyses in different threads."""

    lockstep: Lockstep | None = None
    index: int = 0

    def __call__(self, x: Tensor) -> Tensor:
        if self.lockstep is None or (torch.is_grad_enabled() and x.requires_grad):
            return super().__call__(x)
        out: Tensor = self.lockstep.ask(self.index, ("values",), x.detach())
        return out

    def derivatives(self, x: Tensor, *, hessian: bool = True) -> tuple[Tensor, Tensor, Tensor | None]:
        if self.lockstep is None:
            return super().derivatives(x, hessian=hessian)
        out: tuple[Tensor, Tensor, Tensor | None] = self.lockstep.ask(self.index, ("derivatives", hessian), x.detach())
        return out


class Lockstep:
    """One pass of a `StackedChain` answers every running analysis' pending evaluation (see the module text).

    Exactly one analysis runs at a time: the others wait on their own event, so the small torch operations,
    which release Python's lock, never hand it to another analysis (threads contending for it on every operation
    made lockstep slower than one model after another). An analysis that asks for an evaluation passes its turn
    to the next ready one; when none is ready, every running analysis is waiting, and the asking one answers them
    all with one stacked pass and goes on.
    """

    def __init__(self, chains: Sequence[LayerChain]) -> None:
        self.stack = StackedChain(chains)
        self._lock = threading.Lock()
        self._turn = [threading.Event() for _ in chains]
        self._ready: deque[int] = deque()
        self._pending: dict[int, tuple[tuple[Any, ...], Tensor]] = {}
        self._answers: dict[int, Any] = {}
        self.passes = 0  # stacked passes so far (each answers one evaluation of every waiting analysis)

    def field(self, m: int) -> RoutedChain:
        c = self.stack.chains[m]
        return RoutedChain(
            c.steps, c.w_out, c.c_out, c.activation, c.act, c.slope, c.curvature, lockstep=self, index=m
        )  # fmt: skip

    def ask(self, m: int, kind: tuple[Any, ...], x: Tensor) -> Any:
        """Model m's evaluation `kind` at x, answered when every running analysis has asked or finished."""
        with self._lock:
            self._pending[m] = (kind, x)
            if self._ready:
                self._pass_turn(m)
            else:
                self._answer()
                self._ready.extend(k for k in sorted(self._answers) if k != m)
        out = self._answers.pop(m)
        if isinstance(out, BaseException):
            raise out
        return out

    def _pass_turn(self, m: int) -> None:
        """Wake the next ready analysis and wait for m's own turn (called with the lock held; returns with it)."""
        self._turn[m].clear()
        self._turn[self._ready.popleft()].set()
        self._lock.release()
        try:
            self._turn[m].wait()
        finally:
            self._lock.acquire()

    def _finish(self) -> None:
        """An analysis ended: hand the turn on (answering the waiting ones first when none is ready)."""
        with self._lock:
            if not self._ready and self._pending:
                self._answer()
                self._ready.extend(sorted(self._answers))
            if self._ready:
                self._turn[self._ready.popleft()].set()

    def _answer(self) -> None:
        """Answer every pending evaluation, one stacked pass per kind (called with the lock held)."""
        kinds: dict[tuple[Any, ...], list[int]] = {}
        for m, (kind, _) in sorted(self._pending.items()):
            kinds.setdefault(kind, []).append(m)
        for kind, models in kinds.items():
            try:
                parts = self._evaluate(kind, models)
            except Exception:  # noqa: BLE001 - one bad request must not fail the others: answer each alone
                parts = []
                for m in models:
                    try:
                        parts += self._evaluate(kind, [m])
                    except Exception as err:  # noqa: BLE001 - raised in the analysis that asked
                        parts.append(err)
            for m, part in zip(models, parts):
                self._answers[m] = part
        self.passes += 1
        self._pending.clear()

    def _evaluate(self, kind: tuple[Any, ...], models: list[int]) -> list[Any]:
        """One stacked pass of evaluation `kind` over the pending points of `models`; the answer of each."""
        xs = [self._pending[m][1] for m in models]
        x = torch.cat(xs)
        which = torch.cat([torch.full((len(p),), m, dtype=torch.long) for m, p in zip(models, xs)])
        sizes = [len(p) for p in xs]
        if kind[0] == "values":
            return list(self.stack.values(which, x).split(sizes))
        v, g, h = self.stack.derivatives(which, x, hessian=kind[1])
        hs = h.split(sizes) if h is not None else [None] * len(xs)
        return list(zip(v.split(sizes), g.split(sizes), hs))

    def run(self, jobs: Sequence[Callable[[RoutedChain], R]]) -> list[R | Exception]:
        """Run job m on model m's routed field, all in lockstep; job m's result, or the exception it raised."""
        if len(jobs) != len(self.stack):
            raise MorsenetError(f"{len(jobs)} jobs for {len(self.stack)} models")
        results: list[Any] = [None] * len(jobs)

        def work(m: int) -> None:
            self._turn[m].wait()
            try:
                results[m] = jobs[m](self.field(m))
            except Exception as err:  # noqa: BLE001 - one model's failure is its own result
                results[m] = err
            finally:
                self._finish()

        threads = [threading.Thread(target=work, args=(m,), daemon=True) for m in range(len(jobs))]
        for t in threads:
            t.start()
        with self._lock:
            self._ready.extend(range(1, len(jobs)))
        self._turn[0].set()
        for t in threads:
            t.join()
        return results


def run_lockstep(chains: Sequence[LayerChain], job: Callable[[int, RoutedChain], R]) -> tuple[list[R | Exception], int]:
    """`job(m, field_m)` for every chain in lockstep; (results or exceptions in order, stacked passes used)."""
    lock = Lockstep(chains)
    results = lock.run([functools.partial(job, m) for m in range(len(chains))])
    return results, lock.passes
