"""Build models from typed configs or plain config dicts (as written in study files and checkpoints)."""

from __future__ import annotations

from typing import Any

from torch import nn

from .._validation import Seed
from ._config import MLPConfig, ModelConfig, NeuralODEConfig, ResNetConfig
from ._from_dict import config_from_dict
from ._mlp import MLP
from ._neural_ode import NeuralODE
from ._protocol import MorseModel
from ._resnet import ResNet

MODELS: dict[str, type[MorseModel]] = {"mlp": MLP, "resnet": ResNet, "neural_ode": NeuralODE}


def normalize_config(config: dict[str, Any] | ModelConfig, *, input_dim: int | None = None) -> dict[str, Any]:
    """Check a model config and expand shorthands; returns the canonical config dict (as `model.config()` gives).

    `input_dim`, when given, fills in (or must match) the model's input dimension. Nothing is allocated.
    """
    return config_from_dict(config, input_dim=input_dim).to_dict()


def build_model(config: dict[str, Any] | ModelConfig, *, seed: Seed = 0, input_dim: int | None = None) -> MorseModel:
    """Build a model from a typed config or a config dict, parameters initialised from `seed` (global RNG untouched)."""
    spec = config_from_dict(config, input_dim=input_dim)
    if isinstance(spec, MLPConfig):
        return MLP.from_config(spec, seed=seed)
    if isinstance(spec, ResNetConfig):
        return ResNet.from_config(spec, seed=seed)
    assert isinstance(spec, NeuralODEConfig)
    return NeuralODE.from_config(spec, seed=seed)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
