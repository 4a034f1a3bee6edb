"""Build models from plain config dicts (as written in study files and checkpoints), with seeded init."""

from __future__ import annotations

import inspect
from typing import Any

from torch import nn

from .._validation import Seed
from ..errors import MorsenetError
from ._mlp import MLP, mlp_widths
from ._neural_ode import NeuralODE
from ._resnet import ResNet

MODELS: dict[str, type[nn.Module]] = {"mlp": MLP, "resnet": ResNet, "neural_ode": NeuralODE}

# Shorthand accepted for MLPs instead of an explicit width list (the prototype's FFnet arguments).
_MLP_SHORTHAND = {"width", "depth", "bottleneck", "input_dim"}

_TYPES = {
    "widths": list,
    "activation": str,
    "batchnorm": bool,
    "input_layer": bool,
    "vector_field": str,
    "input_dim": int,
    "width": int,
    "blocks": int,
    "dim": int,
    "steps": int,
    "pieces": int,
    "depth": int,
    "bottleneck": bool,
    "skip": float,
    "residual": float,
    "T": float,
}


def model_parameters(kind: str) -> list[str]:
    """Parameter names a model kind accepts in a config."""
    names = [p for p in inspect.signature(MODELS[kind]).parameters if p != "seed"]
    if kind == "mlp":
        names += sorted(_MLP_SHORTHAND)
    return names


def _check_type(kind: str, key: str, value: Any) -> Any:
    want = _TYPES.get(key)
    if want is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if want is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise MorsenetError(f"model {kind!r}: {key} must be an integer, got {value!r}")
    if want is not None and want is not int and not isinstance(value, want):
        raise MorsenetError(f"model {kind!r}: {key} must be of type {want.__name__}, got {value!r}")
    if key == "widths" and not all(isinstance(w, int) and not isinstance(w, bool) for w in value):
        raise MorsenetError(f"model {kind!r}: widths must be a list of integers, got {value!r}")
    return value


def normalize_config(config: dict[str, Any], *, input_dim: int | None = None) -> dict[str, Any]:
    """Check a model config and expand shorthands; returns the canonical config (as `model.config()` gives).

    `input_dim`, when given, fills in (or must match) the model's input dimension.
    """
    config = dict(config)
    kind = config.pop("kind", None)
    if kind not in MODELS:
        raise MorsenetError(f"unknown model kind {kind!r}; choose one of {', '.join(MODELS)}")
    allowed = model_parameters(kind)
    for key in config:
        if key not in allowed:
            raise MorsenetError(f"model {kind!r} has no parameter {key!r}; allowed: {', '.join(allowed)}")
        config[key] = _check_type(kind, key, config[key])
    if kind == "mlp":
        if "widths" in config and _MLP_SHORTHAND & set(config):
            raise MorsenetError("model 'mlp': give either widths or width/depth/bottleneck, not both")
        if "widths" not in config:
            if "width" not in config or "depth" not in config:
                raise MorsenetError("model 'mlp': give widths = [n, h1, ..., 1] or width and depth")
            n = config.pop("input_dim", input_dim)
            if n is None:
                raise MorsenetError("model 'mlp': width/depth shorthand needs the input dimension (input_dim)")
            config["widths"] = mlp_widths(
                n, config.pop("width"), config.pop("depth"), bottleneck=config.pop("bottleneck", False)
            )
        if input_dim is not None and config["widths"][0] != input_dim:
            raise MorsenetError(
                f"model 'mlp': widths start with {config['widths'][0]} but the data has "
                f"{input_dim} input dimensions; make widths[0] = {input_dim}"
            )
    else:
        if "input_dim" not in config:
            if input_dim is None:
                raise MorsenetError(f"model {kind!r}: input_dim is missing")
            config["input_dim"] = input_dim
        elif input_dim is not None and config["input_dim"] != input_dim:
            raise MorsenetError(
                f"model {kind!r}: input_dim is {config['input_dim']} but the data has {input_dim} dimensions"
            )
    # Building checks the remaining ranges; the canonical form is what the model reports.
    model = MODELS[kind](**config)
    return model.config()


def build_model(config: dict[str, Any], *, seed: Seed = 0, input_dim: int | None = None) -> nn.Module:
    """Build a model from a config dict with parameters initialised from `seed` (global RNG untouched)."""
    config = normalize_config(config, input_dim=input_dim)
    kind = config.pop("kind")
    return MODELS[kind](**config, seed=seed)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
