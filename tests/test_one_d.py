"""Per-layer 1-D derivatives (each against the layer's own input) against finite differences; the figure, GIF."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from morsenet.analysis._one_d_layers import one_d_layers, zero_crossings
from morsenet.errors import MorsenetError
from morsenet.models import MLP, ResNet, set_parameters


def _model() -> ResNet:
    m = ResNet(1, 1, 3, 1.0, 0.3, "tanh", input_layer=False, seed=0).double()
    set_parameters(m, {"block_layers.0.weight": [[-5.0]], "block_layers.1.weight": [[5.0]],
                       "block_layers.0.bias": [0.2]})  # fmt: skip
    return m.eval()


def test_layer_derivatives_match_finite_differences() -> None:
    m = _model()
    r = one_d_layers(m, (-1.0, 1.0), 101)
    assert [layer.name for layer in r.layers] == ["block 1", "block 2", "block 3", "readout"]
    assert np.allclose(r.y, m(torch.from_numpy(r.x)[:, None]).detach().numpy(), atol=1e-14)
    w = [m.block_layers[k].weight.item() for k in range(3)]
    b = [m.block_layers[k].bias.item() for k in range(3)]
    h = torch.from_numpy(r.x)
    for k, layer in enumerate(r.layers[:3]):
        # the range of this layer's own input over x in [-1, 1]
        assert layer.lo == pytest.approx(float(h.min())) and layer.hi == pytest.approx(float(h.max()))
        phi = lambda v, k=k: 1.0 * v + 0.3 * np.tanh(w[k] * v + b[k])  # noqa: E731
        step = 1e-6
        fd = (phi(layer.h + step) - phi(layer.h - step)) / (2 * step)
        assert np.allclose(layer.derivative, fd, atol=1e-8)
        assert layer.weight == w[k] and layer.bias == b[k]
        h = 1.0 * h + 0.3 * torch.tanh(w[k] * h + b[k])
    ro = r.layers[-1]
    assert np.allclose(ro.derivative, m.readout_layer.weight.item())
    # block 1: 1 + 0.3 * (-5) * tanh'(z) = 0 where tanh'(z) = 1/1.5: two zero crossings, closed form
    z = np.arctanh(np.sqrt(1 - 1 / 1.5))
    expect = sorted(((s * z) - 0.2) / -5.0 for s in (1, -1))
    got = r.layers[0].zeros
    assert len(got) == 2 and np.allclose(sorted(got), expect, atol=1e-3)


def test_zero_crossings() -> None:
    h = np.linspace(0, 3, 31)
    assert np.allclose(zero_crossings(h, np.cos(h)), [np.pi / 2], atol=2e-3)
    assert zero_crossings(h, np.ones_like(h)) == ()
    assert zero_crossings(np.array([0.0, 1.0, 2.0]), np.array([1.0, 0.0, -1.0])) == (1.0,)


def test_refuses_wide_or_2d_models() -> None:
    with pytest.raises(MorsenetError, match="width 1"):
        one_d_layers(ResNet(1, 2, 2, seed=0))
    with pytest.raises(MorsenetError, match="1-D"):
        one_d_layers(MLP([2, 1, 1], seed=0))


def test_mlp_chain() -> None:
    m = MLP([1, 1, 1, 1], seed=1).double().eval()
    r = one_d_layers(m, (-1.0, 1.0), 51)
    assert np.allclose(r.y, m(torch.from_numpy(r.x)[:, None]).detach().numpy(), atol=1e-14)
    assert len(r.layers) == 3


def test_three_panel_figure_and_gif(tmp_path) -> None:
    from matplotlib.figure import Figure
    from PIL import Image

    from morsenet.datasets import get_dataset
    from morsenet.plotting._one_d import animate_one_d, draw_one_d

    data = get_dataset("square_1d", n_samples=50, seed=0)
    r = one_d_layers(_model(), (-1.0, 1.0), 51)
    fig = Figure()
    axes = [fig.add_subplot(1, 3, k + 1) for k in range(3)]
    draw_one_d(r, axes, data=data)
    assert len(axes[2].lines) >= 4  # one derivative per layer, the zero marks, the zero line
    frames = [one_d_layers(_model(), (-1.0, 1.0), 51, epoch=e) for e in (1, 10, 20)]
    path = animate_one_d(frames, tmp_path / "a.gif", data=data, dpi=40)
    with Image.open(path) as im:
        assert im.n_frames == 3
