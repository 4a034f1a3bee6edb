"""Sweep grids: one `[[models]]` or `[[training]]` entry expanded into many, on the raw tables (before checking).

A `[[models]]` entry may carry `grid = { skip = [...], residual = [...] }` (the product of the lists; any model
parameter may be gridded) or `ratio = [...]` (in the grid or beside it) together with `residual`: skip = ratio *
residual. A `[[training]]` entry may carry `grid = { weight_bound = [...] }` (any training setting). A list may
be written `{ logspace = [lo, hi, n] }` (n values from lo to hi, equal ratios; lo, hi > 0) or
`{ linspace = [lo, hi, n] }` (n equally spaced values). Every combination becomes one entry named
`NAME-skip0.1-residual1` (the gridded keys in the order written, values with 6 significant digits).
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np

from ..errors import MorsenetError
from ..spec import expect

# Combinations one grid entry may expand into: every one is a cell of seeds (and a name in the report).
MAX_GRID = 400
# Points of one logspace/linspace list.
MAX_LIST = 200

__all__ = ["MAX_GRID", "expand_grid_entries", "grid_values"]


def _number(where: str, v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise MorsenetError(f"{where} must be a finite number, got {v!r}")
    return float(v)


def _round(v: float) -> float:
    return float(f"{v:.6g}")


def grid_values(where: str, raw: Any) -> list[Any]:
    """A grid axis: a non-empty list, or `{logspace = [lo, hi, n]}` / `{linspace = [lo, hi, n]}` (6 digits)."""
    if isinstance(raw, dict):
        if len(raw) != 1 or next(iter(raw)) not in ("logspace", "linspace"):
            raise MorsenetError(f"{where} must be a list or one of {{logspace = [lo, hi, n]}}, {{linspace = ...}}")
        kind, spec = next(iter(raw.items()))
        if not isinstance(spec, list) or len(spec) != 3:
            raise MorsenetError(f"{where}.{kind} must be [lo, hi, n], got {spec!r}")
        lo, hi = _number(f"{where}.{kind}[0]", spec[0]), _number(f"{where}.{kind}[1]", spec[1])
        n = spec[2]
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_LIST:
            raise MorsenetError(f"{where}.{kind}: n must be an integer in 1..{MAX_LIST}, got {n!r}")
        if kind == "logspace":
            if not (lo > 0 and hi > 0):
                raise MorsenetError(
                    f"{where}.logspace: lo and hi must be > 0 (values, not exponents), got {lo:g}, {hi:g}"
                )
            values = np.geomspace(lo, hi, n) if n > 1 else np.array([lo])
        else:
            values = np.linspace(lo, hi, n)
        return [_round(float(v)) for v in values]
    items = expect(where, raw, list, "a list of values or {logspace = [lo, hi, n]}")
    if not items:
        raise MorsenetError(f"{where} must not be empty")
    if len(items) > MAX_LIST:
        raise MorsenetError(f"{where}: at most {MAX_LIST} values, got {len(items)}")
    return list(items)


def _label(v: Any) -> str:
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, float):
        return f"{v:.6g}".replace("+", "")
    return str(v)


def expand_grid_entries(raw: Any, *, what: str, name_key: str, keys: tuple[str, ...] | None = None,
                        ratio: bool = False) -> Any:  # fmt: skip
    """`raw` (the array of tables) with every `grid` entry replaced by its combinations; other entries as written.

    `name_key` is the entry's name ("name" or "label"); `keys` limits what may be gridded (None: any key but the
    name); `ratio` allows `ratio` (skip = ratio * residual). Anything else is passed through for the usual checks.
    """
    if isinstance(raw, dict):
        raw = [raw]
    if not isinstance(raw, list):
        return raw  # the parser names the problem
    out: list[Any] = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict) or ("grid" not in item and not (ratio and "ratio" in item)):
            out.append(item)
            continue
        out.extend(_expand(f"{what}[{i}]", dict(item), name_key, keys, ratio))
    return out


def _expand(where: str, table: dict[str, Any], name_key: str, keys: tuple[str, ...] | None,
            ratio: bool) -> list[dict[str, Any]]:  # fmt: skip
    grid = dict(expect(f"{where}.grid", table.pop("grid", {}), dict, "a table, e.g. grid = { skip = [0.1, 1] }"))
    if ratio and "ratio" in table:
        if "ratio" in grid:
            raise MorsenetError(f"{where}: give ratio once (beside or inside grid)")
        grid["ratio"] = table.pop("ratio")
        if isinstance(table.get("residual"), (list, dict)) and "residual" not in grid:
            grid["residual"] = table.pop("residual")  # `ratio = [...]` with `residual = [...]`: both are axes
    if not grid:
        raise MorsenetError(f"{where}.grid is empty; give at least one list, e.g. grid = {{ skip = [0.1, 1] }}")
    if name_key not in table:
        raise MorsenetError(f"{where} has no {name_key}; a grid entry's {name_key} is the stem of its combinations")
    base = table[name_key]
    if not isinstance(base, str):
        raise MorsenetError(f"{where}.{name_key} must be a string, got {base!r}")
    axes: dict[str, list[Any]] = {}
    for key, values in grid.items():
        if key == name_key or (keys is not None and key not in keys):
            allowed = ", ".join(keys) if keys is not None else f"any key but {name_key}"
            raise MorsenetError(f"{where}.grid: {key!r} cannot be gridded; allowed: {allowed}")
        if key in table:
            raise MorsenetError(f"{where}: {key!r} is both a grid axis and a fixed value; give it once")
        axes[key] = grid_values(f"{where}.grid.{key}", values)
    if "ratio" in axes:
        if "skip" in axes or "skip" in table:
            raise MorsenetError(f"{where}: give ratio or skip, not both (skip = ratio * residual)")
        if "residual" not in axes and "residual" not in table:
            raise MorsenetError(f"{where}: ratio needs residual (skip = ratio * residual); add residual = [...]")
        for v in axes["ratio"]:
            _number(f"{where}.grid.ratio", v)
    size = math.prod(len(v) for v in axes.values())
    if size > MAX_GRID:
        raise MorsenetError(f"{where}.grid has {size:,} combinations; at most {MAX_GRID} per entry")
    out = []
    for combo in itertools.product(*axes.values()):
        values = dict(zip(axes, combo))
        entry = {**table, **values}
        if "ratio" in values:
            res = _number(f"{where}.residual", entry["residual"])
            entry.pop("ratio")
            entry["skip"] = _round(float(values["ratio"]) * res)
        entry[name_key] = "-".join([base, *(f"{k}{_label(v)}" for k, v in values.items())])
        out.append(entry)
    return out
