"""Neural-ODE flows: trajectories of points through the flow, and singular-value maps of the Jacobian of the flow
over sub-intervals `phi_[a, b]` evaluated where the input plane's points are at time a.

Everything runs in float64 on a copy of the model through its own solver (`NeuralODE.flow(h, t0, t1)`), so the
caller's model is untouched.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from ..errors import MorsenetError
from ..models import MorseModel
from ._grid import DEFAULT_CHUNK, Box, check_box, check_chunk, check_resolution, grid_axes, grid_points, map_chunks
from ._jacobian import singular_values
from ._scalar_field import float64_copy

__all__ = ["FlowJacobianMaps", "FlowTrajectories", "default_intervals", "flow_jacobian_maps", "trajectories"]

MAX_INTERVALS = 8  # default sub-intervals of a flow-Jacobian map: one panel each
MAX_TIMES = 61  # default times of a trajectory (the step grid thinned to at most this many)


@dataclass(frozen=True)
class FlowTrajectories:
    """Points carried through a neural ODE's flow.

    Attributes:
        times: (n_t,) increasing times in [0, T], 0 and T included by default.
        states: (n_t, n, dim) the states `phi_[0, t](lift(x))` at those times (states[0] the lifted or zero-padded
            start); float64 CPU tensors, detached.
        inputs: (n, input_dim) the points x, float64.
        T: the model's end time.
    """

    times: Tensor
    states: Tensor
    inputs: Tensor
    T: float

    @property
    def dim(self) -> int:
        return int(self.states.shape[2])

    @property
    def n_points(self) -> int:
        return int(self.states.shape[1])

    def __repr__(self) -> str:
        return f"FlowTrajectories({self.n_points} points, dim {self.dim}, {len(self.times)} times in [0, {self.T:g}])"


@dataclass(frozen=True)
class FlowJacobianMaps:
    """Singular values of the Jacobian of the sub-interval flows `phi_[a, b]` at `h_a(x)` over an input-plane grid.

    Attributes:
        xs: (nx,) and ys: (ny,) input grid coordinates.
        intervals: the sub-intervals (a, b).
        values: (k, ny, nx, dim) singular values in descending order, one map per interval (float64).
    """

    xs: Tensor
    ys: Tensor
    intervals: tuple[tuple[float, float], ...]
    values: Tensor

    @property
    def minimum(self) -> Tensor:
        """(k, ny, nx) the smallest singular value (how much phi_[a, b] contracts)."""
        return self.values[..., -1]

    @property
    def maximum(self) -> Tensor:
        """(k, ny, nx) the largest singular value (how much phi_[a, b] stretches)."""
        return self.values[..., 0]

    @property
    def box(self) -> Box:
        return ((float(self.xs[0]), float(self.xs[-1])), (float(self.ys[0]), float(self.ys[-1])))

    def __repr__(self) -> str:
        k, ny, nx, d = self.values.shape
        return f"FlowJacobianMaps({k} intervals, {nx}x{ny} grid, dim {d})"


def _ode_copy(model: object, what: str) -> Any:
    if not isinstance(model, MorseModel) or model.kind != "neural_ode":
        name = model.kind if isinstance(model, MorseModel) else type(model).__name__
        raise MorsenetError(f"{what} needs a neural ODE, got {name}")
    return float64_copy(model)


def _points(x: object, d: int, what: str) -> Tensor:
    if not isinstance(x, Tensor) or x.ndim != 2 or x.shape[1] != d or x.shape[0] < 1:
        shape = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
        raise MorsenetError(f"{what}: `x` must be a tensor of shape (n, {d}) with n >= 1, got {shape}")
    if not bool(torch.isfinite(x).all()):
        raise MorsenetError(f"{what}: `x` has non-finite entries")
    return x.detach().to(torch.float64)


def _times(spec: Any, times: object, n_times: object) -> Tensor:
    T = spec.T
    if times is not None:
        if n_times is not None:
            raise MorsenetError("trajectories: give `times` or `n_times`, not both")
        try:
            t = torch.as_tensor(times, dtype=torch.float64).reshape(-1)
        except (TypeError, ValueError, RuntimeError):
            raise MorsenetError(f"trajectories: `times` must be a sequence of numbers, got {times!r}") from None
        ok = len(t) >= 1 and bool(torch.isfinite(t).all()) and bool((t[1:] > t[:-1]).all())
        if not ok or float(t[0]) < 0 or float(t[-1]) > T * (1 + 1e-12):
            raise MorsenetError(f"trajectories: `times` must increase strictly within [0, T = {T:g}], got {times!r}")
        return t
    if n_times is not None:
        if isinstance(n_times, bool) or not isinstance(n_times, int) or n_times < 2:
            raise MorsenetError(f"trajectories: `n_times` must be an integer >= 2, got {n_times!r}")
        return torch.linspace(0.0, T, n_times, dtype=torch.float64)
    if spec.adaptive:
        return torch.linspace(0.0, T, 41, dtype=torch.float64)
    stride = math.ceil(spec.steps / (MAX_TIMES - 1))  # the fixed-step grid (thinned): sub-flows take whole steps
    marks = list(range(0, spec.steps + 1, stride))
    if marks[-1] != spec.steps:
        marks.append(spec.steps)
    return torch.tensor(marks, dtype=torch.float64) * (T / spec.steps)


def trajectories(model: MorseModel, x: Tensor, *, times: Sequence[float] | Tensor | None = None,
                 n_times: int | None = None) -> FlowTrajectories:  # fmt: skip
    """The states of the points `x` (n, input_dim) through a neural ODE's flow, lifted start included.

    Times: `times` (strictly increasing, in [0, T]), or `n_times` equal ones from 0 to T, or by default the
    model's fixed step grid (thinned to at most 61 times; 41 equal times for an adaptive solver). The states
    are computed interval by interval through the model's own solver (`NeuralODE.flow(h, t0, t1)`).

    Raises:
        MorsenetError: for a model that is not a neural ODE, or bad points or times.
    """
    m = _ode_copy(model, "trajectories")
    pts = _points(x, m.input_dim, "trajectories")
    t = _times(m.spec, times, n_times)
    with torch.no_grad():
        h = m.hidden(pts, 1)
        start = 0.0
        if float(t[0]) > 0:
            h, start = m.flow(h, 0.0, float(t[0])), float(t[0])
        states = [h]
        for tk in t[1:].tolist():
            h = m.flow(h, start, min(tk, m.spec.T))
            states.append(h)
            start = tk
    return FlowTrajectories(t, torch.stack(states).detach(), pts, float(m.spec.T))


def default_intervals(T: float, pieces: int, *, cap: int = MAX_INTERVALS) -> tuple[tuple[float, float], ...]:
    """Unit sub-intervals [k, k + 1] of [0, T] (T >= 2), else the `pieces` constant-weight pieces; at most `cap`
    of them, evenly spaced (the first and last included)."""
    if T >= 2:
        n = int(math.floor(T + 1e-12))
        ivs = [(float(k), float(k + 1)) for k in range(n)]
    else:
        ivs = [(k * T / pieces, (k + 1) * T / pieces) for k in range(pieces)]
    if len(ivs) > cap:
        picks = sorted({round(i * (len(ivs) - 1) / (cap - 1)) for i in range(cap)}) if cap > 1 else [len(ivs) - 1]
        ivs = [ivs[i] for i in picks]
    return tuple(ivs)


def _intervals(intervals: object, T: float) -> tuple[tuple[float, float], ...]:
    try:
        pairs = tuple((float(a), float(b)) for a, b in intervals)  # type: ignore[attr-defined]
    except (TypeError, ValueError):
        raise MorsenetError(f"`intervals` must be a sequence of (a, b) pairs, got {intervals!r}") from None
    if not pairs or not all(0 <= a < b <= T * (1 + 1e-12) for a, b in pairs):
        raise MorsenetError(f"`intervals` need 0 <= a < b <= T = {T:g} for each (a, b), got {intervals!r}")
    return tuple((a, min(b, T)) for a, b in pairs)


def _jacobians(fn: Any, h: Tensor) -> Tensor:
    """(n, dim, dim) Jacobians of the pointwise map `fn` at the rows of h by dim batched backward passes (the flow
    of a whole batch through a few hundred small ops: torch.func's vmap of jacrev is ~1000x slower here)."""
    with torch.enable_grad():
        hg = h.detach().clone().requires_grad_(True)
        y = fn(hg)
        rows = [torch.autograd.grad(y[:, i].sum(), hg, retain_graph=i + 1 < y.shape[1])[0] for i in range(y.shape[1])]
    return torch.stack(rows, dim=1).detach()


def flow_jacobian_maps(model: MorseModel, box: object, resolution: object = 40, *, intervals: object = None,
                       chunk_size: int = DEFAULT_CHUNK) -> FlowJacobianMaps:  # fmt: skip
    """Singular values of `D phi_[a, b]` at `h_a(x) = phi_[0, a](lift(x))` over a grid of input points x in `box`.

    `intervals` default: `default_intervals(T, pieces)` (unit sub-intervals, or the constant-weight pieces when
    T < 2; at most 8). The Jacobians are exact derivatives of the model's numerical flow by autograd, in float64
    (for an adaptive solver, whose steps are chosen for the whole batch, up to the dependence of those steps on
    the other points: a tolerance-level effect).

    Raises:
        MorsenetError: for a model that is not a neural ODE with 2 inputs, or a bad box, resolution or interval.
    """
    m = _ode_copy(model, "flow_jacobian_maps")
    if m.input_dim != 2:
        raise MorsenetError(f"flow_jacobian_maps needs a model with 2 inputs; this one takes {m.input_dim}")
    b = check_box(box, 2)
    res = check_resolution(resolution)
    chunk = check_chunk(chunk_size)
    spec = m.spec
    ivs = default_intervals(spec.T, spec.pieces) if intervals is None else _intervals(intervals, spec.T)
    xs, ys = grid_axes(b, res, torch.float64)
    pts = grid_points(xs, ys).reshape(-1, 2)

    def maps(p: Tensor) -> tuple[Tensor, ...]:
        with torch.no_grad():
            h0 = m.hidden(p, 1)
        out, t_cur, h_cur = [], 0.0, h0
        for a, bb in ivs:
            if a < t_cur:  # intervals out of order: start again from the lifted points
                t_cur, h_cur = 0.0, h0
            with torch.no_grad():
                h_cur = m.flow(h_cur, t_cur, a) if a > t_cur else h_cur
            t_cur = a
            jac = _jacobians(lambda h, a=a, bb=bb: m.flow(h, a, bb), h_cur)
            out.append(singular_values(jac).detach())
        return (torch.stack(out, dim=1),)  # (n, k, dim)

    (values,) = map_chunks(maps, pts, chunk)
    ny, nx = len(ys), len(xs)
    return FlowJacobianMaps(xs, ys, ivs, values.reshape(ny, nx, len(ivs), -1).permute(2, 0, 1, 3).contiguous())
