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
    assert len(ax.get_legend().get_texts()) == 5 and plain.collections[-1].get_gid() == "singular-value-map"


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


# ----- figures a researcher can publish: colours, colour scales, legends, numbering, sizes -----


def _kind_marks(ax):
    return {m.get_label(): matplotlib.colors.to_hex(m.get_facecolor()[0]) for m in _gid(ax, "critical-points")}


def test_marker_colours_follow_the_kind(res):
    from morsenet.plotting._style import KIND_MARKERS

    ax = plot_critical_points(CPS, _axes())
    colours = _kind_marks(ax)
    assert colours["minimum"] == matplotlib.colors.to_hex("tab:green")
    assert colours["maximum"] == matplotlib.colors.to_hex("tab:red")
    assert colours["saddle"] == "#000000"
    assert colours["degenerate continuum"] == matplotlib.colors.to_hex(KIND_MARKERS["continuum"][1])


def test_pngs_are_true_colour_and_keep_the_marker_colours(res, tmp_path):
    from PIL import Image

    fig = Figure(figsize=(3, 3))
    ax = fig.add_subplot()
    plot_singular_value_map(res.grad, ax, critical_points=[_cp([0.0, 0.0], "minimum")], colorbar=False)
    (path,) = save_figure(fig, tmp_path / "m", dpi=60)
    with Image.open(path) as im:
        assert im.mode in ("RGB", "RGBA")  # no palette: colours are the figure's own
        pixels = np.asarray(im.convert("RGB")).reshape(-1, 3)
    green = np.array(matplotlib.colors.to_rgb("tab:green")) * 255
    assert (np.abs(pixels - green).max(axis=1) <= 1).sum() >= 5  # the minimum marker is drawn in its green


def _tiny_singular_values(res):
    """A JacobianGrid whose min singular values span 0 to 6e-6 with median about 1e-9 (a width-2 model's)."""
    g = res.hidden
    r2 = (g.points**2).sum(-1)
    low = 6e-6 * 10.0 ** (-6.0 * r2 / r2.max())  # 6e-6 at the centre down to 6e-12 in the corners
    low[0, 0] = 0.0
    sv = torch.stack([torch.ones_like(low), low], dim=-1)
    return dataclasses.replace(g, singular_values=sv)


def test_min_singular_value_map_is_logarithmic_with_limits_from_the_data(res):
    from matplotlib.colors import LogNorm

    grid = _tiny_singular_values(res)
    ax = plot_singular_value_map(grid, _axes(), which="min")
    (cs,) = _gid(ax, "singular-value-map")
    values = grid.min_singular_value.numpy()
    positive = values[values > 0]
    assert isinstance(cs.norm, LogNorm)
    assert cs.norm.vmax == pytest.approx(positive.max())
    assert cs.norm.vmin == pytest.approx(np.quantile(positive, 0.02))
    assert cs.norm.vmax < 1e-5  # not a fixed 0..1e-4 scale
    bands = np.unique(np.digitize(values, cs.levels))
    assert len(bands) >= 20  # the map is not one uniform field
    assert cs.colorbar is not None and cs.colorbar.ax.get_yscale() == "log"
    assert cs.extend == "min"  # the zero is below the lower limit, and the colour bar says so


@pytest.mark.parametrize("draw", ["decision_boundary", "level_sets", "min_sv", "gradient_norm", "weight_heatmaps"])
def test_every_map_has_a_colour_bar(res, draw):
    ax = CASES[draw](res, _axes())
    mappables = ax.images + [c for c in ax.collections if getattr(c, "colorbar", None) is not None]
    assert any(getattr(m, "colorbar", None) is not None for m in mappables)


def _overlaps(a, b):
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


@pytest.mark.parametrize("case", ["boundary", "dataset", "sv", "points", "tunnel"])
def test_legends_stay_off_the_data(res, case):
    fig = Figure(figsize=(6.2, 6.4))
    ax = fig.add_subplot()
    if case == "boundary":
        plot_decision_boundary(res.pred, ax, data=res.data, critical_points=CPS, tunnel=_overlay(res, "tunnel"))
    elif case == "dataset":
        plot_dataset(res.data, ax)
    elif case == "sv":
        plot_singular_value_map(res.grad, ax, critical_points=CPS, legend=True)
    elif case == "points":
        plot_critical_points(CPS, ax)
    else:
        plot_tunnel(_overlay(res, "tunnel"), ax)
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from morsenet.plotting import grid_spacing

    grid_spacing(fig, bottom=1.7)

    renderer = FigureCanvasAgg(fig).get_renderer()
    legend = ax.get_legend()
    assert legend is not None
    assert not _overlaps(legend.get_window_extent(renderer), ax.get_window_extent(renderer))


def test_level_sets_are_centred_at_zero_with_the_zero_level_marked():
    pred = prediction_grid(lambda x: 2.0 * _basin(x) + 0.3, TUNNEL_BOX, 41)  # logits from -0.4 to 4.5
    ax = plot_level_sets(pred, _axes())
    (cs,) = _gid(ax, "level-sets")
    (zero,) = _gid(ax, "zero-level")
    z = pred.logits.numpy()
    assert cs.norm.vmin == pytest.approx(-cs.norm.vmax) and cs.norm.vmax == pytest.approx(np.abs(z).max())
    assert 0.0 in list(cs.levels) and list(zero.levels) == [0.0]
    assert z.min() < 0 < z.max()
    mid = cs.cmap(cs.norm(0.0))
    assert np.allclose(mid[:3], matplotlib.colormaps["RdBu_r"](0.5)[:3])  # the centre colour sits at logit 0


def _hand_spectra():
    w1 = torch.tensor([[1.0, -6.18], [0.5, 2.0]])
    w2 = torch.tensor([[0.3, -0.2]])
    return weight_spectra([w1, w2])


def test_weight_heatmaps_fit_their_limits_and_mark_overflow():
    spectra = _hand_spectra()
    ax = plot_weight_heatmaps(spectra, _axes())
    im = _gid_image(ax)
    assert im.get_clim() == pytest.approx((0.0, 6.18))
    assert im.colorbar.extend == "neither"
    assert "input" in ax.get_xlabel() and "output" in ax.get_ylabel()
    ax = plot_weight_heatmaps(spectra, _axes(), vmax=5.0)
    im = _gid_image(ax)
    assert im.get_clim() == (0.0, 5.0) and im.colorbar.extend == "max"
    assert "clipped at 5" in im.colorbar.ax.get_ylabel() and "6.18" in im.colorbar.ax.get_ylabel()
    assert matplotlib.colors.to_hex(im.cmap.get_over()) == matplotlib.colors.to_hex("red")
    ax = plot_weight_heatmaps(spectra, _axes(), signed=True)
    im = _gid_image(ax)
    assert im.get_clim() == pytest.approx((-6.18, 6.18))
    assert np.nanmin(im.get_array()) == pytest.approx(-6.18)  # the signed values, not |W|


def _gid_image(ax):
    (im,) = [i for i in ax.images if i.get_gid() == "weights"]
    return im


def test_layers_are_numbered_from_one_everywhere(res):
    spectra = res.spectra  # layer 1, layer 2, readout
    names = spectra.names
    assert names[0] == "layer 1"
    compact = plot_weight_spectra(spectra, _axes(), compact=True)
    xs = sorted({float(x) for c in compact.collections for x in c.get_offsets()[:, 0]})
    assert xs == [1.0, 2.0, 3.0]
    full = plot_weight_spectra(spectra, _axes())
    assert list(full.get_xticks()) == [1, 2, 3] and [t.get_text() for t in full.get_xticklabels()] == names
    heat = plot_weight_heatmaps(spectra, _axes())
    assert [t.get_text() for t in heat.get_xticklabels()] == names
    grid = plot_snapshots(res.snapshots, pyplot=False)
    sv_axes = [a for a in grid.axes if "weight SVs" in a.get_title()]
    assert sv_axes and all(min(x for c in a.collections for x in c.get_offsets()[:, 0]) == 1.0 for a in sv_axes)


def test_comparison_text_is_readable_at_page_width(res):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.text import Text

    from morsenet.plotting import readable_fontsize

    row = {
        "decision_boundary": (res.pred, {"data": res.data, "colorbar": False, "legend": False}),
        "level_sets": res.pred,
        "max_singular_value": res.grad,
        "min_singular_value": res.hidden,
        "weight_spectra": (res.spectra, {"compact": True}),
    }
    fig = plot_comparison({"a": row, "b": row}, list(row), panel_size=(3.9, 3.3), pyplot=False)
    FigureCanvasAgg(fig).draw()
    width = fig.get_size_inches()[0]
    floor = readable_fontsize(width)
    assert floor * (1200 / (width * 72)) >= 9 - 1e-9  # 9 px high when the page shows it 1200 px wide
    sizes = [t.get_fontsize() for t in fig.findobj(Text) if t.get_text() and t.get_visible()]
    assert sizes and min(sizes) >= floor


def test_training_gif_is_large_with_colour_bar_and_tunnel_outline(res, tmp_path):
    from PIL import Image

    tunnel = _overlay(res, "tunnel")
    mask = (res.pred.points.norm(dim=-1) < 0.6).numpy()  # a disk: its outline must show
    path = animate_snapshots(
        res.snapshots, tmp_path / "evo.gif", data=res.data, tunnel=tunnel, outlines=[("tunnel", mask), None]
    )
    with Image.open(path) as im:
        assert im.size[0] >= 1000 and im.size[1] >= 450
        frame = np.asarray(im.convert("RGB")).reshape(-1, 3).astype(float)
    magenta = np.array([255.0, 0.0, 255.0])
    assert (np.abs(frame - magenta).max(axis=1) < 40).sum() > 20  # the outline is drawn on the first frame
    with pytest.raises(ValueError, match="outlines"):
        animate_snapshots(res.snapshots, tmp_path / "x.gif", outlines=[None])


def test_gif_frames_carry_a_colour_bar(res):
    from morsenet.plotting._figures import _draw_snapshot

    fig = Figure(figsize=(8, 4))
    a, b = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    _draw_snapshot(res.snapshots[0], a, b, data=res.data, sv_top=None, colorbar=True)
    assert a.images[0].colorbar is not None


def test_surface_has_no_seams(res):
    ax = plot_surface(res.pred, _axes("3d"), max_cells=10)
    (surf,) = [c for c in ax.collections if c.get_gid() == "surface"]
    assert not surf.get_antialiased() if np.ndim(surf.get_antialiased()) == 0 else not any(surf.get_antialiased())
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(ax.figure).draw()
    assert len(surf.get_paths()) == 10 * 10  # thinned to 11 nodes per axis: 10 x 10 facets, both ends kept
    faces, edges = surf.get_facecolor(), surf.get_edgecolor()
    assert len(faces) == len(edges) == 100 and np.allclose(faces, edges)  # edges in the facet's own colour
    assert surf.get_linewidth()[0] > 0


def test_an_undecided_tunnel_test_is_outlined_in_grey(res):
    if not hasattr(res.bounded, "verdict"):
        pytest.skip("this analysis version has no undecided tunnel verdict")
    undecided = dataclasses.replace(res.bounded, verdict="undecided")
    assert undecided.status == "undecided"
    ax = plot_tunnel(undecided, _axes())
    (outline,) = _gid(ax, "undecided-outline")
    assert matplotlib.colors.to_hex(outline.get_edgecolor()[0]) == matplotlib.colors.to_hex("0.45")
    assert not _gid(ax, "bounded-outline") and not _gid(ax, "tunnel-outline")
    assert "undecided" in " ".join(t.get_text() for t in ax.get_legend().get_texts())


def test_certificates_are_drawn_and_undecided_is_never_bounded(res):
    """The tunnel's certificate is the checked path to the edge; the bounded one a closed curve around the disk;
    an undecided test shows its reason, in grey, without a certificate."""
    t, b = res.tunnel, res.bounded
    assert t.status == "tunnel" and t.certificate_kind == "path" and b.status == "bounded"
    ax = plot_tunnel(t, _axes(), legend=False)
    (path,) = _gid(ax, "tunnel-certificate")
    xy = path.get_xydata()
    assert np.allclose(xy, t.certificate)  # drawn as computed
    (x0, x1), (y0, y1) = TUNNEL_BOX
    end = xy[-1]  # a path from the centre to the box edge
    assert np.hypot(*xy[0]) < 0.3 and min(end[0] - x0, x1 - end[0], end[1] - y0, y1 - end[1]) < 0.1
    ax = plot_tunnel(b, _axes(), legend=False)
    (curve,) = _gid(ax, "bounded-certificate")
    xy = curve.get_xydata()
    assert np.allclose(xy[0], xy[-1]) and len(xy) == len(b.certificate) + (not np.allclose(*b.certificate[[0, -1]]))
    r = np.hypot(*xy.T)
    assert r.min() > 0.3 and r.max() < 1.5 and not _gid(ax, "tunnel-certificate")  # around the disk
    undecided = dataclasses.replace(
        b, verdict="undecided", certificate=None, certificate_kind=None, undecided_reason="no certificate either way"
    )
    ax = plot_tunnel(undecided, _axes())
    labels = [x.get_text() for x in ax.get_legend().get_texts()]
    assert "class-0 region around the disk: undecided (no certificate either way)" in labels
    assert _gid(ax, "undecided-outline") and not _gid(ax, "bounded-outline") and not _gid(ax, "bounded-certificate")


def test_escape_and_layer_maps_are_exported():
    import morsenet.plotting as P
    from morsenet.analysis import escape_analysis

    for name in ("plot_escape", "plot_layer_map", "plot_layer_maps", "plot_lyapunov_map", "plot_lyapunov_maps"):
        assert name in P.__all__ and callable(getattr(P, name))
    esc = escape_analysis(lambda x: (x**2).sum(1), (0.0, 0.0), box_radius=1.0, doublings=1, n_radii=8, n_angles=32)
    ax = P.plot_escape(esc, _axes())
    assert [a.get_gid() for a in ax.lines if a.get_gid() == "escape-nearest"]  # the minimum at the centre
