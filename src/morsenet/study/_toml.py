"""A small TOML writer for resolved studies (the standard library reads TOML but does not write it)."""

from __future__ import annotations

import json
import math
from typing import Any


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string literal is a valid TOML basic string
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_scalar(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def _is_table_array(value: Any) -> bool:
    return isinstance(value, (list, tuple)) and bool(value) and all(isinstance(v, dict) for v in value)


def _table(prefix: str, table: dict[str, Any], lines: list[str]) -> None:
    plain = {k: v for k, v in table.items() if not isinstance(v, dict) and not _is_table_array(v) and v is not None}
    for key, value in plain.items():
        lines.append(f"{_key(key)} = {_scalar(value)}")
    for key, value in table.items():
        name = f"{prefix}.{_key(key)}" if prefix else _key(key)
        if isinstance(value, dict):
            lines.append("")
            lines.append(f"[{name}]")
            _table(name, value, lines)
        elif _is_table_array(value):
            for item in value:
                lines.append("")
                lines.append(f"[[{name}]]")
                _table(name, item, lines)


def _key(key: str) -> str:
    return key if key.replace("_", "").replace("-", "").isalnum() else json.dumps(key)


def dumps(data: dict[str, Any]) -> str:
    """Serialise nested dicts of scalars, lists, tables and arrays of tables (None values are left out)."""
    lines: list[str] = []
    _table("", data, lines)
    return "\n".join(lines).lstrip("\n") + "\n"
