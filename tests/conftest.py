"""Shared test set-up: a non-interactive matplotlib backend and small helpers."""

import os

os.environ.setdefault("MPLBACKEND", "Agg")

import pytest  # noqa: E402
import torch  # noqa: E402


@pytest.fixture
def circles():
    from morsenet.datasets import make_circles

    return make_circles(400, seed=0)


@pytest.fixture(autouse=True)
def _no_global_rng_use():
    """Every test must leave torch's global RNG untouched (randomness is always an argument)."""
    state = torch.random.get_rng_state()
    yield
    assert torch.equal(state, torch.random.get_rng_state()), "the test or the code under test used global RNG"
