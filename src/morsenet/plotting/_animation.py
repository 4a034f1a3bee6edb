"""Animated GIFs of the report: one writer for every animation, and the training-evolution animation, whose
frame is drawn once and then only what changes per epoch."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ._figures import _draw_snapshot, _sv_top, grid_spacing
from ._style import to_numpy


def gif_frame(canvas: Any) -> Any:
    """The drawn Agg `canvas` as one GIF frame: a palette image of its RGB pixels (255 adaptive colours)."""
    from PIL import Image

    rgb = Image.fromarray(np.asarray(canvas.buffer_rgba())[..., :3])
    return rgb.convert("P", palette=Image.Palette.ADAPTIVE, colors=255)


def write_gif(frames: Sequence[Any], path: str | Path, duration_ms: int) -> Path:
    """Write `frames` (from `gif_frame`) as a looping GIF, `duration_ms` per frame; returns the path."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    frames[0].save(out, save_all=True, append_images=list(frames[1:]), duration=duration_ms, loop=0, optimize=False)
    return out


def _one_map_grid(snapshots: Sequence[Any]) -> bool:
    """Whether every snapshot is a classifier's 2-D probability map on the same grid, with spectra of the same
    layers: the frames then share one figure whose artists change data (the colour scale is fixed at 0..1)."""
    preds = [s.prediction for s in snapshots]
    if any(p is None or hasattr(p, "derivative") or getattr(p, "probabilities", None) is None for p in preds):
        return False
    first = preds[0]
    same_grid = all(
        tuple(p.values.shape) == tuple(first.values.shape)
        and tuple(p.box) == tuple(first.box)
        and bool((p.xs == first.xs).all())
        and bool((p.ys == first.ys).all())
        for p in preds
    )
    layers = len(snapshots[0].spectra.layers)
    return same_grid and all(len(s.spectra.layers) == layers for s in snapshots)


class _SnapshotFrame:
    """The GIF frame of `animate_snapshots` (decision map with its colour bar | weight spectra), laid out and
    drawn once: `render` moves it to a snapshot by changing only what differs between epochs (the map's image,
    its 0.5 contour, the class-0 outline, the spectra's points, the titles) and redraws just those artists (with
    the test points, the ring and the map's frame that lie over the map) onto the saved rest of the figure, so
    axes, ticks, labels and the colour bar are made, laid out and drawn once for all frames."""

    def __init__(self, fig: Any, snapshot: Any, *, data: Any, sv_top: float, tunnel: Any) -> None:
        from ._marks import plot_ring

        self.fig = fig
        self.ax_pred, self.ax_sv = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
        _draw_snapshot(snapshot, self.ax_pred, self.ax_sv, data=data, sv_top=sv_top, colorbar=True)
        if tunnel is not None:
            plot_ring(self.ax_pred, tunnel.center, tunnel.ring, tunnel.inner_radius, labels=False)
        self.image = self.ax_pred.images[0]
        self.contour = next((c for c in self.ax_pred.collections if c.get_gid() == "decision-contour"), None)
        self.points = list(self.ax_sv.collections)
        self.outline: Any = None
        self.shown = snapshot
        self.background: Any = None
        ax = self.ax_pred  # everything over the map moves with it or lies on it; the spectra's points and titles
        moving = [*ax.images, *ax.collections, *ax.lines, ax.title, *ax.spines.values(), self.ax_sv.title, *self.points]
        for artist in moving:
            artist.set_animated(True)

    def _update(self, snapshot: Any, outline: tuple[str, Any] | None) -> None:
        from ._maps import decision_contour
        from ._marks import plot_region_outline
        from ._weights import spectra_points

        pred = snapshot.prediction
        new: list[Any] = []
        if snapshot is not self.shown:
            values = to_numpy(pred.values)
            self.image.set_data(values)
            if self.contour is not None:
                self.contour.remove()
            self.contour = decision_contour(self.ax_pred, pred, values)
            self.ax_pred.title.set_text(f"epoch {snapshot.epoch}")
            for c in self.points:
                c.remove()
            legend = self.ax_sv.get_legend()
            if legend is not None:
                legend.remove()
            self.points, collapsed, _ = spectra_points(self.ax_sv, snapshot.spectra, log=True)
            new += [self.contour, *self.points, self.ax_sv.legend(fontsize=7) if collapsed else None]
            self.ax_sv.title.set_text(f"weight SVs, epoch {snapshot.epoch}")
            self.shown = snapshot
        if self.outline is not None:
            self.outline.remove()
        self.outline = None
        if outline is not None:
            status, mask = outline
            self.outline = plot_region_outline(self.ax_pred, pred.xs, pred.ys, mask, status)
        for artist in [*new, self.outline, self.ax_sv.get_legend()]:
            if artist is not None:
                artist.set_animated(True)

    def render(self, canvas: Any, snapshot: Any, outline: tuple[str, Any] | None) -> None:
        """Draw the frame of `snapshot` (with the class-0 `outline` (status, mask), or none) on `canvas`."""
        self._update(snapshot, outline)
        if self.background is None:
            canvas.draw()  # everything but the moving artists, once
            self.background = canvas.copy_from_bbox(self.fig.bbox)
        else:
            canvas.restore_region(self.background)
        renderer = canvas.get_renderer()
        for ax in (self.ax_pred, self.ax_sv):  # in the order `Axes.draw` uses: by zorder, then as added
            for artist in sorted((a for a in ax.get_children() if a.get_animated()), key=lambda a: a.get_zorder()):
                if artist.get_visible():
                    artist.draw(renderer)


def animate_snapshots(
    snapshots: Sequence[Any],
    path: str | Path,
    *,
    data: Any = None,
    dpi: int = 100,
    duration_ms: int = 600,
    tunnel: Any = None,
    outlines: Sequence[tuple[str, Any] | None] | None = None,
) -> Path:
    """Write an animated GIF (via Pillow): one frame per snapshot, boundary (with its colour bar) and weight
    spectra side by side, 1100x480 pixels at the default dpi.

    Args:
        snapshots: `TrainingSnapshot`s.
        data: `Dataset` whose test points are drawn on each boundary.
        tunnel: a `TunnelAnalysis` whose ring and disk (dashed and dotted circles) are drawn on every frame.
        outlines: per snapshot, None or (status, mask): the class-0 region around the disk at that epoch as a
            boolean mask on the snapshot's prediction grid, outlined in magenta ("tunnel") or lime ("bounded").

    Classifier maps on one grid (the report's snapshots) share one figure: it is laid out once and each frame
    changes only what differs between epochs; other snapshots (curves, regression maps) get a figure per frame.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from ._marks import plot_region_outline, plot_ring

    if not snapshots:
        raise ValueError("no snapshots to animate")
    if outlines is not None and len(outlines) != len(snapshots):
        raise ValueError(f"{len(outlines)} outlines for {len(snapshots)} snapshots")
    top = _sv_top(snapshots)
    frames = []
    if _one_map_grid(snapshots):
        fig = Figure(figsize=(11.0, 4.8), dpi=dpi)
        canvas = FigureCanvasAgg(fig)
        frame = _SnapshotFrame(fig, snapshots[0], data=data, sv_top=top, tunnel=tunnel)
        grid_spacing(fig, wspace=0.35, right=0.3)
        for k, snap in enumerate(snapshots):
            frame.render(canvas, snap, None if outlines is None else outlines[k])
            frames.append(gif_frame(canvas))
        return write_gif(frames, path, duration_ms)
    for k, snap in enumerate(snapshots):
        fig = Figure(figsize=(11.0, 4.8), dpi=dpi)
        canvas = FigureCanvasAgg(fig)
        ax_pred, ax_sv = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
        _draw_snapshot(snap, ax_pred, ax_sv, data=data, sv_top=top, colorbar=True)
        pred = snap.prediction
        if pred is not None and not hasattr(pred, "derivative"):
            if tunnel is not None:
                plot_ring(ax_pred, tunnel.center, tunnel.ring, tunnel.inner_radius, labels=False)
            outline = None if outlines is None else outlines[k]
            if outline is not None:
                plot_region_outline(ax_pred, pred.xs, pred.ys, outline[1], outline[0])
        grid_spacing(fig, wspace=0.35, right=0.3)
        canvas.draw()
        frames.append(gif_frame(canvas))
    return write_gif(frames, path, duration_ms)
