"""Private helpers shared by the public entry points: seeds, dtypes and small checks."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import torch

from .errors import MorsenetError

Seed = int | torch.Generator | None

DTYPES = {"float32": torch.float32, "float64": torch.float64}


def as_generator(seed: Seed) -> torch.Generator:
    """Turn a user-supplied seed into a private `torch.Generator` (never global state)."""
    if isinstance(seed, torch.Generator):
        return seed
    gen = torch.Generator()
    if seed is None:
        gen.seed()
    elif isinstance(seed, int) and not isinstance(seed, bool):
        gen.manual_seed(seed)
    else:
        raise TypeError(f"seed must be an int, a torch.Generator or None; got {type(seed).__name__}")
    return gen


def as_dtype(name: str | torch.dtype) -> torch.dtype:
    """Map "float32"/"float64" (or a dtype) to a torch dtype."""
    if isinstance(name, torch.dtype):
        return name
    try:
        return DTYPES[name]
    except KeyError:
        raise MorsenetError(f"dtype must be one of {sorted(DTYPES)}, got {name!r}") from None


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that a reader never sees a half-written file (temporary file, fsync, rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    """UTF-8 text twin of `atomic_write_bytes`."""
    atomic_write_bytes(path, text.encode("utf-8"))


@contextlib.contextmanager
def intra_op_threads(threads: int | None) -> Iterator[None]:
    """Run with `threads` torch intra-op threads (None: leave the setting alone), restoring it afterwards.

    The models here are tiny: one thread is faster than two (no waiting on a descheduled thread) and gives
    the same last bits on every machine, which keeps training reproducible.
    """
    before = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        yield
    finally:
        if threads is not None:
            torch.set_num_threads(before)
