"""Training settings as a frozen, self-checking dataclass."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from .._validation import DTYPES
from ..errors import MorsenetError


@dataclass(frozen=True)
class TrainConfig:
    """The prototype's loop, made deterministic.

    Attributes:
        epochs: maximum number of passes over the training set.
        lr: Adam learning rate.
        batch_size: minibatch size (a final batch of one point joins the previous one, for BatchNorm).
        patience: stop after this many epochs without a better test score; 0 disables early stopping.
        threshold: test accuracy an attempt must reach (classification); None accepts the first attempt.
        max_attempts: attempts (each with a new seed) before giving up on `threshold`.
        dtype: "float32" or "float64" for parameters and data.
    """

    epochs: int = 300
    lr: float = 0.01
    batch_size: int = 128
    patience: int = 100
    threshold: float | None = None
    max_attempts: int = 1
    dtype: str = "float32"

    def __post_init__(self) -> None:
        def bad(key: str, want: str) -> MorsenetError:
            return MorsenetError(f"train.{key} must be {want}, got {getattr(self, key)!r}")

        for key in ("epochs", "batch_size", "max_attempts"):
            v = getattr(self, key)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise bad(key, "an integer >= 1")
        if isinstance(self.patience, bool) or not isinstance(self.patience, int) or self.patience < 0:
            raise bad("patience", "an integer >= 0 (0 disables early stopping)")
        if isinstance(self.lr, bool) or not isinstance(self.lr, (int, float)) or not self.lr > 0:
            raise bad("lr", "a number > 0")
        if self.threshold is not None and (
            isinstance(self.threshold, bool)
            or not isinstance(self.threshold, (int, float))
            or not 0 <= self.threshold <= 1
        ):
            raise bad("threshold", "a number in [0, 1] (test accuracy) or absent")
        if self.dtype not in DTYPES:
            raise bad("dtype", f"one of {', '.join(DTYPES)}")

    @classmethod
    def from_dict(cls, values: dict[str, Any], *, where: str = "train") -> TrainConfig:
        names = [f.name for f in fields(cls)]
        for key in values:
            if key not in names:
                raise MorsenetError(f"{where} has no setting {key!r}; allowed: {', '.join(names)}")
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}
