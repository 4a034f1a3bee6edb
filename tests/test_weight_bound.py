import matplotlib.pyplot as plt
import pytest
import torch

from morsenet.datasets import make_circles
from morsenet.errors import MorsenetError
from morsenet.models import build_model
from morsenet.plotting._training import plot_r1_ratio
from morsenet.theory import r1_ratio
from morsenet.training import (
    History,
    TrainConfig,
    fit,
    project_stacked,
    project_weights,
    stacked_r1_ratio,
)

RESNET = dict(kind="resnet", width=2, blocks=2, skip=1.0, residual=0.5, input_layer=False)


def _resnet(batchnorm=False, **kw):
    return build_model({**RESNET, "batchnorm": batchnorm, **kw}, seed=0, input_dim=2).double()


def _norm(w):
    return float(torch.linalg.matrix_norm(w.double(), ord=2))


def _set(model, **values):
    with torch.no_grad():
        for k, v in values.items():
            model.state_dict()[k.replace("__", ".")].copy_(torch.as_tensor(v, dtype=torch.float64))


def test_projection_without_batchnorm_scales_only_the_blocks_above_the_bound():
    model = _resnet()
    # Block 0: ||W|| = 5 (a rotation-free hand-set matrix with singular values 5 and 1); block 1: ||W|| = 0.5.
    w0 = torch.tensor([[3.0, 4.0], [0.0, 0.0]], dtype=torch.float64) + torch.tensor([[0.0, 0.0], [-0.8, 0.6]])
    w1 = torch.tensor([[0.5, 0.0], [0.0, -0.25]], dtype=torch.float64)
    _set(model, block_layers__0__weight=w0, block_layers__1__weight=w1)
    assert _norm(w0) == pytest.approx(5.0, abs=1e-12)
    readout = model.readout_layer.weight.detach().clone()
    project_weights(model, 2.0)
    w0_after = model.block_layers[0].weight.detach()
    assert abs(_norm(w0_after) - 2.0) <= 1e-12
    torch.testing.assert_close(w0_after, w0 * (2.0 / 5.0), rtol=0, atol=1e-15)  # the same direction, scaled
    assert torch.equal(model.block_layers[1].weight.detach(), w1)  # under the bound: untouched, bit for bit
    assert torch.equal(model.readout_layer.weight.detach(), readout)  # not a block


def test_projection_with_batchnorm_bounds_the_folded_weight_by_scaling_gamma():
    model = _resnet(batchnorm=True)
    w = torch.tensor([[2.0, 0.0], [0.0, 1.0]], dtype=torch.float64)
    _set(model, block_layers__0__weight=w, norms__0__weight=[1.5, -0.5], norms__0__running_var=[0.25, 4.0],
         block_layers__1__weight=0.1 * w, norms__1__weight=[1.0, 1.0], norms__1__running_var=[1.0, 1.0])  # fmt: skip
    # Folded by hand: diag(gamma / sqrt(var + eps)) W; block 0 has norm 1.5 / sqrt(0.25 + 1e-5) * 2 ~ 6.
    eps = model.norms[0].eps
    hand = torch.diag(torch.tensor([1.5 / (0.25 + eps) ** 0.5, -0.5 / (4.0 + eps) ** 0.5], dtype=torch.float64)) @ w
    model.eval()
    folded = model.block_maps()
    torch.testing.assert_close(folded[0][0], hand, rtol=0, atol=1e-14)
    gamma1 = model.norms[1].weight.detach().clone()
    project_weights(model, 1.0)
    folded = model.block_maps()
    assert abs(_norm(folded[0][0]) - 1.0) <= 1e-12
    assert torch.equal(model.block_layers[0].weight.detach(), w)  # the Linear weight is not what is scaled
    torch.testing.assert_close(model.norms[0].weight.detach(), torch.tensor([1.5, -0.5]).double() / _norm(hand))
    assert torch.equal(model.norms[1].weight.detach(), gamma1)  # 0.2 / sqrt(1 + eps) < 1: untouched
    assert _norm(folded[1][0]) < 1.0


@pytest.mark.parametrize("batchnorm", [False, True])
def test_frozen_parameters_are_left_alone(batchnorm):
    model = _resnet(batchnorm=batchnorm)
    _set(model, block_layers__0__weight=[[4.0, 0.0], [0.0, 4.0]], block_layers__1__weight=[[4.0, 0.0], [0.0, 1.0]])
    frozen = "norms.0.weight" if batchnorm else "block_layers.0.weight"
    dict(model.named_parameters())[frozen].requires_grad_(False)
    before = {k: v.detach().clone() for k, v in model.named_parameters()}
    project_weights(model, 0.5)
    after = dict(model.named_parameters())
    assert torch.equal(after[frozen].detach(), before[frozen])
    moved = "norms.1.weight" if batchnorm else "block_layers.1.weight"
    assert not torch.equal(after[moved].detach(), before[moved])
    model.eval()
    assert abs(_norm(model.block_maps()[1][0]) - 0.5) <= 1e-12


def test_other_kinds_are_a_clear_error():
    mlp = build_model(dict(kind="mlp", widths=[2, 3, 1]), seed=0, input_dim=2)
    with pytest.raises(MorsenetError, match="kind 'mlp'"):
        project_weights(mlp, 1.0)
    data = make_circles(40, seed=0)
    with pytest.raises(MorsenetError, match="weight_bound.*kind 'mlp'"):
        fit(mlp, data, TrainConfig(epochs=1, weight_bound=1.0), progress=False)


@pytest.mark.parametrize("batchnorm", [False, True])
def test_stacked_projection_and_r1_ratio_are_each_models_own(batchnorm):
    models = [build_model({**RESNET, "batchnorm": batchnorm}, seed=s, input_dim=2).double() for s in range(3)]
    for k, m in enumerate(models):  # norms 3, 0.3 and 1.2 times the seed's weights: some above the bound
        with torch.no_grad():
            for lin in m.block_layers:
                lin.weight.mul_(3.0 / _norm(lin.weight) * (1, 0.1, 0.4)[k])
            if batchnorm:
                for bn in m.norms:
                    bn.running_var.copy_(torch.tensor([0.5 + k, 2.0]))
    params = {k: torch.stack([dict(m.named_parameters())[k].detach() for m in models]) for k, _ in
              models[0].named_parameters()}  # fmt: skip
    buffers = {k: torch.stack([dict(m.named_buffers())[k] for m in models]) for k, _ in models[0].named_buffers()}
    for m in models:
        m.eval()
    ratios = stacked_r1_ratio(models[0], params, buffers)
    assert ratios is not None
    for k, m in enumerate(models):
        assert float(ratios[k]) == pytest.approx(r1_ratio(m), rel=1e-14)
    project_stacked(models[0], params, buffers, 1.0)
    for k, m in enumerate(models):
        project_weights(m, 1.0)
        for name, p in m.named_parameters():
            torch.testing.assert_close(params[name][k], p.detach(), rtol=1e-15, atol=0, msg=name)
    mlp = build_model(dict(kind="mlp", widths=[2, 2, 1]), seed=0, input_dim=2)
    assert stacked_r1_ratio(mlp, {}, {}) is None
    assert stacked_r1_ratio(_resnet(skip=0.0), {}, {}) is None


@pytest.mark.parametrize("batchnorm", [False, True])
def test_training_under_a_bound_keeps_r1_ratio_below_what_the_bound_gives(batchnorm):
    data = make_circles(120, seed=0)
    bound = 0.9
    cfg = {**RESNET, "blocks": 3, "residual": 1.5, "batchnorm": batchnorm}
    after_steps = []

    def check(epoch, model, history):  # eval mode: the folded weights that R1 reads
        after_steps.append(max(_norm(w) for w, _ in model.block_maps()))

    free = build_model(cfg, seed=1, input_dim=2)
    unbounded = fit(free, data, TrainConfig(epochs=6, lr=0.05, batch_size=32, dtype="float64"), seed=1,
                    progress=False)  # fmt: skip
    model = build_model(cfg, seed=1, input_dim=2)
    config = TrainConfig(epochs=6, lr=0.05, batch_size=32, dtype="float64", weight_bound=bound, patience=0)
    history = fit(model, data, config, seed=1, progress=False, callback=check)
    limit = bound * 1.5 * 1.0 / 1.0  # B * |residual| * Lip(tanh) / |skip|
    assert len(history.r1_ratio) == history.epochs_run == 6
    assert max(history.r1_ratio) <= limit + 1e-12
    assert max(after_steps) <= bound + 1e-12
    assert max(unbounded.r1_ratio) > limit  # the bound is what keeps it there
    assert history.r1_ratio[history.best_epoch] == pytest.approx(r1_ratio(model), rel=1e-14)  # the kept state


def test_r1_ratio_plot_draws_the_ratio_and_the_line_at_one():
    h = History(train_loss=[1.0, 0.5, 0.4], test_loss=[1, 1, 1], r1_ratio=[1.6, 0.9, 0.7])
    fig, ax = plt.subplots()
    plot_r1_ratio(h, ax, bound_ratio=0.75)
    ys = [list(line.get_ydata()) for line in ax.get_lines()]
    assert [1.6, 0.9, 0.7] in ys and [1.0, 1.0] in ys and [0.75, 0.75] in ys
    assert ax.get_yscale() == "linear"  # within a decade
    plt.close(fig)
    fig, ax = plt.subplots()
    plot_r1_ratio(History(r1_ratio=[30.0, 0.5]), ax)
    assert ax.get_yscale() == "log"
    plt.close(fig)
    fig, ax = plt.subplots()
    plot_r1_ratio(History(), ax)
    assert not ax.axison
    plt.close(fig)


def test_report_adds_the_loss_decomposition_and_r1_ratio_figures(tmp_path):
    from morsenet.report._analyze import ModelAnalysis
    from morsenet.report._figures_training import bound_ratio, training_mode_figures
    from morsenet.report._run import ModelEntry
    from morsenet.report._writer import FigureWriter

    data = make_circles(40, seed=0)
    model = _resnet(residual=0.5, skip=2.0)
    history = History(train_loss=[1.0, 0.8], test_loss=[1.0, 0.9], test_accuracy=[0.5, 0.6], best_epoch=1,
                      loss_terms={"data": [1.0, 0.8]}, loss_weights={"data": 1.0}, r1_ratio=[0.3, 0.2])  # fmt: skip
    entry = ModelEntry("m", {}, tmp_path / "m.pt", None)
    a = ModelAnalysis(entry, model, data, history, {"train": {"weight_bound": 1.2}})
    assert bound_ratio(a) == pytest.approx(1.2 * 0.5 * 1.0 / 2.0)
    w = FigureWriter(tmp_path, ("png",), 40)
    training_mode_figures(a, w)
    assert [f.key for f in w.out] == ["loss_terms", "r1_ratio"] and all(f.png.is_file() for f in w.out)
    assert "kept epoch (2) the ratio is 0.2: R1 holds" in w.out[1].caption and "0.3" in w.out[1].caption
    a.history = History(train_loss=[1.0], test_loss=[1.0])
    w = FigureWriter(tmp_path, ("png",), 40)
    training_mode_figures(a, w)
    assert w.out == []
