import pytest
import torch

from morsenet.datasets import get_dataset, make_circles
from morsenet.ensemble import EnsembleResult, batched_forward, train_ensemble
from morsenet.errors import MorsenetError
from morsenet.models import MLP, build_model
from morsenet.training import TrainConfig, fit

CONFIGS = {
    "mlp_batchnorm": dict(kind="mlp", widths=[2, 3, 2, 1], batchnorm=True),
    "mlp_bottleneck": dict(kind="mlp", width=2, depth=3, bottleneck=True),
    "resnet_batchnorm": dict(kind="resnet", width=2, blocks=3, skip=1.0, residual=0.5, batchnorm=True),
    "neural_ode": dict(kind="neural_ode", dim=3, steps=4, pieces=2),
    "neural_ode_inside": dict(kind="neural_ode", dim=2, steps=2, pieces=2, vector_field="inside"),
}


@pytest.fixture(autouse=True)
def _one_thread():
    """Tiny tensors: intra-op threads only add synchronisation, which on a busy machine slows every small op
    by an order of magnitude (sweep workers run single-threaded for the same reason)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _close(a, b, tol=1e-5):
    return abs(a - b) <= tol * (1 + abs(b))


@pytest.fixture(scope="module")
def data():
    return make_circles(240, seed=0)


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_ensemble_equals_training_each_model_alone(name, data):
    # patience 3 with 12 epochs: some models stop early, so masking and best-state restore are exercised.
    config = TrainConfig(epochs=12, batch_size=64, patience=3, lr=0.02, dtype="float64")
    seeds = [0, 1, 2]
    result = train_ensemble(CONFIGS[name], data, config, seeds=seeds, progress=False)
    for i, seed in enumerate(seeds):
        alone = build_model(CONFIGS[name], seed=seed, input_dim=2)
        history = fit(alone, data, config, seed=seed, progress=False)
        ours = result.histories[i]
        assert (ours.best_epoch, ours.stopped_early, ours.epochs_run) == (
            history.best_epoch,
            history.stopped_early,
            history.epochs_run,
        )
        for key in ("train_loss", "test_loss", "test_accuracy"):
            assert all(_close(a, b) for a, b in zip(getattr(ours, key), getattr(history, key))), key
        extracted = result.model(i)
        assert type(extracted) is type(alone) and not extracted.training
        for (k, a), (k2, b) in zip(alone.state_dict().items(), extracted.state_dict().items()):
            assert k == k2 and a.dtype == b.dtype
            torch.testing.assert_close(b, a, rtol=1e-5, atol=1e-5, msg=k)


def test_regression_ensemble_equals_fit():
    data = get_dataset("square_1d", n_samples=80, seed=0)
    cfg = dict(kind="resnet", width=1, blocks=2, input_layer=False)
    config = TrainConfig(epochs=5, batch_size=16, patience=0, dtype="float64")
    result = train_ensemble(cfg, data, config, seeds=[3, 4], progress=False)
    alone = build_model(cfg, seed=4, input_dim=1)
    history = fit(alone, data, config, seed=4, progress=False)
    assert result.histories[1].test_accuracy == [] and result.reached_threshold() == [None, None]
    assert all(_close(a, b) for a, b in zip(result.histories[1].test_loss, history.test_loss))
    x = data.x_test.double()
    torch.testing.assert_close(result.model(1)(x), alone(x))


def test_extracted_models_are_ordinary_modules(data):
    result = train_ensemble(
        dict(kind="mlp", widths=[2, 4, 1], batchnorm=True),
        data,
        TrainConfig(epochs=4, threshold=0.5),
        seeds=range(5),
        progress=False,
    )
    assert isinstance(result, EnsembleResult) and len(result) == 5 and result.seeds == [0, 1, 2, 3, 4]
    models = result.models()
    assert all(isinstance(m, MLP) and not m.training for m in models)
    logits = result.logits(data.x_test)
    assert logits.shape == (5, len(data.y_test))
    for i, m in enumerate(models):
        with torch.no_grad():
            out = m(data.x_test)
        torch.testing.assert_close(logits[i], out)
        acc = float(((out >= 0).float() == data.y_test).float().mean())
        assert acc == pytest.approx(result.best_accuracy[i])
        assert result.reached_threshold()[i] == (result.best_accuracy[i] >= 0.5)
    # BatchNorm running statistics and counters are per model and restored with the best epoch.
    bn = [m.norms[0] for m in models]
    assert not torch.equal(bn[0].running_mean, bn[1].running_mean)
    n_batches = -(-len(data.y_train) // 128)
    assert [int(b.num_batches_tracked) for b in bn] == [(h.best_epoch + 1) * n_batches for h in result.histories]


def test_models_that_stop_early_leave_the_batch_with_their_best_state(data):
    config = TrainConfig(epochs=200, patience=2, lr=1e-6)
    result = train_ensemble(dict(kind="mlp", widths=[2, 2, 1]), data, config, seeds=[0, 1], progress=False)
    for h in result.histories:
        assert h.stopped_early and h.epochs_run == h.best_epoch + 3 < 200


def test_batched_forward_matches_each_model_in_train_and_eval_mode():
    models = [
        build_model(dict(kind="resnet", width=3, blocks=2, batchnorm=True), seed=s, input_dim=2).double()
        for s in range(3)
    ]
    forward = batched_forward(models[0])
    states = [m.state_dict() for m in models]
    names = [k for k, _ in models[0].named_parameters()]
    params = {k: torch.stack([s[k] for s in states]) for k in names}
    buffers = {
        k: torch.stack([s[k] for s in states]).clone()
        for k in states[0]
        if k not in names and states[0][k].is_floating_point()
    }
    x = torch.randn(3, 16, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    out = forward(params, buffers, x, True)
    for i, m in enumerate(models):
        m.train()
        torch.testing.assert_close(out[i], m(x[i]))
        torch.testing.assert_close(buffers["norms.0.running_mean"][i], m.norms[0].running_mean)
        torch.testing.assert_close(buffers["norms.1.running_var"][i], m.norms[1].running_var)
    out = forward(params, buffers, x, False)
    for i, m in enumerate(models):
        m.eval()
        torch.testing.assert_close(out[i], m(x[i]))


@pytest.mark.parametrize("seeds, match", [([], "at least one seed"), ([0, 1.5], "integers"), (3, "list of integers")])
def test_bad_seeds(seeds, match, data):
    with pytest.raises(MorsenetError, match=match):
        train_ensemble(dict(kind="mlp", widths=[2, 2, 1]), data, seeds=seeds)


def test_bad_device_and_config(data):
    with pytest.raises(MorsenetError, match="device 'nonsense'"):
        train_ensemble(dict(kind="mlp", widths=[2, 2, 1]), data, seeds=[0], device="nonsense")
    with pytest.raises(MorsenetError, match="no parameter 'widht'"):
        train_ensemble(dict(kind="mlp", widht=2, depth=2), data, seeds=[0])
    result = train_ensemble(dict(kind="mlp", widths=[2, 2, 1]), data, TrainConfig(epochs=1), seeds=[0], progress=False)
    with pytest.raises(MorsenetError, match="index 3 is out of range"):
        result.model(3)


def test_cuda_ensemble_equals_cpu_or_says_it_is_unavailable(data):
    cfg = CONFIGS["mlp_batchnorm"]
    config = TrainConfig(epochs=6, batch_size=64, patience=0, dtype="float64")
    if not torch.cuda.is_available():
        # Without a GPU (as in CI) asking for one is a clear one-line error, not a crash.
        with pytest.raises(MorsenetError, match="device 'cuda' is not available.*use --device cpu"):
            train_ensemble(cfg, data, config, seeds=[0, 1], device="cuda", progress=False)
        return
    cpu = train_ensemble(cfg, data, config, seeds=[0, 1], progress=False)  # pragma: no cover - GPU machines
    gpu = train_ensemble(cfg, data, config, seeds=[0, 1], device="cuda", progress=False)
    for k in cpu.state:
        torch.testing.assert_close(gpu.state[k], cpu.state[k], rtol=1e-5, atol=1e-5)


# ----- the fused update, the memory estimate and chunking -----


@pytest.mark.parametrize("fused", [True, False])
def test_flat_adam_is_torch_adam(fused):
    """The one flat update (fused kernel, or the written-out single-tensor update) is torch.optim.Adam's."""
    from morsenet.ensemble._adam import FlatAdam

    gen = torch.Generator().manual_seed(0)
    start = torch.randn(50, generator=gen, dtype=torch.float64)
    grads = [torch.randn(50, generator=gen, dtype=torch.float64) for _ in range(6)]
    ours = FlatAdam(50, start, lr=0.03)
    ours.fused = fused
    p = start.clone()
    ref = start.clone().requires_grad_(True)
    opt = torch.optim.Adam([ref], lr=0.03)
    for g in grads:
        ours.step(p, g)
        ref.grad = g.clone()
        opt.step()
    torch.testing.assert_close(p, ref.detach(), rtol=1e-14, atol=1e-15)
    assert ours.fused == fused


def test_memory_estimate_counts_the_saved_activations():
    """A depth-L width-w BatchNorm MLP saves, per minibatch of B points: the input (d x B), and per layer the
    linear output, the tanh output (w x B each) and the batch mean and inverse std (w each)."""
    from morsenet.ensemble import estimate_memory

    data = make_circles(240, seed=0)
    for depth, width, batch in [(3, 2, 16), (5, 3, 40)]:
        est = estimate_memory(
            dict(kind="mlp", width=width, depth=depth, batchnorm=True), data, TrainConfig(batch_size=batch)
        )
        assert est.activations == 4 * (2 * batch + depth * (2 * width * batch + 2 * width))
        n_params = 2 * width + width + (depth - 1) * (width * width + width) + 2 * depth * width + width + 1
        assert est.per_model > 5 * 4 * n_params + 2 * est.activations
        assert est.fixed == 240 * 3 * 4 and est.total(10) == est.fixed + 10 * est.per_model
        assert est.max_models(est.total(7)) == 7 and est.max_models(est.total(7) - 1) == 6
    est64 = estimate_memory(dict(kind="mlp", width=2, depth=3, batchnorm=True), data, TrainConfig(dtype="float64"))
    assert est64.activations == 8 * (2 * 128 + 3 * (2 * 2 * 128 + 2 * 2))


def test_chunks_that_fit_the_memory_budget_give_the_same_models(data):
    from morsenet.ensemble import estimate_memory

    cfg = CONFIGS["mlp_batchnorm"]
    config = TrainConfig(epochs=5, batch_size=64, patience=2, lr=0.02, dtype="float64")
    seeds = [0, 1, 2, 3, 4]
    whole = train_ensemble(cfg, data, config, seeds=seeds, progress=False)
    budget = estimate_memory(cfg, data, config).total(2)  # two models at a time: chunks of 2, 2 and 1
    chunked = train_ensemble(cfg, data, config, seeds=seeds, progress=False, memory_budget=budget)
    assert chunked.seeds == seeds
    # Each model trains alone either way; only the batched kernels' last bits may depend on M.
    for a, b in zip(whole.histories, chunked.histories):
        assert (a.best_epoch, a.stopped_early, a.epochs_run) == (b.best_epoch, b.stopped_early, b.epochs_run)
        for key in ("train_loss", "test_loss", "test_accuracy"):
            torch.testing.assert_close(getattr(b, key), getattr(a, key), rtol=1e-10, atol=1e-12)
    for k in whole.state:
        torch.testing.assert_close(chunked.state[k], whole.state[k], rtol=1e-10, atol=1e-12, msg=k)


def test_memory_budget_errors(data):
    cfg = dict(kind="mlp", widths=[2, 2, 1])
    with pytest.raises(MorsenetError, match="one model needs about .* MiB but only .* are available on cpu"):
        train_ensemble(cfg, data, seeds=[0], memory_budget=1000)
    with pytest.raises(MorsenetError, match="memory_budget must be a positive number of bytes"):
        train_ensemble(cfg, data, seeds=[0], memory_budget=-5)


def test_cuda_absent_is_a_clear_error_on_any_machine(data, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(MorsenetError, match=r"device 'cuda:0' is not available \(torch.cuda.is_available\(\) is false"):
        train_ensemble(dict(kind="mlp", widths=[2, 2, 1]), data, seeds=[0], device="cuda:0")


MODES = {
    "restore_last": dict(restore="last"),
    "weight_bound": dict(weight_bound=0.8),
    "input_gradient_l2": dict(input_gradient_penalty=0.3),
    "input_gradient_l1": dict(input_gradient_penalty=0.3, penalty_norm="l1"),
    "adversarial": dict(adversarial=0.4, adversarial_epsilon=0.05),
    "l2": dict(l2_penalty=0.01),
    "all": dict(input_gradient_penalty=0.2, adversarial=0.3, l2_penalty=1e-3, weight_bound=0.9, restore="last"),
}
MODE_MODELS = {
    "resnet": (dict(kind="resnet", width=2, blocks=3, skip=1.0, residual=0.5), 1e-12),
    # BatchNorm's batched statistics sum in another order than one model's: the plain ensemble agrees to ~1e-9
    # after a few epochs (test above), and so does every mode.
    "resnet_batchnorm": (CONFIGS["resnet_batchnorm"], 1e-6),
    "mlp": (dict(kind="mlp", widths=[2, 3, 2, 1]), 1e-12),
}


def _cases():
    for mode in sorted(MODES):
        for model in sorted(MODE_MODELS):
            if "weight_bound" in MODES[mode] and model == "mlp":
                continue  # weight bounds are for ResNets (a MorsenetError otherwise: test_weight_bound.py)
            yield mode, model


@pytest.mark.parametrize("mode, model", list(_cases()))
def test_every_training_mode_equals_fit(mode, model, data):
    """float64: histories, R1 ratios, loss terms and kept states agree to `tol` (1e-12 without BatchNorm)."""
    cfg, tol = MODE_MODELS[model]
    config = TrainConfig(epochs=5, batch_size=64, patience=2, lr=0.02, dtype="float64", **MODES[mode])
    seeds = [0, 1]
    result = train_ensemble(cfg, data, config, seeds=seeds, progress=False)
    for i, seed in enumerate(seeds):
        alone = build_model(cfg, seed=seed, input_dim=2)
        history = fit(alone, data, config, seed=seed, progress=False)
        ours = result.histories[i]
        assert (ours.best_epoch, ours.stopped_early, ours.epochs_run) == (
            history.best_epoch,
            history.stopped_early,
            history.epochs_run,
        )
        assert ours.loss_weights == history.loss_weights and list(ours.loss_terms) == list(history.loss_terms)
        series = [("train_loss", ours.train_loss, history.train_loss), ("test_loss", ours.test_loss, history.test_loss),
                  ("r1_ratio", ours.r1_ratio, history.r1_ratio)]  # fmt: skip
        series += [(k, ours.loss_terms[k], history.loss_terms[k]) for k in history.loss_terms]
        for key, a, b in series:
            assert len(a) == len(b) and all(_close(u, v, tol) for u, v in zip(a, b)), key
        assert (len(history.r1_ratio) == history.epochs_run) == (model != "mlp")
        for (k, a), (k2, b) in zip(alone.state_dict().items(), result.model(i).state_dict().items()):
            assert k == k2
            torch.testing.assert_close(b, a, rtol=tol, atol=tol, msg=k)


def test_weight_bound_on_another_kind_is_a_clear_error(data):
    with pytest.raises(MorsenetError, match="kind 'mlp'"):
        train_ensemble(CONFIGS["mlp_batchnorm"], data, TrainConfig(epochs=1, weight_bound=1.0), seeds=[0],
                       progress=False)  # fmt: skip


def test_memory_estimate_counts_the_loss_terms_graphs(data):
    from morsenet.ensemble import estimate_memory

    cfg = CONFIGS["resnet_batchnorm"]
    plain = estimate_memory(cfg, data, TrainConfig()).activations
    for mode in ("input_gradient_l2", "adversarial"):  # a second graph: about twice the saved activations
        assert estimate_memory(cfg, data, TrainConfig(**MODES[mode])).activations > 1.5 * plain
