"""Figures of layer maps and Lyapunov maps: the artist tree (panels, colour bars, norms, titles, overlays)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from matplotlib.colors import BoundaryNorm, LogNorm, TwoSlopeNorm  # noqa: E402

from morsenet.analysis import CriticalPoint, prediction_grid  # noqa: E402
from morsenet.analysis._layers import LayerMap, layer_maps  # noqa: E402
from morsenet.analysis._lyapunov import lyapunov_map  # noqa: E402
from morsenet.models import MLP, ResNet  # noqa: E402
from morsenet.plotting._layers import (  # noqa: E402
    plot_layer_map,
    plot_layer_maps,
    plot_lyapunov_map,
    plot_lyapunov_maps,
)

BOX = ((-1.5, 1.5), (-1.5, 1.5))


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _mesh(ax, gid):
    found = [c for c in ax.collections if c.get_gid() == gid]
    assert len(found) == 1
    return found[0]


def test_layer_maps_figure_has_one_panel_per_map_with_log_colour_bars():
    model = MLP([2, 2, 2, 1], seed=0).double()
    x = torch.randn(30, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    maps = layer_maps(model, x, BOX, resolution=6)
    fig = plot_layer_maps(maps, which="min", ncols=4)
    panels = [ax for ax in fig.axes if any(c.get_gid() == "layer-map" for c in ax.collections)]
    assert len(panels) == len(maps) == 10
    assert len(fig.axes) == 2 * len(maps)  # every panel has its colour bar
    for lmap, ax in zip(maps, panels):
        mesh = _mesh(ax, "layer-map")
        assert mesh.colorbar is not None
        title = ax.get_title()
        assert title.startswith(("input → layer", f"layer {lmap.layer}")) and f"layer {lmap.layer}" in title
        if lmap.kind == "det-sign":
            assert isinstance(mesh.norm, BoundaryNorm) and "det" in title
        else:
            assert isinstance(mesh.norm, LogNorm)
            v = lmap.minimum.numpy()
            if v.max() > v.min() * (1 + 1e-9):  # limits from the data: its 2% quantile to its maximum
                assert mesh.norm.vmax == pytest.approx(v.max())
                assert mesh.norm.vmin == pytest.approx(np.quantile(v, 0.02))
            else:  # a constant map (the read-out's gradient) sits inside a decade either side
                assert mesh.norm.vmin < v.min() <= v.max() < mesh.norm.vmax
    titles = [ax.get_title() for ax in panels]
    assert titles[0] == "input → layer 1: min σ" and titles[1] == "layer 1 → output: |grad|"
    assert "layer 0" not in " ".join(titles)  # numbered from 1
    # axis labels name the plane each map lives on
    assert panels[1].get_xlabel() == "$h^{(1)}_1$"


def test_single_panel_names_resnet_blocks_and_slices():
    model = ResNet(2, 3, 2, seed=0).double()
    x = torch.randn(30, 2, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    maps = layer_maps(model, x, BOX, layers=[2], kinds=("tail", "eigenvalues"), resolution=5)
    ax = plot_layer_map(maps[0])
    assert ax.get_title() == "layer 2 → output (block 1): |grad|" and "principal direction" in ax.get_xlabel()
    ax = plot_layer_map(maps[1], which="max")
    assert ax.get_title() == "layer 2 Jacobian (block 1): max |eigenvalue|"
    assert _mesh(ax, "layer-map").colorbar.ax.get_ylabel() == "max |eigenvalue| (log)"
    # zeros take the lowest colour and the colour bar gets its lower arrow
    zero = LayerMap("prefix", 1, "layer 1", maps[0].xs, maps[0].ys, torch.cat([torch.zeros(5, 5, 1),
                    torch.rand(5, 5, 1, generator=torch.Generator().manual_seed(0)) + 0.1], -1), "input")  # fmt: skip
    ax = plot_layer_map(zero, which="min")
    assert _mesh(ax, "layer-map").colorbar.extend == "min"
    with pytest.raises(ValueError):
        plot_layer_map(maps[0], which="median")
    with pytest.raises(ValueError):
        plot_layer_maps([])


def test_lyapunov_map_with_decision_contour_and_critical_points():
    model = MLP([2, 3, 1], seed=2).double()
    lmap = lyapunov_map(model, BOX, resolution=12)
    prediction = prediction_grid(model, BOX, resolution=40)
    points = [CriticalPoint(torch.tensor([0.2, -0.3]), 0.0, "minimum", 0, torch.tensor([1.0, 2.0]), 0.0)]
    ax = plot_lyapunov_map(lmap, prediction=prediction, critical_points=points)
    mesh = _mesh(ax, "lyapunov-map")
    assert mesh.colorbar is not None
    v = lmap.values.numpy()
    if v.min() < 0 < v.max():
        assert isinstance(mesh.norm, TwoSlopeNorm) and mesh.norm.vcenter == 0
    assert mesh.norm.vmin == pytest.approx(np.quantile(v, 0.02)) and mesh.norm.vmax == pytest.approx(
        np.quantile(v, 0.98)
    )
    p = prediction.probabilities.numpy()
    contours = [c for c in ax.collections if c.get_gid() == "decision-contour"]
    assert len(contours) == (1 if p.min() < 0.5 < p.max() else 0)
    marks = [c for c in ax.collections if c.get_gid() == "critical-points"]
    assert len(marks) == 1 and np.allclose(marks[0].get_offsets(), [[0.2, -0.3]])
    assert ax.get_title() == "Lyapunov exponent, layers 1–1"
    fig = plot_lyapunov_maps([lmap, lyapunov_map(lambda q: 2 * q, BOX, T=2.0, resolution=4)], ncols=2)
    titles = [a.get_title() for a in fig.axes if a.get_title()]
    assert titles == ["Lyapunov exponent, layers 1–1", "finite-time Lyapunov exponent, T = 2"]
    # a constant map (the linear flow) still gets a valid, non-degenerate norm
    meshes = [c for a in fig.axes for c in a.collections if c.get_gid() == "lyapunov-map"]
    assert len(meshes) == 2 and all(m.colorbar is not None for m in meshes)
    const = meshes[1]
    assert const.norm.vmin < const.norm.vmax
