"""Value checks shared by the model configs: one-line MorsenetErrors naming the model kind and the key."""

from __future__ import annotations

import math
from typing import Any

from ..errors import MorsenetError
from ._common import ACTIVATIONS

# A config describing more parameters than this is refused before anything is allocated (a typo such as a
# width of 10**9 would otherwise ask for gigabytes). 10^8 float32 parameters are 400 MB.
MAX_PARAMETERS = 100_000_000
# Layers, blocks or time pieces: each is its own module (and its own step of every forward pass); the networks
# studied here have tens, so more than this is a typo (depth = 10**9 would first build a list of 10^9 widths).
MAX_DEPTH = 1_000


def _int(kind: str, key: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise MorsenetError(f"model {kind!r}: {key} must be an integer, got {value!r}")
    if value < minimum:
        raise MorsenetError(f"model {kind!r}: {key} must be >= {minimum}, got {value}")
    return value


def _float(kind: str, key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise MorsenetError(f"model {kind!r}: {key} must be a finite number, got {value!r}")
    return float(value)


def _bool(kind: str, key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise MorsenetError(f"model {kind!r}: {key} must be of type bool, got {value!r}")
    return value


def _activation(kind: str, value: Any) -> str:
    if not isinstance(value, str) or value not in ACTIVATIONS:
        raise MorsenetError(f"unknown activation {value!r}; choose one of {', '.join(ACTIVATIONS)}")
    return value


def _size_check(kind: str, n: int) -> None:
    if n > MAX_PARAMETERS:
        raise MorsenetError(
            f"model {kind!r}: {n:,} parameters is more than morsenet builds ({MAX_PARAMETERS:,}); "
            "check the widths for a typo"
        )


def _depth_check(kind: str, key: str, n: int) -> None:
    if n > MAX_DEPTH:
        raise MorsenetError(
            f"model {kind!r}: {key} must be <= {MAX_DEPTH:,} (the deepest network morsenet builds), got {n:,}"
        )


def _run_length(hidden: tuple[int, ...]) -> list[str]:
    parts, k = [], 0
    while k < len(hidden):  # run-length encode repeated widths: 2-2-2-2 -> 2x4
        j = k
        while j < len(hidden) and hidden[j] == hidden[k]:
            j += 1
        parts.append(f"{hidden[k]}x{j - k}" if j - k > 1 else str(hidden[k]))
        k = j
    return parts
