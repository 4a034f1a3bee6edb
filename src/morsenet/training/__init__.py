"""Training: one explicit loop (`fit`), retry-until-threshold (`train`), loss terms and weight-bounded training."""

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
from ._penalties import LossTerms as LossTerms
from ._penalties import fgsm_point as fgsm_point
from ._penalties import input_gradient_penalty as input_gradient_penalty
from ._penalties import loss_weights as loss_weights
from ._penalties import per_point_loss as per_point_loss
from ._penalties import training_loss as training_loss
from ._stages import InjectionTrace as InjectionTrace
from ._stages import Stage as Stage
from ._stages import StagedResult as StagedResult
from ._stages import parse_stages as parse_stages
from ._stages import train_staged as train_staged
from ._weight_bound import check_weight_bound as check_weight_bound
from ._weight_bound import project_stacked as project_stacked
from ._weight_bound import project_weights as project_weights
from ._weight_bound import stacked_r1_ratio as stacked_r1_ratio
from ._weight_bound import weight_bound_refusal as weight_bound_refusal

__all__ = [
    "Attempt",
    "History",
    "LossTerms",
    "StageMark",
    "TrainConfig",
    "TrainResult",
    "accuracy",
    "attempt_seeds",
    "batch_slices",
    "check_weight_bound",
    "weight_bound_refusal",
    "fgsm_point",
    "fit",
    "input_gradient_penalty",
    "loss_fn",
    "loss_weights",
    "per_point_loss",
    "project_stacked",
    "project_weights",
    "stacked_r1_ratio",
    "train",
    "training_loss",
    "validation_split",
    "InjectionTrace",
    "Stage",
    "StagedResult",
    "parse_stages",
    "train_staged",
]
