"""morsenet: make the embedding restrictions of narrow neural networks visible and measurable."""

from typing import Any

from .datasets import Dataset as Dataset
from .datasets import get_dataset as get_dataset
from .errors import MorsenetError as MorsenetError
from .models import MLP as MLP
from .models import MLPConfig as MLPConfig
from .models import MorseModel as MorseModel
from .models import NeuralODE as NeuralODE
from .models import NeuralODEConfig as NeuralODEConfig
from .models import ResNet as ResNet
from .models import ResNetConfig as ResNetConfig
from .models import build_model as build_model
from .models import load as load
from .models import save as save

__version__ = "0.2.0"


def explore(**kwargs: Any) -> Any:
    """Start `morsenet explore` in a background thread and show it: an IFrame in a notebook, else the URL.

    Keywords: host, port (0: a free one), width, height. Importing `morsenet.explore` replaces this function
    by the package, which is callable with the same effect.
    """
    from .explore import explore_inline

    return explore_inline(**kwargs)


__all__ = [
    "MLP", "Dataset", "MLPConfig", "MorseModel", "MorsenetError", "NeuralODE", "NeuralODEConfig", "ResNet",
    "ResNetConfig", "__version__", "build_model", "explore", "get_dataset", "load", "save",
]  # fmt: skip
