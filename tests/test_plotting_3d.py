"""3-D figures: the marching-cubes decision isosurface and the axis slices."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from morsenet.analysis import axis_slices, grid_3d, tunnel_analysis_3d
from morsenet.datasets import DiskRing, make_noisy_spheres
from morsenet.plotting import plot_axis_slices, plot_decision_isosurface
from morsenet.plotting._three_d import decision_isosurface

BOX = ((-1.0, 1.0), (-1.2, 1.2), (-0.9, 0.9))  # unequal sides: the spacing must come from the box per axis


def sphere(x):
    return 6.0 * ((x**2).sum(1) - 0.6**2)  # probability 0.5 exactly on |x| = 0.6


def test_isosurface_vertices_lie_on_the_sphere_within_a_grid_spacing():
    g = grid_3d(sphere, BOX, 25)
    verts, faces = decision_isosurface(g)
    assert faces.shape[1] == 3 and len(verts) > 100
    r = np.linalg.norm(verts, axis=1)
    h = max(g.spacing)
    assert np.abs(r - 0.6).max() < h
    assert np.abs(r - 0.6).mean() < 0.1 * h  # linear interpolation along the edges: far better than a cell
    # it covers the whole sphere: vertices in every octant
    octants = {tuple(v) for v in (verts > 0).astype(int)}
    assert len(octants) == 8


def test_isosurface_of_a_shifted_sphere_follows_the_box_origin():
    c = torch.tensor([0.2, -0.3, 0.1], dtype=torch.float64)
    g = grid_3d(lambda x: sphere(x - c), BOX, 21)
    verts, _ = decision_isosurface(g)
    assert np.abs(np.linalg.norm(verts - c.numpy(), axis=1) - 0.6).max() < max(g.spacing)


def test_plot_decision_isosurface_draws_the_mesh_points_and_tunnel():
    data = make_noisy_spheres(200, inner_sphere=0.3, outer_sphere=0.8, noise=0.0, seed=0)
    fig = Figure()
    ax = fig.add_subplot(projection="3d")
    f = lambda x: torch.minimum(sphere(x), x[:, 0] ** 2 + x[:, 1] ** 2 - 0.15**2)  # noqa: E731
    geometry = DiskRing((0.0, 0.0, 0.0), 0.3, (0.7, 0.9))
    t = tunnel_analysis_3d(f, geometry, BOX, resolution=16)
    assert t.verdict == "tunnel"
    plot_decision_isosurface(t, ax, data=data, tunnel=t)
    assert [c for c in ax.collections if c.get_gid() == "decision-isosurface"]
    assert any(line.get_label() == "tunnel certificate" for line in ax.lines)
    assert sum(len(c.get_offsets()) for c in ax.collections if c.get_gid() != "decision-isosurface") == len(data.x_test)
    assert ax.get_xlim() == pytest.approx(BOX[0])


def test_plot_decision_isosurface_from_a_model_and_without_a_surface():
    fig = Figure()
    ax = fig.add_subplot(projection="3d")
    plot_decision_isosurface(sphere, ax, box=BOX, resolution=10)
    assert [c for c in ax.collections if c.get_gid() == "decision-isosurface"]
    ax2 = fig.add_subplot(projection="3d")
    plot_decision_isosurface(lambda x: x[:, 0] * 0 + 5.0, ax2, box=BOX, resolution=8)
    assert not ax2.collections and "no 0.5 surface" in ax2.texts[0].get_text()
    with pytest.raises(ValueError, match="box"):
        plot_decision_isosurface(sphere, ax2)


def test_plot_axis_slices_six_panels_with_contours():
    s = axis_slices(sphere, BOX, resolution=24)
    fig = Figure(figsize=(9, 5))
    axes = [fig.add_subplot(2, 3, k + 1) for k in range(6)]
    data = make_noisy_spheres(300, inner_sphere=0.3, outer_sphere=0.8, noise=0.0, seed=1)
    grid = plot_axis_slices(s, axes, data=data)
    assert grid.shape == (2, 3)
    for ax in grid.reshape(-1):
        assert len(ax.images) == 1
        assert ax.collections  # the 0.5 contour (and points on the top row)
    top = grid[0, 0].images[0].get_array()
    assert top.shape == (24, 24) and float(top.min()) < 0.5 < float(top.max())
    assert grid[1, 0].images[0].norm.__class__.__name__ == "LogNorm"
    assert "x_1" in grid[0, 0].get_title()
    grid2 = plot_axis_slices(sphere, [fig.add_subplot(2, 3, k + 1) for k in range(6)], box=BOX, resolution=8)
    assert grid2[0, 2].images[0].get_array().shape == (8, 8)
