"""Small statistics for sweep tables: Wilson intervals for rates, Newcombe intervals for differences, Spearman."""

from __future__ import annotations

import math
from collections.abc import Sequence
from statistics import NormalDist

import numpy as np

from ..errors import MorsenetError


def _z(confidence: float) -> float:
    if not 0 < confidence < 1:
        raise MorsenetError(f"confidence must be in (0, 1), got {confidence!r}")
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion `successes / n`.

    Unlike the normal ("Wald") interval it stays inside [0, 1] and is sensible at 0/n and n/n, which is
    where architecture comparisons live. Returns (nan, nan) for n = 0.

    Raises:
        MorsenetError: for negative counts or successes > n.
    """
    if isinstance(successes, bool) or isinstance(n, bool) or not 0 <= successes <= n:
        raise MorsenetError(f"need 0 <= successes <= n, got successes={successes!r}, n={n!r}")
    if n == 0:
        return (math.nan, math.nan)
    z = _z(confidence)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    # Clamp rounding at the ends: at 0/n the lower bound is exactly 0, at n/n the upper bound exactly 1.
    lo = 0.0 if successes == 0 else max(0.0, centre - half)
    hi = 1.0 if successes == n else min(1.0, centre + half)
    return (lo, hi)


def rate_difference_interval(
    k1: int, n1: int, k2: int, n2: int, confidence: float = 0.95
) -> tuple[float, float, float]:
    """Difference of two independent proportions k1/n1 - k2/n2 with Newcombe's hybrid score interval.

    Returns (difference, low, high); nan when either n is 0.
    """
    if n1 == 0 or n2 == 0:
        return (math.nan, math.nan, math.nan)
    p1, p2 = k1 / n1, k2 / n2
    l1, u1 = wilson_interval(k1, n1, confidence)
    l2, u2 = wilson_interval(k2, n2, confidence)
    d = p1 - p2
    return (d, d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2))


def rankdata(x: Sequence[float]) -> np.ndarray:
    """Ranks 1..n with ties given their average rank (as scipy.stats.rankdata's default)."""
    a = np.asarray(x, dtype=float)
    order = np.argsort(a, kind="mergesort")
    ranks = np.empty(len(a), dtype=float)
    sorted_a = a[order]
    i = 0
    while i < len(a):
        j = i
        while j + 1 < len(a) and sorted_a[j + 1] == sorted_a[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2 + 1
        i = j + 1
    return ranks


def spearman(x: Sequence[float], y: Sequence[float], confidence: float = 0.95) -> tuple[float, float, float, int]:
    """Spearman rank correlation of paired samples, with a Fisher-z interval.

    Pairs with a non-finite value are dropped. The interval uses z = atanh(rho) with standard error
    sqrt(1.06 / (n - 3)) (Fieller, Hartley & Pearson 1957), so it needs n >= 4.

    Returns:
        (rho, low, high, n); rho is nan when n < 3 or either sample is constant, the interval is nan when
        n < 4.
    """
    xa, ya = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if xa.shape != ya.shape or xa.ndim != 1:
        raise MorsenetError(f"spearman needs two 1-D samples of equal length, got shapes {xa.shape} and {ya.shape}")
    keep = np.isfinite(xa) & np.isfinite(ya)
    xa, ya = xa[keep], ya[keep]
    n = int(len(xa))
    if n < 3:
        return (math.nan, math.nan, math.nan, n)
    rx, ry = rankdata(xa), rankdata(ya)
    rx, ry = rx - rx.mean(), ry - ry.mean()
    denom = math.sqrt(float((rx * rx).sum() * (ry * ry).sum()))
    if denom == 0:
        return (math.nan, math.nan, math.nan, n)
    rho = float((rx * ry).sum() / denom)
    rho = max(-1.0, min(1.0, rho))
    if n < 4 or abs(rho) == 1.0:
        return (rho, rho if abs(rho) == 1.0 else math.nan, rho if abs(rho) == 1.0 else math.nan, n)
    half = _z(confidence) * math.sqrt(1.06 / (n - 3))
    z = math.atanh(rho)
    return (rho, math.tanh(z - half), math.tanh(z + half), n)
