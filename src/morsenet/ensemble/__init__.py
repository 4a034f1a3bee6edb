"""Ensembles: M models of one architecture trained as one batched computation, each as if trained alone."""

from ._train import EnsembleResult as EnsembleResult
from ._train import batched_forward as batched_forward
from ._train import train_ensemble as train_ensemble

__all__ = ["EnsembleResult", "batched_forward", "train_ensemble"]
