"""1-D models: the fitted curve against the data and the derivative with its zeros marked."""

from __future__ import annotations

from typing import Any

from ._style import new_axes, set_title, to_numpy


def plot_curve(curve: Any, ax: Any = None, *, data: Any = None, title: str | None = None) -> Any:
    """The model's curve (a `PredictionCurve`) over the data points, with critical points marked."""
    ax = new_axes(ax, figsize=(5.5, 3.8))
    if data is not None:
        ax.scatter(to_numpy(data.x_train)[:, 0], to_numpy(data.y_train), s=10, color="0.5", alpha=0.6, label="train")
        ax.scatter(
            to_numpy(data.x_test)[:, 0],
            to_numpy(data.y_test),
            s=12,
            color="C1",
            alpha=0.8,
            edgecolors="black",
            linewidths=0.4,
            label="test",
        )
    ax.plot(to_numpy(curve.x), to_numpy(curve.y), color="C0", lw=2, label="model")
    if curve.zeros.numel():
        ax.scatter(
            to_numpy(curve.zeros), to_numpy(curve.zero_values), marker="X", s=60, color="C3", zorder=5, label="f' = 0"
        )
    ax.set_xlabel("x")
    ax.set_ylabel("f(x)")
    ax.grid(True, ls="--", lw=0.4)
    ax.legend(fontsize=7)
    set_title(ax, title or "fitted curve")
    return ax


def plot_derivative(curve: Any, ax: Any = None, *, title: str | None = None) -> Any:
    """The derivative f'(x) with the zero line and its zeros (the critical points of f) marked."""
    ax = new_axes(ax, figsize=(5.5, 3.8))
    ax.plot(to_numpy(curve.x), to_numpy(curve.derivative), color="C0", lw=1.8, label="f'(x)")
    ax.axhline(0.0, color="black", lw=0.8)
    n = curve.zeros.numel()
    if n:
        ax.scatter(
            to_numpy(curve.zeros),
            [0.0] * n,
            marker="X",
            s=60,
            color="C3",
            zorder=5,
            label=f"{n} zero{'s' if n > 1 else ''}",
        )
    ax.set_xlabel("x")
    ax.set_ylabel("f'(x)")
    ax.grid(True, ls="--", lw=0.4)
    ax.legend(fontsize=7)
    set_title(ax, title or (f"derivative: {n} zero{'s' if n != 1 else ''}"))
    return ax


def plot_block_derivatives(blocks: Any, ax: Any = None, *, title: str | None = None) -> Any:
    """Eigenvalues of each ResNet block's Jacobian along a 1-D input (a `BlockJacobians` at points (n, 1)).

    For width-1 blocks the eigenvalue is the block's derivative `skip + residual * w * act'(w h + b)`; where it
    crosses zero the model can have a critical point, so crossings are marked.
    """
    import numpy as np

    ax = new_axes(ax, figsize=(5.5, 3.8))
    x = to_numpy(blocks.points)[:, 0]
    order = np.argsort(x)
    eig = to_numpy(blocks.eigenvalues.real)[order]  # (n, B, w)
    x = x[order]
    for b in range(eig.shape[1]):
        for k in range(eig.shape[2]):
            ax.plot(x, eig[:, b, k], lw=1.5, color=f"C{b % 10}", label=f"block {b + 1}" if k == 0 else None)
            s = np.sign(eig[:, b, k])
            idx = np.nonzero(s[:-1] * s[1:] < 0)[0]
            ax.scatter(x[idx], np.zeros(len(idx)), marker="X", s=50, color="C3", zorder=5)
    ax.axhline(0.0, color="black", lw=0.8)
    ax.set_xlabel("x")
    ax.set_ylabel("block Jacobian eigenvalue")
    ax.grid(True, ls="--", lw=0.4)
    if eig.shape[1]:
        ax.legend(fontsize=7)
    set_title(ax, title or "block derivatives (zero crossings marked)")
    return ax
