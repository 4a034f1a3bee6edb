"""`--quick`: the one set of smoke-test numbers for studies and sweeps, applied to values already checked."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from ..datasets import dataset_parameters
from ..training import TrainConfig
from ._specs import DatasetSpec


@dataclass(frozen=True)
class QuickLimits:
    """Upper bounds `--quick` puts on a study or a sweep (values below them are kept).

    Attributes:
        n_samples: points per data set.
        epochs: training epochs (base settings and every override).
        max_attempts: retries of a study model (sweeps train every seed once).
        snapshot_every: epochs between a study's weight snapshots (when snapshots are on).
        seeds: seeds per sweep cell (and seeds per task).
        patience: early-stopping patience of a sweep (0, "off", becomes this).
        tunnel_resolution, tunnel_radii, tunnel_angles, critical_point_starts: a sweep's analysis settings.
    """

    n_samples: int = 400
    epochs: int = 15
    max_attempts: int = 1
    snapshot_every: int = 5
    seeds: int = 4
    patience: int = 5
    tunnel_resolution: int = 33
    tunnel_radii: int = 16
    tunnel_angles: int = 64
    critical_point_starts: int = 8


QUICK = QuickLimits()


def quick_train(config: TrainConfig, *, sweep: bool) -> TrainConfig:
    """Shrink checked base training settings."""
    if sweep:
        return replace(
            config,
            epochs=min(config.epochs, QUICK.epochs),
            patience=min(config.patience or QUICK.patience, QUICK.patience),
        )
    return replace(config, epochs=min(config.epochs, QUICK.epochs), max_attempts=QUICK.max_attempts)


def quick_overrides(overrides: dict[str, Any], *, sweep: bool) -> dict[str, Any]:
    """Shrink checked training overrides (only the keys they set; patience only in sweeps)."""
    out = dict(overrides)
    if "epochs" in out:
        out["epochs"] = min(out["epochs"], QUICK.epochs)
    if sweep and out.get("patience"):
        out["patience"] = min(out["patience"], QUICK.patience)
    if "max_attempts" in out:
        out["max_attempts"] = QUICK.max_attempts
    return out


def quick_dataset(spec: DatasetSpec) -> DatasetSpec:
    """A checked data set with at most `QUICK.n_samples` points (built again only when it shrinks)."""
    defaults = dataset_parameters(spec.name)
    if "n_samples" not in defaults:
        return spec
    n = spec.params.get("n_samples", defaults["n_samples"])
    if n <= QUICK.n_samples:
        return spec
    shrunk = replace(spec, params={**spec.params, "n_samples": QUICK.n_samples}, data=None)
    return replace(shrunk, data=shrunk.build())
