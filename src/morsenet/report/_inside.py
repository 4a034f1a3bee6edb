"""Compute the report's "Inside the network" section (no drawing here): layer-resolved Jacobian maps of the layers
`choose_layers` picks, block-Jacobian eigenvalue and determinant-sign maps, and finite-time Lyapunov maps.

Everything comes from `morsenet.analysis._layers` and `morsenet.analysis._lyapunov`; this module only chooses the
layers, the grids and the boxes, and bundles the maps for the figures (`report/_figures_inside.py`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch
from torch import Tensor

from ..analysis._layers import (
    LayerMap,
    choose_layers,
    eigenvalue_maps,
    layer_functions,
    prefix_map,
    single_layer_map,
    tail_map,
)
from ..analysis._lyapunov import LyapunovMap, lyapunov_map
from ..errors import MorsenetError
from ..models import MorseModel

if TYPE_CHECKING:
    from ._analyze import ModelAnalysis

__all__ = ["InsideMaps", "add_inside_maps", "inside_maps", "inside_settings"]

FULL_CAP, QUICK_CAP = 6, 3  # layers shown: all of a net with at most this many layers, else this many
QUICK_JACOBIAN = 60  # `Resolutions.quick().jacobian`: at or below it the section uses the quick settings
MARGIN = 0.1  # tail and single-layer boxes: the image's bounding box padded by this much of its extent per side


@dataclass(frozen=True)
class InsideMaps:
    """The layer-resolved maps of one 2-D model, in layer order.

    Attributes:
        names: every layer's name (layer k is `names[k - 1]`); widths: representation widths (`widths[0]` input).
        layers: the layers shown (`choose_layers(len(names), cap)`); cap: the cap used.
        resolution: nodes per axis of every map; margin: the padding of the tail / single-layer boxes.
        prefix: input -> layer k over the analysis box, for k in `layers`.
        tail: layer k -> logit over a box around the data's image at layer k (k in `layers`, the last left out:
            its tail is the affine read-out, a constant gradient).
        single: layer k over a box around its own input (the data's image at layer k - 1), k in `layers`, k > 1
            (layer 1 over the analysis box is the prefix map of layer 1).
        eigenvalues, det_sign: of the Jacobians of residual blocks (or a neural ODE's flow) at the states the
            input grid points reach, over the analysis box; `blocks` are their layers (at most `cap` of the
            `n_blocks` residual blocks, evenly spaced, as `choose_layers` picks them).
        lyapunov: finite-time Lyapunov maps over the analysis box: layers 1..k (k in `layers`) of a discrete
            net, the flow over [0, T] of a neural ODE.
        n_points: how many data points made the images.
    """

    names: tuple[str, ...]
    widths: tuple[int, ...]
    layers: tuple[int, ...]
    cap: int
    resolution: int
    margin: float
    prefix: tuple[LayerMap, ...]
    tail: tuple[LayerMap, ...]
    single: tuple[LayerMap, ...]
    blocks: tuple[int, ...]
    n_blocks: int
    eigenvalues: tuple[LayerMap, ...]
    det_sign: tuple[LayerMap, ...]
    lyapunov: tuple[LyapunovMap, ...]
    n_points: int

    @property
    def n_layers(self) -> int:
        return len(self.names)

    @property
    def flow(self) -> bool:
        """A neural ODE (layers: the lift and the flow)."""
        return bool(self.lyapunov) and self.lyapunov[0].kind == "flow"

    def __repr__(self) -> str:
        return (
            f"InsideMaps(layers={list(self.layers)} of {self.n_layers}, cap={self.cap}, grid={self.resolution}^2, "
            f"prefix={len(self.prefix)}, tail={len(self.tail)}, single={len(self.single)}, "
            f"blocks={list(self.blocks)} of {self.n_blocks}, lyapunov={len(self.lyapunov)})"
        )


def inside_settings(jacobian_resolution: int) -> dict[str, int]:
    """Grid and layer cap from the report's Jacobian resolution: half of it (16..60 nodes per axis), cap 6, or
    cap 3 at the `--quick` resolution and below."""
    res = max(16, min(60, int(jacobian_resolution) // 2))
    return {"resolution": res, "cap": QUICK_CAP if jacobian_resolution <= QUICK_JACOBIAN else FULL_CAP}


def _block_layers(model: MorseModel, n_layers: int, widths: tuple[int, ...]) -> list[int]:
    chain = model.chain()
    if chain is None:  # a neural ODE: layer 2 is the flow, a square map
        return [2] if n_layers == 2 and widths[1] == widths[2] else []
    return [k for k, step in enumerate(chain, start=1) if step.is_block]


def _depth_lyapunov(prefix: LayerMap) -> LyapunovMap:
    """The depth Lyapunov map of layers 1..k from the prefix map input -> layer k (what `lyapunov_map(model,
    box, layers=(1, k))` computes, without a second Jacobian pass)."""
    k = prefix.layer
    return LyapunovMap(prefix.xs, prefix.ys, torch.log(prefix.maximum) / k, float(k), "depth", (1, k))


def inside_maps(
    model: MorseModel,
    x: Tensor,
    box: tuple[tuple[float, float], ...],
    *,
    resolution: int = 40,
    cap: int = FULL_CAP,
    margin: float = MARGIN,
) -> InsideMaps:
    """Every map of the section for a model with 2 inputs (see `InsideMaps`); `x` the data (n, 2)."""
    if model.input_dim != 2:
        raise MorsenetError(f"the layer-resolved section needs a model with 2 inputs; this one takes {model.input_dim}")
    fns = layer_functions(model)
    n = fns.n_layers
    chosen = choose_layers(n, cap)
    res = resolution
    prefix = tuple(prefix_map(model, k, box, resolution=res) for k in chosen)
    tail = tuple(tail_map(model, k, x, resolution=res, margin=margin) for k in chosen if k < n and fns.widths[k] >= 2)
    single = tuple(  # layer 1 over the input box is the prefix map of layer 1: not repeated
        single_layer_map(model, k, x, resolution=res, margin=margin) for k in chosen if k > 1 and fns.widths[k - 1] >= 2
    )
    squares = _block_layers(model, n, fns.widths)
    blocks = tuple(squares[i - 1] for i in choose_layers(len(squares), cap)) if squares else ()
    pairs = [eigenvalue_maps(model, k, box=box, resolution=res) for k in blocks]
    if model.chain() is None:
        lyap: tuple[LyapunovMap, ...] = (lyapunov_map(model, box, resolution=res),)
    else:  # log sigma_max(D(layers 1..k)) / k: the prefix map's largest singular value, on the same grid
        lyap = tuple(_depth_lyapunov(m) for m in prefix)
    return InsideMaps(
        fns.names, fns.widths, chosen, cap, res, margin, prefix, tail, single, blocks, len(squares),
        tuple(p[0] for p in pairs), tuple(p[1] for p in pairs), lyap, int(x.shape[0]),
    )  # fmt: skip


def add_inside_maps(a: ModelAnalysis, jacobian_resolution: int) -> None:
    """Set `a.inside` for a 2-D model (timed in `a.seconds["inside"]`); a failure only adds a note."""
    if a.input_dim != 2:
        return
    t = time.perf_counter()
    try:
        a.inside = inside_maps(a.model, a.data.x, a.box, **inside_settings(jacobian_resolution))
    except Exception as err:  # a failing section must not take the report down with it
        a.notes.append(f"layer-resolved maps failed: {type(err).__name__}: {str(err)[:200]}")
    a.seconds["inside"] = time.perf_counter() - t
