"""The cheaper drawing paths of `morsenet.plotting` draw what the plain paths draw: the training GIF's shared frame
against a figure drawn from scratch per frame, the trimmed tick locators against the untrimmed ones, the plain-text
log labels against matplotlib's mathtext ones, and the surface's colour array against `facecolors=`."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import LogFormatterSciNotation  # noqa: E402
from PIL import Image  # noqa: E402

from morsenet import get_dataset  # noqa: E402
from morsenet.analysis import TrainingSnapshot, prediction_grid, weight_spectra  # noqa: E402
from morsenet.models import build_model  # noqa: E402
from morsenet.plotting import animate_snapshots, enlarge_text, plot_surface  # noqa: E402
from morsenet.plotting._animation import gif_frame  # noqa: E402
from morsenet.plotting._figures import _draw_snapshot, _sv_top, grid_spacing  # noqa: E402
from morsenet.plotting._marks import plot_region_outline  # noqa: E402
from morsenet.plotting._style import lighten_log_axis, plain_log_text, trim_ticks  # noqa: E402


@pytest.fixture(scope="module")
def snaps():
    """Three snapshots of different models on one grid (so every frame differs), and the data."""
    data = get_dataset("circles", n_samples=120, seed=0)
    box = data.box(0.2)
    out = []
    for epoch, seed in ((1, 0), (5, 1), (10, 2)):
        with torch.random.fork_rng(devices=[]):
            model = build_model({"kind": "mlp", "widths": [2, 4, 4, 1]}, seed=seed).eval()
        out.append(TrainingSnapshot(epoch, prediction_grid(model, box, 24), weight_spectra(model)))
    return out, data


def _frames(path):
    with Image.open(path) as im:
        frames = []
        for k in range(im.n_frames):
            im.seek(k)
            frames.append(np.asarray(im.convert("RGB")).astype(int))
        return frames, im.size


def _reference_frame(snap, data, top, outline):
    """The frame as the plain path draws it: a new figure per snapshot, drawn in full."""
    fig = Figure(figsize=(11.0, 4.8), dpi=100)
    canvas = FigureCanvasAgg(fig)
    ax_pred, ax_sv = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    _draw_snapshot(snap, ax_pred, ax_sv, data=data, sv_top=top, colorbar=True)
    if outline is not None:
        plot_region_outline(ax_pred, snap.prediction.xs, snap.prediction.ys, outline[1], outline[0])
    grid_spacing(fig, wspace=0.35, right=0.3)
    canvas.draw()
    return np.asarray(gif_frame(canvas).convert("RGB")).astype(int)


def test_the_gif_has_one_frame_per_snapshot_each_as_drawn_from_scratch(snaps, tmp_path):
    snapshots, data = snaps
    pred = snapshots[0].prediction
    disk = (pred.points.norm(dim=-1) < 0.5).numpy()
    outlines = [("tunnel", disk), None, ("bounded", disk)]
    path = animate_snapshots(snapshots, tmp_path / "evo.gif", data=data, outlines=outlines)
    frames, size = _frames(path)
    assert len(frames) == len(snapshots) and size == (1100, 480)
    for a, b in zip(frames, frames[1:]):
        assert (np.abs(a - b).max(axis=-1) > 40).sum() > 1000  # each epoch's frame shows its own map
    top = _sv_top(snapshots)
    for frame, snap, outline in zip(frames, snapshots, outlines):
        ref = _reference_frame(snap, data, top, outline)
        far = np.abs(frame - ref).max(axis=-1) > 40
        # the same picture; a few pixels differ where the spectra's points lie over grid lines (drawn after them)
        # and where the two frames' 255-colour palettes differ
        assert far.mean() < 0.003, far.sum()
        assert np.abs(frame - ref).mean() < 1.0
    magenta = np.array([255, 0, 255])
    lime = np.array([0, 255, 0])
    assert (np.abs(frames[0] - magenta).max(axis=-1) < 40).sum() > 50  # the outline of frame 1 only
    assert (np.abs(frames[1] - magenta).max(axis=-1) < 40).sum() == 0
    assert (np.abs(frames[2] - lime).max(axis=-1) < 40).sum() > 50


def test_trimmed_locators_draw_the_same_ticks_with_fewer_tick_objects():
    def figure(trim):
        fig = Figure(figsize=(6, 3))
        a, b = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
        a.plot([0.13, 2.71], [-1.3, 1.2])
        b.semilogy([1, 2, 3], [2e-4, 3e-2, 7.0])
        b.set_xticks([1, 2, 3], ["one", "two", "three"])  # fixed ticks and labels are left as they are
        if trim:
            trim_ticks(fig)
        canvas = FigureCanvasAgg(fig)
        canvas.draw()
        return fig, np.asarray(canvas.buffer_rgba()).copy()

    plain, plain_px = figure(False)
    trimmed, trimmed_px = figure(True)
    assert np.array_equal(plain_px, trimmed_px)
    count = lambda fig: sum(len(x.majorTicks) + len(x.minorTicks) for ax in fig.axes for x in (ax.xaxis, ax.yaxis))  # noqa: E731
    assert count(trimmed) < count(plain)
    assert [t.get_text() for t in trimmed.axes[1].get_xticklabels()] == ["one", "two", "three"]


@pytest.mark.parametrize(
    ("label", "text"),
    [
        ("$\\mathdefault{10^{-2}}$", "10⁻²"),
        ("$\\mathdefault{10^{13}}$", "10¹³"),
        ("$\\mathdefault{2\\times10^{-3}}$", "2×10⁻³"),
        ("$\\mathdefault{1}$", "1"),
        ("$\\mathdefault{-10^{3}}$", "−10³"),
        ("", ""),
        ("plain", "plain"),
    ],
)
def test_log_labels_as_plain_text(label, text):
    assert plain_log_text(label) == text


def test_a_light_log_axis_labels_the_same_ticks_and_drops_minor_ticks_over_wide_ranges():
    for lo, hi, minors in ((1e-6, 10.0, False), (0.2, 0.9, True)):
        fig = Figure(figsize=(4, 3))
        ax = fig.add_subplot()
        ax.semilogy([0, 1], [lo, hi])
        ax.set_ylim(lo, hi)
        FigureCanvasAgg(fig).draw()
        default = [t.get_text() for t in ax.yaxis.get_ticklabels(which="both")]
        lighten_log_axis(ax.yaxis)
        FigureCanvasAgg(fig).draw()
        light = [t.get_text() for t in ax.yaxis.get_ticklabels(which="both")]
        assert all("$" not in t for t in light)
        assert bool(len(ax.yaxis.get_minorticklocs())) == minors
        if minors:  # under a decade matplotlib labels the minor ticks: the same labels, as plain text
            assert light == [plain_log_text(t) for t in default]
        else:
            major = [plain_log_text(LogFormatterSciNotation()(v)) for v in ax.yaxis.get_majorticklocs()]
            assert [t for t in light if t] == [t for t in major if t]


def test_enlarge_text_reaches_every_text_without_making_the_ticks():
    fig = Figure(figsize=(6, 3))
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1])
    ax.set_title("title", fontsize=6)
    ax.set_xlabel("x", fontsize=5)
    ax.legend(["line"], fontsize=4)
    enlarge_text(fig, 11.0)
    assert len(ax.xaxis.majorTicks) == 1  # only the axis's first tick, which every later tick copies
    FigureCanvasAgg(fig).draw()
    sizes = [t.get_fontsize() for t in fig.findobj(matplotlib.text.Text) if t.get_text() and t.get_visible()]
    assert len(sizes) > 5 and min(sizes) >= 11.0


def test_the_surface_draws_as_with_facecolors(snaps):
    """The facets' colours set as one array draw the surface `plot_surface(facecolors=...)` draws (the first
    corner's colour on each facet, edges alike)."""
    from morsenet.plotting import probability_cmap

    pred = snaps[0][0].prediction
    fig = Figure(figsize=(4, 4))
    ax = plot_surface(pred, fig.add_subplot(projection="3d"), max_cells=12)
    ref_fig = Figure(figsize=(4, 4))
    ref = ref_fig.add_subplot(projection="3d")
    z = pred.values.double().numpy()
    idx = np.unique(np.linspace(0, len(pred.xs) - 1, 13).round().astype(int))
    xx, yy = np.meshgrid(pred.xs.double().numpy()[idx], pred.ys.double().numpy()[idx])
    fc = probability_cmap()(z[np.ix_(idx, idx)])
    surf = ref.plot_surface(xx, yy, z[np.ix_(idx, idx)], facecolors=fc, rstride=1, cstride=1, linewidth=0.3,
                            antialiased=False, shade=False)  # fmt: skip
    surf.set_edgecolor(fc[:-1, :-1].reshape(-1, 4))
    ref.set_zlim(0.0, 1.0)
    ref.set_xlabel("$x_1$")
    ref.set_ylabel("$x_2$")
    ref.set_zlabel("probability")
    ref.set_title("prediction surface", y=1.0)
    drawn = []
    for f in (fig, ref_fig):
        canvas = FigureCanvasAgg(f)
        canvas.draw()
        drawn.append(np.asarray(canvas.buffer_rgba()).copy())
    assert np.array_equal(drawn[0], drawn[1])
    assert len(ax.collections[0].get_paths()) == 12 * 12
