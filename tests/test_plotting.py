"""Every plot draws a result object on a given Axes, returns that Axes, and never trains or evaluates a model."""

import dataclasses
import io

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import morsenet.training  # noqa: E402
from morsenet import get_dataset  # noqa: E402
from morsenet.analysis import (  # noqa: E402
    CriticalPoint,
    TrainingSnapshot,
    block_jacobian_eigenvalues,
    jacobian_grid,
    prediction_curve,
    prediction_grid,
    tunnel_analysis,
    weight_spectra,
)
from morsenet.models import build_model  # noqa: E402
from morsenet.plotting import (  # noqa: E402
    CLASS_COLORS,
    animate_snapshots,
    plot_accuracy,
    plot_block_derivatives,
    plot_comparison,
    plot_critical_points,
    plot_curve,
    plot_dataset,
    plot_decision_boundary,
    plot_derivative,
    plot_level_sets,
    plot_loss,
    plot_singular_value_map,
    plot_snapshots,
    plot_surface,
    plot_tunnel,
    plot_weight_heatmaps,
    plot_weight_spectra,
    probability_cmap,
    save_figure,
)
from morsenet.training import History  # noqa: E402

TUNNEL_BOX = ((-1.5, 1.5), (-1.5, 1.5))


def _strip(x):  # class 0 (logit < 0): the disk r < 0.35 and a strip |x1| < 0.08 from it up to the box edge
    r = x.norm(dim=1)
    return torch.minimum(r - 0.35, torch.where(x[:, 1] > 0, x[:, 0].abs() - 0.08, torch.ones_like(r)))


def _basin(x):  # class 0: the disk r < 0.35 only, enclosed by the ring
    return x.norm(dim=1) - 0.35


def _cp(location, kind, members=None):
    """A critical point as `find_critical_points` returns it (continuum: with its members)."""
    loc = torch.tensor(location, dtype=torch.float64)
    return CriticalPoint(
        location=loc,
        value=0.0,
        kind=kind,
        index=0,
        eigenvalues=torch.zeros(2, dtype=torch.float64),
        gradient_norm=0.0,
        continuum=members is not None,
        members=None if members is None else torch.tensor(members, dtype=torch.float64),
    )


class _Results:
    """Small analysis results computed once; the plots only ever see these."""

    def __init__(self):
        self.data = get_dataset("circles", n_samples=120, seed=0)
        self.data1 = get_dataset("square_1d", n_samples=40, seed=0)
        model = build_model({"kind": "mlp", "widths": [2, 3, 2, 1]}, seed=0).eval()
        box = self.data.box(0.2)
        self.pred = prediction_grid(model, box, 24)
        self.grad = jacobian_grid(model, box, 16)
        self.hidden = jacobian_grid(model, box, 16, layer=2)
        self.spectra = weight_spectra(model)
        model1 = build_model({"kind": "resnet", "input_dim": 1, "width": 1, "blocks": 2, "input_layer": False}, seed=0)
        self.curve = prediction_curve(lambda x: (x[:, 0] - 0.2) ** 2, (-1, 1), 101)
        self.spectra1 = weight_spectra(model1)
        self.blocks = block_jacobian_eigenvalues(model1, torch.linspace(-1, 1, 50)[:, None])
        self.history = History([0.7, 0.5, 0.4], [0.72, 0.55, 0.5], [0.5, 0.8, 0.9], best_epoch=2)
        self.snapshots = (TrainingSnapshot(1, self.pred, self.spectra), TrainingSnapshot(5, self.pred, self.spectra))
        # the tunnel test of hand-set classifiers (plain functions, not models): a strip to the top edge, a disk
        kw = dict(inner_radius=0.3, ring=(0.5, 1.0), resolution=61, n_radii=32, n_angles=256)
        self.tunnel = tunnel_analysis(_strip, TUNNEL_BOX, **kw)
        self.bounded = tunnel_analysis(_basin, TUNNEL_BOX, **kw)


@pytest.fixture(scope="module")
def res():
    return _Results()


@pytest.fixture(autouse=True)
def _no_training_and_close(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("a plot function trained a model")

    monkeypatch.setattr(morsenet.training, "fit", forbidden)
    monkeypatch.setattr(morsenet.training, "train", forbidden)
    monkeypatch.setattr(torch.nn.Module, "__call__", forbidden)  # no model is evaluated while drawing either
    yield
    plt.close("all")


def _axes(projection=None):
    return Figure(figsize=(4, 3)).add_subplot(projection=projection)


CASES = {
    "dataset": lambda r, ax: plot_dataset(r.data, ax),
    "dataset_1d": lambda r, ax: plot_dataset(r.data1, ax),
    "loss": lambda r, ax: plot_loss(r.history, ax),
    "loss_linear": lambda r, ax: plot_loss(r.history, ax, log=False),
    "accuracy": lambda r, ax: plot_accuracy(r.history, ax),
    "accuracy_regression": lambda r, ax: plot_accuracy(History([1.0], [1.0], [], 0), ax),
    "decision_boundary": lambda r, ax: plot_decision_boundary(
        r.pred, ax, data=r.data, critical_points=[_cp([0.0, 0.0], "saddle")]
    ),
    "level_sets": lambda r, ax: plot_level_sets(r.pred, ax, data=r.data),
    "min_sv": lambda r, ax: plot_singular_value_map(r.hidden, ax, which="min"),
    "max_sv": lambda r, ax: plot_singular_value_map(r.hidden, ax, which="max"),
    "gradient_norm": lambda r, ax: plot_singular_value_map(r.grad, ax),
    "weight_spectra_log": lambda r, ax: plot_weight_spectra(r.spectra, ax),
    "weight_spectra_linear": lambda r, ax: plot_weight_spectra(r.spectra1, ax, log=False),
    "weight_heatmaps": lambda r, ax: plot_weight_heatmaps(r.spectra, ax),
    "curve": lambda r, ax: plot_curve(r.curve, ax, data=r.data1),
    "derivative": lambda r, ax: plot_derivative(r.curve, ax),
    "block_derivatives": lambda r, ax: plot_block_derivatives(r.blocks, ax),
    "critical_points": lambda r, ax: plot_critical_points(
        [_cp([0.1, 0.2], "minimum"), _cp([0.0, 0.0], "degenerate")], ax
    ),
    "tunnel": lambda r, ax: plot_tunnel(_overlay(r, "tunnel"), ax),
    "bounded": lambda r, ax: plot_tunnel(_overlay(r, "bounded"), ax, legend=False),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_draws_on_the_given_axes(res, name):
    ax = _axes()
    assert CASES[name](res, ax) is ax
    assert ax.has_data() or not ax.axison
    ax.figure.savefig(io.BytesIO(), format="png", dpi=20)  # some errors only show when drawing


def test_surface_needs_a_3d_axes(res):
    ax = _axes("3d")
    assert plot_surface(res.pred, ax, data=res.data) is ax
    with pytest.raises(ValueError, match="3-D Axes"):
        plot_surface(res.pred, _axes())


def test_without_axes_a_pyplot_figure_is_made_for_notebooks(res):
    ax = plot_decision_boundary(res.pred)
    assert ax.figure in [plt.figure(n) for n in plt.get_fignums()]
    assert plot_surface(res.pred).name == "3d"


def test_decision_boundary_colours_and_contour(res):
    cmap = probability_cmap()
    assert matplotlib.colors.to_hex(cmap(0.0)) == matplotlib.colors.to_hex("C0")
    assert matplotlib.colors.to_hex(cmap(1.0)) == matplotlib.colors.to_hex("C1")
    assert matplotlib.colors.to_hex(cmap(0.5)) == "#ffffff"
    assert CLASS_COLORS == ("C0", "C1")
    ax = plot_decision_boundary(res.pred, _axes(), data=res.data, colorbar=False)
    assert ax.images and ax.images[0].get_clim() == (0, 1)


def test_multi_panel_figures_and_files(res, tmp_path):
    rows = {
        "a": {"decision_boundary": (res.pred, {"data": res.data}), "min_singular_value": res.hidden},
        "b": {"weight_spectra": res.spectra},
    }
    fig = plot_comparison(rows, ["decision_boundary", "min_singular_value", "weight_spectra"], pyplot=False)
    assert len(fig.axes) >= 6
    paths = save_figure(fig, tmp_path / "cmp", formats=("png", "svg"), dpi=40)
    assert [p.name for p in paths] == ["cmp.png", "cmp.svg"] and all(p.stat().st_size > 0 for p in paths)
    grid = plot_snapshots(res.snapshots, data=res.data, pyplot=False)
    assert len(grid.axes) == 4
    gif = animate_snapshots(res.snapshots, tmp_path / "evo.gif", data=res.data, dpi=30)
    from PIL import Image

    with Image.open(gif) as im:
        assert im.format == "GIF" and im.n_frames == 2
    with pytest.raises(ValueError, match="unknown panel"):
        plot_comparison(rows, ["nope"])


# ----- critical points on every map, and the tunnel highlight -----

CPS = [
    _cp([0.1, 0.2], "minimum"),
    _cp([-0.3, 0.4], "maximum"),
    _cp([0.5, -0.5], "saddle"),
    _cp([0.6, 0.6], "saddle"),
    _cp([0.0, -0.2], "degenerate"),
    _cp([0.0, 0.0], "degenerate", members=[[0.0, -0.8], [0.0, 0.4], [0.0, 0.8]]),
]


def _gid(ax, gid):
    return [a for a in ax.lines + ax.collections + ax.texts if a.get_gid() == gid]


@pytest.mark.parametrize("which, grid", [("max", "grad"), ("min", "hidden"), ("max", "hidden")])
def test_critical_points_are_marked_on_singular_value_maps(res, which, grid):
    plain = plot_singular_value_map(getattr(res, grid), _axes(), which=which)
    ax = plot_singular_value_map(getattr(res, grid), _axes(), which=which, critical_points=CPS, legend=True)
    marks = _gid(ax, "critical-points")
    assert len(ax.collections) - len(plain.collections) == len(marks) == 5  # one scatter per kind
    assert sum(len(m.get_offsets()) for m in marks) == len(CPS)
    assert [m.get_label() for m in marks] == [
        "minimum",
        "maximum",
        "saddle",
        "degenerate (isolated)",
        "degenerate continuum",
    ]
    assert len({matplotlib.colors.to_hex(m.get_facecolor()[0]) for m in marks}) == 5  # a style per kind
    assert len({m.get_paths()[0].vertices.tobytes() for m in marks}) == 5
    (line,) = _gid(ax, "critical-continuum")  # the continuum's extent
    assert line.get_xydata().tolist() == [[0.0, -0.8], [0.0, 0.8]]
    assert (ax.get_xlim(), ax.get_ylim()) == (plain.get_xlim(), plain.get_ylim())  # markers do not move the view
    assert len(ax.get_legend().get_texts()) == 5 and not plain.collections[-1].get_gid()


def _overlay(res, status):
    """The tunnel analysis of a hand-set classifier, its crossing and chord set to round values."""
    if status == "bounded":
        return res.bounded
    return dataclasses.replace(
        res.tunnel, crossing_angles=(np.pi / 2,), chord=((-0.1, 0.6), (0.1, 0.6)), narrowest_width=0.2
    )


def test_tunnel_and_bounded_highlights(res):
    from matplotlib.path import Path as MplPath

    ax = plot_decision_boundary(res.pred, _axes(), data=res.data, critical_points=CPS, tunnel=_overlay(res, "tunnel"))
    assert len(_gid(ax, "ring")) == 2 and len(_gid(ax, "disk")) == 1
    assert len(_gid(ax, "tunnel-outline")) == 1 and not _gid(ax, "bounded-outline")
    assert np.allclose(_gid(ax, "ring-crossing")[0].get_offsets(), [[0.0, 0.75]])
    assert _gid(ax, "narrowest-chord")[0].get_xydata().tolist() == [[-0.1, 0.6], [0.1, 0.6]]
    assert sum(len(m.get_offsets()) for m in _gid(ax, "critical-points")) == len(CPS)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]  # one legend for both
    assert "class-0 region around the disk: tunnel" in labels and "minimum" in labels
    ax = plot_decision_boundary(res.pred, _axes(), tunnel=_overlay(res, "bounded"), legend=False)
    (outline,) = _gid(ax, "bounded-outline")
    assert all(p.codes[-1] == MplPath.CLOSEPOLY for p in outline.get_paths() if len(p.vertices))
    assert not _gid(ax, "narrowest-chord") and not _gid(ax, "ring-crossing") and ax.get_legend() is None
    ax.figure.savefig(io.BytesIO(), format="png", dpi=20)


def test_comparison_rows_carry_markers_and_tunnels(res):
    rows = {
        "a": {
            "decision_boundary": (
                res.pred,
                {
                    "data": res.data,
                    "colorbar": False,
                    "legend": False,
                    "critical_points": CPS,
                    "tunnel": _overlay(res, "tunnel"),
                },
            ),
            "max_singular_value": (res.grad, {"critical_points": CPS}),
            "min_singular_value": (res.hidden, {"critical_points": CPS}),
        }
    }
    fig = plot_comparison(rows, ["decision_boundary", "max_singular_value", "min_singular_value"], pyplot=False)
    boundary, grad, hidden = fig.axes[0], fig.axes[1], fig.axes[3]  # colorbars sit in between
    for ax in (boundary, grad, hidden):
        assert sum(len(m.get_offsets()) for m in _gid(ax, "critical-points")) == len(CPS)
    assert _gid(boundary, "tunnel-outline") and _gid(boundary, "narrowest-chord")
