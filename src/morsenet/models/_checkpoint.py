"""Checkpoints: weights plus the model's config in one file, loaded without executing code from it."""

from __future__ import annotations

import io
import json
import textwrap
from pathlib import Path
from typing import Any

import torch
from torch import nn

from .._validation import atomic_write_bytes
from ..errors import MorsenetError
from ._protocol import MorseModel
from ._registry import build_model

FORMAT = "morsenet-checkpoint"
VERSION = 1


def _first_line(err: BaseException, width: int = 200) -> str:
    """torch's error message on one line, shortened at a word boundary (never mid-word)."""
    text = " ".join(str(err).split()) or type(err).__name__
    if text.startswith("Weights only load failed"):
        return "not a file of tensors written by torch.save; loading never runs code from a file"
    return textwrap.shorten(text, width=width, placeholder=" ...")


def save(model: nn.Module, path: str | Path, *, meta: dict[str, Any] | None = None) -> Path:
    """Write `model` (config + state dict) and JSON-able `meta` to `path` atomically."""
    if not isinstance(model, MorseModel):
        raise MorsenetError(f"save: {type(model).__name__} is not a morsenet model (it has no config())")
    payload = {
        "format": FORMAT,
        "version": VERSION,
        "config": json.dumps(model.config()),
        "meta": json.dumps(meta or {}),
        "state_dict": {k: v.detach().cpu().clone() for k, v in model.state_dict().items()},
    }
    buf = io.BytesIO()
    torch.save(payload, buf)
    path = Path(path)
    atomic_write_bytes(path, buf.getvalue())
    return path


def read_checkpoint(path: str | Path) -> dict[str, Any]:
    """Read and check a checkpoint; returns {"config", "meta", "state_dict"}."""
    path = Path(path)
    if not path.is_file():
        raise MorsenetError(f"no checkpoint at {str(path)!r}; pass a models/<name>.pt file from a run folder")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises many types for corrupt or foreign files
        raise MorsenetError(f"{path}: not a readable morsenet checkpoint ({_first_line(err)})") from None
    if path.name.endswith(".snapshots.pt") and (not isinstance(payload, dict) or payload.get("format") != FORMAT):
        model = path.name[: -len(".snapshots.pt")]
        raise MorsenetError(
            f"{path}: a training-snapshots file (the weights every few epochs, for the report's training-evolution "
            f"figures), not a checkpoint; pass {path.with_name(model + '.pt')}"
        )
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise MorsenetError(
            f"{path}: not a morsenet checkpoint (no '{FORMAT}' marker); "
            "checkpoints are written by `morsenet run` into models/"
        )
    if payload.get("version") != VERSION:
        raise MorsenetError(
            f"{path}: checkpoint version {payload.get('version')!r} is not supported "
            f"(this morsenet reads version {VERSION})"
        )
    try:
        config, meta = json.loads(payload["config"]), json.loads(payload["meta"])
        state = payload["state_dict"]
    except (KeyError, TypeError, json.JSONDecodeError) as err:
        raise MorsenetError(f"{path}: damaged checkpoint ({_first_line(err)})") from None
    if not isinstance(config, dict):
        raise MorsenetError(f"{path}: damaged checkpoint (its model config is a {type(config).__name__}, not a table)")
    if not isinstance(meta, dict):
        raise MorsenetError(f"{path}: damaged checkpoint (its metadata is a {type(meta).__name__}, not a table)")
    if not isinstance(state, dict) or not all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items()
    ):
        raise MorsenetError(f"{path}: damaged checkpoint (its weights are not a table of named tensors)")
    return {"config": config, "meta": meta, "state_dict": state}


def load(path: str | Path) -> MorseModel:
    """Load a checkpoint written by `save` (or `morsenet run`) as a model in eval mode.

    Raises:
        MorsenetError: for a missing, corrupt or foreign file, or weights that do not fit the config.
    """
    ckpt = read_checkpoint(path)
    try:
        model = build_model(ckpt["config"], seed=0)
    except MorsenetError as err:
        raise MorsenetError(f"{path}: bad model config in checkpoint: {err}") from None
    floats = [t for t in ckpt["state_dict"].values() if isinstance(t, torch.Tensor) and t.is_floating_point()]
    if floats:
        model.to(floats[0].dtype)  # a float64-trained model stays float64
    try:
        model.load_state_dict(ckpt["state_dict"])
    except (RuntimeError, TypeError) as err:
        raise MorsenetError(f"{path}: weights do not match the model config ({_first_line(err)})") from None
    model.checkpoint_meta = ckpt["meta"]
    return model.eval()
