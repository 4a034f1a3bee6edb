"""Levenberg-Marquardt on grad f = 0 (Gauss-Newton on |grad f|^2), batched over points, in float64."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from ._scalar_field import ScalarFn, derivatives


def solve_small(a: Tensor, b: Tensor) -> Tensor:
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


@dataclass(frozen=True)
class RefineSettings:
    """Levenberg-Marquardt settings: iterations, target |grad f|, largest step, the box, how far outside it
    a point may wander before it is dropped, and the stall window: a point whose |grad f| has not halved over
    that many iterations stops (Newton converges quadratically, and linearly by at least 2/3 per step at
    degenerate zeros such as a monkey saddle, so only points creeping along a valley without a zero stop early)."""

    iters: int
    target: float
    max_step: float
    lo: Tensor
    hi: Tensor
    escape: float
    stall_window: int = 10


def refine(call: ScalarFn, x: Tensor, settings: RefineSettings) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """Minimise |grad f|^2 from every row of x (n, d); returns x, f, grad f, Hessian at the end points."""
    iters, target, max_step = settings.iters, settings.target, settings.max_step
    lo, hi, escape = settings.lo, settings.hi, settings.escape
    n, d = x.shape
    y, g, h = derivatives(call, x)
    assert h is not None
    gn = torch.linalg.vector_norm(g, dim=1)
    damping = torch.full((n,), 1e-3, dtype=torch.float64)
    active = torch.isfinite(gn) & (gn > target)
    eye = torch.eye(d, dtype=torch.float64)
    window = settings.stall_window
    history = gn.clone()[None].repeat(window, 1)
    for it in range(iters):
        idx = active.nonzero().squeeze(1)
        if idx.numel() == 0:
            break
        hi_, gi = h[idx], g[idx]
        a = hi_.transpose(1, 2) @ hi_
        scale = a.diagonal(dim1=1, dim2=2).mean(dim=1) + 1e-300
        mu = (damping[idx] * scale)[:, None, None] * eye
        step = solve_small(a + mu, -(hi_.transpose(1, 2) @ gi[:, :, None])[:, :, 0])
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
        stalled = gn[idx] > 0.5 * history[it % window, idx] if it >= window else torch.zeros_like(outside)
        history[it % window, idx] = gn[idx]
        done = (gn[idx] <= target) | (damping[idx] > 1e10) | outside | stalled
        active[idx[done]] = False
    return x, y, g, h


def newton_polish(
    call: ScalarFn, x: Tensor, y: Tensor, g: Tensor, h: Tensor, *, iters: int = 6
) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """Undamped Newton steps x <- x - H^+ g (pseudo-inverse over the eigenvalues above 1e-14 of the largest),
    each kept only where it lowers |grad f|.

    Levenberg-Marquardt's damping swamps a Hessian eigenvalue far below the largest (a minimum with eigenvalues
    3e-7 and 5e3 stalls at |grad f| ~ 1e-11, 300 times its rounding floor); plain Newton steps finish the job.
    """
    x, y, g, h = x.clone(), y.clone(), g.clone(), h.clone()
    gn = torch.linalg.vector_norm(g, dim=1)
    for _ in range(iters):
        if not len(x):
            break
        evals, evecs = torch.linalg.eigh(h)
        big = evals.abs().amax(dim=1, keepdim=True)
        inv = torch.where(evals.abs() > 1e-14 * big, 1.0 / evals, torch.zeros_like(evals))
        coef = (evecs.transpose(1, 2) @ g[:, :, None])[:, :, 0] * inv
        step = -(evecs @ coef[:, :, None])[:, :, 0]
        step = torch.nan_to_num(step, nan=0.0, posinf=0.0, neginf=0.0)
        xt = x + step
        yt, gt, ht = derivatives(call, xt)
        assert ht is not None
        gnt = torch.linalg.vector_norm(gt, dim=1)
        ok = torch.isfinite(gnt) & (gnt < gn)
        if not bool(ok.any()):
            break
        x[ok], y[ok], g[ok], h[ok], gn[ok] = xt[ok], yt[ok], gt[ok], ht[ok], gnt[ok]
    return x, y, g, h
