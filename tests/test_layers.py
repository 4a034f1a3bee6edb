"""Layer-resolved Jacobian maps against finite differences of the models' own forward passes (float64)."""

import math

import pytest
import torch

from morsenet.analysis._layers import (
    choose_layers,
    eigenvalue_maps,
    layer_functions,
    layer_maps,
    prefix_map,
    single_layer_map,
    tail_map,
)
from morsenet.analysis._spectra import block_jacobian_eigenvalues
from morsenet.errors import MorsenetError
from morsenet.models import MLP, NeuralODE, ResNet

F64 = torch.float64
BOX = ((-1.5, 1.5), (-1.2, 1.2))


def _data(n=40, d=2, seed=0):
    return torch.randn(n, d, generator=torch.Generator().manual_seed(seed), dtype=F64)


def _fd_jacobians(fn, points, eps=1e-6):
    """(n, m, d) central differences of fn: (n, d) -> (n, m)."""
    cols = []
    for i in range(points.shape[1]):
        e = torch.zeros(points.shape[1], dtype=F64)
        e[i] = eps
        cols.append((fn(points + e) - fn(points - e)) / (2 * eps))
    return torch.stack(cols, dim=-1)


def _svals(jac):
    return torch.linalg.svdvals(jac)


def _with_bn_stats(model, seed=1):
    """BatchNorm running statistics and affine parameters away from (0, 1), so folding matters."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm1d):
                m.running_mean.copy_(0.3 * torch.randn(m.num_features, generator=g))
                m.running_var.copy_(0.5 + torch.rand(m.num_features, generator=g))
                m.weight.copy_(1 + 0.3 * torch.randn(m.num_features, generator=g))
                m.bias.copy_(0.2 * torch.randn(m.num_features, generator=g))
    return model.double().eval()


def _plane_points(lmap):
    """The representation's points at the map's grid nodes, (ny * nx, w)."""
    yy, xx = torch.meshgrid(lmap.ys, lmap.xs, indexing="ij")
    st = torch.stack([xx, yy], dim=-1).reshape(-1, 2)
    return st if lmap.directions is None else lmap.origin + st @ lmap.directions


def _sub_mlp(model, start, stop):
    """Layers start+1..stop of an MLP as an MLP of its own (the read-out kept when stop is the last layer),
    built from the original's state dict: an independent forward pass of the tail or of one layer."""
    w = model.widths
    last = stop == model.n_layers
    widths = w[start : stop + 1] + ([1] if not last else [w[-1]])
    sub = MLP(widths, model.activation, model.batchnorm).double()
    state = {}
    for key, value in model.state_dict().items():
        head, _, rest = key.partition(".")
        if head in ("hidden_layers", "norms"):
            idx, _, tail = rest.partition(".")
            if start <= int(idx) < stop:
                state[f"{head}.{int(idx) - start}.{tail}"] = value
        elif head == "readout" and last:
            state[key] = value
    missing = sub.load_state_dict(state, strict=False).missing_keys
    assert all(k.startswith("readout") for k in missing) and (not last or not missing)
    return sub.eval()


def test_choose_layers():
    assert choose_layers(4) == (1, 2, 3, 4)
    assert choose_layers(20, 6) == (1, 5, 9, 12, 16, 20)
    assert choose_layers(7, 1) == (7,)
    assert len(choose_layers(1000, 6)) == 6
    for bad in [(-1, 6), (5, 0), (3.0, 6)]:
        with pytest.raises(MorsenetError):
            choose_layers(*bad)


@pytest.mark.parametrize(
    "model",
    [
        _with_bn_stats(MLP([2, 3, 2, 2, 1], batchnorm=True, seed=3)),
        _with_bn_stats(ResNet(2, 2, 3, skip=1.0, residual=0.5, batchnorm=True, seed=4)),
        NeuralODE(2, 3, T=1.0, steps=8, pieces=4, seed=5).double(),
    ],
    ids=["mlp", "resnet", "node"],
)
def test_layer_functions_are_the_models_layers(model):
    fns = layer_functions(model)
    x = _data(25)
    hs = fns.representations(x)
    with torch.no_grad():
        for k in range(1, fns.n_layers + 1):
            torch.testing.assert_close(hs[k], model.hidden(x, k), rtol=1e-12, atol=1e-12)
        torch.testing.assert_close(fns.readout(hs[-1])[:, 0], model(x), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    "model",
    [
        _with_bn_stats(MLP([2, 3, 2, 1], batchnorm=True, seed=0)),
        _with_bn_stats(ResNet(2, 2, 2, skip=1.0, residual=1.0, batchnorm=True, seed=1)),
        NeuralODE(2, 2, T=1.0, steps=6, pieces=3, seed=2).double(),
    ],
    ids=["mlp", "resnet", "node"],
)
def test_prefix_maps_against_finite_differences(model):
    for k in range(1, model.n_layers + 1):
        lmap = prefix_map(model, k, BOX, resolution=(7, 6))
        assert lmap.kind == "prefix" and lmap.layer == k and lmap.plane == "input" and lmap.values.shape[:2] == (6, 7)
        pts = _plane_points(lmap)
        fd = _svals(_fd_jacobians(lambda p: model.hidden(p, k), pts)).reshape(lmap.values.shape)
        torch.testing.assert_close(lmap.values, fd, rtol=1e-6, atol=1e-8)


def test_tail_and_single_layer_of_a_hand_set_width_2_mlp():
    """Hand-set weights, the tail and the layer written out by hand: r(tanh(W2 h + b2)), tanh(W2 h + b2)."""
    model = MLP([2, 2, 2, 1], seed=0).double()
    w1, b1 = torch.tensor([[1.0, -0.5], [0.3, 2.0]], dtype=F64), torch.tensor([0.1, -0.2], dtype=F64)
    w2, b2 = torch.tensor([[0.7, 1.2], [-1.5, 0.4]], dtype=F64), torch.tensor([0.0, 0.3], dtype=F64)
    r, c = torch.tensor([[2.0, -1.0]], dtype=F64), torch.tensor([0.5], dtype=F64)
    with torch.no_grad():
        for lin, (w, b) in zip([*model.hidden_layers, model.readout], [(w1, b1), (w2, b2), (r, c)]):
            lin.weight.copy_(w)
            lin.bias.copy_(b)
    x = _data(30)
    tail = tail_map(model, 1, x, resolution=(6, 5), margin=0.2)
    h1 = torch.tanh(x @ w1.T + b1)
    lo, hi = h1.min(0).values, h1.max(0).values
    # the box: the data's image padded by 20% of its extent on each side
    torch.testing.assert_close(torch.tensor(tail.box[0], dtype=F64), torch.stack([lo[0], hi[0]]) + torch.tensor(
        [-0.2, 0.2], dtype=F64) * (hi[0] - lo[0]))  # fmt: skip
    pts = _plane_points(tail)
    fd = _fd_jacobians(lambda h: torch.tanh(h @ w2.T + b2) @ r.T + c, pts)
    torch.testing.assert_close(tail.values[..., 0].reshape(-1), torch.linalg.vector_norm(fd, dim=(-2, -1)), rtol=1e-6,
                               atol=1e-9)  # fmt: skip
    single = single_layer_map(model, 2, x, resolution=(6, 5), margin=0.2)
    assert single.plane == "layer 1" and single.box == tail.box
    fd = _fd_jacobians(lambda h: torch.tanh(h @ w2.T + b2), _plane_points(single))
    torch.testing.assert_close(single.values.reshape(-1, 2), _svals(fd), rtol=1e-6, atol=1e-9)
    # closed form: det of tanh'(z) W2 and its sign
    eig, sign = eigenvalue_maps(model, 2, x=x, over="own", resolution=(6, 5), margin=0.2)
    z = _plane_points(single) @ w2.T + b2
    det = (1 - torch.tanh(z) ** 2).prod(1) * torch.linalg.det(w2)
    torch.testing.assert_close(sign.values.reshape(-1), torch.sign(det))
    torch.testing.assert_close(eig.values.prod(-1).reshape(-1), det.abs(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("widths", [[2, 2, 2, 2, 1], [2, 4, 3, 3, 1]], ids=["width2", "width3-slice"])
def test_seeded_mlp_tail_and_single_layers_against_sub_networks(widths):
    model = _with_bn_stats(MLP(widths, batchnorm=True, seed=7))
    x = _data(40)
    hs = layer_functions(model).representations(x)
    for k in range(1, model.n_layers + 1):
        tail = tail_map(model, k, x, resolution=5)
        assert tail.layer == k and tail.plane == f"layer {k}" and tail.sliced == (widths[k] > 2)
        if tail.sliced:
            # the slice: through the data's mean along orthonormal directions
            torch.testing.assert_close(tail.origin, hs[k].mean(0))
            torch.testing.assert_close(tail.directions @ tail.directions.T, torch.eye(2, dtype=F64))
        pts = _plane_points(tail)
        if k == model.n_layers:
            r = model.readout.weight.detach()
            ref = torch.full((len(pts),), float(torch.linalg.vector_norm(r)), dtype=F64)
        else:
            sub = _sub_mlp(model, k, model.n_layers)
            ref = torch.linalg.vector_norm(_fd_jacobians(lambda p: sub(p)[:, None], pts), dim=(-2, -1))
        torch.testing.assert_close(tail.values.reshape(-1), ref, rtol=1e-6, atol=1e-9)
        single = single_layer_map(model, k, x, box=BOX, resolution=5)
        assert single.plane == ("input" if k == 1 else f"layer {k - 1}")
        if k == 1:
            assert single.box == BOX
        sub = _sub_mlp(model, k - 1, k)
        fd = _fd_jacobians(lambda p: sub.hidden(p, 1), _plane_points(single))
        torch.testing.assert_close(single.values.reshape(len(fd), -1), _svals(fd), rtol=1e-6, atol=1e-9)


def test_resnet_tail_single_and_block_eigenvalues():
    model = _with_bn_stats(ResNet(2, 2, 3, skip=1.0, residual=0.7, batchnorm=True, seed=11))
    x = _data(40)
    for k in range(1, model.n_layers + 1):
        tail = tail_map(model, k, x, resolution=5)
        blocks = model.n_blocks - (k - 1)  # layer 1 is the input layer
        sub = ResNet(2, 2, blocks, skip=1.0, residual=0.7, batchnorm=True, input_layer=False).double()
        state = {}
        for key, value in model.state_dict().items():
            head, _, rest = key.partition(".")
            if head in ("block_layers", "norms"):
                idx, _, t = rest.partition(".")
                if int(idx) >= k - 1:
                    state[f"{head}.{int(idx) - (k - 1)}.{t}"] = value
            elif head == "readout_layer":
                state[key] = value
        sub.load_state_dict(state)
        sub.eval()
        pts = _plane_points(tail)
        ref = torch.linalg.vector_norm(_fd_jacobians(lambda p: sub(p)[:, None], pts), dim=(-2, -1))
        torch.testing.assert_close(tail.values.reshape(-1), ref, rtol=1e-6, atol=1e-9)
        single = single_layer_map(model, k, x, resolution=5)
        step = model.chain()[k - 1]

        def layer(h, s=step):
            return s.combine(h, torch.tanh(h @ s.weight.T + s.bias))

        fd = _fd_jacobians(layer, _plane_points(single))
        torch.testing.assert_close(single.values.reshape(-1, 2), _svals(fd), rtol=1e-6, atol=1e-9)
    # eigenvalue moduli over the input plane against the existing block-Jacobian analysis
    eig, sign = eigenvalue_maps(model, 3, box=BOX, resolution=(5, 4))
    assert eig.kind == "eigenvalues" and sign.kind == "det-sign" and eig.name == "block 2"
    pts = _plane_points(eig)
    ref = block_jacobian_eigenvalues(model, pts)
    torch.testing.assert_close(eig.values.reshape(-1, 2), ref.moduli[:, 1].sort(-1, descending=True).values)
    torch.testing.assert_close(sign.values.reshape(-1), torch.sign(ref.determinants[:, 1]))


def test_neural_ode_flow_maps_against_finite_differences():
    model = NeuralODE(2, 3, T=1.0, steps=8, pieces=2, seed=3).double()
    x = _data(30)
    single = single_layer_map(model, 2, x, resolution=4)  # the flow over the lifted data (a slice of R^3)
    assert single.name == "flow" and single.sliced and single.values.shape == (4, 4, 3)
    fd = _fd_jacobians(model.flow, _plane_points(single))
    torch.testing.assert_close(single.values.reshape(-1, 3), _svals(fd), rtol=1e-6, atol=1e-9)
    tail = tail_map(model, 1, x, resolution=4)
    r, c = model.readout_layer.weight.detach(), model.readout_layer.bias.detach()
    fd = _fd_jacobians(lambda h: model.flow(h) @ r.T + c, _plane_points(tail))
    torch.testing.assert_close(tail.values.reshape(-1), torch.linalg.vector_norm(fd, dim=(-2, -1)), rtol=1e-6,
                               atol=1e-9)  # fmt: skip
    eig, sign = eigenvalue_maps(model, 2, box=BOX, resolution=3)
    lifted = _plane_points(eig) @ model.lift_layer.weight.detach().T + model.lift_layer.bias.detach()
    fd = _fd_jacobians(model.flow, lifted)
    torch.testing.assert_close(eig.values.reshape(-1, 3), torch.linalg.eigvals(fd).abs().sort(-1, descending=True).values,
                               rtol=1e-6, atol=1e-9)  # fmt: skip
    # a flow is orientation-preserving: det D phi_T = exp(int div f) > 0
    assert bool((sign.values == 1).all())


def test_layer_maps_selection_repr_and_errors():
    model = MLP([2, 3, 3, 1], seed=0).double()
    x = _data(20)
    maps = layer_maps(model, x, BOX, resolution=4)
    kinds = [(m.layer, m.kind) for m in maps]
    # layer 1 maps 2 -> 3 (not square): no eigenvalue maps; layer 2 is square
    assert kinds == [(1, "prefix"), (1, "tail"), (1, "single"), (2, "prefix"), (2, "tail"), (2, "single"),
                     (2, "eigenvalues"), (2, "det-sign")]  # fmt: skip
    text = repr(maps[1])
    assert "layer=1" in text and "4x4" in text and "slice of width 3" in text and "tensor" not in text
    deep = ResNet(2, 2, 11, seed=0)
    assert [m.layer for m in layer_maps(deep, x, BOX, kinds=("prefix",), resolution=3)] == list(choose_layers(12))
    with pytest.raises(MorsenetError, match="layer"):
        prefix_map(model, 3, BOX)
    with pytest.raises(MorsenetError, match="kinds"):
        layer_maps(model, x, BOX, kinds=("bogus",))
    with pytest.raises(MorsenetError, match="not square"):
        eigenvalue_maps(model, 1, box=BOX)
    with pytest.raises(MorsenetError, match="shape"):
        tail_map(model, 1, torch.zeros(5, 3, dtype=F64))
    with pytest.raises(MorsenetError, match="width 1"):
        tail_map(MLP([2, 1, 1], seed=0), 1, x)
    with pytest.raises(MorsenetError, match="morsenet model"):
        prefix_map(lambda p: p, 1, BOX)
    assert math.isfinite(float(maps[0].maximum.max()))
