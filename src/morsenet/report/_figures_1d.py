"""The companion's 1-D three-panel figure and its GIF (width-1 models on 1-D inputs)."""

from __future__ import annotations

from typing import Any

from ..plotting._one_d import animate_one_d, draw_one_d
from ._analyze import ModelAnalysis
from ._writer import FigureFile, FigureWriter, new_figure

__all__ = ["one_d_figures"]


def one_d_figures(a: ModelAnalysis, w: FigureWriter) -> None:
    """ "1-D layers" (fit | signed weights and biases | each layer's derivative against its own input) and the
    GIF of it over the snapshots."""
    o = a.one_d
    if o is None:
        return
    fig: Any = new_figure((13.0, 4.2))
    axes = [fig.add_subplot(1, 3, k + 1) for k in range(3)]
    draw_one_d(o.final, axes, data=a.data)
    fig.subplots_adjust(left=0.05, right=0.98, bottom=0.2, wspace=0.3)
    zeros = ", ".join(f"{lay.name}: {len(lay.zeros)}" for lay in o.final.layers)
    w.figure("one_d_layers", "Layers of the 1-D network", "Left: the fitted curve with the data. Middle: each "
             "layer's signed weight and bias (read-out last). Right: the derivative of each layer against that "
             "layer's own input, on the range that input takes over the data interval, zero crossings marked x "
             f"(f'(x) = 0 needs one; zero crossings per layer: {zeros}).", fig)  # fmt: skip
    if o.frames:
        gif = animate_one_d(o.frames, w.folder / "one_d_layers.gif", data=a.data)
        w.out.append(FigureFile("one_d_gif", "Layers of the 1-D network (animation)", f"One frame per saved epoch "
                                f"({len(o.frames)} frames, fixed axes).", gif, (gif,)))  # fmt: skip
