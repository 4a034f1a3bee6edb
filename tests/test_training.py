import pytest
import torch

from morsenet.datasets import get_dataset, make_circles
from morsenet.errors import MorsenetError
from morsenet.models import build_model
from morsenet.training import TrainConfig, batch_slices, fit, train


def test_short_training_beats_chance_on_circles():
    data = make_circles(600, seed=0)
    result = train(dict(kind="mlp", widths=[2, 8, 1]), data, TrainConfig(epochs=40, patience=0), seed=0, progress=False)
    assert result.history.best_accuracy > 0.85
    assert result.history.epochs_run == 40 and len(result.history.test_accuracy) == 40
    # The restored state is the best epoch's.
    with torch.no_grad():
        acc = float(((result.model(data.x_test) >= 0).float() == data.y_test).float().mean())
    assert acc == pytest.approx(result.history.best_accuracy)


def test_same_seed_same_numbers():
    data = make_circles(300, seed=0)
    cfg = TrainConfig(epochs=5, batch_size=32)
    runs = [
        train(dict(kind="mlp", widths=[2, 3, 1], batchnorm=True), data, cfg, seed=7, progress=False) for _ in range(2)
    ]
    assert runs[0].history.train_loss == runs[1].history.train_loss
    for a, b in zip(runs[0].model.parameters(), runs[1].model.parameters()):
        assert torch.equal(a, b)


def test_retry_until_threshold_records_every_attempt():
    data = make_circles(200, seed=0)
    cfg = TrainConfig(epochs=2, threshold=1.0, max_attempts=3)
    result = train(dict(kind="mlp", widths=[2, 2, 1]), data, cfg, seed=10, progress=False)
    assert [a.seed for a in result.attempts] == [10, 11, 12]
    assert result.reached_threshold is False
    best = max(result.attempts, key=lambda a: a.best_accuracy)
    assert result.seed == best.seed


def test_early_stopping_stops():
    data = make_circles(200, seed=0)
    model = build_model(dict(kind="mlp", widths=[2, 3, 1]), seed=0)
    history = fit(model, data, TrainConfig(epochs=500, patience=3, lr=1e-6), seed=0, progress=False)
    assert history.stopped_early and history.epochs_run < 500


def test_regression_uses_mse():
    data = get_dataset("square_1d", n_samples=100, seed=0)
    result = train(
        dict(kind="resnet", width=1, blocks=2, input_layer=False),
        data,
        TrainConfig(epochs=3, batch_size=10),
        seed=0,
        progress=False,
    )
    assert result.history.test_accuracy == [] and result.history.best_test_loss >= 0


def test_float64_training():
    data = make_circles(100, seed=0)
    result = train(
        dict(kind="mlp", widths=[2, 3, 1]), data, TrainConfig(epochs=2, dtype="float64"), seed=0, progress=False
    )
    assert next(result.model.parameters()).dtype == torch.float64


def test_batch_slices_never_leave_a_single_point():
    assert [s.stop - s.start for s in batch_slices(257, 128)] == [128, 129]
    assert [s.stop - s.start for s in batch_slices(256, 128)] == [128, 128]


@pytest.mark.parametrize(
    "values, message",
    [
        ({"epochs": 0}, "train.epochs must be an integer >= 1"),
        ({"lr": -1}, "train.lr must be a number > 0"),
        ({"threshold": 2}, r"train.threshold must be a number in \[0, 1\]"),
        ({"dtype": "float16"}, "train.dtype must be one of"),
        ({"optimizer": "sgd"}, "train has no setting 'optimizer'; allowed"),
    ],
)
def test_bad_train_config(values, message):
    with pytest.raises(MorsenetError, match=message):
        TrainConfig.from_dict(values)
