"""One browser tab's state: its settings, a model trained in a background thread, and the views of it.

Training runs `morsenet.training.fit` (the loop `morsenet run` uses, so an exported study reproduces the
model) in a thread. A process-wide optimizer step hook, active only in training threads, copies the weights
into a snapshot under a lock after a minibatch step (at most every `SNAPSHOT_INTERVAL` seconds), so the
views move between epochs too; after every epoch `fit`'s callback records the curves and waits while the
session is paused. Views never touch the training model: they load the latest snapshot into
a model of their own, so training never waits for drawing. The costlier analysis (critical points, tunnel,
theory) runs in a second thread at a lower rate, and the views report the epoch it was computed for.
"""

from __future__ import annotations

import logging
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import torch
from torch.optim.optimizer import register_optimizer_step_post_hook

from ..models import MorseModel, save
from ..training import fit
from . import _views
from ._settings import Settings

log = logging.getLogger("morsenet.explore")

# The analysis waits at least this long between runs, and at least this multiple of its last duration.
ANALYSIS_MIN_INTERVAL = 0.5
ANALYSIS_DUTY = 2.0
# A session nobody has asked about for this long stops computing its analysis (training goes on).
ACTIVE_WINDOW = 15.0
# Seconds between weight snapshots taken after minibatch steps (an epoch's end always takes one).
SNAPSHOT_INTERVAL = 0.04

_training = threading.local()  # `.session`: the session whose training runs in this thread
_hook: Any = None


def _after_step(optimizer: Any, args: Any, kwargs: Any) -> None:
    session = getattr(_training, "session", None)
    if session is not None:
        session._on_step()


def _install_hook() -> None:
    """Register the step hook once per process; optimizers outside training threads only pay one getattr."""
    global _hook
    if _hook is None:
        _hook = register_optimizer_step_post_hook(_after_step)


class _Stop(Exception):
    """Raised inside the training callback to end `fit` when the session is reset or closed."""


class Session:
    """A tab's settings, training thread and views. Thread-safe; every public method may be called from any
    thread. `status` is idle (not started), running, paused, done (all epochs run) or error."""

    def __init__(self, settings: Settings) -> None:
        self.id = uuid.uuid4().hex
        self.last_seen = time.monotonic()
        self._lock = threading.Lock()  # snapshot, curves, status
        self._control = threading.Condition()  # play / pause / step / stop
        self._view_lock = threading.Lock()  # the view model and the cached view
        self._analysis_lock = threading.Lock()  # the analysis model
        self._closed = False
        self.analysis_running = False
        self._analysis_thread = threading.Thread(target=self._analysis_loop, daemon=True, name="explore-analysis")
        self._setup(settings)
        self._analysis_thread.start()

    # -- set-up and control -------------------------------------------------------------------------------

    def _setup(self, settings: Settings) -> None:
        self.settings = settings
        self.box = _views.view_box(settings.data)
        model = _views.build(settings.config, settings.seed)
        self._model = model.eval()
        self._view_model = _views.build(settings.config, settings.seed).eval()
        self._analysis_model = _views.build(settings.config, settings.seed).eval()
        self._thread: threading.Thread | None = None
        self._running = False
        self._steps_left: int | None = None  # epochs to run before pausing (None: until paused)
        self._stop = False
        self.status = "idle"
        self.error: str | None = None
        self.epoch = 0
        self.version = 0  # bumped by every new snapshot
        self._last_snapshot = 0.0
        self._snapshot = self._copy_state(model)
        self._curves: tuple[list[float], list[float], list[float]] = ([], [], [])
        self._view_cache: tuple[tuple[int, str, int], dict[str, Any]] | None = None
        self.analysis: dict[str, Any] | None = None
        self._analysis_key: tuple[int, int] | None = None  # (generation, version) analysed
        self.generation = getattr(self, "generation", -1) + 1

    @staticmethod
    def _copy_state(model: torch.nn.Module) -> dict[str, torch.Tensor]:
        return {k: v.detach().clone() for k, v in model.state_dict().items()}

    def touch(self) -> None:
        self.last_seen = time.monotonic()

    def control(self, action: str) -> None:
        """play, pause, step (one epoch) or reset."""
        if action == "reset":
            self.apply(self.settings, reset=True)
            return
        with self._control:
            if self.status in ("done", "error"):
                return
            if action == "play":
                self._running, self._steps_left = True, None
            elif action == "pause":
                self._running = False
            elif action == "step":
                self._running, self._steps_left = True, 1
            self._control.notify_all()
        if action in ("play", "step") and self._thread is None:
            self._thread = threading.Thread(target=self._train, daemon=True, name="explore-train")
            self._thread.start()
        if action in ("play", "step"):  # "paused" is set by the training thread once it really waits
            with self._lock:
                if self.status in ("idle", "paused"):
                    self.status = "running"

    def apply(self, settings: Settings, *, reset: bool = False) -> None:
        """New settings: a view-only change keeps the model; anything else (or `reset`) stops training and
        starts afresh from the initial weights."""
        if not reset and settings.training_key() == self.settings.training_key():
            with self._view_lock:
                self.settings = settings
                self._view_cache = None
            return
        self._halt()
        with self._view_lock, self._lock:
            self._setup(settings)

    def _halt(self) -> None:
        with self._control:
            self._stop = True
            self._control.notify_all()
        thread = self._thread
        if thread is not None:
            thread.join(timeout=30)

    def close(self) -> None:
        """Stop training and the analysis thread (waits for both)."""
        self._closed = True
        self._halt()
        if self._analysis_thread is not threading.current_thread():
            self._analysis_thread.join(timeout=30)

    # -- training ------------------------------------------------------------------------------------------

    def _train(self) -> None:
        s = self.settings
        _install_hook()
        _training.session = self
        try:
            fit(self._model, s.data, s.train, seed=s.seed, callback=self._on_epoch, progress=False, threads=None)
        except _Stop:
            return
        except Exception as err:  # a server error is logged once, then shown on the page
            log.exception("training failed in session %s", self.id)
            with self._lock:
                self.status, self.error = "error", f"training failed: {type(err).__name__}: {err}"
            return
        with self._lock:  # fit restored the best epoch's weights
            self._snapshot = self._copy_state(self._model)
            self.version += 1
            self.status = "done"

    def _on_step(self) -> None:
        """After a minibatch step (training thread): end at once on reset/close; else maybe take a snapshot."""
        if self._stop:
            raise _Stop
        now = time.monotonic()
        if now - self._last_snapshot < SNAPSHOT_INTERVAL:
            return
        state = self._copy_state(self._model)
        with self._lock:
            self._snapshot, self.version, self._last_snapshot = state, self.version + 1, now

    def _on_epoch(self, epoch: int, model: torch.nn.Module, history: Any) -> None:
        state = self._copy_state(model)
        curves = (list(history.train_loss), list(history.test_loss), list(history.test_accuracy))
        with self._lock:
            self._snapshot, self._curves = state, curves
            self.epoch, self.version = epoch + 1, self.version + 1
        with self._control:
            if self._steps_left is not None:
                self._steps_left -= 1
                if self._steps_left <= 0:
                    self._running, self._steps_left = False, None
            if not self._running and not self._stop:
                with self._lock:
                    self.status = "paused"
            while not self._running and not self._stop:
                self._control.wait()
            if self._stop:
                raise _Stop
        with self._lock:
            self.status = "running"

    # -- views ---------------------------------------------------------------------------------------------

    def _state(self) -> tuple[int, int, int, dict[str, torch.Tensor]]:
        with self._lock:
            return self.generation, self.version, self.epoch, self._snapshot

    def view(self) -> dict[str, Any]:
        """The fast views of the latest snapshot (cached while nothing changed), with curves and status."""
        self.touch()
        with self._view_lock:
            generation, version, _, snapshot = self._state()
            map_kind, layer = self.settings.view["map"], int(self.settings.view["layer"])
            key = (version, map_kind, layer)
            if self._view_cache is not None and self._view_cache[0] == key:
                maps = self._view_cache[1]
            else:
                self._view_model.load_state_dict(snapshot)
                maps = _views.fast_view(self._view_model, self.box, map_kind, layer)
                self._view_cache = (key, maps)
        with self._lock:
            curves = _views.curves_payload(*self._curves)
            head = {
                "status": self.status,
                "error": self.error,
                "epoch": self.epoch,
                "epochs": self.settings.train.epochs,
            }
            analysis = self.analysis
        return {"session": self.id, "generation": generation, "version": version, **head, "curves": curves,
                **maps, "analysis": analysis, "analysis_running": self.analysis_running}  # fmt: skip

    def info(self) -> dict[str, Any]:
        """What does not change while training: settings, description, data points, box."""
        s = self.settings
        return {
            "session": self.id,
            "settings": s.values,
            "query": s.query,
            "model": s.config.describe(),
            "n_parameters": s.config.n_parameters,
            "box": [list(b) for b in self.box],
            "geometry": None if s.data.geometry is None else s.data.geometry.to_dict(),
            "points": _views.points_payload(s.data),
        }

    def checkpoint(self) -> bytes:
        """The latest snapshot as a checkpoint file (what `morsenet analyze` and `morsenet.load` read)."""
        with self._view_lock:
            _, _, epoch, snapshot = self._state()
            settings = self.settings
        model: MorseModel = _views.build(settings.config, settings.seed)
        model.load_state_dict(snapshot)
        meta = {"source": "morsenet explore", "seed": settings.seed, "epoch": epoch, "settings": settings.values}
        with tempfile.TemporaryDirectory() as tmp:
            return save(model.eval(), Path(tmp) / "model.pt", meta=meta).read_bytes()

    # -- analysis ------------------------------------------------------------------------------------------

    def analyze_now(self) -> dict[str, Any]:
        """Compute the analysis of the latest snapshot in the calling thread and store it."""
        with self._analysis_lock:
            self.analysis_running = True
            try:
                return self._analyze()
            finally:
                self.analysis_running = False

    def _analyze(self) -> dict[str, Any]:
        started = time.monotonic()
        with self._view_lock:
            generation, version, epoch, snapshot = self._state()
            settings, box, model = self.settings, self.box, self._analysis_model
            model.load_state_dict(snapshot)
        result = _views.analysis(model, settings.data, box, seed=0)
        result["trajectories"] = _views.trajectories(model, settings.config, settings.data)
        result.update(epoch=epoch, version=version,
                      computed_at=time.time(), seconds=round(time.monotonic() - started, 3))  # fmt: skip
        with self._lock:
            if generation == self.generation:
                self.analysis, self._analysis_key = result, (generation, version)
        return result

    def _analysis_loop(self) -> None:
        last_duration, last_end = 0.0, 0.0
        failed: set[tuple[int, int]] = set()
        while not self._closed:
            time.sleep(0.05)
            with self._lock:
                key = (self.generation, self.version)
                fresh = key == self._analysis_key
            wait = max(ANALYSIS_MIN_INTERVAL, ANALYSIS_DUTY * last_duration)
            active = time.monotonic() - self.last_seen < ACTIVE_WINDOW
            if fresh or not active or time.monotonic() - last_end < wait or key in failed:
                continue
            start = time.monotonic()
            try:
                self.analyze_now()
            except Exception as err:
                if not failed:
                    log.exception("analysis failed in session %s", self.id)
                failed.add(key)
                with self._lock:
                    self.analysis = {"error": f"analysis failed: {type(err).__name__}: {err}", "version": key[1]}
            last_end = time.monotonic()
            last_duration = last_end - start
