"""Figures of the data and of training: data-set scatter, loss curves, test accuracy, loss terms, R1 ratio."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ._style import CLASS_COLORS, legend_below, lighten_log_axis, new_axes, set_title, to_numpy

if TYPE_CHECKING:
    from ..training import History


def plot_dataset(data: Any, ax: Any = None, *, train: bool = True, test: bool = True, title: str | None = None) -> Any:
    """Scatter a `Dataset`: train points as dots, test points as black-edged dots; class 0 blue, class 1 orange.

    The legend sits under the Axes, off the points.

    1-D regression data is drawn as y against x; for d > 2 the first two coordinates are shown.
    """
    ax = new_axes(ax)
    parts = [(data.x_train, data.y_train, "train", train), (data.x_test, data.y_test, "test", test)]
    for x, y, label, show in parts:
        if not show:
            continue
        x, y = to_numpy(x), to_numpy(y)
        edge = dict(edgecolors="black", linewidths=0.5) if label == "test" else dict(edgecolors="none")
        if data.task == "regression" or x.shape[1] == 1:
            ax.scatter(x[:, 0], y, s=12, alpha=0.7, color="0.35" if label == "train" else "C3", label=label, **edge)
            continue
        for cls in (0, 1):
            m = y == cls
            ax.scatter(
                x[m, 0], x[m, 1], s=14, alpha=0.6, color=CLASS_COLORS[cls], label=f"{label}, class {cls}", **edge
            )
    if data.task == "regression" or data.input_dim == 1:
        ax.set_xlabel("x")
        ax.set_ylabel("y")
    else:
        ax.set_xlabel("$x_1$")
        ax.set_ylabel("$x_2$")
        ax.set_aspect("equal", adjustable="datalim")
    legend_below(ax)
    note = f" (first 2 of {data.input_dim} dims)" if data.input_dim > 2 else ""
    set_title(ax, title or f"data set: {data.name}{note}")
    return ax


def _series(values: list[float]) -> np.ndarray:
    return np.asarray(values, dtype=float)


def _epoch_axes(ax: Any, ylabel: str, title: str) -> Any:
    """The common finish of a per-epoch curve: axis labels, a dashed grid, the legend and the title."""
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    ax.grid(True, which="both", ls="--", lw=0.4)
    ax.legend(fontsize=7)
    set_title(ax, title)
    return ax


def _placeholder(ax: Any, text: str) -> Any:
    """An axis that says what is missing instead of drawing an empty plot."""
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes)
    ax.set_axis_off()
    return ax


def plot_loss(history: History, ax: Any = None, *, log: bool = True, title: str | None = None) -> Any:
    """Train and test loss per epoch (a `History`), best epoch marked."""
    ax = new_axes(ax, figsize=(5.5, 3.5))
    train, test = _series(history.train_loss), _series(history.test_loss)
    epochs = np.arange(1, len(train) + 1)
    ax.plot(epochs, train, color="C0", label="train loss")
    if len(test):
        ax.plot(np.arange(1, len(test) + 1), test, color="C1", label="test loss")
    best = history.best_epoch
    if best is not None and best >= 0:
        ax.axvline(best + 1, color="0.5", ls="--", lw=0.8, label=f"best epoch {best + 1}")
    if log and len(train) and np.all(train > 0) and (not len(test) or np.all(test > 0)):
        ax.set_yscale("log")
        lighten_log_axis(ax.yaxis)
    return _epoch_axes(ax, "loss", title or "loss")


def plot_accuracy(history: History, ax: Any = None, *, title: str | None = None) -> Any:
    """Test accuracy per epoch with the best epoch marked (regression histories show a note instead)."""
    ax = new_axes(ax, figsize=(5.5, 3.5))
    acc = _series(history.test_accuracy)
    if not len(acc):
        return _placeholder(ax, "no accuracy (regression)")
    ax.plot(np.arange(1, len(acc) + 1), acc, color="C2", label="test accuracy")
    best = history.best_epoch
    if best is not None and 0 <= best < len(acc):
        ax.plot([best + 1], [acc[best]], "o", color="C3", label=f"best {acc[best]:.3f} (epoch {best + 1})")
    ax.set_ylim(min(0.4, float(acc.min()) - 0.02), 1.01)
    ax.set_xlabel("epoch")
    ax.set_ylabel("test accuracy")
    ax.grid(True, ls="--", lw=0.4)
    ax.legend(fontsize=7, loc="lower right")
    set_title(ax, title or "test accuracy")
    return ax


TERM_LABELS = {
    "data": "data loss",
    "adversarial": "adversarial (FGSM) loss",
    "input_gradient": "input-gradient penalty",
    "l2": "L2 parameter penalty",
}


def loss_contributions(history: History) -> dict[str, np.ndarray]:
    """Each term's weighted contribution per epoch (`loss_weights[name] * loss_terms[name]`), by name."""
    return {
        name: history.loss_weights.get(name, 1.0) * _series(values)
        for name, values in history.loss_terms.items()
        if len(values)
    }


def plot_loss_terms(history: History, ax: Any = None, *, title: str | None = None) -> Any:
    """Each loss term's weighted contribution per epoch and the minimised total (`train_loss`), log scale.

    The contributions (weight times the term's raw per-epoch mean, `History.loss_terms` and `loss_weights`)
    add up to the total. A history without loss terms shows a note instead.
    """
    ax = new_axes(ax, figsize=(5.5, 3.5))
    parts = loss_contributions(history)
    if not parts:
        return _placeholder(ax, "plain data loss (no other loss terms)")
    total = _series(history.train_loss)
    ax.plot(np.arange(1, len(total) + 1), total, color="black", lw=1.6, label="total (minimised)")
    for k, (name, values) in enumerate(parts.items()):
        weight = history.loss_weights.get(name, 1.0)
        label = f"{TERM_LABELS.get(name, name)} x {weight:.3g}"
        ax.plot(np.arange(1, len(values) + 1), values, color=f"C{k}", lw=1.0, ls="--" if k % 2 else "-", label=label)
    if all(np.all(v > 0) for v in (total, *parts.values())):
        ax.set_yscale("log")
        lighten_log_axis(ax.yaxis)
    return _epoch_axes(ax, "weighted contribution to the loss", title or "loss decomposition")


def plot_r1_ratio(
    history: History, ax: Any = None, *, bound_ratio: float | None = None, title: str | None = None
) -> Any:
    """Rule R1's ratio `|residual| * Lip * max_k ||W_k|| / |skip|` per epoch (`History.r1_ratio`).

    The y axis is logarithmic when the ratio (and 1) span more than a decade.

    The solid line at 1 is where R1 starts to hold (below it every block is a diffeomorphism and the ResNet has
    no critical points); `bound_ratio`, the ratio a weight bound B guarantees (`B * |residual| * Lip / |skip|`),
    is drawn dashed when given.
    """
    ax = new_axes(ax, figsize=(5.5, 3.5))
    ratio = _series(history.r1_ratio)
    if not len(ratio):
        return _placeholder(ax, "no R1 ratio (not a ResNet with skip != 0)")
    epochs = np.arange(1, len(ratio) + 1)
    ax.plot(epochs, ratio, color="C4", marker="." if len(ratio) < 40 else None, label="R1 ratio")
    ax.axhline(1.0, color="black", lw=1.0, label="1: R1 holds below")
    if bound_ratio is not None:
        ax.axhline(bound_ratio, color="C3", ls="--", lw=1.0, label=f"weight bound's ratio {bound_ratio:.3g}")
    ax.fill_between(epochs, ratio, 1.0, where=ratio < 1.0, color="C2", alpha=0.15, lw=0)
    lo, hi = float(ratio.min()), max(float(ratio.max()), 1.0)
    if lo > 0 and hi / lo > 10:  # a log scale only where the ratio spans more than a decade
        ax.set_yscale("log")
        lighten_log_axis(ax.yaxis)
    return _epoch_axes(ax, "R1 ratio", title or "rule R1's ratio |residual| Lip max_k ||W_k|| / |skip|")
