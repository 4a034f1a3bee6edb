"""Layer-resolved Jacobian maps: prefix maps (input -> layer k), tail maps (layer k -> output), single layers
(over their own input), and the eigenvalue moduli and determinant sign of square layers' Jacobians.

Layers are numbered from 1 as `model.hidden(x, k)` numbers them: layer k is step k of `model.chain()` (an MLP's
hidden layer k; a ResNet's input layer, then its blocks); a neural ODE has layer 1, the lift `A x + a`, and
layer 2, the flow's end state `phi_T`. Representation 0 is the input. Everything is computed in float64 on a
copy of the model (the caller's model is untouched).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from ..errors import MorsenetError
from ..models import MorseModel
from ._grid import DEFAULT_CHUNK, Box, axis, check_box, check_resolution, grid_axes, grid_points, map_chunks
from ._jacobian import batched_jacobians, singular_values
from ._scalar_field import float64_copy

__all__ = [
    "LAYER_MAP_KINDS",
    "LayerFunctions",
    "LayerMap",
    "choose_layers",
    "eigenvalue_maps",
    "layer_functions",
    "layer_maps",
    "prefix_map",
    "single_layer_map",
    "tail_map",
]

LAYER_MAP_KINDS = ("prefix", "tail", "single", "eigenvalues", "det-sign")
MAP_RESOLUTION = 60  # nodes per axis of a layer map: a report shows up to 6 layers x 5 kinds of them
Fn = Callable[[Tensor], Tensor]


@dataclass(frozen=True)
class LayerMap:
    """One layer-resolved map over a 2-D grid.

    Attributes:
        kind: "prefix" (input -> layer k), "tail" (layer k -> logit), "single" (layer k over its own input),
            "eigenvalues" (moduli of the eigenvalues of layer k's Jacobian, a square layer) or "det-sign"
            (the sign of that Jacobian's determinant).
        layer: k, numbered from 1.
        name: the layer's own name ("layer 2", "block 3", "flow").
        xs: (nx,) and ys: (ny,) grid coordinates.
        values: (ny, nx, m): singular values or eigenvalue moduli in descending order (m = 1 for a tail map:
            the gradient norm), or the determinant's sign (m = 1, entries -1, 0, +1).
        plane: what the grid covers: "input" or "layer j" (representation j, j = 0 being the input).
        origin: (w,) and directions: (2, w) orthonormal, when the plane is a 2-D slice of a representation
            of width w > 2 (`origin + xs[i] * directions[0] + ys[j] * directions[1]`); None otherwise.
    """

    kind: str
    layer: int
    name: str
    xs: Tensor
    ys: Tensor
    values: Tensor
    plane: str
    origin: Tensor | None = None
    directions: Tensor | None = None

    @property
    def minimum(self) -> Tensor:
        """(ny, nx) smallest singular value / eigenvalue modulus (the only value of a tail or det-sign map)."""
        return self.values[..., -1]

    @property
    def maximum(self) -> Tensor:
        """(ny, nx) largest singular value / eigenvalue modulus."""
        return self.values[..., 0]

    @property
    def box(self) -> Box:
        return (float(self.xs[0]), float(self.xs[-1])), (float(self.ys[0]), float(self.ys[-1]))

    @property
    def sliced(self) -> bool:
        return self.directions is not None

    def __repr__(self) -> str:
        ny, nx, m = self.values.shape
        where = (
            f"{self.plane} (2-D slice of width {self.directions.shape[1]})"
            if self.directions is not None
            else self.plane
        )
        return (
            f"LayerMap(kind={self.kind!r}, layer={self.layer}, name={self.name!r}, grid={ny}x{nx}, values per "
            f"node={m}, over={where!r}, box={tuple((round(a, 4), round(b, 4)) for a, b in self.box)})"
        )


@dataclass(frozen=True)
class LayerFunctions:
    """A model as float64 functions: `steps[k - 1]` maps representation k-1 to k, `readout` the last one to
    the logit; `names[k - 1]` is layer k's name and `widths[k]` representation k's width (`widths[0]` the input)."""

    names: tuple[str, ...]
    steps: tuple[Fn, ...]
    readout: Fn
    widths: tuple[int, ...]

    @property
    def n_layers(self) -> int:
        return len(self.steps)

    def compose(self, start: int, stop: int) -> Fn:
        """Representation `start` -> representation `stop` (0 <= start <= stop <= n_layers)."""
        fns = self.steps[start:stop]

        def run(h: Tensor) -> Tensor:
            for fn in fns:
                h = fn(h)
            return h

        return run

    def representations(self, x: Tensor) -> list[Tensor]:
        """[h_0 = x, h_1, ..., h_L] at points x (n, d), without gradients."""
        out = [x]
        with torch.no_grad():
            for fn in self.steps:
                out.append(fn(out[-1]))
        return out


def _affine(w: Tensor, b: Tensor) -> Fn:
    return lambda h: h @ w.T + b


def _chain_step(step: object, act: Fn) -> Fn:
    w = step.weight.to(torch.float64)  # type: ignore[attr-defined]
    b = step.bias.to(torch.float64)  # type: ignore[attr-defined]
    return lambda h: step.combine(h, act(h @ w.T + b))  # type: ignore[attr-defined]


def layer_functions(model: object) -> LayerFunctions:
    """The layers of a morsenet model as float64 functions (BatchNorm folded, eval mode).

    Discrete models use `model.chain()`; a neural ODE (a model with `flow` and no chain) is the lift and the
    flow `phi_T` through the model's own solver.

    Raises:
        MorsenetError: for anything that is not a morsenet model.
    """
    if not isinstance(model, MorseModel):
        raise MorsenetError(f"layer maps need a morsenet model, got {type(model).__name__}")
    m64 = float64_copy(model)
    assert isinstance(m64, MorseModel)
    maps = m64.named_affine_maps()
    readout = _affine(maps[-1].weight.to(torch.float64), maps[-1].bias.to(torch.float64))
    steps = m64.chain()
    if steps is not None:
        fns = tuple(_chain_step(s, m64.act) for s in steps)
        widths = (m64.input_dim, *(int(s.weight.shape[0]) for s in steps))
        return LayerFunctions(tuple(s.name for s in steps), fns, readout, widths)
    flow = getattr(m64, "flow", None)
    if not callable(flow):
        raise MorsenetError(f"{model.kind}: a model without a layer chain needs a `flow` method for layer maps")
    lift = maps[0]
    dim = int(lift.weight.shape[0])
    return LayerFunctions(("lift", "flow"), (_affine(lift.weight, lift.bias), flow), readout, (m64.input_dim, dim, dim))


def choose_layers(n_layers: int, cap: int = 6) -> tuple[int, ...]:
    """Layers to show, numbered from 1: all of them for a net of at most `cap` layers, else `cap` evenly
    spaced ones, the first and the last included."""
    for name, v, lo in (("n_layers", n_layers, 0), ("cap", cap, 1)):
        if isinstance(v, bool) or not isinstance(v, int) or v < lo:
            raise MorsenetError(f"`{name}` must be an integer >= {lo}, got {v!r}")
    if n_layers <= cap:
        return tuple(range(1, n_layers + 1))
    if cap == 1:
        return (n_layers,)
    picks = {round(1 + i * (n_layers - 1) / (cap - 1)) for i in range(cap)}
    return tuple(sorted(picks))


def _check_layer(layer: object, n: int, what: str) -> int:
    if isinstance(layer, bool) or not isinstance(layer, int) or not 1 <= layer <= n:
        raise MorsenetError(f"{what}: `layer` must be an integer in 1..{n}, got {layer!r}")
    return layer


def _check_points(x: object, d: int, what: str) -> Tensor:
    if not isinstance(x, Tensor) or x.ndim != 2 or x.shape[1] != d or x.shape[0] < 1:
        shape = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
        raise MorsenetError(f"{what}: `x` must be a tensor of shape (n, {d}) with n >= 1, got {shape}")
    if not bool(torch.isfinite(x).all()):
        raise MorsenetError(f"{what}: `x` has non-finite entries")
    return x.detach().to(torch.float64)


@dataclass(frozen=True)
class _Plane:
    xs: Tensor
    ys: Tensor
    points: Tensor  # (ny * nx, w) the representation's points at the grid nodes
    label: str
    origin: Tensor | None = None
    directions: Tensor | None = None


def _padded(lo: Tensor, hi: Tensor, margin: float) -> Box:
    """The box [lo, hi] widened by `margin` times its extent on each side (at least 1e-3 half-width)."""
    half = torch.clamp((hi - lo) * (0.5 + margin), min=1e-3)
    mid = 0.5 * (lo + hi)
    return tuple((float(m - h), float(m + h)) for m, h in zip(mid, half))


def _plane(h: Tensor, j: int, resolution: tuple[int, int], margin: float, box: Box | None) -> _Plane:
    """The grid over representation j: its own plane (width 2; `box` if given, else the data's padded bounding
    box), or a slice through the data's mean along its two principal directions (width > 2)."""
    w = h.shape[1]
    label = "input" if j == 0 else f"layer {j}"
    if w < 2:
        raise MorsenetError(f"{label} has width {w}: a 2-D map needs a representation of width >= 2")
    nx, ny = resolution
    if w == 2:
        b = box if box is not None else _padded(h.min(0).values, h.max(0).values, margin)
        xs, ys = grid_axes(b, resolution, torch.float64)
        return _Plane(xs, ys, grid_points(xs, ys).reshape(-1, 2), label)
    origin = h.mean(0)
    _, _, vh = torch.linalg.svd(h - origin, full_matrices=True)
    dirs = vh[:2]
    proj = (h - origin) @ dirs.T
    (x0, x1), (y0, y1) = _padded(proj.min(0).values, proj.max(0).values, margin)
    xs, ys = axis(x0, x1, nx), axis(y0, y1, ny)
    st = grid_points(xs, ys).reshape(-1, 2)
    return _Plane(xs, ys, origin + st @ dirs, label, origin, dirs)


def _jacobian_values(fn: Fn, points: Tensor, chunk: int) -> Tensor:
    (sv,) = map_chunks(lambda p: (singular_values(batched_jacobians(fn, p)),), points, chunk)
    return sv


def _settings(resolution: object, margin: object) -> tuple[tuple[int, int], float]:
    res = check_resolution(resolution)
    if isinstance(margin, bool) or not isinstance(margin, (int, float)) or not 0 <= margin <= 10:
        raise MorsenetError(f"`margin` must be a number in [0, 10], got {margin!r}")
    return res, float(margin)


def _grid_map(kind: str, layer: int, name: str, plane: _Plane, values: Tensor) -> LayerMap:
    ny, nx = len(plane.ys), len(plane.xs)
    return LayerMap(kind, layer, name, plane.xs, plane.ys, values.reshape(ny, nx, -1), plane.label, plane.origin,
                    plane.directions)  # fmt: skip


def _input_plane(model: MorseModel, box: object, resolution: tuple[int, int], what: str) -> _Plane:
    if model.input_dim != 2:
        raise MorsenetError(
            f"{what} over the input plane needs a model with 2 inputs; this one takes {model.input_dim}"
        )
    b = check_box(box, 2)
    return _plane(torch.zeros(1, 2, dtype=torch.float64), 0, resolution, 0.0, b)


def prefix_map(model: MorseModel, layer: int, box: object, *, resolution: object = MAP_RESOLUTION,
               chunk_size: int = DEFAULT_CHUNK) -> LayerMap:  # fmt: skip
    """Singular values of the Jacobian of the prefix map input -> layer `layer` over the input box `box`."""
    fns = layer_functions(model)
    k = _check_layer(layer, fns.n_layers, "prefix_map")
    res, _ = _settings(resolution, 0.0)
    plane = _input_plane(model, box, res, "prefix_map")
    return _grid_map(
        "prefix", k, fns.names[k - 1], plane, _jacobian_values(fns.compose(0, k), plane.points, chunk_size)
    )


def tail_map(model: MorseModel, layer: int, x: Tensor, *, resolution: object = MAP_RESOLUTION, margin: float = 0.1,
             chunk_size: int = DEFAULT_CHUNK) -> LayerMap:  # fmt: skip
    """|grad| of the tail map layer `layer` -> logit over a box around the image of the data `x` at that layer.

    The tail map goes from R^w to R, so its one singular value is the gradient norm. For width 2 the grid is
    the representation's own plane (the data's bounding box, padded by `margin` times its extent on each side);
    for width > 2 it is a 2-D slice through the data's mean along its two principal directions (`LayerMap.origin`,
    `.directions`), and the value at each node is the norm of the full gradient in R^w, not of its projection.
    """
    fns = layer_functions(model)
    k = _check_layer(layer, fns.n_layers, "tail_map")
    res, pad = _settings(resolution, margin)
    h = fns.representations(_check_points(x, fns.widths[0], "tail_map"))[k]
    plane = _plane(h, k, res, pad, None)
    tail = fns.compose(k, fns.n_layers)
    return _grid_map("tail", k, fns.names[k - 1], plane, _jacobian_values(lambda p: fns.readout(tail(p)), plane.points,
                                                                          chunk_size))  # fmt: skip


def single_layer_map(model: MorseModel, layer: int, x: Tensor, *, box: object = None,
                     resolution: object = MAP_RESOLUTION, margin: float = 0.1,
                     chunk_size: int = DEFAULT_CHUNK) -> LayerMap:  # fmt: skip
    """Singular values of layer `layer`'s own Jacobian over a box around its input (the image of the data `x`
    at layer `layer` - 1; for layer 1 the input box `box` when given). Width > 2: a 2-D slice as in `tail_map`,
    the full Jacobian's singular values at each node."""
    fns = layer_functions(model)
    k = _check_layer(layer, fns.n_layers, "single_layer_map")
    res, pad = _settings(resolution, margin)
    h = fns.representations(_check_points(x, fns.widths[0], "single_layer_map"))[k - 1]
    b = check_box(box, 2) if box is not None and k == 1 and fns.widths[0] == 2 else None
    plane = _plane(h, k - 1, res, pad, b)
    return _grid_map("single", k, fns.names[k - 1], plane, _jacobian_values(fns.steps[k - 1], plane.points, chunk_size))


def eigenvalue_maps(model: MorseModel, layer: int, *, box: object = None, x: Tensor | None = None,
                    over: str = "input", resolution: object = MAP_RESOLUTION, margin: float = 0.1,
                    chunk_size: int = DEFAULT_CHUNK) -> tuple[LayerMap, LayerMap]:  # fmt: skip
    """Eigenvalue moduli (descending) and determinant sign of a square layer's Jacobian (a residual block,
    a width-preserving MLP layer, a neural ODE's flow).

    `over="input"`: at the states entering the layer of the input grid points over `box` (the maps live on
    the same plane as the decision boundary); `over="own"`: over the layer's own input box, as in
    `single_layer_map` (needs the data `x`). A sign change of the determinant means the layer folds the plane.
    """
    fns = layer_functions(model)
    k = _check_layer(layer, fns.n_layers, "eigenvalue_maps")
    w_in, w_out = fns.widths[k - 1], fns.widths[k]
    if w_in != w_out:
        raise MorsenetError(f"eigenvalue_maps: layer {k} ({fns.names[k - 1]}) maps width {w_in} to {w_out}: not square")
    res, pad = _settings(resolution, margin)
    if over == "input":
        plane = _input_plane(model, box, res, "eigenvalue_maps")
        states = fns.compose(0, k - 1)
    elif over == "own":
        if x is None:
            raise MorsenetError("eigenvalue_maps: over='own' needs the data `x`")
        h = fns.representations(_check_points(x, fns.widths[0], "eigenvalue_maps"))[k - 1]
        b = check_box(box, 2) if box is not None and k == 1 and w_in == 2 else None
        plane = _plane(h, k - 1, res, pad, b)

        def states(p: Tensor) -> Tensor:
            return p
    else:
        raise MorsenetError(f"eigenvalue_maps: `over` must be 'input' or 'own', got {over!r}")

    def chunk(p: Tensor) -> tuple[Tensor, Tensor]:
        with torch.no_grad():
            s = states(p)
        jac = batched_jacobians(fns.steps[k - 1], s)
        moduli = torch.linalg.eigvals(jac).abs().sort(dim=-1, descending=True).values
        return moduli, torch.sign(torch.linalg.det(jac))[:, None]

    moduli, sign = map_chunks(chunk, plane.points, chunk_size)
    name = fns.names[k - 1]
    return _grid_map("eigenvalues", k, name, plane, moduli), _grid_map("det-sign", k, name, plane, sign)


def layer_maps(model: MorseModel, x: Tensor, box: object, *, layers: Sequence[int] | None = None,
               kinds: Sequence[str] = LAYER_MAP_KINDS, cap: int = 6, resolution: object = MAP_RESOLUTION,
               margin: float = 0.1) -> tuple[LayerMap, ...]:  # fmt: skip
    """Every requested kind of map (`LAYER_MAP_KINDS`) for each chosen layer (default `choose_layers(L, cap)`),
    in layer order. Eigenvalue and determinant maps (over the input plane) are made for square layers only; a
    tail or single-layer map whose plane would be 1-D (a width-1 representation) is left out."""
    fns = layer_functions(model)
    bad = [k for k in kinds if k not in LAYER_MAP_KINDS]
    if bad or not kinds:
        raise MorsenetError(f"`kinds` must be a non-empty subset of {', '.join(LAYER_MAP_KINDS)}, got {list(kinds)}")
    chosen = choose_layers(fns.n_layers, cap) if layers is None else tuple(layers)
    out: list[LayerMap] = []
    for k in chosen:
        _check_layer(k, fns.n_layers, "layer_maps")
        if "prefix" in kinds and fns.widths[k] >= 1:
            out.append(prefix_map(model, k, box, resolution=resolution))
        if "tail" in kinds and fns.widths[k] >= 2:
            out.append(tail_map(model, k, x, resolution=resolution, margin=margin))
        if "single" in kinds and fns.widths[k - 1] >= 2:
            out.append(single_layer_map(model, k, x, box=box, resolution=resolution, margin=margin))
        if ("eigenvalues" in kinds or "det-sign" in kinds) and fns.widths[k - 1] == fns.widths[k]:
            pair = eigenvalue_maps(model, k, box=box, resolution=resolution)
            out.extend(m for m in pair if m.kind in kinds)
    return tuple(out)
