"""Input Jacobians of a model (or of one of its hidden layers) at every point of a grid, with singular values."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor
from torch.func import jacrev, vmap

from ..errors import MorsenetError
from . import _repr
from ._grid import DEFAULT_CHUNK, JACOBIAN_RESOLUTION, Box, check_chunk, grid_axes, grid_points, map_chunks
from ._scalar_field import check_input_dim, eval_mode, infer_dtype


@dataclass(frozen=True)
class JacobianGrid:
    """Jacobians of a map R^2 -> R^m over a uniform grid.

    Attributes:
        xs: (nx,) grid abscissae.
        ys: (ny,) grid ordinates.
        points: (ny, nx, 2) grid points, `points[j, i] = (xs[i], ys[j])`.
        jacobians: (ny, nx, m, 2) Jacobian at each point; m = 1 for the scalar output (the gradient as a row).
        singular_values: (ny, nx, k) singular values in descending order, k = min(m, 2).
        layer: None for the scalar output, else the hidden layer whose representation was differentiated.
    """

    xs: Tensor
    ys: Tensor
    points: Tensor
    jacobians: Tensor
    singular_values: Tensor
    layer: int | None = None

    @property
    def min_singular_value(self) -> Tensor:
        """(ny, nx) smallest singular value (equals the largest when m = 1)."""
        return self.singular_values[..., -1]

    @property
    def max_singular_value(self) -> Tensor:
        """(ny, nx) largest singular value."""
        return self.singular_values[..., 0]

    @property
    def box(self) -> Box:
        return (float(self.xs[0]), float(self.xs[-1])), (float(self.ys[0]), float(self.ys[-1]))

    def __repr__(self) -> str:
        ny, nx, m, d = self.jacobians.shape
        of = "output" if self.layer is None else f"layer {self.layer}"
        return (
            f"JacobianGrid(of={of!r}, grid={_repr.grid(ny, nx)}, jacobian={m}x{d}, box={_repr.box(self.box)}, "
            f"min singular value range={_repr.value_range(self.min_singular_value)})"
        )


def singular_values(jacobians: Tensor) -> Tensor:
    """Singular values, descending, of a batch of matrices (..., m, d) -> (..., min(m, d)).

    A single row (m = 1) has one singular value, its Euclidean norm; that case skips the SVD.
    """
    if jacobians.shape[-2] == 1 or jacobians.shape[-1] == 1:
        return torch.linalg.vector_norm(jacobians, dim=(-2, -1))[..., None]
    return torch.linalg.svdvals(jacobians)


def _batched_map(f: Callable, layer: int | None) -> Callable[[Tensor], Tensor]:
    """The map (n, d) -> (n, m) to differentiate: the scalar output (m = 1) or `f.hidden(x, layer)`."""
    if layer is None:

        def out(x: Tensor) -> Tensor:
            y = f(x)
            if not isinstance(y, Tensor) or y.shape[0] != x.shape[0] or y[0].numel() != 1:
                shape = tuple(y.shape) if isinstance(y, Tensor) else type(y).__name__
                raise MorsenetError(
                    f"`f` must map (n, d) points to n scalar outputs, got {shape} for n = "
                    f"{x.shape[0]}; for a hidden layer pass a model and `layer=`"
                )
            return y.reshape(x.shape[0], 1)

        return out
    if not hasattr(f, "hidden"):
        raise MorsenetError(
            f"`layer={layer}` needs a morsenet model with `hidden(x, layer)`; "
            f"{type(f).__name__} has none (use layer=None for a plain callable)"
        )
    n_layers = getattr(f, "n_layers", None)
    if (
        isinstance(layer, bool)
        or not isinstance(layer, int)
        or (n_layers is not None and not 1 <= layer <= n_layers + 1)
    ):
        raise MorsenetError(
            f"`layer` must be an integer in 1..{n_layers + 1 if n_layers is not None else 'L+1'} or None, got {layer!r}"
        )
    return lambda x: f.hidden(x, layer).reshape(x.shape[0], -1)


def batched_jacobians(g: Callable[[Tensor], Tensor], x: Tensor) -> Tensor:
    """Jacobians (n, m, d) of a pointwise map g: (n, d) -> (n, m) at the rows of `x`, in one batched call.

    torch.func's vmap of jacrev first; a callable that vmap cannot trace (numpy inside, `.item()`, ...)
    falls back to m batched backward passes, which is exact as long as output i depends on input i only.
    """

    def one(p: Tensor) -> Tensor:
        return g(p[None])[0]

    try:
        return vmap(jacrev(one))(x).detach()
    except (RuntimeError, NotImplementedError, TypeError, ValueError) as err:
        if isinstance(err, MorsenetError):
            raise
    with torch.enable_grad():
        xg = x.detach().clone().requires_grad_(True)
        y = g(xg)
        if not y.requires_grad:
            raise MorsenetError(
                "`f` is not differentiable with torch autograd (its output has no gradient); "
                "write it with torch operations"
            )
        rows = [
            torch.autograd.grad(y[:, i].sum(), xg, retain_graph=i + 1 < y.shape[1], allow_unused=True)[0]
            for i in range(y.shape[1])
        ]
    rows = [torch.zeros_like(x) if r is None else r for r in rows]
    return torch.stack(rows, dim=1).detach()


def jacobian_grid(
    f: Callable[[Tensor], Tensor],
    box: Box,
    resolution: int | tuple[int, int] = JACOBIAN_RESOLUTION,
    layer: int | None = None,
    *,
    dtype: torch.dtype | None = None,
    chunk_size: int = DEFAULT_CHUNK,
) -> JacobianGrid:
    """Jacobian of `f` (or of its hidden layer `layer`) and its singular values at every point of a grid.

    All points go through one vectorised call per chunk (no Python loop over points), so a 1000x1000 grid
    needs memory for `chunk_size` points at a time plus the result.

    Args:
        f: a morsenet model or any callable mapping (n, 2) float points to n outputs. Points must not
            interact (a module is evaluated in eval mode, so BatchNorm uses its running statistics).
        box: ((x_min, x_max), (y_min, y_max)).
        resolution: n for an n x n grid, or (nx, ny).
        layer: None for the scalar output; k for the representation after hidden layer k
            (`f.hidden(x, k)`, 1 <= k <= f.n_layers + 1), as the prototype's sub-model maps.
        dtype: float32 or float64; defaults to the dtype of `f`'s parameters (float32 for a plain callable).
        chunk_size: points per vectorised call.

    Returns:
        A `JacobianGrid` with `points` (ny, nx, 2), `jacobians` (ny, nx, m, 2) and `singular_values`
        (ny, nx, min(m, 2)), descending.

    Raises:
        MorsenetError: for a bad box, resolution or layer, or a callable that does not return n outputs.
    """
    check_input_dim(f, 2, "jacobian_grid")
    dtype = infer_dtype(f, dtype)
    xs, ys = grid_axes(box, resolution, dtype)
    points = grid_points(xs, ys)
    g = _batched_map(f, layer)

    def chunk(x: Tensor) -> tuple[Tensor, Tensor]:
        jac = batched_jacobians(g, x)
        return jac, singular_values(jac)

    with eval_mode(f):
        jac, sv = map_chunks(chunk, points.reshape(-1, 2), check_chunk(chunk_size))
    ny, nx = points.shape[:2]
    return JacobianGrid(xs, ys, points, jac.reshape(ny, nx, *jac.shape[1:]), sv.reshape(ny, nx, -1), layer)
