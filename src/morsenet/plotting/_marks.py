"""Marks on the plane's maps: critical points by kind, and the tunnel test's highlight."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np

from ._style import (
    BOUNDED_COLOR,
    KIND_LABELS,
    KIND_MARKERS,
    RING_COLOR,
    TUNNEL_COLOR,
    UNDECIDED_COLOR,
    legend_below,
    new_axes,
    to_numpy,
)

if TYPE_CHECKING:
    from ..analysis import CriticalPoint, TunnelAnalysis


def _kind_key(point: CriticalPoint) -> str:
    return "continuum" if point.degenerate and point.continuum else point.kind


def _continuum_segment(point: CriticalPoint, loc: np.ndarray, ax: Any) -> np.ndarray | None:
    """(2, 2) ends of a continuum: its first and last members, else a short piece along its null direction."""
    if point.members is not None:
        m = to_numpy(point.members).reshape(-1, loc.size)
        if len(m) >= 2:
            return m[[0, -1], :2]
    null = point.null_directions
    if null is not None:
        d = to_numpy(null).reshape(-1, loc.size)
        if len(d) and d.shape[1] >= 2 and np.isfinite(d[0, :2]).all():
            x0, x1 = ax.get_xlim()
            half = 0.06 * abs(x1 - x0) * d[0, :2] / max(float(np.linalg.norm(d[0, :2])), 1e-12)
            return np.array([loc[:2] - half, loc[:2] + half])
    return None


def plot_critical_points(
    points: Iterable[CriticalPoint], ax: Any = None, *, legend: bool = True, size: float = 70.0
) -> Any:
    """Mark critical points with one marker style per kind (minimum, maximum, saddle, degenerate, continuum).

    Each point is a `CriticalPoint` with a 2-D `location`; a degenerate point with `continuum` true is a line
    of critical points, drawn as a diamond plus a line along its extent (its first and last `members`, else its
    `null_directions`). Each kind is one scatter (gid "critical-points").
    """
    ax = new_axes(ax)
    keep = ax.has_data()
    limits = ax.get_xlim(), ax.get_ylim()
    groups: dict[str, list[np.ndarray]] = {}
    segments = []
    for p in points:
        loc = to_numpy(p.location).reshape(-1)
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
        legend_below(ax, title="critical points", title_fontsize=7)
    return ax


def plot_ring(ax: Any, center: Any, ring: Any, inner_radius: float | None = None, *, labels: bool = True) -> list[Any]:
    """The ring's inner and outer circles (dashed) and the disk's circle (dotted); gids "ring" and "disk"."""
    cx, cy = (float(v) for v in center)
    theta = np.linspace(0.0, 2 * np.pi, 361)
    out = []
    for k, r in enumerate(ring):
        (line,) = ax.plot(
            cx + float(r) * np.cos(theta),
            cy + float(r) * np.sin(theta),
            ls="--",
            lw=1.0,
            color=RING_COLOR,
            zorder=3,
            gid="ring",
            label="ring (inner and outer circle)" if k == 0 and labels else None,
        )
        out.append(line)
    if inner_radius:
        (line,) = ax.plot(
            cx + inner_radius * np.cos(theta),
            cy + inner_radius * np.sin(theta),
            ls=":",
            lw=1.0,
            color=RING_COLOR,
            zorder=3,
            gid="disk",
            label="disk" if labels else None,
        )
        out.append(line)
    return out


def plot_region_outline(ax: Any, xs: Any, ys: Any, mask: Any, status: str, *, label: str | None = None) -> Any:
    """Outline a region given as a mask on the grid (xs, ys): magenta for a "tunnel", lime for "bounded", grey
    otherwise (an "undecided" tunnel test).

    The contour carries the gid "<status>-outline"; returns it (None when the mask is empty or full).
    """
    m = np.asarray(to_numpy(mask), dtype=float)
    if not m.min() < 0.5 < m.max():
        return None
    color = {"tunnel": TUNNEL_COLOR, "bounded": BOUNDED_COLOR}.get(status, UNDECIDED_COLOR)
    cs = ax.contour(to_numpy(xs), to_numpy(ys), m, levels=[0.5], colors=[color], linewidths=2.4, zorder=4)
    cs.set_gid(f"{status}-outline")
    if label:
        ax.plot([], [], color=color, lw=2.4, label=label)  # legend entry for the contour
    return cs


def undecided_label(tunnel: TunnelAnalysis) -> str:
    """ "undecided (reason)": a tunnel test that certified neither a tunnel nor an enclosure (never "bounded")."""
    name = "undecided" if tunnel.status == "undecided" else tunnel.status.replace("_", " ")
    return f"{name} ({tunnel.undecided_reason or 'neither certificate passed its check'})"


def plot_certificate(tunnel: TunnelAnalysis, ax: Any) -> Any:
    """Draw the tunnel test's certificate: the checked class-0 path from the centre to the box edge (tunnel,
    gid "tunnel-certificate") or the checked class-1 closed curve around the disk (bounded, drawn closed, gid
    "bounded-certificate"); None when there is none (an undecided test)."""
    cert = tunnel.certificate
    if cert is None or len(cert) < 2 or tunnel.status not in ("tunnel", "bounded"):
        return None
    xy = np.asarray(cert, dtype=float).reshape(-1, 2)
    closed = tunnel.certificate_kind == "closed_curve"
    if closed and not np.allclose(xy[0], xy[-1]):
        xy = np.vstack([xy, xy[:1]])
    color = TUNNEL_COLOR if tunnel.status == "tunnel" else BOUNDED_COLOR
    text = "certificate: class-1 closed curve around the disk" if closed else "certificate: class-0 path to the edge"
    (line,) = ax.plot(
        xy[:, 0], xy[:, 1], color="black", lw=1.1, ls=(0, (4, 2)), zorder=6, gid=f"{tunnel.status}-certificate",
        label=text, path_effects=[_halo(color)],
    )  # fmt: skip
    return line


def _halo(color: str) -> Any:
    from matplotlib import patheffects

    return patheffects.withStroke(linewidth=3.0, foreground=color)


def plot_tunnel(tunnel: TunnelAnalysis, ax: Any = None, *, legend: bool = True, annotate: bool = True) -> Any:
    """Highlight the tunnel test of the disk-inside-ring data on a 2-D map.

    Draws the ring's inner and outer circles (dashed) and the disk's circle (dotted), and outlines the class-0
    component that contains the disk: in magenta when it escapes through a tunnel, with hollow circles where it
    crosses the middle of the ring and its narrowest chord in black; in lime when it is bounded, so the closed
    outline shows; in grey, labelled "undecided (reason)", when neither certificate passed its check. The
    certificate (the checked class-0 path to the box edge, or the checked class-1 closed curve) is drawn dashed
    black on a halo of the verdict's colour. Nothing is computed here.

    Args:
        tunnel: a `TunnelAnalysis`: its `status`, `center`, `ring`, `inner_radius`, `mask` on the grid of its
            `regions`, `crossing_angles`, `chord`, `narrowest_width` and `thin` are drawn as they are.
        legend: add a legend (plot_decision_boundary makes one legend for everything instead).
        annotate: write the narrowest width next to its chord.

    Artists carry gids: "ring", "disk", "tunnel-outline", "bounded-outline" or "undecided-outline",
    "tunnel-certificate" or "bounded-certificate", "ring-crossing", "narrowest-chord".
    """
    from matplotlib import patheffects

    ax = new_axes(ax)
    status = tunnel.status
    cx, cy = (float(v) for v in tunnel.center)
    ring = tunnel.ring
    plot_ring(ax, tunnel.center, ring, tunnel.inner_radius)
    escapes = status == "tunnel"
    color = TUNNEL_COLOR
    label = {
        "tunnel": "class-0 region around the disk: tunnel" + (" (thinner than the grid)" if tunnel.thin else ""),
        "bounded": "class-0 region around the disk: bounded (closed)",
    }.get(status, f"class-0 region around the disk: {undecided_label(tunnel)}")
    mask, grid = tunnel.mask, tunnel.regions
    if mask is not None and grid is not None:
        plot_region_outline(ax, grid.xs, grid.ys, mask, status, label=label)
    plot_certificate(tunnel, ax)
    if escapes:
        angles = [float(a) for a in tunnel.crossing_angles]
        if angles:
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
        chord = tunnel.chord
        if chord is not None:
            (x0, y0), (x1, y1) = ((float(a), float(b)) for a, b in chord)
            width = tunnel.narrowest_width
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
        legend_below(ax)
    return ax
