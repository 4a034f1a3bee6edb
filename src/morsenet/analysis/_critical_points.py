"""Critical points of scalar fields in 1-3 dimensions: seeded multi-start search, validation, classification."""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor, nn

from .._validation import Seed, as_generator
from ..errors import MorsenetError
from ._scalar_field import (
    Box,
    ScalarFn,
    as_point,
    as_scalar_field,
    box_tensors,
    check_box,
    derivatives,
    preactivation_fn,
)

KINDS = ("minimum", "maximum", "saddle", "degenerate")

# Refined points with |grad f| above this fraction of the largest |grad f| in the box are not even candidates.
_PREFILTER = 1e-6

# Along a flat Hessian direction |grad f| must stay below this multiple of the chain rule's rounding floor.
_FLOOR_FACTOR = 8.0


@dataclass(frozen=True)
class CriticalPoint:
    """One critical point, or one connected continuum of degenerate critical points.

    Attributes:
        location: (d,) the point (for a continuum: the member closest to the box centre).
        value: f at `location`.
        kind: minimum, maximum, saddle or degenerate.
        index: Morse index, the number of negative Hessian eigenvalues (null directions excluded).
        eigenvalues: (d,) Hessian eigenvalues, ascending.
        gradient_norm: |grad f| at `location` after refinement.
        continuum: True when the point lies on a curve or surface of critical points.
        null_directions: (k, d) unit directions along which grad f stays ~0 (k = continuum dimension).
        n_merged: how many refined starts ended here (for a continuum: how many members were merged).
        members: (n_merged, d) the merged points of a continuum, sorted along its main direction; None otherwise.
        max_preactivation: largest |pre-activation| of any hidden neuron at `location` (None when unknown).
    """

    location: Tensor
    value: float
    kind: str
    index: int
    eigenvalues: Tensor
    gradient_norm: float
    continuum: bool = False
    null_directions: Tensor | None = None
    n_merged: int = 1
    members: Tensor | None = None
    max_preactivation: float | None = None

    @property
    def degenerate(self) -> bool:
        return self.kind == "degenerate"

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "location": self.location.tolist(),
            "value": self.value,
            "kind": self.kind,
            "index": self.index,
            "eigenvalues": self.eigenvalues.tolist(),
            "gradient_norm": self.gradient_norm,
            "continuum": self.continuum,
            "n_merged": self.n_merged,
            "max_preactivation": self.max_preactivation,
            "null_directions": None if self.null_directions is None else self.null_directions.tolist(),
        }
        if self.members is not None:
            d["extent"] = {"first": self.members[0].tolist(), "last": self.members[-1].tolist()}
        return d


@dataclass(frozen=True)
class CriticalPointSearch:
    """Result of `find_critical_points`.

    Attributes:
        points: critical points (continua merged into one entry each), sorted by location.
        box: the searched box.
        n_starts: number of random starts.
        seed: the seed given (None when a generator or None was passed).
        grad_scale: largest |grad f| over the starts; tolerances are relative to it.
        tolerance: |grad f| below which a refined point becomes a candidate (1e-6 * grad_scale); candidates
            must then pass the local tests described in `find_critical_points`.
        n_converged: starts whose refinement reached the tolerance inside the box.
        n_rejected: converged starts rejected by the local checks: |grad f| not growing symmetrically
            around the point (a saturated tail), a hidden pre-activation beyond `preactivation_bound`, or a
            gradient along a flat Hessian direction above the rounding floor of the chain rule (a near-critical
            valley of a nearly rank-deficient net).
        flat: True when f is numerically constant on the box (grad f = 0 at every start).
    """

    points: list[CriticalPoint]
    box: Box
    n_starts: int
    seed: int | None
    grad_scale: float
    tolerance: float
    n_converged: int
    n_rejected: int
    flat: bool = False
    counts: dict[str, int] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "counts", {k: sum(p.kind == k for p in self.points) for k in KINDS})

    @property
    def n_continua(self) -> int:
        return sum(p.continuum for p in self.points)

    @property
    def n_nondegenerate(self) -> int:
        return sum(not p.degenerate for p in self.points)

    @property
    def n_degenerate(self) -> int:
        return sum(p.degenerate for p in self.points)

    def summary(self) -> str:
        """One line, e.g. "2 critical points: 1 minimum, 1 saddle" or "1 continuum of degenerate critical points"."""
        if self.flat:
            return "f is constant on the box: every point is critical (degenerate)"
        if not self.points:
            return (
                f"no critical points in the box ({self.n_starts} starts, {self.n_rejected} near-critical starts "
                "rejected)"
            )
        parts = [f"{n} {k if n == 1 else _plural(k)}" for k, n in self.counts.items() if n and k != "degenerate"]
        iso = self.n_degenerate - self.n_continua
        if iso:
            parts.append(f"{iso} isolated degenerate")
        if self.n_continua:
            parts.append(
                f"{self.n_continua} {'continuum' if self.n_continua == 1 else 'continua'} of degenerate critical points"
            )
        return f"{len(self.points)} critical {'point' if len(self.points) == 1 else 'points'}: " + ", ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "points": [p.to_dict() for p in self.points],
            "counts": dict(self.counts),
            "n_continua": self.n_continua,
            "box": [list(b) for b in self.box],
            "n_starts": self.n_starts,
            "seed": self.seed,
            "grad_scale": self.grad_scale,
            "tolerance": self.tolerance,
            "n_converged": self.n_converged,
            "n_rejected": self.n_rejected,
            "flat": self.flat,
            "summary": self.summary(),
        }


def _plural(kind: str) -> str:
    return {"minimum": "minima", "maximum": "maxima", "saddle": "saddles"}.get(kind, kind)


# ----------------------------------------------------------------------------------------------------------------
# Levenberg-Marquardt on grad f = 0 (Gauss-Newton on |grad f|^2), batched over points


def _solve_small(a: Tensor, b: Tensor) -> Tensor:
    """Solve a batch of d x d systems (d <= 3) in closed form; a (n, d, d), b (n, d).

    LAPACK's batched solve costs milliseconds per call for tiny matrices; the adjugate formula is exact
    enough for the symmetric positive definite damped normal equations solved here.
    """
    d = a.shape[1]
    if d == 1:
        return b / a[:, 0]
    if d == 2:
        det = a[:, 0, 0] * a[:, 1, 1] - a[:, 0, 1] * a[:, 1, 0]
        x0 = a[:, 1, 1] * b[:, 0] - a[:, 0, 1] * b[:, 1]
        x1 = a[:, 0, 0] * b[:, 1] - a[:, 1, 0] * b[:, 0]
        return torch.stack([x0, x1], dim=1) / det[:, None]
    r0, r1, r2 = a[:, 0], a[:, 1], a[:, 2]
    c0, c1, c2 = torch.linalg.cross(r1, r2), torch.linalg.cross(r2, r0), torch.linalg.cross(r0, r1)
    det = (r0 * c0).sum(dim=1)
    inv = torch.stack([c0, c1, c2], dim=2) / det[:, None, None]
    return (inv @ b[:, :, None])[:, :, 0]


def _refine(
    call: ScalarFn, x: Tensor, *, iters: int, target: float, max_step: float, lo: Tensor, hi: Tensor, escape: float
) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """Minimise |grad f|^2 from every row of x (n, d); returns x, f, grad f, Hessian at the end points."""
    n, d = x.shape
    y, g, h = derivatives(call, x)
    assert h is not None
    gn = torch.linalg.vector_norm(g, dim=1)
    damping = torch.full((n,), 1e-3, dtype=torch.float64)
    active = torch.isfinite(gn) & (gn > target)
    eye = torch.eye(d, dtype=torch.float64)
    for _ in range(iters):
        idx = active.nonzero().squeeze(1)
        if idx.numel() == 0:
            break
        hi_, gi = h[idx], g[idx]
        a = hi_.transpose(1, 2) @ hi_
        scale = a.diagonal(dim1=1, dim2=2).mean(dim=1) + 1e-300
        mu = (damping[idx] * scale)[:, None, None] * eye
        step = _solve_small(a + mu, -(hi_.transpose(1, 2) @ gi[:, :, None])[:, :, 0])
        step = torch.nan_to_num(step, nan=0.0, posinf=0.0, neginf=0.0)
        norm = torch.linalg.vector_norm(step, dim=1)
        step = step * torch.clamp(max_step / (norm + 1e-300), max=1.0)[:, None]
        xt = x[idx] + step
        yt, gt, ht = derivatives(call, xt)
        assert ht is not None
        gnt = torch.linalg.vector_norm(gt, dim=1)
        ok = torch.isfinite(gnt) & (gnt < gn[idx])
        acc = idx[ok]
        x[acc], y[acc], g[acc], h[acc], gn[acc] = xt[ok], yt[ok], gt[ok], ht[ok], gnt[ok]
        damping[acc] = torch.clamp(damping[acc] / 3, min=1e-12)
        damping[idx[~ok]] *= 4
        outside = ((x[idx] < lo - escape) | (x[idx] > hi + escape)).any(dim=1)
        done = (gn[idx] <= target) | (damping[idx] > 1e10) | outside
        active[idx[done]] = False
    return x, y, g, h


# ----------------------------------------------------------------------------------------------------------------
# validation of candidates: symmetric growth of |grad f| (a true critical point) versus a saturated tail


def _validate(
    call: ScalarFn, x: Tensor, g: Tensor, h: Tensor, *, gtol: float, rho: float, diam: float, refine_kw: dict
) -> tuple[Tensor, Tensor, Tensor, Tensor, Tensor]:
    """Classify the eigen-directions of each candidate as growth, null (continuum) or bad.

    The gradient tolerance is local: gtol times the gradient size the field reaches at distance `rho`,
    scaled up to the box (max probe |grad f| * diam / rho, about |Hessian| * diam). A saturated valley
    whose floor still slopes (|grad f| tiny but far above rounding level) fails it.

    Returns (accepted (m,), null mask (m, d), eigenvalues (m, d), eigenvectors (m, d, d) as columns,
    local tolerance (m,)).
    """
    m, d = x.shape
    evals, evecs = torch.linalg.eigh(h)
    signs = torch.tensor([1.0, -1.0], dtype=torch.float64)
    # probes[i, k, s] = x_i + s * rho * u_k
    probes = x[:, None, None, :] + rho * signs[None, None, :, None] * evecs.transpose(1, 2)[:, :, None, :]
    flat_probes = probes.reshape(-1, d)
    _, gp, _ = derivatives(call, flat_probes, hessian=False)
    a = torch.nan_to_num(torch.linalg.vector_norm(gp, dim=1), nan=0.0).reshape(m, d, 2)
    tol = gtol * a.amax(dim=(1, 2)) * (diam / rho)
    g0 = torch.linalg.vector_norm(g, dim=1)
    a_min, a_max = a.min(dim=2).values, a.max(dim=2).values
    growth = (a_min > torch.clamp(100 * g0, min=0)[:, None]) & (a_min > tol[:, None]) & (a_min >= 0.2 * a_max)
    # Null direction: a probe pulled back onto grad f = 0 stays about rho away from x and near the probe.
    xc, _, gc, _ = _refine(call, flat_probes.clone(), **refine_kw)
    gcn = torch.linalg.vector_norm(gc, dim=1).reshape(m, d, 2)
    away = torch.linalg.vector_norm(xc.reshape(m, d, 2, d) - x[:, None, None, :], dim=3)
    moved = torch.linalg.vector_norm(xc - flat_probes, dim=1).reshape(m, d, 2)
    null = ((gcn <= tol[:, None, None]) & (away >= 0.5 * rho) & (moved <= 0.5 * rho)).all(dim=2)
    # A direction where the critical set continues is null even if the straight probe leaves a curved set.
    growth = growth & ~null
    ok = (g0 <= tol) & (growth | null).all(dim=1) & growth.any(dim=1)
    return ok, null, evals, evecs, tol


# ----------------------------------------------------------------------------------------------------------------
# rounding floor of the chain rule (morsenet MLPs and ResNets)


def _gradient_floor_fn(f: object) -> Callable[[Tensor], Tensor] | None:
    """For a morsenet MLP or ResNet: x (n, d) -> the rounding floor (n,) of its float64 gradient; else None.

    The gradient is the chain `w^T J_L ... J_1` with layer Jacobians `J_l = skip I + residual D_l W_l`
    (BatchNorm folded, D_l = diag(sigma'(z_l))). A relative rounding error in layer l (in W_l, in D_l, whose
    absolute error is ~eps when a neuron saturates, or in the skip sum) moves the computed gradient by about

        eps * |df/dh_l| * (|skip| + |residual| |W_l|_F) * |dh_{l-1}/dx|_F,

    the product of the layer Jacobian norms along the path with the exact chains above and below layer l
    (THEORY.md 4.2: tolerances scaled by the product of the D_l). The floor is the sum over layers plus the
    read-out term eps * |w| |dh_L/dx|_F. Unlike |Hessian| * diameter it does not grow with the sharpness of
    the field, so it separates a gradient that is truly ~0 from one that is tiny but resolved.
    """
    if not isinstance(f, nn.Module) or not callable(getattr(f, "config", None)):
        return None
    try:
        cfg = f.config()
        kind = cfg.get("kind")
        if kind not in ("mlp", "resnet"):
            return None
        from ..models import ACTIVATIONS  # models import nothing from analysis; keep the cycle impossible

        act = ACTIVATIONS[cfg["activation"]]
        model = copy.deepcopy(f).double().eval()
        with torch.no_grad():
            maps = [(w.detach().clone(), b.detach().clone()) for w, b in model.affine_maps()]
            if kind == "mlp":
                steps = [(0.0, 1.0, w, b) for w, b in maps[:-1]]
            else:
                steps = [(0.0, 1.0, *maps[0])] if cfg.get("input_layer") else []
                steps += [
                    (float(cfg["skip"]), float(cfg["residual"]), w.detach().clone(), b.detach().clone())
                    for w, b in model.block_maps()
                ]
    except Exception:  # a module that only looks like ours: no floor, the other checks still apply
        return None
    w_out = maps[-1][0][0]
    eps = torch.finfo(torch.float64).eps

    def floor(x: Tensor) -> Tensor:
        n, d = x.shape
        h = x.detach()
        jac = torch.eye(d, dtype=torch.float64).expand(n, d, d)  # dh_l/dx
        below, layer_jac, size = [], [], []
        for skip, res, w, b in steps:
            z = (h @ w.T + b).requires_grad_(True)
            with torch.enable_grad():
                y = act(z)
                (dz,) = torch.autograd.grad(y.sum(), z)
            a = res * dz[:, :, None] * w[None]
            if skip:
                a = a + skip * torch.eye(w.shape[1], dtype=torch.float64)
            below.append(torch.linalg.matrix_norm(jac))
            size.append(abs(skip) + abs(res) * float(torch.linalg.matrix_norm(w)))
            layer_jac.append(a)
            jac = a @ jac
            h = (skip * h + res * y.detach()) if skip else res * y.detach()
        v = w_out.expand(n, -1)  # df/dh_l, from the read-out down
        total = torch.linalg.vector_norm(v, dim=1) * torch.linalg.matrix_norm(jac)
        for layer in range(len(steps) - 1, -1, -1):
            total = total + torch.linalg.vector_norm(v, dim=1) * size[layer] * below[layer]
            v = (v[:, None, :] @ layer_jac[layer])[:, 0, :]
        return eps * total

    return floor


# ----------------------------------------------------------------------------------------------------------------
# merging: duplicates of isolated points, and members of one continuum


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, i: int, j: int) -> None:
        ri, rj = self.find(i), self.find(j)
        if ri != rj:
            self.parent[max(ri, rj)] = min(ri, rj)

    def groups(self) -> list[list[int]]:
        out: dict[int, list[int]] = {}
        for i in range(len(self.parent)):
            out.setdefault(self.find(i), []).append(i)
        return list(out.values())


def _dedupe(x: Tensor, gn: Tensor, radius: float) -> list[list[int]]:
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
    call: ScalarFn, pairs: list[tuple[int, int]], x: Tensor, *, tol: float, diam: float, refine_kw: dict
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
    xc, _, gc, _ = _refine(call, flat_pts.clone(), **refine_kw)
    gcn = torch.linalg.vector_norm(gc, dim=1).reshape(len(pairs), -1)
    chain = torch.cat([x[ii][:, None, :], xc.reshape(len(pairs), -1, x.shape[1]), x[jj][:, None, :]], dim=1)
    gaps = torch.linalg.vector_norm(chain[:, 1:] - chain[:, :-1], dim=2)
    ok = (gcn <= tol).all(dim=1) & (gaps <= 2.5 * seg[:, None] / samples + 1e-9 * diam).all(dim=1)
    return ok.tolist()


def _continua(
    call: ScalarFn, x: Tensor, y: Tensor, *, tol: float, ftol: float, diam: float, refine_kw: dict
) -> list[list[int]]:
    """Group continuum points into connected continua: k-nearest-neighbour links, then component bridging."""
    m = len(x)
    uf = _UnionFind(m)
    if m == 1:
        return [[0]]
    dist = torch.cdist(x, x)
    k = min(6, m - 1)
    nbrs = torch.topk(dist, k + 1, largest=False).indices[:, 1:]
    pairs = sorted(
        {(min(i, int(j)), max(i, int(j))) for i in range(m) for j in nbrs[i] if abs(float(y[i] - y[int(j)])) <= ftol}
    )
    for (i, j), ok in zip(pairs, _path_ok(call, pairs, x, tol=tol, diam=diam, refine_kw=refine_kw)):
        if ok:
            uf.union(i, j)
    for _ in range(3):  # bridge components whose k-nearest-neighbour graphs did not meet
        groups = uf.groups()
        if len(groups) == 1:
            break
        label = torch.empty(m, dtype=torch.long)
        for g_i, members in enumerate(groups):
            label[members] = g_i
        masked = dist.masked_fill(label[:, None] == label[None, :], math.inf)
        masked = masked.masked_fill((y[:, None] - y[None, :]).abs() > ftol, math.inf)
        bridges = set()
        for members in groups:
            sub = masked[members]
            if torch.isinf(sub).all():
                continue
            flat = int(torch.argmin(sub))
            i, j = members[flat // m], flat % m
            bridges.add((min(i, j), max(i, j)))
        bridges_l = sorted(bridges)
        merged = False
        for (i, j), ok in zip(bridges_l, _path_ok(call, bridges_l, x, tol=tol, diam=diam, refine_kw=refine_kw)):
            if ok and uf.find(i) != uf.find(j):
                uf.union(i, j)
                merged = True
        if not merged:
            break
    return uf.groups()


# ----------------------------------------------------------------------------------------------------------------


def _kind(evals: Tensor, small: Tensor) -> tuple[str, int]:
    index = int(((evals < 0) & ~small).sum())
    if bool(small.any()):
        return "degenerate", index
    if index == 0:
        return "minimum", index
    if index == len(evals):
        return "maximum", index
    return "saddle", index


def find_critical_points(
    f: nn.Module | ScalarFn,
    box: Sequence[Sequence[float]],
    *,
    n_starts: int = 256,
    seed: Seed = 0,
    gtol: float = 1e-14,
    eig_rtol: float = 1e-6,
    max_iter: int = 100,
    preactivation_bound: float | None = 12.0,
    preactivations: Callable[[Tensor], Tensor] | None = None,
    merge_radius: float | None = None,
) -> CriticalPointSearch:
    """Find the critical points of a scalar field in a box (d = 1, 2 or 3), continua included.

    Seeded uniform starts are refined by batched Levenberg-Marquardt on grad f = 0 (Gauss-Newton on
    |grad f|^2) in float64 until no step helps. Saturation must not fool the search (THEORY.md 4.2), so a
    refined point counts only if

    - |grad f| <= gtol * (|grad f| at distance rho) * diameter / rho, a tolerance relative to the local
      Hessian scale (a saturated valley whose floor still slopes fails it);
    - along every Hessian eigen-direction |grad f| either grows symmetrically on both sides (a genuine
      critical point, even a degenerate one such as a monkey saddle) or stays ~0 with the critical set
      continuing there (a continuum); a saturated tail shrinks on one side and grows on the other;
    - every hidden pre-activation satisfies |z| <= preactivation_bound, when pre-activations are known (a
      neuron with tanh'(z) below rounding level makes a narrow net a numerical bottleneck whose fake
      continua no gradient test can tell from real ones);
    - for morsenet MLPs and ResNets, along every flat Hessian direction (a null direction, or an eigenvalue
      that counts as zero) the gradient component is at most 8 times the rounding floor of the chain rule,
      eps * sum_l |df/dh_l| |J_l| |dh_{l-1}/dx| (see `_gradient_floor_fn`). Moving the point cannot reduce
      the gradient there, so a larger component is resolved and the point is not critical: a nearly
      rank-deficient net (full rank, so T1 allows no critical point) has valleys where |grad f| ~ 1e-12 is
      far below the Hessian-relative tolerance yet 50-100 times above its rounding floor.

    Duplicates are merged; continuum members connected through critical points become one entry.

    Args:
        f: a model or a callable mapping points (n, d) to values (n,) or (n, 1); models are copied to float64.
        box: ((lo, hi), ...) one pair per input dimension.
        n_starts: number of random starts.
        seed: int, torch.Generator or None (see `morsenet._validation.as_generator`); never global RNG.
        gtol: relative gradient tolerance (see above).
        eig_rtol: Hessian eigenvalues with |lambda| <= eig_rtol * max(max |lambda|, grad_scale / diameter)
            count as zero (degenerate).
        max_iter: Levenberg-Marquardt iterations.
        preactivation_bound: reject points where a hidden |pre-activation| exceeds this; None disables.
        preactivations: maps points (n, d) to pre-activations (n, k); found automatically for morsenet MLPs
            and ResNets, unknown (no check) for other callables.
        merge_radius: points closer than this are one point; default 1e-6 * box diameter.

    Returns:
        A `CriticalPointSearch`.

    Raises:
        MorsenetError: for a bad box, a bad n_starts, or a function that does not return one value per point.
    """
    box = check_box(box)
    if isinstance(n_starts, bool) or not isinstance(n_starts, int) or n_starts < 1:
        raise MorsenetError(f"n_starts must be a positive integer, got {n_starts!r}")
    call = as_scalar_field(f)
    pre = preactivations if preactivations is not None else preactivation_fn(f)
    d = len(box)
    lo, hi = box_tensors(box)
    width = hi - lo
    diam = float(torch.linalg.vector_norm(width))
    gen = as_generator(seed)
    starts = lo + width * torch.rand(n_starts, d, generator=gen, dtype=torch.float64)
    seed_out = seed if isinstance(seed, int) and not isinstance(seed, bool) else None

    v0, g0, _ = derivatives(call, starts, hessian=False)
    gscale = float(torch.nan_to_num(torch.linalg.vector_norm(g0, dim=1), nan=0.0, posinf=0.0).max())
    if gscale == 0.0:
        return CriticalPointSearch([], box, n_starts, seed_out, 0.0, 0.0, 0, 0, flat=True)
    candidate_tol = _PREFILTER * gscale
    refine_kw = dict(iters=max_iter, target=0.0, max_step=0.1 * diam, lo=lo, hi=hi, escape=0.25 * diam)
    x, y, g, h = _refine(call, starts.clone(), **refine_kw)
    gn = torch.linalg.vector_norm(g, dim=1)
    inside = ((x >= lo - 1e-9 * diam) & (x <= hi + 1e-9 * diam)).all(dim=1)
    conv = (torch.isfinite(gn) & (gn <= candidate_tol) & inside).nonzero().squeeze(1)
    n_conv = int(conv.numel())
    if n_conv == 0:
        return CriticalPointSearch([], box, n_starts, seed_out, gscale, candidate_tol, 0, 0)

    merge = 1e-6 * diam if merge_radius is None else merge_radius
    clusters = _dedupe(x[conv], gn[conv], merge)
    reps = conv[torch.tensor([c[0] for c in clusters])]
    counts = torch.tensor([len(c) for c in clusters])
    short_kw = dict(refine_kw, iters=12)
    ok, null, evals, evecs, local_tol = _validate(
        call, x[reps], g[reps], h[reps], gtol=gtol, rho=1e-3 * diam, diam=diam, refine_kw=short_kw
    )
    zmax: list[float | None] = [None] * len(reps)
    if pre is not None:
        z = pre(x[reps])
        zm = z.abs().amax(dim=1) if z.shape[1] else torch.zeros(len(reps), dtype=torch.float64)
        zmax = [float(v) for v in zm]
        if preactivation_bound is not None:
            ok = ok & (zm <= preactivation_bound)
    floor_fn = _gradient_floor_fn(f)
    if floor_fn is not None:
        hscale = torch.clamp(evals.abs().amax(dim=1), min=gscale / diam)
        flat_dir = null | (evals.abs() <= eig_rtol * hscale[:, None])
        g_eig = (evecs.transpose(1, 2) @ g[reps][:, :, None])[:, :, 0].abs()
        noise = _FLOOR_FACTOR * floor_fn(x[reps])
        ok = ok & ~(flat_dir & (g_eig > noise[:, None])).any(dim=1)
    n_rejected = int(counts[~ok].sum())

    points: list[CriticalPoint] = []
    cont_idx = [i for i in range(len(reps)) if ok[i] and null[i].any()]
    for i in range(len(reps)):
        if not ok[i] or i in cont_idx:
            continue
        r = int(reps[i])
        hscale = max(float(evals[i].abs().max()), gscale / diam)
        kind, index = _kind(evals[i], evals[i].abs() <= eig_rtol * hscale)
        points.append(
            CriticalPoint(
                location=x[r].clone(),
                value=float(y[r]),
                kind=kind,
                index=index,
                eigenvalues=evals[i].clone(),
                gradient_norm=float(gn[r]),
                n_merged=int(counts[i]),
                max_preactivation=zmax[i],
            )
        )
    if cont_idx:
        points += _continuum_points(
            call,
            x,
            y,
            gn,
            reps,
            cont_idx,
            null,
            evals,
            evecs,
            zmax,
            tol=float(local_tol[cont_idx].min()),
            values=v0,
            lo=lo,
            hi=hi,
            diam=diam,
            refine_kw=short_kw,
        )
    points.sort(key=lambda p: tuple(p.location.tolist()))
    return CriticalPointSearch(points, box, n_starts, seed_out, gscale, candidate_tol, n_conv, n_rejected)


def _continuum_points(
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
    refine_kw: dict,
) -> list[CriticalPoint]:
    """One `CriticalPoint` per connected continuum among the candidates `cont_idx`."""
    cx, cy = x[reps[cont_idx]], y[reps[cont_idx]]
    v = values.nan_to_num()
    ftol = 1e-6 * max(float(v.max() - v.min()), float(cy.abs().max()), 1e-300)
    centre = (lo + hi) / 2
    out = []
    for group in _continua(call, cx, cy, tol=tol, ftol=ftol, diam=diam, refine_kw=refine_kw):
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


def winding_number(
    f: nn.Module | ScalarFn, center: Sequence[float] | Tensor, radius: float, *, n: int = 64, max_points: int = 1 << 15
) -> int:
    """Index of the gradient field of a 2-D scalar field along a circle (degree of grad f / |grad f|).

    Nonzero certifies a critical point inside the circle without finding it: +1 around a non-degenerate
    minimum or maximum, -1 around a saddle, -2 around a monkey saddle, 0 around no critical point.
    The circle is sampled at `n` angles and refined where the gradient direction turns by more than pi/4
    between neighbours, until every step is small or `max_points` is reached.

    Args:
        f: a model or a callable mapping (n, 2) points to values (n,) or (n, 1).
        center: (2,) the circle's centre.
        radius: the circle's radius (> 0).
        n: initial number of angles.
        max_points: refinement budget.

    Returns:
        The winding number, an integer.

    Raises:
        MorsenetError: for bad arguments, or when the gradient vanishes on (or too near) the circle.
    """
    c = as_point(center, 2, "center")
    if not (isinstance(radius, (int, float)) and math.isfinite(radius) and radius > 0):
        raise MorsenetError(f"`radius` must be a positive number, got {radius!r}")
    if isinstance(n, bool) or not isinstance(n, int) or n < 8:
        raise MorsenetError(f"`n` must be an integer >= 8, got {n!r}")
    call = as_scalar_field(f)

    def directions(theta: Tensor) -> Tensor:
        pts = c + radius * torch.stack([torch.cos(theta), torch.sin(theta)], dim=1)
        _, g, _ = derivatives(call, pts, hessian=False)
        if not bool(torch.isfinite(g).all()) or bool((g == 0).all(dim=1).any()):
            raise MorsenetError(
                f"winding number undefined: the gradient vanishes on the circle of radius {radius:g} "
                f"around {c.tolist()}"
            )
        return torch.atan2(g[:, 1], g[:, 0])

    theta = torch.linspace(0, 2 * math.pi, n + 1, dtype=torch.float64)[:-1]
    phi = directions(theta)
    while True:
        nxt = torch.roll(phi, -1)
        dphi = torch.remainder(nxt - phi + math.pi, 2 * math.pi) - math.pi
        bad = dphi.abs() > math.pi / 4
        if not bool(bad.any()):
            return round(float(dphi.sum()) / (2 * math.pi))
        if len(theta) + int(bad.sum()) > max_points:
            raise MorsenetError(
                f"winding number undefined: the gradient (nearly) vanishes on the circle of radius "
                f"{radius:g} around {c.tolist()}"
            )
        nxt_theta = torch.roll(theta, -1)
        nxt_theta[-1] += 2 * math.pi
        mid = (theta[bad] + nxt_theta[bad]) / 2
        theta = torch.cat([theta, mid])
        phi = torch.cat([phi, directions(mid)])
        order = torch.argsort(theta)
        theta, phi = theta[order], phi[order]
