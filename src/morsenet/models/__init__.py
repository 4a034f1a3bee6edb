"""Models with scalar output (a logit): MLPs of any width list, ResNets with skip/residual scales, neural ODEs.

Every model is a `MorseModel` described by a frozen, typed config (`MLPConfig`, `ResNetConfig`,
`NeuralODEConfig`); the config checks itself without allocating and knows its parameter count, width
sequence and bottleneck. The per-kind computation lives here and nowhere else.
"""

from ._checkpoint import load as load
from ._checkpoint import read_checkpoint as read_checkpoint
from ._checkpoint import save as save
from ._common import ACTIVATIONS as ACTIVATIONS
from ._config import CONFIGS as CONFIGS
from ._config import MAX_PARAMETERS as MAX_PARAMETERS
from ._config import MLPConfig as MLPConfig
from ._config import ModelConfig as ModelConfig
from ._config import NeuralODEConfig as NeuralODEConfig
from ._config import ResNetConfig as ResNetConfig
from ._config import graph_bottleneck as graph_bottleneck
from ._from_dict import config_from_dict as config_from_dict
from ._from_dict import mlp_widths as mlp_widths
from ._from_dict import model_parameters as model_parameters
from ._injection import Injection as Injection
from ._injection import freeze as freeze
from ._injection import inject_critical_point as inject_critical_point
from ._injection import input_gradient_norm as input_gradient_norm
from ._injection import set_parameters as set_parameters
from ._injection import unfreeze as unfreeze
from ._mlp import MLP as MLP
from ._neural_ode import NeuralODE as NeuralODE
from ._protocol import AffineMap as AffineMap
from ._protocol import ChainStep as ChainStep
from ._protocol import MorseModel as MorseModel
from ._protocol import Params as Params
from ._registry import MODELS as MODELS
from ._registry import build_model as build_model
from ._registry import count_parameters as count_parameters
from ._registry import normalize_config as normalize_config
from ._resnet import ResNet as ResNet

__all__ = [
    "ACTIVATIONS", "CONFIGS", "MAX_PARAMETERS", "MLP", "MODELS", "AffineMap", "ChainStep", "MLPConfig",
    "ModelConfig", "MorseModel", "NeuralODE", "NeuralODEConfig", "Params", "ResNet", "ResNetConfig",
    "build_model", "config_from_dict", "count_parameters", "graph_bottleneck", "load", "mlp_widths",
    "model_parameters", "normalize_config", "read_checkpoint", "save",
    "Injection", "freeze", "inject_critical_point", "input_gradient_norm", "set_parameters", "unfreeze",
]  # fmt: skip
