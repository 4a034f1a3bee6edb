"""Pieces of the result classes' `repr`s: counts, shapes, ranges and short number lists, never whole tensors."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import torch
from torch import Tensor

# The most numbers (or list entries) a repr writes out before it gives a shape or a count instead.
MAX_ITEMS = 4


def num(value: float | None) -> str:
    """3 significant digits; "None" for None."""
    return "None" if value is None else f"{float(value):.3g}"


def grid(ny: int, nx: int) -> str:
    """ "201x201" (columns x rows, as a figure reads it)."""
    return f"{nx}x{ny}"


def box(b: Sequence[Sequence[float]]) -> str:
    """ "((-2, 2), (-2, 2))"."""
    return "(" + ", ".join(f"({lo:.4g}, {hi:.4g})" for lo, hi in b) + ")"


def shape(t: Tensor | np.ndarray | None) -> str:
    """ "(3, 2)" or "None"."""
    return "None" if t is None else str(tuple(t.shape))


def numbers(t: Tensor | np.ndarray | Sequence[float], limit: int = MAX_ITEMS) -> str:
    """ "(0.1, -0.5)" for a short real vector, "<shape (d,)>" past `limit` entries."""
    values = np.asarray(t.detach().cpu() if isinstance(t, Tensor) else t, dtype=float).reshape(-1)
    if values.size > limit:
        return f"<shape {tuple(np.shape(t))}>"
    parts = [num(v) for v in values]
    return "(" + ", ".join(parts) + (",)" if len(parts) == 1 else ")")


def value_range(t: Tensor | np.ndarray) -> str:
    """ "[min, max]" of the finite entries, "[]" without any."""
    v = torch.as_tensor(np.asarray(t)) if not isinstance(t, Tensor) else t.detach()
    v = v[torch.isfinite(v)]
    return f"[{num(float(v.min()))}, {num(float(v.max()))}]" if v.numel() else "[]"


def items(values: Iterable[Any], limit: int = 8) -> str:
    """ "[a, b, c]"; past `limit` entries the first ones, "..." and the last one."""
    v = [str(x) for x in values]
    if len(v) <= limit:
        return "[" + ", ".join(v) + "]"
    return "[" + ", ".join(v[: limit - 2]) + f", ..., {v[-1]}]"
