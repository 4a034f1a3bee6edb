"""Draw the report's neural-ODE flow figures of one model: trajectories of the test points through the flow (2-D
or 3-D state space), their GIF, and the sub-interval flow-Jacobian singular-value maps (computed in
`report/_flow_data.py`)."""

from __future__ import annotations

import math

from .. import plotting as P
from ._analyze import ModelAnalysis
from ._writer import FigureFile, FigureWriter, new_figure

__all__ = ["flow_figures"]


def flow_figures(a: ModelAnalysis, w: FigureWriter) -> None:
    """The flow figures of a neural ODE (nothing for other models, or when the flow analysis failed)."""
    f = a.flow
    if f is None:
        return
    traj = f.trajectories
    spec = a.model.spec
    solver = getattr(spec, "solver", "rk4")
    lift = "zero-padded" if getattr(spec, "augmentation", "lift") == "zero" else "lifted"
    coloured = "coloured by class (blue 0, orange 1)" if f.labels is not None else "in grey"
    shown = "" if traj.dim <= 3 else f" (the first 3 of the {traj.dim} state coordinates)"
    what = (
        f"{traj.n_points} test points carried through the flow of the neural ODE over [0, {traj.T:g}] ({solver}), "
        f"{coloured}: grey dots the {lift} start, coloured dots the end state{shown}"
    )
    projection = "3d" if traj.dim >= 3 else None
    w.panels(
        "flow_trajectories",
        "Flow trajectories",
        f"Trajectories in state space: {what}.",
        (6.0, 5.2),
        [lambda ax: P.plot_trajectories(traj, ax, data=f.labels)],
        projections=[projection],
        bottom=0.9,
    )
    frames = 12 if f.quick else 30
    gif = P.animate_trajectories(traj, w.folder / "flow_trajectories.gif", data=f.labels, frames=frames)
    w.out.append(
        FigureFile(
            "flow_trajectories_gif",
            "Flow trajectories (animation)",
            f"The same points moving along the flow, {min(frames, len(traj.times))} frames at evenly spaced "
            "times, fixed axes.",
            gif,
            (gif,),
        )
    )
    m = f.maps
    if m is None:
        return
    n = len(m.intervals)
    fig = new_figure((3.3 * n + 1.2, 6.0))
    fig.subplots_adjust(left=0.06, right=0.9, bottom=0.1, top=0.9, wspace=0.45, hspace=0.45)  # before the panels
    P.plot_flow_jacobian_maps(m, fig)
    units = traj.T >= 2
    total = int(math.floor(traj.T + 1e-12)) if units else int(getattr(spec, "pieces", n))
    unit = "unit sub-intervals [k, k+1]" if units else "constant-weight pieces (T < 2)"
    if n < total:
        unit += f" ({n} of the {total}, evenly spaced, the first and the last included: the cap of this report)"
    w.figure(
        "flow_jacobian_maps",
        "Flow Jacobian over sub-intervals",
        f"Smallest (top) and largest (bottom) singular value of the Jacobian of the flow φ over {n} "
        f"{unit}, evaluated where each input point x is at the interval's start (φ over [a, b] at h_a(x)), "
        "over the input box; one logarithmic scale per row, σ = 1 contoured in white (σ < 1 contracts, > 1 "
        "stretches). The flow of an ODE is a diffeomorphism: the smallest σ stays positive, so no sub-interval "
        "creates a critical point.",
        fig,
    )
