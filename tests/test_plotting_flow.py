"""Trajectory plots (2-D and 3-D), the trajectory GIF and the flow-Jacobian map panels draw what they are given."""

import matplotlib
import numpy as np
import pytest
import torch
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from PIL import Image

from morsenet.analysis import FlowJacobianMaps, FlowTrajectories
from morsenet.plotting import animate_trajectories, plot_flow_jacobian_maps, plot_trajectories

matplotlib.use("Agg")


def _traj(dim: int, n: int = 4, n_t: int = 6) -> FlowTrajectories:
    t = torch.linspace(0, 1, n_t, dtype=torch.float64)
    start = torch.arange(n * dim, dtype=torch.float64).reshape(n, dim)
    states = start[None] + t[:, None, None] * torch.ones(dim, dtype=torch.float64)  # straight lines
    return FlowTrajectories(t, states, start[:, :2], 1.0)


def _maps(k: int = 3) -> FlowJacobianMaps:
    xs, ys = torch.linspace(-1, 1, 5, dtype=torch.float64), torch.linspace(-1, 1, 4, dtype=torch.float64)
    values = torch.stack([torch.full((4, 5), 2.0 + i) for i in range(k)])[..., None] * torch.tensor([1.0, 0.25])
    ivs = tuple((float(i), float(i + 1)) for i in range(k))
    return FlowJacobianMaps(xs, ys, ivs, values.double())


def test_plot_trajectories_2d_draws_each_path_coloured_by_class():
    fig = Figure()
    ax = fig.add_subplot()
    traj = _traj(2)
    plot_trajectories(traj, ax, data=torch.tensor([0.0, 1.0, 1.0, 0.0]))
    (lines,) = [c for c in ax.collections if c.get_gid() == "trajectory"]
    paths = lines.get_segments()
    assert len(paths) == 4
    np.testing.assert_allclose(paths[1], traj.states[:, 1].numpy())
    expected = [to_rgba(c, 0.55) for c in ("C0", "C1", "C1", "C0")]
    np.testing.assert_allclose(lines.get_colors(), expected)


def test_plot_trajectories_3d_uses_a_3d_axes_and_refuses_a_2d_one():
    fig = Figure()
    ax = fig.add_subplot(projection="3d")
    plot_trajectories(_traj(3), ax)
    (lines,) = [c for c in ax.collections if c.get_gid() == "trajectory"]
    assert len(lines._segments3d) == 4
    with pytest.raises(ValueError, match="3-D Axes"):
        plot_trajectories(_traj(3), Figure().add_subplot())
    with pytest.raises(ValueError, match="3 labels for 4"):
        plot_trajectories(_traj(2), Figure().add_subplot(), data=[0, 1, 0])


def test_animate_trajectories_writes_one_frame_per_time(tmp_path):
    path = animate_trajectories(_traj(2, n_t=7), tmp_path / "sub" / "flow.gif", frames=4)
    with Image.open(path) as im:
        assert im.format == "GIF" and im.n_frames == 4
    path3 = animate_trajectories(_traj(3, n_t=3), tmp_path / "flow3.gif")
    with Image.open(path3) as im:
        assert im.n_frames == 3
    with pytest.raises(ValueError, match="frames"):
        animate_trajectories(_traj(2), tmp_path / "x.gif", frames=0)


def test_plot_flow_jacobian_maps_one_panel_per_interval_and_row():
    fig = plot_flow_jacobian_maps(_maps(3), Figure(figsize=(10, 6)))
    meshes = [c for ax in fig.axes for c in ax.collections if c.get_gid() == "flow-jacobian-map"]
    assert len(meshes) == 6
    np.testing.assert_allclose(np.asarray(meshes[0].get_array()).reshape(4, 5), 0.5)  # min σ, interval 1
    np.testing.assert_allclose(np.asarray(meshes[5].get_array()).reshape(4, 5), 4.0)  # max σ, interval 3
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titles[0] == "min σ of Dφ on [0, 1]" and titles[5] == "max σ of Dφ on [2, 3]"
    axes = [Figure().add_subplot() for _ in range(2)]
    plot_flow_jacobian_maps(_maps(2), axes, which=("max",), colorbar=False)
    with pytest.raises(ValueError, match="need 4 Axes"):
        plot_flow_jacobian_maps(_maps(2), axes)
    with pytest.raises(ValueError, match="which"):
        plot_flow_jacobian_maps(_maps(2), Figure(), which=("mean",))


def test_report_flow_figures_of_neural_odes(tmp_path):
    """The report's flow section: trajectories, GIF and the unit-interval maps for a 2-D neural ODE; the 3-D
    trajectories of an augmented one; nothing for an MLP."""
    from pathlib import Path

    import morsenet
    from morsenet.analysis import weight_spectra
    from morsenet.models import build_model
    from morsenet.report._analyze import ModelAnalysis
    from morsenet.report._figures_flow import flow_figures
    from morsenet.report._flow_data import flow_analysis
    from morsenet.report._run import ModelEntry
    from morsenet.report._writer import FigureWriter

    data = morsenet.get_dataset("circles", n_samples=60, seed=3)
    box = ((-1.5, 1.5), (-1.5, 1.5))
    keys = {}
    for name, cfg in {
        "node": {"kind": "neural_ode", "dim": 2, "T": 2.0, "steps": 4, "pieces": 2},
        "anode": {"kind": "neural_ode", "dim": 3, "steps": 4, "pieces": 2, "augmentation": "zero", "hidden_width": 3},
        "mlp": {"kind": "mlp", "width": 3, "depth": 1},
    }.items():
        model = build_model({**cfg, "input_dim": 2}, seed=1).eval()
        a = ModelAnalysis(ModelEntry(name, {}, Path(f"models/{name}.pt"), None), model, data, None, {})
        a.box, a.spectra = box, weight_spectra(model)
        a.flow = flow_analysis(model, data, box, 24)
        w = FigureWriter(tmp_path / name, ("png",), 30)
        flow_figures(a, w)
        figs = {f.key: f for f in w.out}
        keys[name] = {k for k in figs if k.startswith("flow_")}
        if a.flow is not None:
            assert a.flow.trajectories.n_points == len(data.x_test) and a.flow.quick
            assert all(figs[k].png.is_file() for k in keys[name])
        if name == "node":  # T = 2: the unit sub-intervals [0, 1] and [1, 2]
            assert "over 2 unit sub-intervals [k, k+1], evaluated" in figs["flow_jacobian_maps"].caption
            assert f"{len(data.x_test)} test points carried through the flow" in figs["flow_trajectories"].caption
        if name == "anode":  # T = 1 < 2: its 2 constant-weight pieces
            assert "2 constant-weight pieces (T < 2)" in figs["flow_jacobian_maps"].caption
    assert keys["node"] == {"flow_trajectories", "flow_trajectories_gif", "flow_jacobian_maps"}
    assert keys["anode"] == keys["node"] and keys["mlp"] == set()
