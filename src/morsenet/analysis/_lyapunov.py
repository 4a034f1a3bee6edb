"""Finite-time Lyapunov exponents: `(1/T) log sigma_max(D phi_T(x))` for neural ODEs and flows, and the depth
analogue `(1/(k - i + 1)) log sigma_max(D(g_k o ... o g_i))` for discrete networks (MLPs, ResNets).

The exponent is computed from the Jacobian of the map by autograd (through the model's own solver for a neural
ODE), and, as the companion code estimates it, from the separation of neighbours started a small distance apart
(`separation_exponents`, a cross-check). Everything runs in float64 on a copy of the model.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor

from .._validation import Seed, as_generator
from ..errors import MorsenetError
from ..models import MorseModel
from ._grid import DEFAULT_CHUNK, check_chunk, grid_axes, grid_points, map_chunks
from ._jacobian import batched_jacobians, singular_values
from ._layers import MAP_RESOLUTION, layer_functions

__all__ = ["LyapunovMap", "lyapunov_exponents", "lyapunov_map", "separation_exponents"]

Fn = Callable[[Tensor], Tensor]


@dataclass(frozen=True)
class LyapunovMap:
    """Finite-time Lyapunov exponents over a grid of the input plane.

    Attributes:
        xs: (nx,) and ys: (ny,) grid coordinates.
        values: (ny, nx) exponents: `log(sigma_max) / horizon`.
        horizon: T for a flow, the number of layers k - i + 1 for a discrete network.
        kind: "flow" (a neural ODE or a callable flow) or "depth" (layers i..k of a discrete network).
        layers: (i, k), numbered from 1, for "depth"; None for a flow.
        method: "jacobian" (singular value of the Jacobian) or "separation" (neighbour separation).
    """

    xs: Tensor
    ys: Tensor
    values: Tensor
    horizon: float
    kind: str
    layers: tuple[int, int] | None = None
    method: str = "jacobian"

    @property
    def box(self) -> tuple[tuple[float, float], tuple[float, float]]:
        return (float(self.xs[0]), float(self.xs[-1])), (float(self.ys[0]), float(self.ys[-1]))

    def __repr__(self) -> str:
        ny, nx = self.values.shape
        span = f"layers {self.layers[0]}..{self.layers[1]}" if self.layers else f"T={self.horizon:g}"
        v = self.values[torch.isfinite(self.values)]
        rng = f"[{float(v.min()):.3g}, {float(v.max()):.3g}]" if v.numel() else "[]"
        return (
            f"LyapunovMap(kind={self.kind!r}, {span}, method={self.method!r}, grid={ny}x{nx}, "
            f"box={tuple((round(a, 4), round(b, 4)) for a, b in self.box)}, range={rng})"
        )


@dataclass(frozen=True)
class _Target:
    pre: Fn  # input -> the state the map starts from
    phi: Fn  # the map whose expansion is measured
    horizon: float
    kind: str
    layers: tuple[int, int] | None
    input_dim: int | None


def _target(f: object, T: float | None, layers: tuple[int, int] | None) -> _Target:
    """What to measure: a neural ODE's flow (from the lifted point), layers i..k of a discrete model, or a
    callable flow `f` over time `T`."""
    if isinstance(f, MorseModel):
        if T is not None:
            raise MorsenetError("`T` is for a callable flow; a model's horizon is its own (T or its layers)")
        fns = layer_functions(f)
        if f.chain() is None:  # a neural ODE: layer 1 the lift, layer 2 the flow
            if layers is not None:
                raise MorsenetError("`layers` is for discrete models; a neural ODE's exponent is over its flow")
            horizon = getattr(f.spec, "T", None)
            if not isinstance(horizon, (int, float)):
                raise MorsenetError(f"{f.kind}: a model without a layer chain needs a time horizon `T` in its config")
            return _Target(fns.steps[0], fns.steps[1], float(horizon), "flow", None, f.input_dim)
        n = fns.n_layers
        i, k = (1, n) if layers is None else layers
        for v in (i, k):
            if isinstance(v, bool) or not isinstance(v, int):
                raise MorsenetError(f"`layers` must be two integers (i, k) with 1 <= i <= k <= {n}, got {layers!r}")
        if not 1 <= i <= k <= n:
            raise MorsenetError(f"`layers` must be (i, k) with 1 <= i <= k <= {n}, got {layers!r}")
        return _Target(fns.compose(0, i - 1), fns.compose(i - 1, k), float(k - i + 1), "depth", (i, k), f.input_dim)
    if not callable(f):
        raise MorsenetError(f"expected a morsenet model or a callable flow, got {type(f).__name__}")
    if layers is not None:
        raise MorsenetError("`layers` is for discrete morsenet models, not for a callable flow")
    if isinstance(T, bool) or not isinstance(T, (int, float)) or not (math.isfinite(T) and T > 0):
        raise MorsenetError(f"a callable flow needs its time `T` > 0, got {T!r}")
    return _Target(lambda x: x, f, float(T), "flow", None, None)


def _points(x: object, target: _Target) -> Tensor:
    d = target.input_dim
    if not isinstance(x, Tensor) or x.ndim != 2 or (d is not None and x.shape[1] != d):
        shape = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
        raise MorsenetError(f"`x` must be a tensor of shape (n, {d if d is not None else 'd'}), got {shape}")
    return x.detach().to(torch.float64)


def _jacobian_exponents(target: _Target, x: Tensor) -> Tensor:
    with torch.no_grad():
        h = target.pre(x)
    sv = singular_values(batched_jacobians(target.phi, h))[..., 0]
    return torch.log(sv) / target.horizon


def lyapunov_exponents(f: object, x: Tensor, *, T: float | None = None, layers: tuple[int, int] | None = None,
                       chunk_size: int = DEFAULT_CHUNK) -> Tensor:  # fmt: skip
    """(n,) finite-time Lyapunov exponents at points x (n, d) from the Jacobian, by autograd.

    Args:
        f: a neural ODE (the flow phi_T of the lifted point `A x + a`, through the model's own solver, over its
            T), a discrete morsenet model (layers i..k as one map, divided by k - i + 1), or a callable flow
            (n, d) -> (n, d) over time `T`.
        T: the time of a callable flow (models have their own horizon).
        layers: (i, k), numbered from 1, for a discrete model; default all layers.

    Returns:
        `log(sigma_max(D phi(x))) / horizon`; -inf where the Jacobian vanishes.
    """
    target = _target(f, T, layers)
    (out,) = map_chunks(lambda p: (_jacobian_exponents(target, p),), _points(x, target), check_chunk(chunk_size))
    return out


def _directions(directions: int | Tensor, d: int, seed: Seed) -> Tensor:
    if isinstance(directions, Tensor):
        u = directions.detach().to(torch.float64)
        if u.ndim != 2 or u.shape[1] != d or not len(u):
            raise MorsenetError(f"`directions` must be a (k, {d}) tensor, got {tuple(u.shape)}")
    elif isinstance(directions, bool) or not isinstance(directions, int) or not 1 <= directions <= 10_000:
        raise MorsenetError(f"`directions` must be an integer in 1..10000 or a (k, d) tensor, got {directions!r}")
    else:
        u = torch.randn(directions, d, generator=as_generator(seed), dtype=torch.float64)
    norms = torch.linalg.vector_norm(u, dim=1, keepdim=True)
    if not bool((norms > 0).all()):
        raise MorsenetError("`directions` must be non-zero")
    return u / norms


def separation_exponents(f: object, x: Tensor, *, T: float | None = None, layers: tuple[int, int] | None = None,
                         delta: float = 1e-6, directions: int | Tensor = 32, seed: Seed = 0) -> Tensor:  # fmt: skip
    """(n,) the companion code's estimate: start neighbours at distance `delta` from each point (in the state
    space the map starts from), map them, and take `log(max separation / delta) / horizon`.

    This approaches the Jacobian exponent from below as `delta` -> 0 and the directions fill the sphere.
    `directions` is a count of random unit directions (drawn from `seed`) or a (k, d) tensor of fixed ones;
    `f`, `T`, `layers` as in `lyapunov_exponents`.
    """
    if isinstance(delta, bool) or not isinstance(delta, (int, float)) or not (math.isfinite(delta) and delta > 0):
        raise MorsenetError(f"`delta` must be a number > 0, got {delta!r}")
    target = _target(f, T, layers)
    pts = _points(x, target)
    with torch.no_grad():
        h = target.pre(pts)
        u = _directions(directions, h.shape[1], seed)
        n, k = h.shape[0], u.shape[0]
        base = target.phi(h)
        moved = target.phi((h[:, None, :] + delta * u[None]).reshape(n * k, -1)).reshape(n, k, -1)
        sep = torch.linalg.vector_norm(moved - base[:, None, :], dim=-1).max(dim=1).values
    return torch.log(sep / delta) / target.horizon


def lyapunov_map(f: object, box: object, *, T: float | None = None, layers: tuple[int, int] | None = None,
                 resolution: object = MAP_RESOLUTION, method: str = "jacobian", delta: float = 1e-6,
                 directions: int | Tensor = 32, seed: Seed = 0) -> LyapunovMap:  # fmt: skip
    """Finite-time Lyapunov exponents over a grid of the input box (2-D inputs); `method` "jacobian"
    (`lyapunov_exponents`) or "separation" (`separation_exponents`, with `delta`, `directions`, `seed`)."""
    target = _target(f, T, layers)
    if target.input_dim not in (None, 2):
        raise MorsenetError(f"a Lyapunov map over the plane needs 2 inputs; the model takes {target.input_dim}")
    xs, ys = grid_axes(box, resolution, torch.float64)  # type: ignore[arg-type]
    pts = grid_points(xs, ys).reshape(-1, 2)
    if method == "jacobian":
        values = lyapunov_exponents(f, pts, T=T, layers=layers)
    elif method == "separation":
        values = separation_exponents(f, pts, T=T, layers=layers, delta=delta, directions=directions, seed=seed)
    else:
        raise MorsenetError(f"`method` must be 'jacobian' or 'separation', got {method!r}")
    return LyapunovMap(xs, ys, values.reshape(len(ys), len(xs)), target.horizon, target.kind, target.layers, method)
