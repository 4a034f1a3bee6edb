import math

import matplotlib.pyplot as plt
import pytest
import torch

from morsenet.datasets import make_circles
from morsenet.models import build_model
from morsenet.plotting._training import loss_contributions, plot_loss_terms
from morsenet.training import (
    History,
    TrainConfig,
    fgsm_point,
    fit,
    input_gradient_penalty,
    loss_weights,
    per_point_loss,
    training_loss,
)
from morsenet.training._loop import _module_forward, _squared_parameters

MODES = {
    "input_gradient_l2": dict(input_gradient_penalty=0.4),
    "input_gradient_l1": dict(input_gradient_penalty=0.4, penalty_norm="l1"),
    "adversarial": dict(adversarial=0.3, adversarial_epsilon=0.05),
    "l2": dict(l2_penalty=0.05),
    "all": dict(input_gradient_penalty=0.2, adversarial=0.3, l2_penalty=0.01),
}


def _tiny():
    """A hand-set 2-3-1 tanh MLP in float64 (no BatchNorm: the per-point losses are independent)."""
    model = build_model(dict(kind="mlp", widths=[2, 3, 1]), seed=0, input_dim=2).double()
    values = [
        [[0.7, -1.1], [0.4, 0.9], [-1.3, 0.2]],
        [0.1, -0.2, 0.3],
        [[1.2, -0.8, 0.5]],
        [-0.1],
    ]
    with torch.no_grad():
        for p, v in zip(model.parameters(), values, strict=True):
            p.copy_(torch.tensor(v, dtype=torch.float64))
    return model


def _batch():
    x = torch.tensor([[0.3, -0.5], [1.1, 0.4], [-0.7, 0.9], [0.2, 0.05]], dtype=torch.float64)
    y = torch.tensor([1.0, 0.0, 1.0, 0.0], dtype=torch.float64)
    return x, y


def _total(model, config):
    x, y = _batch()
    return training_loss(_module_forward(model), x, y, "classification", config, lambda: _squared_parameters(model))


@pytest.mark.parametrize("mode", sorted(MODES))
def test_each_loss_terms_parameter_gradient_matches_central_differences(mode):
    config = TrainConfig(dtype="float64", **MODES[mode])
    model = _tiny()
    params = list(model.parameters())
    grads = torch.autograd.grad(_total(model, config).total, params)
    h = 1e-6
    for p, g in zip(params, grads):
        flat, gflat = p.data.view(-1), g.reshape(-1)
        for j in range(flat.numel()):
            keep = float(flat[j])
            flat[j] = keep + h
            up = float(_total(model, config).total.detach())
            flat[j] = keep - h
            down = float(_total(model, config).total.detach())
            flat[j] = keep
            assert (up - down) / (2 * h) == pytest.approx(float(gflat[j]), abs=1e-7), (mode, j)


@pytest.mark.parametrize("norm", ["l2", "l1"])
def test_input_gradient_penalty_is_the_mean_norm_of_each_points_loss_gradient(norm):
    model = _tiny()
    x, y = _batch()
    parts = _total(model, TrainConfig(input_gradient_penalty=0.5, penalty_norm=norm))
    h, values = 1e-6, []
    for i in range(x.shape[0]):  # finite differences of point i's own loss in its own coordinates
        g = []
        for k in range(2):
            e = torch.zeros(2, dtype=torch.float64)
            e[k] = h
            with torch.no_grad():
                up = per_point_loss("classification", model((x[i] + e)[None]), y[i : i + 1])
                down = per_point_loss("classification", model((x[i] - e)[None]), y[i : i + 1])
            g.append(float((up - down) / (2 * h)))
        values.append(g[0] ** 2 + g[1] ** 2 if norm == "l2" else abs(g[0]) + abs(g[1]))
    assert float(parts.raw["input_gradient"].detach()) == pytest.approx(sum(values) / len(values), abs=1e-8)
    assert float(parts.total.detach()) == pytest.approx(
        0.5 * float(parts.raw["data"].detach()) + 0.5 * sum(values) / 4, abs=1e-8
    )
    stacked = input_gradient_penalty(torch.tensor([[[3.0, -4.0]], [[1.0, 1.0]]]), norm)  # (M=2, B=1, d=2)
    assert stacked.tolist() == ([25.0, 2.0] if norm == "l2" else [7.0, 2.0])


def test_fgsm_point_is_the_hand_computed_step():
    # A logistic model z = w.x + b: d BCE / dx = (sigmoid(z) - y) w, so x_adv = x + eps * sign((sigmoid(z) - y) w).
    w, b, eps = torch.tensor([2.0, -0.5], dtype=torch.float64), 0.25, 0.1
    x, y = _batch()
    seen = []

    def forward(points, update):
        seen.append((points.detach().clone(), update))
        return points @ w + b

    config = TrainConfig(adversarial=0.5, adversarial_epsilon=eps)
    parts = training_loss(forward, x, y, "classification", config)
    z = x @ w + b
    by_hand = x + eps * torch.sign((torch.sigmoid(z) - y)[:, None] * w[None, :])
    assert torch.equal(seen[1][0], by_hand) and seen[1][1] is False and seen[0][1] is True
    torch.testing.assert_close(fgsm_point(x, (torch.sigmoid(z) - y)[:, None] * w, eps), by_hand, rtol=0, atol=0)
    adv = per_point_loss("classification", by_hand @ w + b, y).mean()
    clean = per_point_loss("classification", z, y).mean()
    assert float(parts.raw["adversarial"].detach()) == pytest.approx(float(adv), rel=1e-15)
    assert float(parts.total.detach()) == pytest.approx(0.5 * float(clean) + 0.5 * float(adv), rel=1e-15)


def test_l2_term_is_the_sum_of_squares_of_the_trainable_parameters():
    model = _tiny()
    by_hand = 0.7**2 + 1.1**2 + 0.4**2 + 0.9**2 + 1.3**2 + 0.2**2 + 0.1**2 + 0.2**2 + 0.3**2
    by_hand += 1.2**2 + 0.8**2 + 0.5**2 + 0.1**2
    parts = _total(model, TrainConfig(l2_penalty=0.1))
    assert float(parts.raw["l2"].detach()) == pytest.approx(by_hand, rel=1e-14)
    assert float(parts.total.detach()) == pytest.approx(float(parts.raw["data"].detach()) + 0.1 * by_hand, rel=1e-14)
    list(model.parameters())[0].requires_grad_(False)  # frozen: not penalised
    frozen = 0.7**2 + 1.1**2 + 0.4**2 + 0.9**2 + 1.3**2 + 0.2**2
    assert float(_squared_parameters(model).detach()) == pytest.approx(by_hand - frozen, rel=1e-14)


def test_fgsm_forward_leaves_batchnorm_statistics_alone():
    model = build_model(dict(kind="mlp", widths=[2, 3, 1], batchnorm=True), seed=0, input_dim=2).double()
    x, y = _batch()
    model.train()
    buffers = {k: v.clone() for k, v in model.named_buffers()}
    model(x)  # what the clean forward does to the statistics
    clean = {k: v.clone() for k, v in model.named_buffers()}
    for k, v in buffers.items():
        model.get_buffer(k).copy_(v)
    training_loss(_module_forward(model), x, y, "classification", TrainConfig(adversarial=0.5))
    for k, v in model.named_buffers():
        assert torch.equal(v, clean[k]), k


def test_fit_records_each_terms_raw_mean_and_their_weighted_sum_is_the_loss():
    data = make_circles(96, seed=0)
    config = TrainConfig(epochs=3, batch_size=32, patience=0, dtype="float64", **MODES["all"])
    model = build_model(dict(kind="mlp", widths=[2, 3, 1]), seed=0, input_dim=2)
    history = fit(model, data, config, seed=0, progress=False)
    assert set(history.loss_terms) == {"data", "adversarial", "input_gradient", "l2"}
    assert history.loss_weights == loss_weights(config)
    assert history.loss_weights["data"] == pytest.approx(0.8 * 0.7) and history.loss_weights["adversarial"] == 0.8 * 0.3
    for epoch in range(3):
        total = sum(history.loss_weights[n] * history.loss_terms[n][epoch] for n in history.loss_terms)
        assert total == pytest.approx(history.train_loss[epoch], rel=1e-12)
        assert all(math.isfinite(v[epoch]) and v[epoch] > 0 for v in history.loss_terms.values())
    again = History.from_dict(history.to_dict())
    assert again.loss_terms == history.loss_terms and again.loss_weights == history.loss_weights
    plain = fit(build_model(dict(kind="mlp", widths=[2, 3, 1]), seed=0, input_dim=2), data,
                TrainConfig(epochs=1, dtype="float64"), progress=False)  # fmt: skip
    assert plain.loss_terms == {} and plain.loss_weights == {} and "loss_terms" not in plain.to_dict()


def test_loss_terms_plot_draws_each_weighted_contribution_and_the_total():
    h = History(train_loss=[0.9, 0.5], test_loss=[1, 1], loss_terms={"data": [1.0, 0.5], "l2": [4.0, 2.0]},
                loss_weights={"data": 0.8, "l2": 0.05})  # fmt: skip
    parts = loss_contributions(h)
    assert parts["data"].tolist() == [0.8, 0.4] and parts["l2"].tolist() == pytest.approx([0.2, 0.1])
    fig, ax = plt.subplots()
    plot_loss_terms(h, ax)
    ys = [list(line.get_ydata()) for line in ax.get_lines()]
    assert [0.9, 0.5] in ys and [0.8, 0.4] in ys and len(ys) == 3
    assert ax.get_yscale() == "log"
    plt.close(fig)
