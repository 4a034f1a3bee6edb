"""Training settings as a frozen, self-checking dataclass."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any

from .._validation import DTYPES
from ..errors import MorsenetError

# Bounds that catch a typo before it runs for days: 10^6 epochs, 100 retries, batches of at most 10^7 points
# (the most points a data set may have).
MAX_EPOCHS = 1_000_000
MAX_ATTEMPTS = 100
MAX_BATCH_SIZE = 10_000_000
# At most 90% of the training points go to validation (at least 2 must stay for training: see `with_validation`).
MAX_VAL_FRACTION = 0.9


@dataclass(frozen=True)
class TrainConfig:
    """The prototype's loop, made deterministic.

    Attributes:
        epochs: maximum number of passes over the training set.
        lr: Adam learning rate.
        batch_size: minibatch size (a final batch of one point joins the previous one, for BatchNorm).
        patience: stop after this many epochs without a better selection score; 0 disables early stopping.
        threshold: selection accuracy an attempt must reach (classification); None accepts the first attempt.
        max_attempts: attempts (each with a new seed) before giving up on `threshold`.
        dtype: "float32" or "float64" for parameters and data.
        val_fraction: fraction of the training points split off (seeded by `val_seed`) as a validation set
            for best-epoch selection, early stopping and `threshold`; the test set is then used for nothing
            but the reported test accuracy. 0 (default) is the prototype's protocol: selection on the test
            set (recorded as `selection: "test"`).
        val_seed: seed of the validation split (the same for every attempt and every ensemble member).
    """

    epochs: int = 300
    lr: float = 0.01
    batch_size: int = 128
    patience: int = 100
    threshold: float | None = None
    max_attempts: int = 1
    dtype: str = "float32"
    val_fraction: float = 0.0
    val_seed: int = 0

    def __post_init__(self) -> None:
        def bad(key: str, want: str) -> MorsenetError:
            return MorsenetError(f"train.{key} must be {want}, got {getattr(self, key)!r}")

        for key, hi in (("epochs", MAX_EPOCHS), ("batch_size", MAX_BATCH_SIZE), ("max_attempts", MAX_ATTEMPTS)):
            v = getattr(self, key)
            if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= hi:
                raise bad(key, f"an integer >= 1 and <= {hi:,}")
        p = self.patience
        if isinstance(p, bool) or not isinstance(p, int) or not 0 <= p <= MAX_EPOCHS:
            raise bad("patience", f"an integer >= 0 and <= {MAX_EPOCHS:,} (0 disables early stopping)")
        if isinstance(self.lr, bool) or not isinstance(self.lr, (int, float)) or not 0 < self.lr < math.inf:
            raise bad("lr", "a number > 0 (and finite)")
        if self.threshold is not None and (
            isinstance(self.threshold, bool)
            or not isinstance(self.threshold, (int, float))
            or not 0 <= self.threshold <= 1
        ):
            raise bad("threshold", "a number in [0, 1] (test accuracy) or absent")
        if not isinstance(self.dtype, str) or self.dtype not in DTYPES:
            raise bad("dtype", f"one of {', '.join(DTYPES)}")
        v = self.val_fraction
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v <= MAX_VAL_FRACTION:
            raise bad("val_fraction", f"a number >= 0 and <= {MAX_VAL_FRACTION} (0: select on the test set)")
        s = self.val_seed
        if isinstance(s, bool) or not isinstance(s, int) or not 0 <= s < 2**63:
            raise bad("val_seed", "an integer >= 0 and < 2**63")

    @property
    def selection(self) -> str:
        """Which points choose the epoch and the attempt: "validation" (when split off) or "test"."""
        return "validation" if self.val_fraction > 0 else "test"

    @classmethod
    def from_dict(cls, values: dict[str, Any], *, where: str = "train") -> TrainConfig:
        names = [f.name for f in fields(cls)]
        for key in values:
            if key not in names:
                raise MorsenetError(f"{where} has no setting {key!r}; allowed: {', '.join(names)}")
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in asdict(self).items() if v is not None}
        if not self.val_fraction:  # the prototype's protocol: written as before
            out.pop("val_fraction")
            out.pop("val_seed")
        return out
