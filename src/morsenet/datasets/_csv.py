"""Load a user's data file: columns x1..xn and `label` (classification) or `target` (regression)."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import torch

from .._validation import Seed, as_generator, read_text
from ..errors import MorsenetError
from ._base import Dataset, Task, check_size, split

# A CSV of 10^8 numbers (the most a data set holds) is about 1 GB of text.
MAX_CSV_BYTES = 1 << 30


def load_csv(
    path: str | Path, *, test_fraction: float = 0.3, standardize: bool | str = False, seed: Seed = 0
) -> Dataset:
    """Read a CSV with a header `x1,...,xn,label` (0/1 classes) or `x1,...,xn,target` (regression).

    Raises:
        MorsenetError: naming the file, the row and the problem, for a missing file or column, an empty
            file, a non-numeric or NaN cell, labels other than 0/1, or a single class.
    """
    path = Path(path)
    if path.is_dir():
        raise MorsenetError(f"csv: {str(path)!r} is a directory; give the path to a CSV file with columns x1..xn,label")
    if not path.is_file():
        raise MorsenetError(f"csv: no such file {str(path)!r}; give the path to a CSV with columns x1..xn,label")
    size = path.stat().st_size
    if size > MAX_CSV_BYTES:
        raise MorsenetError(f"{path}: {size:,} bytes is more than morsenet reads ({MAX_CSV_BYTES:,} bytes)")
    text = read_text(path, "csv file")
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as err:
        raise MorsenetError(f"{path}: not a readable CSV text file ({err})") from None
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if not rows:
        raise MorsenetError(f"{path}: the file is empty; expected a header x1,...,xn,label and data rows")
    header = [h.strip() for h in rows[0]]
    twice = sorted({h for h in header if header.count(h) > 1})
    if twice:
        raise MorsenetError(f"{path}: row 1 (header) names column {twice[0]!r} more than once; found {header}")
    features = sorted((h for h in header if h.startswith("x") and h[1:].isdigit()), key=lambda h: int(h[1:]))
    expected = [f"x{i}" for i in range(1, len(features) + 1)]
    if not features or features != expected:
        raise MorsenetError(f"{path}: row 1 (header) must name columns x1..xn; found {header}")
    check_size(str(path), len(rows) - 1, len(features))
    task: Task
    if "label" in header and "target" in header:
        raise MorsenetError(
            f"{path}: row 1 (header) has both 'label' (classification) and 'target' (regression); keep one"
        )
    if "label" in header:
        target, task = "label", "classification"
    elif "target" in header:
        target, task = "target", "regression"
    else:
        raise MorsenetError(f"{path}: row 1 (header) has no 'label' or 'target' column; found {header}")
    cols = [header.index(c) for c in features + [target]]
    data = []
    for lineno, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise MorsenetError(f"{path}: row {lineno} has {len(row)} cells, the header has {len(header)}")
        values = []
        for c in cols:
            cell = row[c].strip()
            try:
                v = float(cell)
            except ValueError:
                raise MorsenetError(f"{path}: row {lineno}, column {header[c]!r}: {cell!r} is not a number") from None
            if not math.isfinite(v):
                raise MorsenetError(f"{path}: row {lineno}, column {header[c]!r}: {cell!r} is not finite")
            values.append(v)
        data.append(values)
    if not data:
        raise MorsenetError(f"{path}: the file has a header but no data rows")
    t = torch.tensor(data, dtype=torch.float64)
    x, y = t[:, :-1], t[:, -1]
    if task == "classification":
        bad = ((y != 0) & (y != 1)).nonzero()
        if len(bad):
            i = int(bad[0])
            raise MorsenetError(f"{path}: row {i + 2}, column 'label': {y[i].item():g} is not 0 or 1")
        if y.min() == y.max():
            raise MorsenetError(f"{path}: every label is {int(y[0])}; a classifier needs both classes 0 and 1")
    params = dict(path=str(path), test_fraction=test_fraction, standardize=standardize)
    return split(
        "csv",
        x,
        y,
        test_fraction=test_fraction,
        gen=as_generator(seed),
        task=task,
        standardize=standardize,
        params=params,
    )
