"""A 3-D model's figures: the decision surface with the test points, and the slices through the centre."""

from __future__ import annotations

from .. import plotting as P
from ..analysis import Tunnel3D
from ._analyze import ModelAnalysis
from ._writer import FigureWriter, new_figure

__all__ = ["three_d_figures", "tunnel_3d_caption"]


def tunnel_3d_caption(t: Tunnel3D | None) -> str:
    """The 3-D tunnel verdict as a caption sentence ("" without a test)."""
    if t is None:
        return ""
    fractions = []
    if t.ball_fraction_class0 is not None:
        fractions.append(f"ball classified 0: {t.ball_fraction_class0:.0%}")
    if t.shell_fraction_class0 is not None:
        fractions.append(f"shell classified 0: {t.shell_fraction_class0:.0%}")
    nx, ny, nz = t.resolution
    grid = f"on a {nx}x{ny}x{nz} grid, "
    return f" 3-D tunnel test ({grid}{'; '.join(fractions) or 'no grid node in the ball or the shell'}): {t.summary()}."


def three_d_figures(a: ModelAnalysis, w: FigureWriter) -> None:
    """ "Decision surface (3-D)" and "Slices through the centre" for a model with `a.three_d` (3-D inputs)."""
    v = a.three_d
    if v is None:
        return
    t = v.tunnel
    path = t is not None and t.certificate is not None and t.certificate.kind == "path"
    shape = "x".join(str(n) for n in v.grid.shape)
    marked = " and the tunnel certificate, a checked class-0 path to the box's surface, in magenta" if path else ""
    w.panels(
        "decision_surface_3d",
        "Decision surface (3-D)",
        f"The probability-0.5 isosurface of the model (marching cubes on a {shape} grid over the analysis box), "
        f"with the test points by class (blue 0, orange 1){marked}." + tunnel_3d_caption(t),
        (6.2, 5.8),
        [lambda ax: P.plot_decision_isosurface(v.grid, ax, data=a.data, tunnel=t)],
        projections=["3d"],
    )
    fig = new_figure((12.0, 7.2))
    axes = [fig.add_subplot(2, 3, k + 1) for k in range(6)]
    P.plot_axis_slices(v.slices, axes, data=a.data)
    P.grid_spacing(fig, left=0.7, right=0.3, bottom=0.6, wspace=0.45, hspace=0.45)
    c = ", ".join(f"{x:.3g}" for x in v.slices.center)
    w.figure(
        "slices_3d",
        "Slices through the centre",
        f"The planes x1 = {v.slices.center[0]:.3g}, x2 = {v.slices.center[1]:.3g} and x3 = {v.slices.center[2]:.3g} "
        f"through ({c}). Top: probability of class 1 (blue 0, white 0.5, orange 1) with its 0.5 contour in black "
        "and the test points within 5% of the box's side from the plane. Bottom: the norm of the logit's gradient "
        "(all three components; one logarithmic colour scale for the three slices, 2% quantile to maximum) with "
        "the 0.5 contour in white." + tunnel_3d_caption(t),
        fig,
    )
