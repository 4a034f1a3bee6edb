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
RESTORE = ("best", "last")
PENALTY_NORMS = ("l2", "l1")
_QUIET_DEFAULTS: dict[str, Any] = {"restore": "best", "input_gradient_penalty": 0.0, "penalty_norm": "l2",
                                   "adversarial": 0.0, "adversarial_epsilon": 0.1, "l2_penalty": 0.0}  # fmt: skip


def _number(v: Any, *, lo: float, hi: float = math.inf, lo_open: bool = False, hi_open: bool = False) -> bool:
    """A finite real number (not a bool) within [lo, hi] (open ends as asked)."""
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        return False
    return (v > lo if lo_open else v >= lo) and (v < hi if hi_open else v <= hi)


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
        restore: "best" (default) restores the state of the best epoch; "last" keeps the last epoch's state
            (the companion code's 1-D protocol; patience still stops early when > 0). `History.best_epoch` is
            the kept epoch either way, and `train`'s attempt choice and threshold read its score.
        weight_bound: B > 0 keeps the spectral norm of every residual block's effective (eval-mode,
            BatchNorm-folded) weight at most B after each optimiser step; None: unbounded. Without BatchNorm a
            block weight W_k above B is scaled by B / ||W_k||_2. With BatchNorm the folded weight
            `diag(gamma / sqrt(running_var + eps)) W_k` does not depend on the scale of W_k in training (the
            batch statistics renormalise it), so gamma (and the folded map with it) is scaled by
            B / ||folded W_k||_2, with the running statistics of that step. Frozen parameters (requires_grad
            False) are left alone. ResNets only: training another kind with a bound is a MorsenetError.
        input_gradient_penalty: e in [0, 1): the loss becomes `(1 - e) L + e * P`, P the mean over the batch of
            the squared l2 norm ("l2") or the l1 norm ("l1") of each point's input gradient of the summed
            per-point loss ("double backprop"); 0: off.
        penalty_norm: "l2" (squared l2 norm) or "l1", the norm of the input-gradient penalty.
        adversarial: a in [0, 1): the loss becomes `(1 - a) L(x) + a L(x_adv)`, x_adv the FGSM point
            `x + adversarial_epsilon * sign(grad_x L)` (detached; its forward pass leaves BatchNorm's running
            statistics alone); 0: off. With both on: `(1 - e) [(1 - a) L(x) + a L(x_adv)] + e * P`, P from the
            clean points' input gradient (the one whose sign gives x_adv).
        adversarial_epsilon: the FGSM step size (> 0), in input units.
        l2_penalty: lambda >= 0: adds `lambda * sum of squared trainable parameters` to the loss (BatchNorm
            affine parameters included); 0: off.
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
    restore: str = "best"
    weight_bound: float | None = None
    input_gradient_penalty: float = 0.0
    penalty_norm: str = "l2"
    adversarial: float = 0.0
    adversarial_epsilon: float = 0.1
    l2_penalty: float = 0.0

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
        if self.restore not in RESTORE:
            raise bad("restore", 'one of "best" (the best epoch\'s state) or "last" (the last epoch\'s)')
        if self.weight_bound is not None and not _number(self.weight_bound, lo=0.0, lo_open=True):
            raise bad("weight_bound", "a number > 0 (a spectral-norm bound) or absent")
        for key in ("input_gradient_penalty", "adversarial"):
            if not _number(getattr(self, key), lo=0.0, hi=1.0, hi_open=True):
                raise bad(key, "a number >= 0 and < 1 (the weight of that loss term; 0: off)")
        if self.penalty_norm not in PENALTY_NORMS:
            raise bad("penalty_norm", 'one of "l2" or "l1"')
        if not _number(self.adversarial_epsilon, lo=0.0, lo_open=True):
            raise bad("adversarial_epsilon", "a number > 0 (the FGSM step in input units)")
        if not _number(self.l2_penalty, lo=0.0):
            raise bad("l2_penalty", "a number >= 0 (0: off)")
        for key in ("weight_bound", "adversarial_epsilon"):
            v = getattr(self, key)
            if v is not None:
                object.__setattr__(self, key, float(v))
        for key in ("input_gradient_penalty", "adversarial", "l2_penalty"):
            object.__setattr__(self, key, float(getattr(self, key)))

    @property
    def loss_terms(self) -> tuple[str, ...]:
        """The terms of the training loss beyond "data" that these settings switch on."""
        on = (("input_gradient", self.input_gradient_penalty), ("adversarial", self.adversarial),
              ("l2", self.l2_penalty))  # fmt: skip
        return tuple(name for name, weight in on if weight > 0)

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
        for key, default in _QUIET_DEFAULTS.items():  # settings added later: written only when set
            if out.get(key, default) == default:
                out.pop(key, None)
        return out
