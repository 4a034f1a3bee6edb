"""A session trains in a background thread exactly as `morsenet.training.fit` does, and pauses, steps, resets."""

import time

import pytest
import torch

from morsenet.explore import Session, parse_settings
from morsenet.models import build_model
from morsenet.training import fit

SMALL = {"d.n_samples": "200", "m.widths": "2,3,1", "m.batchnorm": "false", "t.batch_size": "32"}


def _wait(predicate, timeout=60.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


@pytest.fixture
def session():
    sessions = []

    def make(**values):
        s = Session(parse_settings({**SMALL, **values}))
        sessions.append(s)
        return s

    yield make
    for s in sessions:
        s.close()


def test_a_finished_session_has_the_weights_fit_gives(session):
    s = session(**{"t.epochs": "6", "seed": "4"})
    s.control("play")
    _wait(lambda: s.status == "done")
    reference = build_model(s.settings.config, seed=4)
    history = fit(reference, s.settings.data, s.settings.train, seed=4, progress=False)
    _, _, epoch, snapshot = s._state()
    assert epoch == 6
    for key, value in reference.state_dict().items():
        assert torch.equal(snapshot[key], value), key
    view = s.view()
    assert view["status"] == "done" and view["curves"]["test_accuracy"] == [round(a, 5) for a in history.test_accuracy]


def test_step_runs_one_epoch_then_pauses(session):
    s = session(**{"t.epochs": "50"})
    assert s.status == "idle" and s.view()["epoch"] == 0
    s.control("step")
    _wait(lambda: s.status == "paused" and s.epoch == 1)
    time.sleep(0.2)
    assert s.epoch == 1  # still paused
    s.control("step")
    _wait(lambda: s.epoch == 2 and s.status == "paused")
    s.control("play")
    _wait(lambda: s.epoch >= 5)
    s.control("pause")
    _wait(lambda: s.status == "paused")
    paused_at = s.epoch
    time.sleep(0.2)
    assert s.epoch == paused_at


def test_reset_restores_the_initial_weights(session):
    s = session(**{"t.epochs": "50"})
    initial = {k: v.clone() for k, v in s._state()[3].items()}
    s.control("play")
    _wait(lambda: s.epoch >= 3)
    generation = s.generation
    s.control("reset")
    assert s.status == "idle" and s.epoch == 0 and s.generation == generation + 1
    for key, value in s._state()[3].items():
        assert torch.equal(value, initial[key]), key


def test_view_only_changes_keep_the_model_and_others_reset_it(session):
    s = session(**{"t.epochs": "50"})
    s.control("step")
    _wait(lambda: s.epoch == 1 and s.status == "paused")
    s.apply(parse_settings({**SMALL, "t.epochs": "50", "v.map": "logit"}))
    assert s.epoch == 1 and s.view()["second"]["kind"] == "logit"
    s.apply(parse_settings({**SMALL, "t.epochs": "50", "m.widths": "2,4,1"}))
    assert s.epoch == 0 and s.status == "idle" and s.settings.config.widths == (2, 4, 1)


def test_the_analysis_thread_follows_the_training(session):
    s = session(**{"t.epochs": "3"})
    s.control("play")
    _wait(lambda: s.status == "done")
    _wait(lambda: (s.view()["analysis"] or {}).get("version") == s.version)
    a = s.view()["analysis"]
    assert a["epoch"] == 3 and a["seconds"] > 0 and "summary" in a and a["theory"]["class"] == "morse_generic"


def test_the_checkpoint_loads_as_the_snapshot(session, tmp_path):
    import morsenet

    s = session(**{"t.epochs": "2"})
    s.control("play")
    _wait(lambda: s.status == "done")
    path = tmp_path / "m.pt"
    path.write_bytes(s.checkpoint())
    model = morsenet.load(path)
    assert model.checkpoint_meta["epoch"] == 2 and model.checkpoint_meta["settings"] == s.settings.values
    for key, value in model.state_dict().items():
        assert torch.equal(value, s._state()[3][key])


def test_close_stops_both_threads(session):
    s = session(**{"t.epochs": "100000"})
    s.control("play")
    _wait(lambda: s.epoch >= 1)
    s.close()
    assert not s._analysis_thread.is_alive()
    assert s._thread is not None and not s._thread.is_alive()
