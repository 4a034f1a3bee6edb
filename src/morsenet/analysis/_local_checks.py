"""Local checks of candidate critical points: symmetric growth of |grad f| (a true critical point) versus a
saturated tail, null directions of continua, and the Morse classification."""

from __future__ import annotations

import torch
from torch import Tensor

from ._refinement import RefineSettings, refine
from ._scalar_field import ScalarFn, derivatives


def validate(
    call: ScalarFn,
    x: Tensor,
    g: Tensor,
    h: Tensor,
    *,
    gtol: float,
    rho: float,
    diam: float,
    settings: RefineSettings,
    floor: Tensor | None = None,
) -> tuple[Tensor, Tensor, Tensor, Tensor, Tensor]:
    """Classify the eigen-directions of each candidate as growth, null (continuum) or bad.

    The gradient tolerance is local: gtol times the gradient size the field reaches at distance `rho`,
    scaled up to the box (max probe |grad f| * diam / rho, about |Hessian| * diam), but never below `floor`
    (n,), the rounding floor of the gradient at each point: a tolerance below what float64 can resolve would
    reject every genuine shallow critical point.

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
    if floor is not None:
        tol = torch.maximum(tol, floor)
    g0 = torch.linalg.vector_norm(g, dim=1)
    a_min, a_max = a.min(dim=2).values, a.max(dim=2).values
    growth = (a_min > torch.clamp(100 * g0, min=0)[:, None]) & (a_min > tol[:, None]) & (a_min >= 0.2 * a_max)
    # Null direction: a probe pulled back onto grad f = 0 stays about rho away from x and near the probe.
    xc, _, gc, _ = refine(call, flat_probes.clone(), settings)
    gcn = torch.linalg.vector_norm(gc, dim=1).reshape(m, d, 2)
    away = torch.linalg.vector_norm(xc.reshape(m, d, 2, d) - x[:, None, None, :], dim=3)
    moved = torch.linalg.vector_norm(xc - flat_probes, dim=1).reshape(m, d, 2)
    null = ((gcn <= tol[:, None, None]) & (away >= 0.5 * rho) & (moved <= 0.5 * rho)).all(dim=2)
    # A direction where the critical set continues is null even if the straight probe leaves a curved set.
    growth = growth & ~null
    ok = (g0 <= tol) & (growth | null).all(dim=1) & growth.any(dim=1)
    return ok, null, evals, evecs, tol


def classify(evals: Tensor, small: Tensor) -> tuple[str, int]:
    index = int(((evals < 0) & ~small).sum())
    if bool(small.any()):
        return "degenerate", index
    if index == 0:
        return "minimum", index
    if index == len(evals):
        return "maximum", index
    return "saddle", index
