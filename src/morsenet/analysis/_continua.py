"""Merging refined points: duplicates of isolated points, and members of one continuum of critical points."""

from __future__ import annotations

import math

import torch
from torch import Tensor

from ._components import graph_components, groups
from ._critical_result import CriticalPoint
from ._refinement import RefineSettings, refine
from ._scalar_field import ScalarFn


def dedupe(x: Tensor, gn: Tensor, radius: float) -> list[list[int]]:
    """Greedy clusters of points closer than `radius`, best gradient first."""
    order = torch.argsort(gn).tolist()
    taken = torch.zeros(len(x), dtype=torch.bool)
    dist = torch.cdist(x, x)
    clusters = []
    for i in order:
        if taken[i]:
            continue
        members = ((dist[i] <= radius) & ~taken).nonzero().squeeze(1)
        taken[members] = True
        clusters.append([i] + [int(j) for j in members if int(j) != i])
    return clusters


def _path_ok(
    call: ScalarFn, pairs: list[tuple[int, int]], x: Tensor, *, tol: float, diam: float, settings: RefineSettings
) -> list[bool]:
    """Whether the segment between each pair, pulled onto grad f = 0, is a chain of critical points."""
    if not pairs:
        return []
    ii = torch.tensor([p[0] for p in pairs])
    jj = torch.tensor([p[1] for p in pairs])
    seg = torch.linalg.vector_norm(x[jj] - x[ii], dim=1)
    samples = max(8, min(64, math.ceil(float(seg.max()) / (0.02 * diam))))
    t = torch.linspace(0, 1, samples + 1, dtype=torch.float64)[1:-1]
    pts = x[ii][:, None, :] + t[None, :, None] * (x[jj] - x[ii])[:, None, :]
    flat_pts = pts.reshape(-1, x.shape[1])
    xc, _, gc, _ = refine(call, flat_pts.clone(), settings)
    gcn = torch.linalg.vector_norm(gc, dim=1).reshape(len(pairs), -1)
    chain = torch.cat([x[ii][:, None, :], xc.reshape(len(pairs), -1, x.shape[1]), x[jj][:, None, :]], dim=1)
    gaps = torch.linalg.vector_norm(chain[:, 1:] - chain[:, :-1], dim=2)
    ok = (gcn <= tol).all(dim=1) & (gaps <= 2.5 * seg[:, None] / samples + 1e-9 * diam).all(dim=1)
    return ok.tolist()


def _continua(
    call: ScalarFn, x: Tensor, y: Tensor, *, tol: float, ftol: float, diam: float, settings: RefineSettings
) -> list[list[int]]:
    """Group continuum points into connected continua: k-nearest-neighbour links, then component bridging."""
    m = len(x)
    if m == 1:
        return [[0]]
    dist = torch.cdist(x, x)
    k = min(6, m - 1)
    nbrs = torch.topk(dist, k + 1, largest=False).indices[:, 1:]
    pairs = sorted(
        {(min(i, int(j)), max(i, int(j))) for i in range(m) for j in nbrs[i] if abs(float(y[i] - y[int(j)])) <= ftol}
    )
    links = [p for p, ok in zip(pairs, _path_ok(call, pairs, x, tol=tol, diam=diam, settings=settings)) if ok]
    labels = graph_components(m, links)
    for _ in range(3):  # bridge components whose k-nearest-neighbour graphs did not meet
        n_before = int(labels.max()) + 1
        if n_before == 1:
            break
        bridges = _bridges(dist, y, torch.from_numpy(labels), groups(labels), ftol)
        links += [p for p, ok in zip(bridges, _path_ok(call, bridges, x, tol=tol, diam=diam, settings=settings)) if ok]
        labels = graph_components(m, links)
        if int(labels.max()) + 1 == n_before:
            break
    return groups(labels)


def _bridges(dist: Tensor, y: Tensor, label: Tensor, members_of: list[list[int]], ftol: float) -> list[tuple[int, int]]:
    """For every component, the pair (i < j) joining it to its nearest point of another component at a value
    within `ftol` (none when there is no such point), sorted."""
    m = len(y)
    masked = dist.masked_fill(label[:, None] == label[None, :], math.inf)
    masked = masked.masked_fill((y[:, None] - y[None, :]).abs() > ftol, math.inf)
    bridges = set()
    for members in members_of:
        sub = masked[members]
        if torch.isinf(sub).all():
            continue
        flat = int(torch.argmin(sub))
        i, j = members[flat // m], flat % m
        bridges.add((min(i, j), max(i, j)))
    return sorted(bridges)


def continuum_points(
    call: ScalarFn,
    x: Tensor,
    y: Tensor,
    gn: Tensor,
    reps: Tensor,
    cont_idx: list[int],
    null: Tensor,
    evals: Tensor,
    evecs: Tensor,
    zmax: list[float | None],
    *,
    tol: float,
    values: Tensor,
    lo: Tensor,
    hi: Tensor,
    diam: float,
    settings: RefineSettings,
) -> list[CriticalPoint]:
    """One `CriticalPoint` per connected continuum among the candidates `cont_idx`."""
    cx, cy = x[reps[cont_idx]], y[reps[cont_idx]]
    v = values.nan_to_num()
    ftol = 1e-6 * max(float(v.max() - v.min()), float(cy.abs().max()), 1e-300)
    centre = (lo + hi) / 2
    out = []
    for group in _continua(call, cx, cy, tol=tol, ftol=ftol, diam=diam, settings=settings):
        members = [cont_idx[j] for j in group]
        pts = x[reps[members]]
        best = members[int(torch.argmin(torch.linalg.vector_norm(pts - centre, dim=1)))]
        r = int(reps[best])
        nd = null[best]
        if pts.shape[0] > 1:  # sort members along their main direction for a readable extent
            centred = pts - pts.mean(dim=0)
            axis = torch.linalg.svd(centred, full_matrices=False).Vh[0]
            pts = pts[torch.argsort(centred @ axis)]
        out.append(
            CriticalPoint(
                location=x[r].clone(),
                value=float(y[r]),
                kind="degenerate",
                index=int(((evals[best] < 0) & ~nd).sum()),
                eigenvalues=evals[best].clone(),
                gradient_norm=float(gn[r]),
                continuum=True,
                null_directions=evecs[best][:, nd].T.clone(),
                n_merged=len(members),
                members=pts.clone(),
                max_preactivation=zmax[best],
            )
        )
    return out
