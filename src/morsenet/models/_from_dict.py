"""Model configs from plain dicts (study files, checkpoints): the MLP width/depth/bottleneck shorthand and the
parameter names each kind accepts."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from ..errors import MorsenetError
from ._config import (
    CONFIGS,
    MAX_PARAMETERS,
    MLPConfig,
    ModelConfig,
    NeuralODEConfig,
    ResNetConfig,
    _bool,
    _depth_check,
    _int,
)

# Shorthand accepted for MLPs instead of an explicit width list (the prototype's FFnet arguments).
MLP_SHORTHAND = ("width", "depth", "bottleneck", "input_dim")


def mlp_widths(input_dim: int, width: int, depth: int, *, bottleneck: bool = False) -> list[int]:
    """The prototype's `FFnet` width list: `depth` hidden layers of `width`, output 1.

    With `bottleneck=True` the second-to-last hidden layer has width 1 (a width-1 layer before the last
    width-`width` layer), e.g. depth 15, width 2: [2] + [2]*13 + [1, 2] + [1].
    """
    if depth < 1 or width < 1 or input_dim < 1:
        raise MorsenetError(f"mlp: need input_dim, width, depth >= 1, got {input_dim}, {width}, {depth}")
    _depth_check("mlp", "depth", depth)
    if bottleneck and depth < 2:
        raise MorsenetError("mlp: a bottleneck needs depth >= 2 (a width-1 layer before the last hidden layer)")
    if width > MAX_PARAMETERS:
        raise MorsenetError(f"model 'mlp': width {width} is more than morsenet builds; check for a typo")
    hidden = [width] * depth
    if bottleneck:
        hidden[depth - 2] = 1
    return [input_dim, *hidden, 1]


def model_parameters(kind: str) -> list[str]:
    """Parameter names a model kind accepts in a config (MLPs also take the width/depth shorthand)."""
    names = [f.name for f in fields(CONFIGS[kind])]
    if kind == "mlp":
        names += sorted(MLP_SHORTHAND)
    return names


def _mlp_from_dict(values: dict[str, Any], input_dim: int | None) -> MLPConfig:
    if "widths" in values and set(MLP_SHORTHAND) & set(values):
        raise MorsenetError("model 'mlp': give either widths or width/depth/bottleneck, not both")
    if "widths" not in values:
        if "width" not in values or "depth" not in values:
            raise MorsenetError("model 'mlp': give widths = [n, h1, ..., 1] or width and depth")
        n = values.pop("input_dim", input_dim)
        if n is None:
            raise MorsenetError("model 'mlp': width/depth shorthand needs the input dimension (input_dim)")
        args = {"input_dim": n, "width": values.pop("width"), "depth": values.pop("depth")}
        for key, v in args.items():
            _int("mlp", key, v, 1)
        bottleneck = _bool("mlp", "bottleneck", values.pop("bottleneck", False))
        values["widths"] = mlp_widths(args["input_dim"], args["width"], args["depth"], bottleneck=bottleneck)
    config = MLPConfig(**values)
    if input_dim is not None and config.input_dim != input_dim:
        raise MorsenetError(
            f"model 'mlp': widths start with {config.input_dim} but the data has "
            f"{input_dim} input dimensions; make widths[0] = {input_dim}"
        )
    return config


def config_from_dict(values: dict[str, Any] | ModelConfig, *, input_dim: int | None = None) -> ModelConfig:
    """Check a model config dict (as written in a study file or a checkpoint) and return the typed config.

    Shorthands are expanded (MLP width/depth/bottleneck); `input_dim`, when given, fills in (or must match)
    the model's input dimension. Nothing is allocated.

    Raises:
        MorsenetError: one line naming the key and what is allowed.
    """
    if isinstance(values, (MLPConfig, ResNetConfig, NeuralODEConfig)):
        values = values.to_dict()
    if not isinstance(values, dict):
        raise MorsenetError(f"a model config must be a table, got {type(values).__name__}")
    values = dict(values)
    kind = values.pop("kind", None)
    if not isinstance(kind, str) or kind not in CONFIGS:
        raise MorsenetError(f"unknown model kind {kind!r}; choose one of {', '.join(CONFIGS)}")
    allowed = model_parameters(kind)
    for key in values:
        if key not in allowed:
            raise MorsenetError(f"model {kind!r} has no parameter {key!r}; allowed: {', '.join(allowed)}")
    if kind == "mlp":
        return _mlp_from_dict(values, input_dim)
    if "input_dim" not in values:
        if input_dim is None:
            raise MorsenetError(f"model {kind!r}: input_dim is missing")
        values["input_dim"] = input_dim
    elif input_dim is not None and values["input_dim"] != input_dim:
        raise MorsenetError(
            f"model {kind!r}: input_dim is {values['input_dim']} but the data has {input_dim} dimensions"
        )
    config: ModelConfig = CONFIGS[kind](**values)
    return config
