import pytest
import torch

from morsenet.errors import MorsenetError
from morsenet.models import ACTIVATIONS, MLP, MorseModel, NeuralODE, ResNet, build_model, mlp_widths, normalize_config

CONFIGS = {
    "mlp_width2": dict(kind="mlp", width=2, depth=15, batchnorm=True),
    "mlp_bottleneck": dict(kind="mlp", width=2, depth=15, bottleneck=True, batchnorm=True),
    "mlp_width3": dict(kind="mlp", widths=[2, 3, 3, 1], batchnorm=True),
    "resnet_node": dict(kind="resnet", width=2, blocks=20, skip=1.0, residual=0.1, batchnorm=True),
    "resnet_no_input": dict(kind="resnet", width=2, blocks=3, input_layer=False),
    "node": dict(kind="neural_ode", dim=2, steps=8, pieces=4),
    "anode": dict(kind="neural_ode", dim=3, vector_field="inside", steps=4, pieces=2),
}


def _train_bn_stats(model, x):
    """Put non-trivial running statistics into BatchNorm layers."""
    model.train()
    with torch.no_grad():
        for _ in range(3):
            model(x)
    return model.eval()


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_shapes_and_eval_determinism(name):
    model = build_model(CONFIGS[name], seed=0, input_dim=2)
    x = torch.randn(50, 2, generator=torch.Generator().manual_seed(0))
    _train_bn_stats(model, x)
    out = model(x)
    assert out.shape == (50,)
    # Eval mode is a fixed function: a point's output does not depend on the rest of the batch.
    torch.testing.assert_close(model(x[:1]), out[:1])
    torch.testing.assert_close(model(x), out)


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_same_seed_same_weights(name):
    a, b, c = (build_model(CONFIGS[name], seed=s, input_dim=2) for s in (1, 1, 2))
    for (ka, pa), (_, pb), (_, pc) in zip(a.state_dict().items(), b.state_dict().items(), c.state_dict().items()):
        assert torch.equal(pa, pb), ka
    assert any(not torch.equal(pa, pc) for pa, pc in zip(a.parameters(), c.parameters()))


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_affine_maps_fold_batchnorm_exactly(name):
    model = build_model(CONFIGS[name], seed=0, input_dim=2).double()
    x = torch.randn(40, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    _train_bn_stats(model, x)
    if isinstance(model, MLP):
        h = x
        maps = model.affine_maps()
        act = ACTIVATIONS[model.activation]
        for w, b in maps[:-1]:
            h = act(h @ w.T + b)
        w, b = maps[-1]
        torch.testing.assert_close((h @ w.T + b).squeeze(-1), model(x))
    elif isinstance(model, ResNet):
        act = ACTIVATIONS[model.activation]
        h = x if model.input_map() is None else act(x @ model.input_map()[0].T + model.input_map()[1])
        for w, b in model.block_maps():
            h = model.skip * h + model.residual * act(h @ w.T + b)
        w, b = model.readout()
        torch.testing.assert_close((h @ w.T + b).squeeze(-1), model(x))


def test_prototype_width_lists():
    assert mlp_widths(2, 2, 15) == [2] + [2] * 15 + [1]
    assert mlp_widths(2, 2, 15, bottleneck=True) == [2] + [2] * 13 + [1, 2] + [1]
    assert mlp_widths(2, 3, 2) == [2, 3, 3, 1]


def test_hidden_representations():
    model = MLP([2, 3, 4, 1]).eval()
    x = torch.randn(5, 2, generator=torch.Generator().manual_seed(0))
    assert model.hidden(x, 1).shape == (5, 3) and model.hidden(x, 2).shape == (5, 4)
    torch.testing.assert_close(model.hidden(x, 3).squeeze(-1), model(x))
    node = NeuralODE(2, 3, steps=4, pieces=2)
    torch.testing.assert_close(node.hidden(x, 3).squeeze(-1), node(x))


def test_neural_ode_rk4_matches_exact_linear_flow():
    # With identity activation and the "inside" field dh/dt = W h, the flow is expm(T W).
    node = NeuralODE(2, 2, T=1.0, steps=40, pieces=1, vector_field="inside", activation="identity").double()
    w = torch.tensor([[0.0, 1.0], [-1.0, 0.3]], dtype=torch.float64)
    with torch.no_grad():
        node.field_weight.copy_(w[None])
        node.field_bias.zero_()
    h0 = torch.tensor([[1.0, 0.5], [-0.2, 0.3]], dtype=torch.float64)
    torch.testing.assert_close(node.flow(h0), h0 @ torch.linalg.matrix_exp(w).T, atol=1e-8, rtol=0)


def test_models_work_under_torch_func():
    for name in ("mlp_bottleneck", "resnet_node", "anode"):
        model = build_model(CONFIGS[name], seed=0, input_dim=2).eval().double()
        x = torch.randn(4, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
        jac = torch.func.vmap(torch.func.jacrev(lambda p: model(p[None])[0]))(x)
        ref = torch.stack([torch.autograd.functional.jacobian(lambda p: model(p[None])[0], p) for p in x])
        torch.testing.assert_close(jac, ref)


def test_all_activations_build():
    for act in ACTIVATIONS:
        assert MLP([2, 2, 1], activation=act)(torch.zeros(3, 2)).shape == (3,)


@pytest.mark.parametrize(
    "config, message",
    [
        (dict(kind="cnn"), "unknown model kind 'cnn'"),
        (dict(kind="mlp", widths=[2, 3, 2]), r"widths must be \[n, h1, ..., hL, 1\]"),
        (dict(kind="mlp", widths=[2, 3, 1], activation="gelu"), "unknown activation 'gelu'"),
        (dict(kind="mlp", widths=[2, 3, 1], dropout=0.1), "model 'mlp' has no parameter 'dropout'; allowed"),
        (dict(kind="mlp", widths=[3, 3, 1]), "widths start with 3 but the data has 2 input dimensions"),
        (dict(kind="mlp", widths="2,3,1"), "widths must be of type list"),
        (dict(kind="resnet", width=3, blocks=2, input_layer=False), "input_layer=false needs width == input_dim"),
        (dict(kind="resnet", width=2, blocks=2.5), "blocks must be an integer"),
        (dict(kind="neural_ode", dim=2, steps=7, pieces=2), "must be a positive multiple of pieces"),
    ],
)
def test_bad_configs(config, message):
    with pytest.raises(MorsenetError, match=message):
        normalize_config(config, input_dim=2)


# ----- the model protocol -----


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_stacked_forward_is_each_models_forward(name):
    """The one computation: M models stacked along a leading axis give each model's own forward, to rounding (the
    batched and the single kernels are the same operations, but on some CPUs, e.g. with AVX-512, they round a few
    last bits differently: 3e-16 measured)."""
    models = [build_model(CONFIGS[name], seed=s, input_dim=2).double() for s in (0, 1, 2)]
    x = torch.randn(3, 17, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    for m in models:
        _train_bn_stats(m, x[0])
    params = {k: torch.stack([dict(m.named_parameters())[k] for m in models]) for k, _ in models[0].named_parameters()}
    buffers = {
        k: torch.stack([dict(m.named_buffers())[k] for m in models])
        for k, b in models[0].named_buffers()
        if b.is_floating_point()
    }
    stacked = models[0].stacked_forward(params, buffers, x, False)
    for i, m in enumerate(models):
        torch.testing.assert_close(stacked[i], m(x[i]), rtol=1e-14, atol=1e-14)


@pytest.mark.parametrize("name", [n for n in sorted(CONFIGS) if CONFIGS[n]["kind"] != "neural_ode"])
def test_chain_rebuilds_the_forward_and_the_preactivations(name):
    """`chain()` (BatchNorm folded, skip and residual scales) is the network: stepping it gives the logit."""
    model = _train_bn_stats(
        build_model(CONFIGS[name], seed=0, input_dim=2).double(),
        torch.randn(40, 2, generator=torch.Generator().manual_seed(5)).double(),
    )
    x = torch.randn(9, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    h, zs = x, []
    for step in model.chain():
        z = h @ step.weight.T + step.bias
        zs.append(z)
        h = (step.skip * h if step.skip else 0.0) + step.residual * torch.tanh(z)  # a plain layer may change width
    readout = model.readout_map()
    torch.testing.assert_close((h @ readout.weight.T + readout.bias)[:, 0], model(x), rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(model.preactivations(x), torch.cat(zs, dim=1), rtol=1e-10, atol=1e-12)
    names = [m.name for m in model.named_affine_maps()]
    assert names[-1] == "readout" and len(names) == len(model.chain()) + 1


def test_neural_odes_have_no_chain():
    model = build_model(CONFIGS["node"], seed=0, input_dim=2)
    assert model.chain() is None and model.preactivations(torch.zeros(3, 2)) is None
    assert [m.name for m in model.named_affine_maps()] == [
        "lift",
        "field 1",
        "field 2",
        "field 3",
        "field 4",
        "readout",
    ]


def test_training_mode_forward_counts_batches_like_batchnorm():
    model = build_model(CONFIGS["mlp_width3"], seed=0, input_dim=2)
    reference = build_model(CONFIGS["mlp_width3"], seed=0, input_dim=2)
    x = torch.randn(32, 2, generator=torch.Generator().manual_seed(3))
    model.train()
    model(x)
    model(x)
    # The same statistics nn.BatchNorm1d keeps, updated through the stacked forward.
    h = x
    for lin, bn in zip(reference.hidden_layers, reference.norms):
        bn.train()
        h = torch.tanh(torch.nn.BatchNorm1d.forward(bn, lin(h)))
    h = x
    for lin, bn in zip(reference.hidden_layers, reference.norms):
        h = torch.tanh(torch.nn.BatchNorm1d.forward(bn, lin(h)))
    for k, v in reference.state_dict().items():
        torch.testing.assert_close(model.state_dict()[k], v)
    assert int(model.norms[0].num_batches_tracked) == 2


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_initial_parameters_are_the_built_models_parameters(name):
    """Drawing a model's starting parameters without building it gives exactly what building it gives."""
    template = build_model(CONFIGS[name], seed=0, input_dim=2)
    for seed in (0, 3, 2**40):
        built = dict(build_model(CONFIGS[name], seed=seed, input_dim=2).named_parameters())
        drawn = template.initial_parameters(seed)
        assert list(drawn) == list(built)
        for k, v in built.items():
            assert torch.equal(drawn[k], v) and drawn[k].dtype == torch.float32, k


def test_initial_parameters_fallback_builds_the_model():
    model = build_model(CONFIGS["mlp_width3"], seed=0, input_dim=2)
    drawn = MorseModel.initial_parameters(model, 5)  # the base class's generic version
    built = dict(build_model(CONFIGS["mlp_width3"], seed=5, input_dim=2).named_parameters())
    assert all(torch.equal(drawn[k], v) for k, v in built.items())
