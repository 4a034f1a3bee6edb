"""Ensembles: M models of one architecture trained as one batched computation, each as if trained alone."""

from ._memory import MemoryEstimate as MemoryEstimate
from ._memory import estimate_memory as estimate_memory
from ._train import EnsembleResult as EnsembleResult
from ._train import batched_forward as batched_forward
from ._train import check_device as check_device
from ._train import train_ensemble as train_ensemble

__all__ = ["EnsembleResult", "MemoryEstimate", "batched_forward", "check_device", "estimate_memory", "train_ensemble"]
