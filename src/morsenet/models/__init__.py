"""Models with scalar output (a logit): MLPs of any width list, ResNets with skip/residual scales, neural ODEs."""

from ._checkpoint import load as load
from ._checkpoint import read_checkpoint as read_checkpoint
from ._checkpoint import save as save
from ._common import ACTIVATIONS as ACTIVATIONS
from ._mlp import MLP as MLP
from ._mlp import mlp_widths as mlp_widths
from ._neural_ode import NeuralODE as NeuralODE
from ._registry import MODELS as MODELS
from ._registry import build_model as build_model
from ._registry import count_parameters as count_parameters
from ._registry import model_parameters as model_parameters
from ._registry import normalize_config as normalize_config
from ._resnet import ResNet as ResNet

__all__ = [
    "ACTIVATIONS",
    "MLP",
    "MODELS",
    "NeuralODE",
    "ResNet",
    "build_model",
    "count_parameters",
    "load",
    "mlp_widths",
    "model_parameters",
    "normalize_config",
    "read_checkpoint",
    "save",
]
