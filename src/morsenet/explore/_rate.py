"""Measure the explorer's update rate: new views per second while the session keeps training.

    morsenet explore --measure-rate 10      # on one core: taskset -c 0 morsenet explore --measure-rate 10

The default settings are the issue's target: a depth-15 width-2 MLP (BatchNorm, tanh) on circles with the
100x100 decision map and the gradient-norm map; the critical-point analysis runs in its own thread as on the
page. An update counts when the view shows weights that the previous view did not (a new epoch).
"""

from __future__ import annotations

import time
from typing import Any

from ._session import Session
from ._settings import parse_settings

TARGET = {"kind": "mlp", "m.width": "2", "m.depth": "15", "m.batchnorm": "true", "m.activation": "tanh",
          "t.epochs": "100000", "t.batch_size": "128", "v.map": "gradient_norm"}  # fmt: skip


def warm_up() -> None:
    """The first Jacobian and the first optimizer step in a process pay torch's one-time imports (seconds on a
    busy machine); pay them before the first session trains or measures."""
    from ..datasets import make_circles
    from ..training import TrainConfig, fit
    from ._views import build, fast_view

    model = build({"kind": "mlp", "widths": [2, 2, 1]}, 0)
    fast_view(model, ((-1.0, 1.0), (-1.0, 1.0)), "min_sv")
    fit(model, make_circles(20, seed=0), TrainConfig(epochs=1), seed=0, progress=False, threads=None)


def measure_update_rate(values: dict[str, Any] | None = None, seconds: float = 5.0) -> dict[str, float]:
    """Train a session with `values` (default `TARGET`) and draw views as fast as they come for `seconds`.

    Returns updates per second (views of new weights), views computed, epochs trained meanwhile, and the
    mean seconds per view computation.
    """
    warm_up()
    session = Session(parse_settings(values or TARGET))
    try:
        session.control("play")
        while session.epoch < 1:
            time.sleep(0.01)
        start, epoch0, updates, busy, last = time.monotonic(), session.epoch, 0, 0.0, None
        while time.monotonic() - start < seconds:
            t = time.monotonic()
            view = session.view()
            if view["version"] != last:
                updates, busy, last = updates + 1, busy + time.monotonic() - t, view["version"]
            else:
                time.sleep(0.002)
        elapsed = time.monotonic() - start
        return {
            "updates_per_second": updates / elapsed,
            "epochs_per_second": (session.epoch - epoch0) / elapsed,
            "seconds_per_view": busy / max(updates, 1),
            "updates": float(updates),
        }
    finally:
        session.close()


def format_rate(r: dict[str, float]) -> str:
    return (
        f"{r['updates_per_second']:.1f} view updates/s ({r['seconds_per_view'] * 1000:.0f} ms per view), "
        f"{r['epochs_per_second']:.1f} epochs/s of training meanwhile"
    )
