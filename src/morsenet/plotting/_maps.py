"""Maps over the plane: decision boundary, level sets, singular-value maps, 3-D surface, critical points."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from ._style import (
    BOUNDED_COLOR,
    CLASS_COLORS,
    KIND_LABELS,
    KIND_MARKERS,
    RING_COLOR,
    TUNNEL_COLOR,
    extent,
    field,
    new_axes,
    probability_cmap,
    set_title,
    to_numpy,
)


def _scatter_points(ax: Any, data: Any, which: str) -> None:
    if data is None or which == "none" or data.input_dim != 2:
        return
    x, y = (data.x_test, data.y_test) if which == "test" else (data.x_train, data.y_train)
    x, y = to_numpy(x), to_numpy(y)
    colors = np.where(y > 0.5, CLASS_COLORS[1], CLASS_COLORS[0])
    ax.scatter(x[:, 0], x[:, 1], s=14, c=colors, edgecolors="black", linewidths=0.4, alpha=0.9)


def plot_decision_boundary(
    prediction: Any,
    ax: Any = None,
    *,
    data: Any = None,
    points: str = "test",
    critical_points: Iterable[Any] | None = None,
    tunnel: Any = None,
    colorbar: bool = True,
    legend: bool = True,
    title: str | None = None,
) -> Any:
    """Probability heat map (blue 0, white 0.5, orange 1) with the 0.5 contour and the data's points.

    Args:
        prediction: a `PredictionGrid` (classification).
        ax: Axes to draw on; a new figure if None.
        data: a `Dataset` whose `points` ("test", "train" or "none") are scattered on top.
        critical_points: optional points (objects or dicts with `location` and `kind`) to mark.
        tunnel: optional tunnel highlight (see `plot_tunnel`): the ring, and the class-0 component around the
            disk outlined as a tunnel or as a closed (bounded) region.
        legend: one legend for the critical points and the tunnel highlight.
    """
    ax = new_axes(ax)
    values = to_numpy(prediction.values)
    classify = prediction.probabilities is not None
    im = ax.imshow(
        values,
        origin="lower",
        extent=extent(prediction.xs, prediction.ys),
        aspect="auto",
        cmap=probability_cmap() if classify else "viridis",
        vmin=0 if classify else None,
        vmax=1 if classify else None,
        interpolation="bilinear",
        alpha=0.9,
    )
    if classify and values.min() < 0.5 < values.max():
        ax.contour(
            to_numpy(prediction.xs), to_numpy(prediction.ys), values, levels=[0.5], colors="black", linewidths=1.2
        )
    _scatter_points(ax, data, points)
    if tunnel is not None:
        plot_tunnel(tunnel, ax, legend=False)
    if critical_points is not None:
        plot_critical_points(critical_points, ax, legend=False)
    if legend and (tunnel is not None or critical_points is not None):
        handles, labels = ax.get_legend_handles_labels()
        if handles:
            ax.legend(handles, labels, fontsize=6.5, loc="upper right", framealpha=0.85)
    if colorbar:
        ax.figure.colorbar(im, ax=ax, label="probability of class 1" if classify else "prediction")
    (x0, x1), (y0, y1) = prediction.box
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    set_title(ax, title or "decision boundary")
    return ax


def plot_level_sets(
    prediction: Any, ax: Any = None, *, levels: int = 20, data: Any = None, title: str | None = None
) -> Any:
    """Contour lines of the logit (the function the theorems are about), the zero level in black."""
    ax = new_axes(ax)
    xs, ys, z = to_numpy(prediction.xs), to_numpy(prediction.ys), to_numpy(prediction.logits)
    cs = ax.contour(xs, ys, z, levels=levels, cmap="coolwarm", linewidths=0.9)
    ax.figure.colorbar(cs, ax=ax, label="logit" if prediction.probabilities is not None else "output")
    if prediction.probabilities is not None and z.min() < 0 < z.max():
        ax.contour(xs, ys, z, levels=[0.0], colors="black", linewidths=1.6)
    _scatter_points(ax, data, "test")
    ax.set_aspect("equal")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    set_title(ax, title or "level sets of the logit")
    return ax


def log_levels(values: np.ndarray, n: int = 50, eps: float = 1e-4) -> np.ndarray:
    """The prototype's levels: geomspace(eps, max + eps, n) - eps, dense near zero where singular points live."""
    top = float(np.nanmax(values)) if np.isfinite(values).any() else 0.0
    top = max(top, eps)
    return np.geomspace(eps, top + eps, n) - eps


def plot_singular_value_map(
    jacobians: Any,
    ax: Any = None,
    *,
    which: str = "min",
    n_levels: int = 50,
    eps: float = 1e-4,
    colorbar: bool = True,
    critical_points: Iterable[Any] | None = None,
    legend: bool = False,
    title: str | None = None,
) -> Any:
    """Filled contours of the min or max singular value of a `JacobianGrid`, with logarithmic levels.

    Args:
        jacobians: a `JacobianGrid`.
        which: "min" or "max".
        n_levels: number of levels, `geomspace(eps, max + eps, n_levels) - eps`.
        critical_points: optional points (objects or dicts with `location` and `kind`) to mark by kind.
        legend: a legend of the critical-point kinds.
    """
    from matplotlib.colors import BoundaryNorm

    if which not in ("min", "max"):
        raise ValueError(f"`which` must be 'min' or 'max', got {which!r}")
    ax = new_axes(ax)
    sv = jacobians.min_singular_value if which == "min" else jacobians.max_singular_value
    single = jacobians.singular_values.shape[-1] == 1  # scalar output: min = max = gradient norm
    values = to_numpy(sv)
    levels = log_levels(values, n_levels, eps)
    cs = ax.contourf(
        to_numpy(jacobians.xs),
        to_numpy(jacobians.ys),
        values,
        levels=levels,
        cmap="viridis",
        norm=BoundaryNorm(levels, ncolors=256),
        extend="max",
    )
    if colorbar:
        label = "|grad f|" if single else f"{which} singular value"
        cb = ax.figure.colorbar(cs, ax=ax, label=label, format="%.2g")
        cb.set_ticks(levels[np.unique(np.linspace(0, len(levels) - 1, 6).round().astype(int))])
    if critical_points is not None:
        plot_critical_points(critical_points, ax, legend=legend, size=55)
    ax.set_aspect("equal")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    what = "output" if jacobians.layer is None else f"layer {jacobians.layer}"
    set_title(ax, title or (f"gradient norm ({what})" if single else f"{which} singular value ({what})"))
    return ax


def plot_surface(
    prediction: Any, ax: Any = None, *, data: Any = None, max_cells: int = 60, title: str | None = None
) -> Any:
    """3-D surface of the prediction (probability or output) over the grid; `ax` must be a 3-D Axes."""
    ax = new_axes(ax, projection="3d", figsize=(6, 5))
    xs, ys, z = to_numpy(prediction.xs), to_numpy(prediction.ys), to_numpy(prediction.values)
    xx, yy = np.meshgrid(xs, ys)
    classify = prediction.probabilities is not None
    ax.plot_surface(
        xx,
        yy,
        z,
        cmap=probability_cmap() if classify else "viridis",
        vmin=0 if classify else None,
        vmax=1 if classify else None,
        rcount=max_cells,
        ccount=max_cells,
        linewidth=0,
        antialiased=True,
        shade=False,
    )
    if data is not None and data.input_dim == 2 and classify:
        x, y = to_numpy(data.x_test), to_numpy(data.y_test)
        # scatter at the height of the nearest grid cell: the plot never evaluates the model
        i = np.clip(np.searchsorted(xs, x[:, 0]), 0, len(xs) - 1)
        j = np.clip(np.searchsorted(ys, x[:, 1]), 0, len(ys) - 1)
        ax.scatter(
            x[:, 0],
            x[:, 1],
            z[j, i],
            c=np.where(y > 0.5, CLASS_COLORS[1], CLASS_COLORS[0]),
            s=6,
            edgecolors="black",
            linewidths=0.2,
        )
    # A fixed z range: a nearly flat surface would otherwise get a degenerate (overflowing) projection.
    lo, hi = (0.0, 1.0) if classify else (float(np.nanmin(z)), float(np.nanmax(z)))
    pad = max(1e-3, 0.05 * (hi - lo))
    ax.set_zlim(lo - (pad if not classify else 0), hi + (pad if not classify else 0))
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_zlabel("probability" if classify else "prediction")
    set_title(ax, title or "prediction surface")
    return ax


def _kind_key(point: Any) -> str:
    kind = str(field(point, "kind", "degenerate"))
    if kind == "degenerate" and bool(field(point, "continuum", False)):
        return "continuum"
    return kind


def _continuum_segment(point: Any, loc: np.ndarray, ax: Any) -> np.ndarray | None:
    """(2, 2) ends of a continuum: its first and last members, else a short piece along its null direction."""
    members = field(point, "members")
    if members is not None:
        m = to_numpy(members).reshape(-1, loc.size)
        if len(m) >= 2:
            return m[[0, -1], :2]
    ext = field(point, "extent")
    if isinstance(ext, dict) and ext.get("first") is not None and ext.get("last") is not None:
        return np.array([to_numpy(ext["first"]).reshape(-1)[:2], to_numpy(ext["last"]).reshape(-1)[:2]])
    null = field(point, "null_directions")
    if null is not None:
        d = to_numpy(null).reshape(-1, loc.size)
        if len(d) and d.shape[1] >= 2 and np.isfinite(d[0, :2]).all():
            x0, x1 = ax.get_xlim()
            half = 0.06 * abs(x1 - x0) * d[0, :2] / max(float(np.linalg.norm(d[0, :2])), 1e-12)
            return np.array([loc[:2] - half, loc[:2] + half])
    return None


def plot_critical_points(points: Iterable[Any], ax: Any = None, *, legend: bool = True, size: float = 70.0) -> Any:
    """Mark critical points with one marker style per kind (minimum, maximum, saddle, degenerate, continuum).

    Each point is an object or dict with `location` (2 numbers) and `kind`; a degenerate point with
    `continuum` true is a line of critical points, drawn as a diamond plus a line along its extent (its
    `members`, `extent` {first, last}, or `null_directions`). Each kind is one scatter (gid "critical-points").
    """
    ax = new_axes(ax)
    keep = ax.has_data()
    limits = ax.get_xlim(), ax.get_ylim()
    groups: dict[str, list[np.ndarray]] = {}
    segments = []
    for p in points:
        loc = to_numpy(field(p, "location")).reshape(-1)
        if loc.size < 2 or not np.isfinite(loc[:2]).all():
            continue
        key = _kind_key(p)
        groups.setdefault(key, []).append(loc[:2])
        if key == "continuum":
            seg = _continuum_segment(p, loc, ax)
            if seg is not None and np.isfinite(seg).all():
                segments.append(seg)
    if segments:
        from matplotlib import patheffects

        halo = [patheffects.withStroke(linewidth=4.2, foreground="white")]  # visible on dark maps too
        for seg in segments:
            ax.plot(
                seg[:, 0],
                seg[:, 1],
                color=KIND_MARKERS["continuum"][1],
                lw=2.2,
                zorder=5,
                solid_capstyle="round",
                path_effects=halo,
                gid="critical-continuum",
            )
    order = [k for k in KIND_MARKERS if k in groups] + [k for k in groups if k not in KIND_MARKERS]
    for key in order:
        marker, color = KIND_MARKERS.get(key, ("o", "tab:gray"))
        xy = np.array(groups[key])
        ax.scatter(
            xy[:, 0],
            xy[:, 1],
            marker=marker,
            s=size,
            color=color,
            edgecolors="white",
            linewidths=0.8,
            zorder=6,
            label=KIND_LABELS.get(key, key),
            gid="critical-points",
        )
    if keep:  # markers never move the view of a map drawn underneath
        ax.set_xlim(*limits[0])
        ax.set_ylim(*limits[1])
    if legend and groups:
        ax.legend(fontsize=7, loc="upper right", title="critical points", title_fontsize=7)
    return ax


def plot_tunnel(overlay: Any, ax: Any = None, *, legend: bool = True, annotate: bool = True) -> Any:
    """Highlight the tunnel test of the disk-inside-ring data on a 2-D map.

    Draws the ring's inner and outer circles (dashed) and the disk's circle (dotted), and outlines the class-0
    component that contains the disk: in magenta when it escapes through a tunnel, with hollow circles where it
    crosses the middle of the ring and its narrowest chord in black; in lime when it is bounded, so the closed
    outline shows. Nothing is computed here.

    Args:
        overlay: an object or dict with `status` ("tunnel" or "bounded"), `center` (x, y), `ring` (inner, outer),
            `inner_radius`, and optionally `xs`, `ys`, `mask` ((ny, nx) booleans: the component on that grid),
            `crossing_angles` (radians), `chord` ((x0, y0), (x1, y1)), `width` and `thin`.
        legend: add a legend (plot_decision_boundary makes one legend for everything instead).
        annotate: write the narrowest width next to its chord.

    Artists carry gids: "ring", "disk", "tunnel-outline" or "bounded-outline", "ring-crossing",
    "narrowest-chord".
    """
    from matplotlib import patheffects

    ax = new_axes(ax)
    status = str(field(overlay, "status", "tunnel"))
    cx, cy = (float(v) for v in field(overlay, "center", (0.0, 0.0)))
    theta = np.linspace(0.0, 2 * np.pi, 361)
    ring = field(overlay, "ring")
    if ring is not None:
        for k, r in enumerate(ring):
            ax.plot(
                cx + r * np.cos(theta),
                cy + r * np.sin(theta),
                ls="--",
                lw=1.0,
                color=RING_COLOR,
                zorder=3,
                gid="ring",
                label="ring (inner and outer circle)" if k == 0 else None,
            )
    disk = field(overlay, "inner_radius")
    if disk:
        ax.plot(
            cx + disk * np.cos(theta),
            cy + disk * np.sin(theta),
            ls=":",
            lw=1.0,
            color=RING_COLOR,
            zorder=3,
            gid="disk",
            label="disk",
        )
    tunnel = status == "tunnel"
    color = TUNNEL_COLOR if tunnel else BOUNDED_COLOR
    thin = bool(field(overlay, "thin", False))
    label = (
        "class-0 region around the disk: tunnel" + (" (thinner than the grid)" if thin else "")
        if tunnel
        else "class-0 region around the disk: bounded (closed)"
    )
    mask, xs, ys = field(overlay, "mask"), field(overlay, "xs"), field(overlay, "ys")
    if mask is not None and xs is not None and ys is not None:
        m = np.asarray(to_numpy(mask), dtype=float)
        if m.min() < 0.5 < m.max():
            cs = ax.contour(to_numpy(xs), to_numpy(ys), m, levels=[0.5], colors=[color], linewidths=2.4, zorder=4)
            cs.set_gid(f"{status}-outline")
            ax.plot([], [], color=color, lw=2.4, label=label)  # legend entry for the contour
    if tunnel:
        angles = [float(a) for a in (field(overlay, "crossing_angles") or ())]
        if angles and ring is not None:
            r_mid = 0.5 * (float(ring[0]) + float(ring[1]))
            ax.scatter(
                cx + r_mid * np.cos(angles),
                cy + r_mid * np.sin(angles),
                s=150,
                facecolors="none",
                edgecolors=color,
                linewidths=2.0,
                zorder=6,
                gid="ring-crossing",
                label="crosses the ring",
            )
        chord = field(overlay, "chord")
        if chord is not None:
            (x0, y0), (x1, y1) = ((float(a), float(b)) for a, b in chord)
            width = field(overlay, "width")
            text = "narrowest chord" + ("" if width is None else f", width {float(width):.3g}")
            halo = [patheffects.withStroke(linewidth=4.6, foreground="white")]
            ax.plot(
                [x0, x1],
                [y0, y1],
                color="black",
                lw=2.4,
                solid_capstyle="butt",
                zorder=7,
                path_effects=halo,
                gid="narrowest-chord",
                label=text,
            )
            if annotate and width is not None:
                t = ax.annotate(
                    f"w={float(width):.2g}",
                    ((x0 + x1) / 2, (y0 + y1) / 2),
                    xytext=(6, 6),
                    textcoords="offset points",
                    fontsize=7,
                    zorder=8,
                    path_effects=halo,
                )
                t.set_gid("narrowest-chord-label")
    if legend:
        handles, labels = ax.get_legend_handles_labels()
        if handles:
            ax.legend(handles, labels, fontsize=7, loc="upper right", framealpha=0.85)
    return ax
