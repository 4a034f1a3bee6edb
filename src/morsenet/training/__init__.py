"""Training: one explicit loop (`fit`) and retry-until-threshold (`train`)."""

from ._config import TrainConfig as TrainConfig
from ._history import History as History
from ._history import StageMark as StageMark
from ._loop import Attempt as Attempt
from ._loop import TrainResult as TrainResult
from ._loop import accuracy as accuracy
from ._loop import attempt_seeds as attempt_seeds
from ._loop import batch_slices as batch_slices
from ._loop import fit as fit
from ._loop import loss_fn as loss_fn
from ._loop import train as train
from ._loop import validation_split as validation_split

__all__ = [
    "Attempt",
    "History",
    "StageMark",
    "TrainConfig",
    "TrainResult",
    "accuracy",
    "attempt_seeds",
    "batch_slices",
    "fit",
    "loss_fn",
    "train",
    "validation_split",
]
