"""Durable sweep rows: an append-only JSON-lines log (fsync'd per chunk) and the tidy table rebuilt from it."""

from __future__ import annotations

import csv
import io
import json
import math
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .._validation import FolderLock, atomic_write_bytes, atomic_write_text
from ..errors import MorsenetError

# Column order of the table; columns a row lacks are left empty, unknown ones are appended in order of appearance.
COLUMNS = (
    "sweep",
    "cell",
    "dataset",
    "model",
    "training",
    "family",
    "kind",
    "depth",
    "width",
    "min_width",
    "bottleneck",
    "batchnorm",
    "activation",
    "n_params",
    "seed",
    "epochs_max",
    "lr",
    "batch_size",
    "patience",
    "threshold",
    "skip",
    "residual",
    "ratio",
    "weight_bound",
    "best_accuracy",
    "selection",
    "val_accuracy",
    "best_test_loss",
    "best_epoch",
    "epochs",
    "stopped_early",
    "reached_threshold",
    "final_train_loss",
    "sv_min",
    "cond_max",
    "layer_sv_min",
    "layer_cond",
    "theory_class",
    "theory_can_enclose",
    "r1_ratio",
    "r1_holds",
    "n_critical_points",
    "n_minima",
    "n_maxima",
    "n_saddles",
    "n_degenerate",
    "completeness",
    "topology",
    "tunnel",
    "tunnel_width",
    "tunnel_thin",
    "ring_fraction_class0",
    "nearest_critical_distance",
    "train_seconds",
    "analysis_seconds",
    "analysis_errors",
)


def row_key(row: dict[str, Any]) -> tuple[str, int]:
    return (str(row["cell"]), int(row["seed"]))


class RowStore:
    """`rows.jsonl`: one JSON object per finished model, appended a chunk at a time and fsync'd.

    A crash can at worst leave a partial last line, which `read` skips (its chunk is not counted as done and
    is trained again on resume); rows are deduplicated by (cell, seed), keeping the first.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def append(self, rows: Iterable[dict[str, Any]]) -> None:
        lines = "".join(json.dumps(_jsonable(r), sort_keys=True, allow_nan=True) + "\n" for r in rows)
        if not lines:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a+b") as fh:
            fh.seek(0, os.SEEK_END)
            if fh.tell() > 0:
                fh.seek(-1, os.SEEK_END)
                if fh.read(1) != b"\n":  # a torn last line from a crash: start ours on a fresh line
                    lines = "\n" + lines
            fh.write(lines.encode("utf-8"))
            fh.flush()
            os.fsync(fh.fileno())

    def read(self) -> list[dict[str, Any]]:
        """Every intact row, first occurrence of each (cell, seed), in file order."""
        if not self.path.is_file():
            return []
        rows, seen = [], set()
        with open(self.path, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                line = line.strip()
                if not line:
                    continue
                try:
                    row = json.loads(line)
                    key = row_key(row)
                except (json.JSONDecodeError, KeyError, TypeError, ValueError):
                    continue  # a torn line from an interrupted write
                if key not in seen:
                    seen.add(key)
                    rows.append(row)
        return rows

    def keys(self) -> set[tuple[str, int]]:
        return {row_key(r) for r in self.read()}


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for k, v in row.items():
        if isinstance(v, float) and math.isinf(v):
            v = "inf" if v > 0 else "-inf"
        out[k] = v
    return out


def _columns(rows: list[dict[str, Any]]) -> list[str]:
    cols = [c for c in COLUMNS if any(c in r for r in rows)]
    for r in rows:
        for k in r:
            if k not in cols:
                cols.append(k)
    return cols


def _cell_text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return "" if math.isnan(v) else repr(v)
    if isinstance(v, (list, dict)):
        return json.dumps(v)
    return str(v)


def write_table(rows: list[dict[str, Any]], out_dir: Path, *, order: list[str] | None = None) -> list[Path]:
    """Write `results.csv` (and `results.parquet` when pyarrow is importable): one row per model.

    Rows are sorted by the cell order `order` (default: as given) and seed. Lists (per-layer values) are
    JSON strings. Returns the paths written.
    """
    out_dir = Path(out_dir)
    rank = {c: i for i, c in enumerate(order or [])}
    rows = sorted(rows, key=lambda r: (rank.get(r["cell"], len(rank)), str(r["cell"]), int(r["seed"])))
    cols = _columns(rows)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(cols)
    for r in rows:
        writer.writerow([_cell_text(r.get(c)) for c in cols])
    paths = [out_dir / "results.csv"]
    atomic_write_text(paths[0], buf.getvalue())
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:  # parquet is optional; CSV is always written
        return paths
    table = pa.Table.from_pylist(
        [{c: (json.dumps(r[c]) if isinstance(r.get(c), (list, dict)) else r.get(c)) for c in cols} for r in rows]
    )
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    paths.append(out_dir / "results.parquet")
    atomic_write_bytes(paths[1], sink.getvalue().to_pybytes())
    return paths


class DirectoryLock:
    """An exclusive lock on a sweep folder, so two drivers never append to the same rows.jsonl.

    The lock file (`.lock`, holding the driver's pid) is removed when the sweep ends; one left by a killed
    driver is not held (the lock dies with its process) and is taken over by the next run.
    """

    def __init__(self, out_dir: Path) -> None:
        self._lock = FolderLock(Path(out_dir))
        self.path = self._lock.path

    def __enter__(self) -> DirectoryLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not self._lock.acquire():
            pid = self._lock.holder()
            who = f" (pid {pid})" if pid and pid > 0 else ""
            raise MorsenetError(
                f"another sweep is writing to {self.path.parent}{who}; wait for it or use another --out"
            ) from None
        return self

    def __exit__(self, *exc: object) -> None:
        self._lock.release()
