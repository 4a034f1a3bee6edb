"""The report's "Inside the network" section (`report/_inside.py`, `report/_figures_inside.py`): its maps against
Jacobians written by hand for a hand-set 2-layer tanh net, the depth Lyapunov map of a linear ResNet against its
closed form, the figures and captions, and a failure that only leaves a note."""

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

import morsenet  # noqa: E402
from morsenet.analysis import lyapunov_map, single_layer_map, weight_spectra  # noqa: E402
from morsenet.models import build_model  # noqa: E402
from morsenet.report import ModelAnalysis, Resolutions  # noqa: E402
from morsenet.report import _inside as inside_module  # noqa: E402
from morsenet.report._figures import model_figures  # noqa: E402
from morsenet.report._figures_inside import inside_figures  # noqa: E402
from morsenet.report._inside import add_inside_maps, inside_maps, inside_settings  # noqa: E402
from morsenet.report._run import ModelEntry  # noqa: E402
from morsenet.report._writer import FigureWriter  # noqa: E402

BOX = ((-1.0, 1.5), (-1.2, 0.8))
W1 = np.array([[1.5, -0.7], [0.4, 1.1]])
B1 = np.array([0.2, -0.3])
W2 = np.array([[-0.9, 1.3], [0.8, 0.6]])
B2 = np.array([0.1, 0.4])
W3 = np.array([[1.2, -2.0]])
B3 = np.array([0.3])


def _hand_net():
    """h1 = tanh(W1 x + b1), h2 = tanh(W2 h1 + b2), logit = W3 h2 + b3."""
    with torch.random.fork_rng(devices=[]):
        m = build_model({"kind": "mlp", "widths": [2, 2, 2, 1]}, seed=0)
    t = lambda a: torch.tensor(a, dtype=torch.float32)  # noqa: E731
    m.load_state_dict(
        {
            "hidden_layers.0.weight": t(W1),
            "hidden_layers.0.bias": t(B1),
            "hidden_layers.1.weight": t(W2),
            "hidden_layers.1.bias": t(B2),
            "readout.weight": t(W3),
            "readout.bias": t(B3),
        }
    )
    return m.eval()


def _w32(a):  # the weights as the float32 model holds them, in float64
    return np.asarray(torch.tensor(a, dtype=torch.float32).double())


def _layer(w, b, h):
    """tanh(W h + b) and its Jacobians diag(1 - tanh^2) W at points h (n, 2)."""
    w, b = _w32(w), _w32(b)
    z = h @ w.T + b
    y = np.tanh(z)
    return y, (1 - y**2)[:, :, None] * w[None]


def _nodes(box, n):
    (x0, x1), (y0, y1) = box
    xs, ys = np.linspace(x0, x1, n), np.linspace(y0, y1, n)
    gx, gy = np.meshgrid(xs, ys)  # row j is ys[j], column i is xs[i]
    return np.stack([gx.ravel(), gy.ravel()], 1)


def _padded(h, margin):
    lo, hi = h.min(0), h.max(0)
    mid, half = (lo + hi) / 2, np.maximum((hi - lo) * (0.5 + margin), 1e-3)
    return tuple(zip(mid - half, mid + half))


def _flat(box):
    return pytest.approx([v for pair in box for v in pair], rel=1e-9, abs=1e-12)


def _sv(j):
    return np.linalg.svd(j, compute_uv=False)  # descending


def test_section_maps_against_hand_written_jacobians():
    model, n = _hand_net(), 9
    x = torch.tensor([[0.0, 0.0], [1.0, -0.5], [-0.7, 0.6], [0.3, 0.9], [-0.4, -1.0]])
    m = inside_maps(model, x, BOX, resolution=n, cap=6, margin=0.1)
    assert m.layers == (1, 2) and m.names == ("layer 1", "layer 2") and m.n_points == 5 and not m.blocks
    g = _nodes(BOX, n)
    h1, j1 = _layer(W1, B1, g)
    _, j2 = _layer(W2, B2, h1)
    for k, jac in ((1, j1), (2, j2 @ j1)):  # prefix maps: input -> layer k over the analysis box
        lm = m.prefix[k - 1]
        assert lm.kind == "prefix" and lm.layer == k and lm.plane == "input" and list(np.ravel(lm.box)) == _flat(BOX)
        np.testing.assert_allclose(lm.values.reshape(-1, 2).numpy(), _sv(jac), rtol=1e-9, atol=1e-12)
    # the tail of layer 1 (layer 2 and the read-out) over the data's image at layer 1, padded by 10% per side
    d1, _ = _layer(W1, B1, x.double().numpy())
    [tail] = m.tail  # layer 2's tail is the read-out itself: constant, not drawn
    tbox = _padded(d1, 0.1)
    assert tail.layer == 1 and tail.plane == "layer 1" and list(np.ravel(tail.box)) == _flat(tbox)
    t_nodes = _nodes(tbox, n)
    _, jt = _layer(W2, B2, t_nodes)
    grad = np.einsum("i,nij->nj", _w32(W3)[0], jt)  # d logit / d h1 = W3 diag(sech^2) W2
    np.testing.assert_allclose(tail.values[..., 0].reshape(-1).numpy(), np.linalg.norm(grad, axis=1), rtol=1e-9)
    # single layers: layer 2 over the image of the data at layer 1; layer 1 over the box is prefix map 1, not repeated
    [s2] = m.single
    assert s2.layer == 2 and list(np.ravel(s2.box)) == _flat(tbox) and s2.plane == "layer 1"
    s1 = single_layer_map(model, 1, x, box=BOX, resolution=n)
    np.testing.assert_allclose(s1.values.reshape(-1, 2).numpy(), _sv(j1), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(s2.values.reshape(-1, 2).numpy(), _sv(jt), rtol=1e-9, atol=1e-12)
    # depth Lyapunov maps: (1/k) log sigma_max of the prefix Jacobian, and what lyapunov_map computes
    for k, jac in ((1, j1), (2, j2 @ j1)):
        lyap = m.lyapunov[k - 1]
        assert lyap.kind == "depth" and lyap.layers == (1, k) and lyap.horizon == k
        np.testing.assert_allclose(lyap.values.reshape(-1).numpy(), np.log(_sv(jac)[:, 0]) / k, rtol=1e-9)
        direct = lyapunov_map(model, BOX, layers=(1, k), resolution=n)
        torch.testing.assert_close(lyap.values, direct.values, rtol=1e-12, atol=1e-12)


def test_depth_lyapunov_of_a_linear_resnet_is_its_closed_form():
    """Blocks h <- h + 0.5 (D_i h + b_i) with diagonal D_i: the map is diag(prod_i (1 + 0.5 d_i))."""
    diag = [(0.8, -0.4), (1.2, 0.6), (-0.2, 2.0)]
    with torch.random.fork_rng(devices=[]):
        model = build_model(
            {"kind": "resnet", "input_dim": 2, "width": 2, "blocks": 3, "input_layer": False, "skip": 1.0,
             "residual": 0.5, "activation": "identity"}, seed=0,
        )  # fmt: skip
    state = {f"block_layers.{i}.weight": torch.diag(torch.tensor(d)) for i, d in enumerate(diag)}
    state |= {f"block_layers.{i}.bias": torch.tensor([0.3, -0.1]) for i in range(3)}
    state |= {"readout_layer.weight": torch.tensor([[1.0, -1.0]]), "readout_layer.bias": torch.zeros(1)}
    model.load_state_dict(state)
    model.eval()
    diag = [tuple(float(torch.tensor(v, dtype=torch.float32)) for v in d) for d in diag]  # as the model holds them
    x = torch.tensor([[0.0, 0.0], [1.0, 1.0], [-1.0, 0.5]])
    m = inside_maps(model, x, BOX, resolution=7, cap=2)
    assert m.layers == (1, 3) and m.blocks == (1, 3)
    for k, lyap in zip(m.layers, m.lyapunov):
        scale = [math.prod(1 + 0.5 * d[j] for d in diag[:k]) for j in range(2)]
        expected = math.log(max(abs(s) for s in scale)) / k
        torch.testing.assert_close(lyap.values, torch.full((7, 7), expected, dtype=torch.float64), rtol=1e-12, atol=0)
    # the block Jacobian I + 0.5 D_k: eigenvalue moduli |1 + 0.5 d|, determinant sign their product's
    for k, ev, sign in zip(m.blocks, m.eigenvalues, m.det_sign):
        lam = sorted((abs(1 + 0.5 * d) for d in diag[k - 1]), reverse=True)
        torch.testing.assert_close(ev.values, torch.tensor(lam, dtype=torch.float64).expand(7, 7, 2), rtol=1e-12,
                                   atol=1e-12)  # fmt: skip
        s = np.sign(np.prod([1 + 0.5 * d for d in diag[k - 1]]))
        assert bool((sign.values == s).all())


def test_settings_scale_with_the_report_resolution():
    assert inside_settings(Resolutions.quick().jacobian) == {"resolution": 30, "cap": 3}
    assert inside_settings(Resolutions().jacobian) == {"resolution": 60, "cap": 6}
    assert inside_settings(24) == {"resolution": 16, "cap": 3}


def _analysis(model, data):
    entry = ModelEntry("hand", {}, Path("models/hand.pt"), None)
    a = ModelAnalysis(entry, model, data, None, {})
    a.box = BOX
    a.spectra = weight_spectra(model)
    return a


def test_figures_and_captions_of_a_resnet_and_a_neural_ode(tmp_path):
    data = morsenet.get_dataset("circles", n_samples=60, seed=3)
    with torch.random.fork_rng(devices=[]):
        resnet = build_model({"kind": "resnet", "input_dim": 2, "width": 2, "blocks": 8, "skip": 1.0,
                              "residual": 0.1}, seed=1).eval()  # fmt: skip
        node = build_model({"kind": "neural_ode", "input_dim": 2, "dim": 2, "T": 2.0, "steps": 4, "pieces": 2},
                           seed=2).eval()  # fmt: skip
    a = _analysis(resnet, data)
    add_inside_maps(a, 24)
    assert a.inside is not None and a.inside.layers == (1, 5, 9) and a.inside.resolution == 16
    assert a.inside.blocks == (2, 5, 9) and "inside" in a.seconds and not a.notes
    figs = {f.key: f for f in model_figures(a, tmp_path / "resnet", dpi=30)}
    for key in ("inside_prefix", "inside_tail", "inside_single", "inside_blocks", "inside_lyapunov"):
        assert figs[key].png.is_file() and figs[key].title.startswith("Inside the network")
    assert "layers 1, 5, 9 of 9: at most 3 layers are shown" in figs["inside_prefix"].caption
    assert "16 × 16 grid of the analysis box [-1, 1.5] × [-1.2, 0.8]" in figs["inside_prefix"].caption
    assert "padded by 0.1 times its extent" in figs["inside_tail"].caption
    assert "(1/k) log σ_max" in figs["inside_lyapunov"].caption
    assert "skip·I + residual·diag(act'(W h + b)) W" in figs["inside_blocks"].caption
    assert figs["weight_heatmaps"].title == "W per layer (signed)" and "weight_eigenvalues" in figs
    b = _analysis(node, data)
    add_inside_maps(b, 24)
    assert b.inside.layers == (1, 2) and b.inside.blocks == (2,) and b.inside.flow
    w = FigureWriter(tmp_path / "node", ("png",), 30)
    inside_figures(b, w)
    figs = {f.key: f for f in w.out}
    assert (
        "(1/T) log σ_max(Dφ_T(A x + a))" in figs["inside_lyapunov"].caption
        and "T = 2" in figs["inside_lyapunov"].caption
    )
    assert "all 2 layers" in figs["inside_prefix"].caption and "flow φ_T's Jacobian" in figs["inside_blocks"].caption
    assert bool((b.inside.det_sign[0].values > 0).all())  # a flow never folds the plane


def test_a_failing_section_leaves_a_note_and_no_figures(tmp_path, monkeypatch):
    data = morsenet.get_dataset("circles", n_samples=40, seed=3)
    a = _analysis(_hand_net(), data)

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(inside_module, "inside_maps", broken)
    add_inside_maps(a, 24)
    assert a.inside is None and a.notes == ["layer-resolved maps failed: RuntimeError: boom"]
    keys = {f.key for f in model_figures(a, tmp_path, dpi=30)}
    assert not any(k.startswith("inside_") for k in keys) and "weight_heatmaps" in keys
