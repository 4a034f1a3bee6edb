"""The theory predictor: what the theorems of Kuehn & Kuntz (and KKW-Tunnel) allow an architecture."""

from ..models import graph_bottleneck as graph_bottleneck
from ._architectures import ACTIVATION_NAMES as ACTIVATION_NAMES
from ._architectures import MLPArchitecture as MLPArchitecture
from ._architectures import NeuralODEArchitecture as NeuralODEArchitecture
from ._architectures import ResNetArchitecture as ResNetArchitecture
from ._effective import can_enclose_rule as can_enclose_rule
from ._effective import classify as classify
from ._from_model import architecture_of as architecture_of
from ._from_model import numerical_rank as numerical_rank
from ._from_model import r1_ratio as r1_ratio
from ._predict import CLASSES as CLASSES
from ._predict import Prediction as Prediction
from ._predict import predict as predict

__all__ = [
    "ACTIVATION_NAMES",
    "CLASSES",
    "MLPArchitecture",
    "NeuralODEArchitecture",
    "Prediction",
    "ResNetArchitecture",
    "architecture_of",
    "can_enclose_rule",
    "classify",
    "graph_bottleneck",
    "numerical_rank",
    "predict",
    "r1_ratio",
]
