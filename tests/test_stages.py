"""Staged training: what each stage freezes, sets and restores, the stage marks, the injection trace."""

from __future__ import annotations

import pytest
import torch

from morsenet.datasets import make_circles
from morsenet.errors import MorsenetError
from morsenet.models import MLP, ResNet, ResNetConfig, inject_critical_point
from morsenet.training import TrainConfig, parse_stages, train_staged
from morsenet.training._stages import nearest_critical_distance

CFG = ResNetConfig(2, 2, 4, 1.0, 1.0, "tanh", False, True)
BASE = TrainConfig(epochs=3, batch_size=32, patience=0, dtype="float64")
RAW = [
    {"epochs": 3},
    {"action": "inject", "x0": [0.0, 0.0], "block": 3, "freeze": True},
    {"epochs": 3, "restore": "last"},
    {"action": "set", "parameters": {"block_layers.0.bias": [5.0, -5.0]}},
    {"action": "freeze", "parameters": ["readout_layer.weight"]},
    {"action": "unfreeze", "parameters": ["block_layers.2.weight"]},
    {"epochs": 2, "restore": "last"},
]


@pytest.fixture(scope="module")
def staged():
    data = make_circles(120, seed=0)
    return train_staged(CFG, data, BASE, parse_stages("stages", RAW, BASE), seed=1)


def test_stage_marks_and_history(staged) -> None:
    h = staged.result.history
    assert h.epochs_run == 8
    assert [(m.start, m.label.split()[0]) for m in h.stages] == [
        (0, "train"), (3, "inject"), (3, "train"), (6, "set"), (6, "freeze"), (6, "unfreeze"), (6, "train")
    ]  # fmt: skip
    assert h.best_epoch == 7  # restore = "last" in the last stage: the last epoch's state is the one kept
    assert [b.epochs for b in staged.boundaries] == [0, 3, 3, 6, 6, 6, 6, 8]
    assert staged.boundaries[0].label == "initial"


def test_frozen_parameters_are_bit_identical(staged) -> None:
    b = staged.boundaries
    after_inject, after_retrain = b[2].state, b[3].state  # the injection, then 3 epochs with block 3 frozen
    for name in ("block_layers.2.weight", "block_layers.2.bias"):
        assert torch.equal(after_inject[name], after_retrain[name])
    assert torch.equal(after_inject["block_layers.2.weight"], -torch.eye(2, dtype=torch.float64))
    for name in ("block_layers.1.weight", "readout_layer.weight"):  # not frozen: trained
        assert not torch.equal(after_inject[name], after_retrain[name])
    # set: exactly the named values; the last stage: readout frozen, block 3's weight unfrozen
    assert b[4].state["block_layers.0.bias"].tolist() == [5.0, -5.0]
    last = b[-1].state
    assert torch.equal(b[6].state["readout_layer.weight"], last["readout_layer.weight"])
    assert torch.equal(b[6].state["block_layers.2.bias"], last["block_layers.2.bias"])  # still frozen
    assert not torch.equal(b[6].state["block_layers.2.weight"], last["block_layers.2.weight"])


def test_injection_trace(staged) -> None:
    (t,) = staged.traces
    assert t.injected_at == 3
    assert t.epochs == [3, 4, 5, 6, 7, 8]
    assert t.gradient_norm[0] < 1e-12 and t.nearest_distance[0] is not None and t.nearest_distance[0] < 1e-8
    assert len(t.gradient_norm) == len(t.nearest_distance) == 6
    assert "survives" in t.verdict or "is lost" in t.verdict
    assert type(t).from_dict(t.to_dict()).to_dict() == t.to_dict()


def test_nearest_critical_distance() -> None:
    model = ResNet(CFG, seed=2).double()
    inject_critical_point(model, [0.4, -0.1], 2)
    assert nearest_critical_distance(model, [0.4, -0.1]) < 1e-8
    d = nearest_critical_distance(model, [0.5, -0.1])  # a start 0.1 away finds it again
    assert d == pytest.approx(0.1, abs=1e-6)
    assert nearest_critical_distance(MLP([2, 2, 1], seed=0).double(), [0.0, 0.0]) is None  # no critical points


def test_retries_only_the_first_training_stage() -> None:
    data = make_circles(60, seed=0)
    base = TrainConfig(epochs=2, batch_size=32, patience=0, threshold=1.0, max_attempts=2)
    stages = parse_stages("s", [{"epochs": 2}, {"action": "freeze", "parameters": ["readout_layer.bias"]},
                                {"epochs": 1}], base)  # fmt: skip
    out = train_staged(CFG, data, base, stages, seed=0)
    assert [a.seed for a in out.result.attempts] == [0, 1]
    assert out.result.history.epochs_run == 3


def test_hand_set_init_applied() -> None:
    data = make_circles(60, seed=0)
    base = TrainConfig(epochs=1, batch_size=32)
    out = train_staged(CFG, data, base, seed=0, init={"block_layers.1.weight": [[-5.0, 0.0], [0.0, 5.0]]})
    assert out.boundaries[0].state["block_layers.1.weight"].tolist() == [[-5.0, 0.0], [0.0, 5.0]]
    with pytest.raises(MorsenetError, match="init: the model has no parameter 'w'"):
        train_staged(CFG, data, base, seed=0, init={"w": [1.0]})


@pytest.mark.parametrize(
    ("raw", "match"),
    [
        ([], "non-empty array"),
        ([{"action": "explode"}], "action must be one of"),
        ([{"epochs": 0}], r"stages\[0\]: train.epochs"),
        ([{"epoch": 3}], "no training setting 'epoch'"),
        ([{"action": "inject", "x0": [0.0], "block": 0}], "block must be an integer >= 1"),
        ([{"action": "inject", "x0": "centre", "block": 1}], "x0 must be a list"),
        ([{"action": "inject", "x0": [0.0], "block": 1, "where": 2}], "no key 'where'"),
        ([{"action": "set", "parameters": ["a"]}], "must be a table"),
        ([{"action": "freeze", "parameters": {"a": 1}}], "list of parameter names"),
        ([{"epochs": 1}, {"epochs": 2, "max_attempts": 3}], "first training stage only"),
    ],
)
def test_bad_stages(raw, match) -> None:
    with pytest.raises(MorsenetError, match=match) as err:
        parse_stages("stages", raw, BASE)
    assert "\n" not in str(err.value)
