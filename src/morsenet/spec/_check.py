"""The one type checker of the spec layer: every value read from a study or sweep file is checked here once."""

from __future__ import annotations

from typing import Any

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


def check_name(where: str, value: Any, *, dots: bool = False) -> str:
    """A label that can be a file name, a folder name and a part of a dotted `--set` key.

    Non-empty, no whitespace, slashes or quotes, not starting with a dot; dots inside only when `dots`.
    """
    expect(where, value, str, "a string")
    bad = set("/\\\"'") | ({"."} if not dots else set())
    if not value or value.startswith(".") or any(c.isspace() or c in bad for c in value):
        extra = "" if dots else ", dots"
        raise MorsenetError(f"{where} {value!r} must be a non-empty name without slashes, spaces{extra} or quotes")
    return str(value)
