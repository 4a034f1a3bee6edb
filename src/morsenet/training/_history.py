"""The per-epoch record of a training run (`History`) and the marks of staged training (`StageMark`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["History", "StageMark"]


@dataclass(frozen=True)
class StageMark:
    """One stage of a staged training: it starts at epoch index `start` (0-based, into the History's lists);
    `label` says what it is (e.g. "train 200 epochs", "inject a critical point at (0, 0) in block 4")."""

    start: int
    label: str

    def to_dict(self) -> dict[str, Any]:
        return {"start": self.start, "label": self.label}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> StageMark:
        return cls(int(d["start"]), str(d["label"]))


@dataclass
class History:
    """Per-epoch record of one training attempt.

    Attributes:
        train_loss: mean minibatch loss per epoch.
        test_loss: loss on the test set after each epoch.
        test_accuracy: test accuracy after each epoch (classification; empty for regression).
        best_epoch: epoch (0-based) whose state was kept: the best one (`TrainConfig.restore = "best"`), or the
            last one run (`restore = "last"`); the attempt's choice and threshold read this epoch's score.
        stopped_early: whether patience ran out before `epochs`.
        val_loss, val_accuracy: loss and accuracy on the validation part after each epoch, when the data have
            one (`TrainConfig.val_fraction > 0`); empty otherwise. They, not the test numbers, then choose
            `best_epoch`, stop early and decide the threshold.
        loss_terms: per-epoch mean over the minibatches of each loss term's raw (unweighted) value, by name:
            "data" (the clean data loss), "adversarial" (the loss at the FGSM points), "input_gradient" (the
            input-gradient penalty), "l2" (the sum of squared trainable parameters); filled only when some term
            beyond "data" is on (`TrainConfig.loss_terms`). `train_loss` is the minimised total.
        r1_ratio: rule R1's ratio `|residual| * Lip(act) * max_k ||W_k||_2 / |skip|` (`morsenet.theory.r1_ratio`,
            BatchNorm folded) after each epoch, for ResNets with skip != 0; empty otherwise.
        stages: the stage marks of a staged training (empty for one stage).
        loss_weights: the weight of each term of `loss_terms` in the minimised loss (the sum over terms of
            weight * raw value is the total); empty when `loss_terms` is.
    """

    train_loss: list[float] = field(default_factory=list)
    test_loss: list[float] = field(default_factory=list)
    test_accuracy: list[float] = field(default_factory=list)
    best_epoch: int = -1
    stopped_early: bool = False
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    loss_terms: dict[str, list[float]] = field(default_factory=dict)
    r1_ratio: list[float] = field(default_factory=list)
    stages: list[StageMark] = field(default_factory=list)
    loss_weights: dict[str, float] = field(default_factory=dict)

    @property
    def selection(self) -> str:
        """Which points chose the best epoch: "validation" or "test" (the prototype's protocol)."""
        return "validation" if self.val_loss else "test"

    @property
    def best_val_accuracy(self) -> float | None:
        return self.val_accuracy[self.best_epoch] if self.val_accuracy else None

    @property
    def best_val_loss(self) -> float | None:
        return self.val_loss[self.best_epoch] if self.val_loss else None

    def selection_score(self, classify: bool) -> float:
        """What chose the best epoch, higher is better: the selection set's accuracy or minus its loss."""
        if self.val_loss:
            return self.val_accuracy[self.best_epoch] if classify else -self.val_loss[self.best_epoch]
        return self.test_accuracy[self.best_epoch] if classify else -self.test_loss[self.best_epoch]

    @property
    def epochs_run(self) -> int:
        return len(self.train_loss)

    @property
    def best_accuracy(self) -> float | None:
        return self.test_accuracy[self.best_epoch] if self.test_accuracy else None

    @property
    def best_test_loss(self) -> float:
        return self.test_loss[self.best_epoch]

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "train_loss": self.train_loss,
            "test_loss": self.test_loss,
            "test_accuracy": self.test_accuracy,
            "best_epoch": self.best_epoch,
            "stopped_early": self.stopped_early,
            "selection": self.selection,
        }
        if self.val_loss:
            out["val_loss"] = self.val_loss
            out["val_accuracy"] = self.val_accuracy
        if self.loss_terms:
            out["loss_terms"] = self.loss_terms
        if self.loss_weights:
            out["loss_weights"] = self.loss_weights
        if self.r1_ratio:
            out["r1_ratio"] = self.r1_ratio
        if self.stages:
            out["stages"] = [s.to_dict() for s in self.stages]
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> History:
        return cls(
            list(d["train_loss"]),
            list(d["test_loss"]),
            list(d["test_accuracy"]),
            int(d["best_epoch"]),
            bool(d["stopped_early"]),
            list(d.get("val_loss", [])),
            list(d.get("val_accuracy", [])),
            {str(k): list(v) for k, v in (d.get("loss_terms") or {}).items()},
            list(d.get("r1_ratio", [])),
            [StageMark.from_dict(s) for s in d.get("stages", [])],
            {str(k): float(v) for k, v in (d.get("loss_weights") or {}).items()},
        )
