"""The one type checker of the spec layer: every value read from a study or sweep file is checked here once."""

from __future__ import annotations

import re
from typing import Any

from .._validation import check_seed_value
from ..errors import MorsenetError


def expect(where: str, value: Any, kind: type | tuple[type, ...], want: str) -> Any:
    """Return `value` if it is an instance of `kind` (a bool is never taken for a number), else raise.

    Raises:
        MorsenetError: "`where` must be `want`, got `value`".
    """
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if (isinstance(value, bool) and bool not in kinds) or not isinstance(value, kinds):
        raise MorsenetError(f"{where} must be {want}, got {value!r}")
    return value


# Names that become file and folder names: ASCII letters, digits, "-", "_" (and "." where dots are allowed).
_NAME = re.compile(r"[A-Za-z0-9_.-]+")
MAX_NAME_LENGTH = 100


def check_name(where: str, value: Any, *, dots: bool = False) -> str:
    """A label that can be a file name, a folder name and a part of a dotted `--set` key.

    ASCII letters, digits, "-" and "_" (and "." inside when `dots`: not first, never ".."), at most 100
    characters: no path separators, no "..", nothing a file system or a shell reads specially.
    """
    expect(where, value, str, "a string")
    allowed = "letters, digits, '-', '_'" + (" and '.' (not first, no '..')" if dots else "")
    if (
        not value
        or len(value) > MAX_NAME_LENGTH
        or not _NAME.fullmatch(value)
        or (not dots and "." in value)
        or value.startswith(".")
        or ".." in value
    ):
        raise MorsenetError(f"{where} {value!r} must be a name of 1-{MAX_NAME_LENGTH} characters: {allowed}")
    return str(value)


def check_seed(where: str, value: Any) -> int:
    """A seed of a study or sweep file: an integer in 0..2^62."""
    return check_seed_value(where, value)
