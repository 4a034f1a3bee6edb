"""The circle test of the tunnel analysis: class-0 arcs on circles around a centre, refined and linked."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
from torch import Tensor

from ._components import graph_components
from ._scalar_field import ScalarFn, evaluate


class Circles:
    """Logit on circles around a centre, as a function of (radius, angle) pairs."""

    def __init__(self, call: ScalarFn, center: Tensor) -> None:
        self.call, self.center = call, center

    def __call__(self, r: Tensor, theta: Tensor) -> Tensor:
        pts = self.center + torch.stack([r * torch.cos(theta), r * torch.sin(theta)], dim=-1).reshape(-1, 2)
        return evaluate(self.call, pts).reshape(r.shape)


def _golden_min(fn: Circles, r: Tensor, a: Tensor, b: Tensor, iters: int = 32) -> tuple[Tensor, Tensor]:
    """Vectorised golden-section minimisation of fn(r, .) on [a, b]; returns (argmin, min)."""
    inv = (math.sqrt(5) - 1) / 2
    c, d = b - inv * (b - a), a + inv * (b - a)
    fc, fd = fn(r, c), fn(r, d)
    for _ in range(iters):
        left = fc < fd
        b = torch.where(left, d, b)
        a = torch.where(left, a, c)
        new_c, new_d = b - inv * (b - a), a + inv * (b - a)
        c_old, d_old, fc_old, fd_old = c, d, fc, fd
        c = torch.where(left, new_c, d_old)
        d = torch.where(left, c_old, new_d)
        f_new = fn(r, torch.where(left, c, d))
        fc = torch.where(left, f_new, fd_old)
        fd = torch.where(left, fc_old, f_new)
    t = (a + b) / 2
    return t, fn(r, t)


def _bisect(fn: Circles, r: Tensor, below: Tensor, above: Tensor, thr: float, iters: int = 40) -> Tensor:
    """Vectorised bisection for the angle between `below` (logit < thr) and `above` (logit >= thr)."""
    for _ in range(iters):
        mid = (below + above) / 2
        is_below = fn(r, mid) < thr
        below = torch.where(is_below, mid, below)
        above = torch.where(is_below, above, mid)
    return (below + above) / 2


@dataclass
class _Brackets:
    """Angle brackets of class-0 arc ends: the arc's circle, the inner (class 0) and outer (class 1) angles of its
    start and of its end."""

    circle: list[int] = field(default_factory=list)
    start_in: list[float] = field(default_factory=list)
    start_out: list[float] = field(default_factory=list)
    end_in: list[float] = field(default_factory=list)
    end_out: list[float] = field(default_factory=list)

    def add(self, i: int, start_in: float, start_out: float, end_in: float, end_out: float) -> None:
        self.circle.append(i)
        self.start_in.append(start_in)
        self.start_out.append(start_out)
        self.end_in.append(end_in)
        self.end_out.append(end_out)


def circle_arcs(
    fn: Circles, radii: Tensor, n_angles: int, thr: float, k_minima: int
) -> tuple[list[list[tuple[float, float]]], Tensor, Tensor]:
    """Class-0 arcs (start, end angle, end > start) on each circle, the circle minima, and the sampled logits."""
    step = 2 * math.pi / n_angles
    # An irrational offset keeps the sample angles off the axes, where hand-made test fields put their features.
    theta = step * (torch.arange(n_angles, dtype=torch.float64) + 0.3819660112501051)
    n_r = len(radii)
    logits = fn(radii[:, None].expand(n_r, n_angles), theta[None, :].expand(n_r, n_angles))
    below = logits < thr
    cols, t_min, f_min = _refined_minima(fn, radii, theta, logits, below, k_minima)
    circle_min = torch.minimum(logits.min(dim=1).values, f_min.min(dim=1).values)

    arcs: list[list[tuple[float, float]]] = [[] for _ in range(n_r)]
    brackets = _Brackets()
    for i in range(n_r):
        if bool(below[i].all()):
            arcs[i].append((0.0, 2 * math.pi))
            continue
        _run_brackets(brackets, i, theta, below[i], step)
        _dip_brackets(brackets, i, theta, below[i], cols[i], t_min[i], f_min[i], thr, step)
    if brackets.circle:
        r_t = radii[torch.tensor(brackets.circle)]
        f64 = torch.float64
        lo = _bisect(
            fn, r_t, torch.tensor(brackets.start_in, dtype=f64), torch.tensor(brackets.start_out, dtype=f64), thr
        )
        hi = _bisect(fn, r_t, torch.tensor(brackets.end_in, dtype=f64), torch.tensor(brackets.end_out, dtype=f64), thr)
        for i, a, b in zip(brackets.circle, lo.tolist(), hi.tolist()):
            a0 = a % (2 * math.pi)
            arcs[i].append((a0, a0 + (b - a)))
    return [_merge_arcs(a) for a in arcs], circle_min, logits


def _refined_minima(
    fn: Circles, radii: Tensor, theta: Tensor, logits: Tensor, below: Tensor, k_minima: int
) -> tuple[Tensor, Tensor, Tensor]:
    """The k lowest sampled local minima above the threshold on every circle, refined by golden section:
    (sample column, refined angle, refined logit; inf where there was no such minimum), each (n_r, k).

    A dip narrower than the angle step hides next to one of them (minima already below the threshold lie in
    sampled arcs).
    """
    n_r, n_angles = logits.shape
    step = 2 * math.pi / n_angles
    prev, nxt = torch.roll(logits, 1, dims=1), torch.roll(logits, -1, dims=1)
    is_min = (logits <= prev) & (logits <= nxt)
    score = torch.where(is_min & ~below, logits, torch.full_like(logits, math.inf))
    k = min(k_minima, n_angles)
    vals, cols = torch.topk(score, k, dim=1, largest=False)
    valid = torch.isfinite(vals)
    rr = radii[:, None].expand(n_r, k)
    centre_t = theta[cols]
    t_min, f_min = _golden_min(fn, rr, centre_t - step, centre_t + step)
    f_min = torch.where(valid, f_min, torch.full_like(f_min, math.inf))
    return cols, t_min, f_min


def _run_brackets(brackets: _Brackets, i: int, theta: Tensor, below: Tensor, step: float) -> None:
    """Brackets of the sampled runs below the threshold on circle i (not entirely below it)."""
    two_pi = 2 * math.pi
    s_idx = (below & ~torch.roll(below, 1)).nonzero().squeeze(1).tolist()
    e_sorted = sorted((below & ~torch.roll(below, -1)).nonzero().squeeze(1).tolist())
    for s in s_idx:  # pair every run start with the first run end at or after it (cyclically)
        e = next((e for e in e_sorted if e >= s), e_sorted[0])
        t_s, t_e = float(theta[s]), float(theta[e]) + (two_pi if e < s else 0.0)
        brackets.add(i, t_s, t_s - step, t_e, t_e + step)


def _dip_brackets(
    brackets: _Brackets, i: int, theta: Tensor, below: Tensor, cols: Tensor, t_min: Tensor, f_min: Tensor,
    thr: float, step: float,
) -> None:  # fmt: skip
    """Brackets of refined dips below the threshold between two samples above it on circle i."""
    n_angles = len(theta)
    for j in range(len(cols)):
        if not float(f_min[j]) < thr:  # also skips minima that were not valid (inf)
            continue
        c = int(cols[j])
        if bool(below[c]) or bool(below[(c - 1) % n_angles]) or bool(below[(c + 1) % n_angles]):
            continue  # already inside a sampled run
        t = float(t_min[j])
        brackets.add(i, t, float(theta[c]) - step, t, float(theta[c]) + step)


def _merge_arcs(arcs: list[tuple[float, float]]) -> list[tuple[float, float]]:
    if not arcs:
        return []
    two_pi = 2 * math.pi
    if any(b - a >= two_pi for a, b in arcs):
        return [(0.0, two_pi)]
    arcs = sorted(arcs)
    out = [list(arcs[0])]
    for a, b in arcs[1:]:
        if a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    if len(out) > 1 and out[-1][1] >= out[0][0] + two_pi:  # wrap-around overlap
        first = out.pop(0)
        out[-1][1] = max(out[-1][1], first[1] + two_pi)
    if out[-1][1] - out[-1][0] >= two_pi or (len(out) == 1 and out[0][1] - out[0][0] >= two_pi):
        return [(0.0, two_pi)]
    return [(float(a), float(b)) for a, b in out]


def _overlap(a: tuple[float, float], b: tuple[float, float], slack: float) -> bool:
    two_pi = 2 * math.pi
    if a[1] - a[0] >= two_pi or b[1] - b[0] >= two_pi:
        return True
    for shift in (-two_pi, 0.0, two_pi):
        if a[0] - slack <= b[1] + shift and b[0] + shift <= a[1] + slack:
            return True
    return False


def link_arcs(arcs: list[list[tuple[float, float]]], centre_in: bool, n_angles: int) -> list[list[tuple[float, float]]]:
    """The arcs of each circle connected to the centre, through arcs of neighbouring circles that overlap.

    The centre links to every arc of the innermost circle when `centre_in` (the centre is class 0).
    """
    nodes: list[tuple[float, float]] = [(0.0, 2 * math.pi)]  # node 0 is the centre
    by_circle: list[list[int]] = []
    for circle in arcs:
        by_circle.append(list(range(len(nodes), len(nodes) + len(circle))))
        nodes += circle
    edges = [(0, u) for u in by_circle[0]] if centre_in else []
    slack = 0.5 * 2 * math.pi / n_angles
    for inner, outer in zip(by_circle[:-1], by_circle[1:]):
        edges += [(u, v) for u in inner for v in outer if _overlap(nodes[u], nodes[v], slack)]
    label = graph_components(len(nodes), edges)
    return [[nodes[u] for u in circle if label[u] == label[0]] for circle in by_circle]
