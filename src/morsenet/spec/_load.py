"""Reading study and sweep files: by bundled name or path, and dotted `--set key.path=value` overrides."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from .._validation import read_text
from ..errors import MorsenetError

# Arrays of tables whose entries `--set HEAD.LABEL.key=value` addresses, and what one entry is called.
ENTRY_TABLES = {"datasets": "dataset", "models": "model", "training": "training setting"}


def bundled_descriptions(package: str, folder: str) -> dict[str, str]:
    """Names of the TOML files bundled in `package`/`folder` and the first line of their descriptions."""
    out = {}
    for entry in sorted(resources.files(package).joinpath(folder).iterdir(), key=lambda p: p.name):
        if entry.name.endswith(".toml"):
            data = tomllib.loads(entry.read_text(encoding="utf-8"))
            lines = str(data.get("description", "")).strip().splitlines()
            out[entry.name[:-5]] = lines[0] if lines else ""
    return out


def read_toml(ref: str | Path | None, *, package: str, folder: str, what: str) -> tuple[str, dict[str, Any]]:
    """Return (source, data) for a .toml path or the name of a file bundled in `package`/`folder`.

    `source` is the path as given or "bundled:NAME"; None means the bundled "default".

    Raises:
        MorsenetError: for a missing file, an unknown bundled name (listing the bundled ones) or invalid TOML.
    """
    ref = "default" if ref is None else ref
    path = Path(ref)
    names = ", ".join(bundled_descriptions(package, folder))
    if path.suffix == ".toml" or path.exists():
        if not path.exists():
            raise MorsenetError(f"no {what} file {str(path)!r}; give a .toml path or one of: {names}")
        source, text = str(path), read_text(path, f"{what} file")
    else:
        res = resources.files(package).joinpath(folder, f"{ref}.toml")
        if not res.is_file():
            raise MorsenetError(f"unknown {what} {str(ref)!r}; give a .toml path or one of: {names}")
        source, text = f"bundled:{ref}", res.read_text(encoding="utf-8")
    try:
        return source, tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise MorsenetError(f"{source}: not valid TOML ({err})") from None


def parse_override(text: str) -> tuple[list[str], Any]:
    """`key.path=value` with a TOML value (bare words are strings): (["key", "path"], value)."""
    if "=" not in text:
        raise MorsenetError(f"--set {text!r}: expected key=value, e.g. --set train.epochs=50")
    key, raw = text.split("=", 1)
    key, raw = key.strip(), raw.strip()
    if not key or any(not part for part in key.split(".")):
        raise MorsenetError(f"--set {text!r}: empty key; use dotted keys like train.epochs or models.NAME.depth")
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw
    return key.split("."), value


def _entry_label(head: str, item: dict[str, Any], index: int) -> Any:
    if head == "training":
        return item.get("label", "default" if index == 0 else f"setting{index}")
    if head == "datasets":
        return item.get("label", item.get("name"))
    return item.get("name")


def apply_override(data: dict[str, Any], path: list[str], value: Any, *, what: str, keys: Sequence[str]) -> None:
    """Set `value` at a dotted `path` of raw file data (in place), before anything is checked.

    `HEAD.LABEL.key` (HEAD one of datasets, models, training) addresses the entry with that label or name;
    any other path starts with one of the file's top-level `keys`.
    """
    head, dotted = path[0], ".".join(path)
    entries = [k for k in keys if k in ENTRY_TABLES]
    if head in entries:
        if len(path) < 3:
            raise MorsenetError(f"--set {dotted}: address one entry and a key, e.g. {head}.LABEL.key=value")
        items = data.get(head, [{"label": "default"}] if head == "training" else [])
        if isinstance(items, dict):
            items = [items]
        if not isinstance(items, list) or not all(isinstance(it, dict) for it in items):
            raise MorsenetError(f"--set {dotted}: {head} is not an array of tables in the {what} file")
        data[head] = items
        labels = [str(_entry_label(head, it, i)) for i, it in enumerate(items)]
        # A label may itself hold dots (label = "lr0.01"): take the longest run of parts that names an entry.
        found = next(
            (
                (labels.index(".".join(path[1:k])), k)
                for k in range(len(path) - 1, 1, -1)
                if ".".join(path[1:k]) in labels
            ),
            None,
        )
        if found is None:
            raise MorsenetError(
                f"--set {dotted}: no {ENTRY_TABLES[head]} named {path[1]!r}; the {what} has: {', '.join(labels)}"
            )
        target, rest = items[found[0]], path[found[1] :]
    elif head in keys:
        target, rest = data, path
    else:
        tables = " and ".join(f"{h}.LABEL.key" for h in entries)
        raise MorsenetError(
            f"--set {dotted}: unknown key {head!r}; allowed: {', '.join(keys)} ({tables} address one entry)"
        )
    for part in rest[:-1]:
        nxt = target.setdefault(part, {})
        if not isinstance(nxt, dict):
            raise MorsenetError(f"--set {dotted}: {part!r} is not a table")
        target = nxt
    target[rest[-1]] = value


def apply_overrides(data: dict[str, Any], overrides: Iterable[str], *, what: str, keys: Sequence[str]) -> None:
    """Apply every `key.path=value` of `overrides` in order (see `apply_override`)."""
    for item in overrides:
        path, value = parse_override(item)
        apply_override(data, path, value, what=what, keys=keys)
