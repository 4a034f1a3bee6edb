"""The companion's 1-D three-panel figure (fit | signed weights and biases | per-layer derivatives) and its GIF."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ._animation import gif_frame, write_gif

__all__ = ["animate_one_d", "draw_one_d", "plot_layer_derivatives", "plot_layer_parameters", "plot_one_d_fit"]


def plot_one_d_fit(result: Any, ax: Any, *, data: Any = None, ylim: tuple[float, float] | None = None) -> Any:
    """The fitted curve with the data points (and the target x^2 dashed when the data set is `square_1d`)."""
    if data is not None:
        ax.scatter(data.x_train[:, 0].numpy(), data.y_train.numpy(), s=6, c="0.6", label="data")
    ax.plot(result.x, result.y, color="C0", lw=2, label="network")
    if data is not None and getattr(data, "name", "") == "square_1d":
        ax.plot(result.x, result.x**2, color="k", ls="--", lw=1, label="x^2")
    if ylim is not None:
        ax.set_ylim(*ylim)
    ax.set_xlabel("x")
    ax.set_title("fit" + (f" (epoch {result.epoch})" if result.epoch is not None else ""))
    ax.legend(fontsize=7, loc="upper center")
    return ax


def plot_layer_parameters(result: Any, ax: Any, *, limit: float | None = None) -> Any:
    """Signed weight and bias of every layer (bars), read-out last."""
    names = [layer.name for layer in result.layers]
    pos = np.arange(len(names))
    ax.bar(pos - 0.2, [layer.weight for layer in result.layers], 0.4, label="weight", color="C3")
    ax.bar(pos + 0.2, [layer.bias for layer in result.layers], 0.4, label="bias", color="C2")
    ax.axhline(0.0, color="k", lw=0.8)
    ax.set_xticks(pos, names, rotation=30, fontsize=7)
    if limit is not None:
        ax.set_ylim(-limit, limit)
    ax.set_title("weights and biases")
    ax.legend(fontsize=7)
    return ax


def plot_layer_derivatives(result: Any, ax: Any, *, ylim: tuple[float, float] | None = None) -> Any:
    """phi_j'(h) of every layer against its own input h (on that input's range), zero crossings marked x."""
    for k, layer in enumerate(result.layers):
        ax.plot(layer.h, layer.derivative, color=f"C{k % 10}", lw=1.5, label=layer.name)
        if layer.zeros:
            ax.plot(layer.zeros, np.zeros(len(layer.zeros)), "x", color=f"C{k % 10}", ms=9, mew=2)
    ax.axhline(0.0, color="k", lw=0.8)
    if ylim is not None:
        ax.set_ylim(*ylim)
    ax.set_xlabel("the layer's own input h")
    ax.set_title("layer derivative d phi / d h")
    ax.legend(fontsize=7)
    return ax


def draw_one_d(result: Any, axes: Sequence[Any], *, data: Any = None, limits: dict[str, Any] | None = None) -> None:
    """The three panels into `axes`; `limits` (from `_limits`) keeps the axes fixed across GIF frames."""
    lim = limits or {}
    plot_one_d_fit(result, axes[0], data=data, ylim=lim.get("fit"))
    plot_layer_parameters(result, axes[1], limit=lim.get("params"))
    plot_layer_derivatives(result, axes[2], ylim=lim.get("deriv"))


def _limits(frames: Sequence[Any]) -> dict[str, Any]:
    ys = np.concatenate([f.y for f in frames])
    ds = np.concatenate([layer.derivative for f in frames for layer in f.layers])
    ps = [abs(v) for f in frames for layer in f.layers for v in (layer.weight, layer.bias)]
    pad = lambda lo, hi: (lo - 0.05 * (hi - lo + 1e-9), hi + 0.05 * (hi - lo + 1e-9))  # noqa: E731
    return {"fit": pad(float(min(ys.min(), 0.0)), float(max(ys.max(), 1.0))),
            "deriv": pad(float(min(ds.min(), 0.0)), float(ds.max())), "params": 1.1 * max(ps + [1e-3])}  # fmt: skip


def animate_one_d(frames: Sequence[Any], path: str | Path, *, data: Any = None, dpi: int = 60,
                  duration_ms: int = 200) -> Path:  # fmt: skip
    """An animated GIF (Pillow, as `animate_snapshots`): one three-panel frame per snapshot, fixed axes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    if not frames:
        raise ValueError("no frames to animate")
    limits = _limits(frames)
    images = []
    for frame in frames:
        fig = Figure(figsize=(12.0, 3.6), dpi=dpi)
        canvas = FigureCanvasAgg(fig)
        axes = [fig.add_subplot(1, 3, k + 1) for k in range(3)]
        draw_one_d(frame, axes, data=data, limits=limits)
        fig.subplots_adjust(left=0.05, right=0.98, bottom=0.2, wspace=0.3)
        canvas.draw()
        images.append(gif_frame(canvas))
    return write_gif(images, path, duration_ms)
