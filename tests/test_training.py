import dataclasses

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


# --- validation split (train.val_fraction) ---


def _flip_test(data):
    return dataclasses.replace(data, y_test=1 - data.y_test)


def test_val_fraction_zero_keeps_the_prototype_protocol():
    data = make_circles(200, seed=0)
    h = fit(build_model(dict(kind="mlp", widths=[2, 3, 1]), seed=0), data, TrainConfig(epochs=4), progress=False)
    assert h.selection == "test" and h.val_loss == [] and h.best_val_accuracy is None
    assert h.to_dict()["selection"] == "test" and "val_loss" not in h.to_dict()
    assert "val_fraction" not in TrainConfig().to_dict()  # written as before the option existed


def test_validation_split_is_seeded_and_leaves_the_test_set_alone():
    data = make_circles(300, seed=0)
    a, b = data.with_validation(0.25, seed=3), data.with_validation(0.25, seed=3)
    c = data.with_validation(0.25, seed=4)
    assert torch.equal(a.x_val, b.x_val) and torch.equal(a.x_train, b.x_train)
    assert not torch.equal(a.x_val, c.x_val)
    assert torch.equal(a.x_test, data.x_test) and torch.equal(a.y_test, data.y_test)
    n = data.x_train.shape[0]
    assert a.x_val.shape[0] == round(0.25 * n) and a.x_train.shape[0] + a.x_val.shape[0] == n
    # train and validation points are exactly the original training points (as rows, with their labels)
    rows = {tuple(r) for r in torch.cat([data.x_train, data.y_train[:, None]], 1).tolist()}
    got = torch.cat([torch.cat([a.x_train, a.x_val]), torch.cat([a.y_train, a.y_val])[:, None]], 1)
    assert {tuple(r) for r in got.tolist()} == rows and len(got) == len(rows)
    assert a.x.shape[0] == data.x.shape[0]


def test_with_validation_selection_never_reads_the_test_labels():
    # Flipping every test label turns test accuracy a into 1 - a: test-based selection then picks another epoch,
    # validation-based selection must pick the same epoch, weights and attempt.
    data = make_circles(300, seed=1)
    model_cfg = dict(kind="mlp", widths=[2, 4, 1])
    base = dict(epochs=25, lr=0.05, batch_size=32, patience=6, threshold=1.0, max_attempts=2)
    runs = {}
    for frac in (0.0, 0.3):
        cfg = TrainConfig(**base, val_fraction=frac, val_seed=5)
        runs[frac] = [train(model_cfg, d, cfg, seed=2, progress=False) for d in (data, _flip_test(data))]
    plain, flipped = runs[0.0]
    assert (plain.history.best_epoch, plain.history.epochs_run) != (
        flipped.history.best_epoch,
        flipped.history.epochs_run,
    )
    plain, flipped = runs[0.3]
    assert plain.history.selection == "validation"
    assert plain.history.best_epoch == flipped.history.best_epoch
    assert plain.history.val_accuracy == flipped.history.val_accuracy
    assert plain.seed == flipped.seed and plain.history.epochs_run == flipped.history.epochs_run
    for p, q in zip(plain.model.parameters(), flipped.model.parameters()):
        assert torch.equal(p, q)
    h = plain.history
    assert [flipped.history.test_accuracy[e] for e in range(h.epochs_run)] == pytest.approx(
        [1 - a for a in h.test_accuracy]
    )
    assert h.best_val_accuracy == max(h.val_accuracy) and h.best_epoch == h.val_accuracy.index(max(h.val_accuracy))
    assert plain.attempts[0].best_val_accuracy is not None


def test_hand_made_validation_part_chooses_the_epoch():
    # The validation points are the test points with opposite labels: every epoch's validation accuracy is one
    # minus its test accuracy, so validation selection keeps the epoch with the WORST test accuracy.
    data = make_circles(200, seed=0)
    data = dataclasses.replace(data, x_val=data.x_test.clone(), y_val=1 - data.y_test)
    cfg = TrainConfig(epochs=20, lr=0.05, batch_size=16, patience=0)
    h = fit(build_model(dict(kind="mlp", widths=[2, 3, 1]), seed=0), data, cfg, progress=False)
    assert h.val_accuracy == pytest.approx([1 - a for a in h.test_accuracy])
    assert len(set(h.test_accuracy)) > 1
    assert h.best_epoch == h.val_accuracy.index(max(h.val_accuracy))
    assert h.best_accuracy == min(h.test_accuracy)


def test_regression_selects_on_validation_mse():
    data = get_dataset("square_1d", n_samples=120, seed=0)
    cfg = TrainConfig(epochs=15, lr=0.02, batch_size=16, patience=0, val_fraction=0.25)
    h = fit(build_model(dict(kind="mlp", widths=[1, 6, 1]), seed=0), data, cfg, progress=False)
    assert h.val_accuracy == [] and len(h.val_loss) == 15
    assert h.best_epoch == h.val_loss.index(min(h.val_loss))


def test_ensemble_selects_on_validation_like_fit():
    from morsenet.ensemble import train_ensemble

    data = make_circles(200, seed=0)
    cfg = TrainConfig(epochs=12, lr=0.05, batch_size=32, patience=4, val_fraction=0.3, val_seed=1)
    spec = dict(kind="mlp", widths=[2, 3, 1])
    ens = train_ensemble(spec, data, cfg, seeds=[0, 1], progress=False)
    for i, s in enumerate([0, 1]):
        h = fit(build_model(spec, seed=s), data, cfg, seed=s, progress=False)
        e = ens.histories[i]
        assert e.selection == "validation" and e.best_epoch == h.best_epoch and e.stopped_early == h.stopped_early
        assert e.val_accuracy == pytest.approx(h.val_accuracy) and e.test_accuracy == pytest.approx(h.test_accuracy)


@pytest.mark.parametrize(
    "values, message",
    [
        (dict(val_fraction=-0.1), "train.val_fraction must be a number >= 0 and <= 0.9"),
        (dict(val_fraction=0.95), "train.val_fraction must be a number >= 0 and <= 0.9"),
        (dict(val_fraction=True), "train.val_fraction"),
        (dict(val_fraction="0.2"), "train.val_fraction"),
        (dict(val_seed=-1), "train.val_seed must be an integer >= 0"),
        (dict(val_seed=1.5), "train.val_seed"),
    ],
)
def test_bad_val_settings(values, message):
    with pytest.raises(MorsenetError, match=message.replace(".", r"\.")):
        TrainConfig(**values)


def test_too_few_points_for_a_validation_split():
    data = make_circles(4, seed=0)  # 3 training points
    with pytest.raises(MorsenetError, match="too few to split with val_fraction=0.9"):
        data.with_validation(0.9)
    with pytest.raises(MorsenetError, match="already has a validation part"):
        data.with_validation(0.3).with_validation(0.3)
    with pytest.raises(MorsenetError, match=r"val_fraction must be a number in \(0, 1\)"):
        data.with_validation(1.0)


def test_restore_last_keeps_the_last_epochs_state():
    data = make_circles(200, seed=0)
    states = []

    def remember(epoch, model, history):
        states.append({k: v.detach().clone() for k, v in model.state_dict().items()})

    cfg = dict(kind="mlp", widths=[2, 3, 1], batchnorm=True)
    config = TrainConfig(epochs=8, batch_size=32, lr=0.05, restore="last", patience=0)
    model = build_model(cfg, seed=0, input_dim=2)
    history = fit(model, data, config, seed=0, callback=remember, progress=False)
    assert history.best_epoch == history.epochs_run - 1 == 7 and len(states) == 8
    for k, v in model.state_dict().items():
        assert torch.equal(v, states[-1][k]), k
    # "best" trains the same epochs and restores its best one: the state of that epoch, earlier than the last on
    # at least one of a few seeds at a livelier rate (which seeds depends on the CPU's rounding: AVX2 and AVX-512
    # machines differ in the last bits of float32 training)
    earlier = 0
    lively = dataclasses.replace(config, lr=0.2)
    for seed in range(4):
        kept: list[dict] = []
        last = fit(build_model(cfg, seed=seed, input_dim=2), data, lively, seed=seed, progress=False)

        def keep(epoch, model, history, _kept=kept):
            _kept.append({k: v.detach().clone() for k, v in model.state_dict().items()})

        best = build_model(cfg, seed=seed, input_dim=2)
        h_best = fit(best, data, dataclasses.replace(lively, restore="best"), seed=seed, callback=keep, progress=False)
        assert h_best.train_loss == last.train_loss
        assert h_best.test_accuracy[h_best.best_epoch] == max(h_best.test_accuracy)
        for k, v in best.state_dict().items():
            assert torch.equal(v, kept[h_best.best_epoch][k]), k
        earlier += h_best.best_epoch < last.best_epoch
    assert earlier >= 1


def test_restore_last_with_patience_stops_early_and_keeps_the_stopping_epoch():
    data = make_circles(200, seed=0)
    config = TrainConfig(epochs=200, batch_size=64, lr=0.05, restore="last", patience=2)
    model = build_model(dict(kind="mlp", widths=[2, 3, 1]), seed=0, input_dim=2)
    history = fit(model, data, config, seed=0, progress=False)
    assert history.stopped_early and history.best_epoch == history.epochs_run - 1 < 199
    with torch.no_grad():
        acc = float(((model(data.x_test) >= 0).float() == data.y_test).float().mean())
    assert acc == pytest.approx(history.test_accuracy[-1])


def test_train_chooses_attempts_by_the_kept_epochs_score():
    data = make_circles(200, seed=0)
    config = TrainConfig(epochs=6, batch_size=64, restore="last", threshold=1.0, max_attempts=3, patience=0)
    result = train(dict(kind="mlp", widths=[2, 2, 1]), data, config, seed=4, progress=False)
    finals = [a.best_accuracy for a in result.attempts]
    assert result.history.best_epoch == 5
    assert result.history.best_accuracy == result.history.test_accuracy[-1] == max(finals)
    assert result.reached_threshold is (max(finals) >= 1.0)


def test_r1_ratio_is_recorded_for_resnets_with_a_skip_only():
    from morsenet.theory import r1_ratio

    data = make_circles(100, seed=0)
    config = TrainConfig(epochs=3, batch_size=50, patience=0, restore="last")
    seen = []
    resnet = build_model(dict(kind="resnet", width=2, blocks=2, skip=1.0, residual=0.3, batchnorm=True), seed=0,
                         input_dim=2)  # fmt: skip
    history = fit(resnet, data, config, progress=False, callback=lambda e, m, h: seen.append(r1_ratio(m)))
    assert history.r1_ratio == seen and len(seen) == 3 and all(r > 0 for r in seen)
    for kind in (dict(kind="mlp", widths=[2, 2, 1]), dict(kind="resnet", width=2, blocks=2, skip=0.0)):
        assert fit(build_model(kind, seed=0, input_dim=2), data, config, progress=False).r1_ratio == []
