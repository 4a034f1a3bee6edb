"""Synthetic data sets of the prototype and its companion work; every one takes `seed=` and no global RNG."""

from __future__ import annotations

import math

import torch
from torch import Tensor

from .._validation import Seed, as_generator
from ..errors import MorsenetError
from ._base import MAX_DIM, MAX_SAMPLES, Dataset, DiskRing, check_size, split


def _check_positive_int(name: str, key: str, value: object, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise MorsenetError(f"{name}: {key} must be an integer >= {minimum}, got {value!r}")
    limit = MAX_SAMPLES if key == "n_samples" else MAX_DIM
    if value > limit:
        why = "the most points morsenet generates" if key == "n_samples" else "the most input dimensions it generates"
        raise MorsenetError(f"{name}: {key} must be <= {limit:,} ({why}), got {value:,}")
    return value


def _uniform_shell(n: int, dim: int, r_lo: float, r_hi: float, gen: torch.Generator) -> Tensor:
    """`n` points uniform by volume in the shell r_lo <= |x| <= r_hi of R^dim."""
    direction = torch.randn(n, dim, generator=gen, dtype=torch.float64)
    direction = direction / direction.norm(dim=1, keepdim=True).clamp_min(1e-300)
    u = torch.rand(n, 1, generator=gen, dtype=torch.float64)
    r = (r_lo**dim + u * (r_hi**dim - r_lo**dim)) ** (1.0 / dim)
    return direction * r


def make_circles(
    n_samples: int = 2000,
    *,
    disk_radius: float = 0.3,
    ring_inner: float = 0.5,
    ring_outer: float = 1.0,
    test_fraction: float = 0.3,
    standardize: bool | str = False,
    seed: Seed = 0,
) -> Dataset:
    """The prototype's disk-inside-ring set in the plane.

    Half the points are uniform by area in the disk |x| <= disk_radius (label 0), half uniform by area in the
    ring ring_inner <= |x| <= ring_outer (label 1). (The prototype's `inner_radius`, `buffer`, `outer_radius`
    are ring_inner, ring_inner - disk_radius and ring_outer; `get_dataset` still reads them.)
    """
    _check_positive_int("circles", "n_samples", n_samples, 4)
    if not 0 < disk_radius < ring_inner < ring_outer:
        raise MorsenetError(
            "circles: need 0 < disk_radius < ring_inner < ring_outer, got "
            f"disk_radius={disk_radius}, ring_inner={ring_inner}, ring_outer={ring_outer}"
        )
    gen = as_generator(seed)
    n_disk = n_samples // 2
    disk = _uniform_shell(n_disk, 2, 0.0, disk_radius, gen)
    ring = _uniform_shell(n_samples - n_disk, 2, ring_inner, ring_outer, gen)
    x = torch.cat([disk, ring])
    y = torch.cat([torch.zeros(n_disk), torch.ones(n_samples - n_disk)])
    params = dict(
        n_samples=n_samples,
        disk_radius=disk_radius,
        ring_inner=ring_inner,
        ring_outer=ring_outer,
        test_fraction=test_fraction,
        standardize=standardize,
    )
    geometry = DiskRing((0.0, 0.0), float(disk_radius), (float(ring_inner), float(ring_outer)))
    return split(
        "circles", x, y, test_fraction=test_fraction, gen=gen, standardize=standardize, params=params,
        geometry=geometry,
    )  # fmt: skip


def make_spheres(
    n_samples: int = 2000,
    *,
    dim: int = 2,
    r1: float = 0.5,
    r2: float = 1.0,
    r3: float = 1.5,
    test_fraction: float = 0.3,
    seed: Seed = 0,
) -> Dataset:
    """Concentric spheres in R^dim: class 0 uniform in the ball |x| <= r1, class 1 in the shell r2..r3."""
    _check_positive_int("spheres", "n_samples", n_samples, 4)
    _check_positive_int("spheres", "dim", dim, 1)
    check_size("spheres", n_samples, dim)
    if not 0 < r1 < r2 < r3:
        raise MorsenetError(f"spheres: need 0 < r1 < r2 < r3, got r1={r1}, r2={r2}, r3={r3}")
    gen = as_generator(seed)
    n0 = n_samples // 2
    x = torch.cat([_uniform_shell(n0, dim, 0.0, r1, gen), _uniform_shell(n_samples - n0, dim, r2, r3, gen)])
    y = torch.cat([torch.zeros(n0), torch.ones(n_samples - n0)])
    params = dict(n_samples=n_samples, dim=dim, r1=r1, r2=r2, r3=r3, test_fraction=test_fraction)
    geometry = DiskRing((0.0,) * dim, float(r1), (float(r2), float(r3))) if dim in (2, 3) else None
    return split("spheres", x, y, test_fraction=test_fraction, gen=gen, params=params, geometry=geometry)


def make_xor(n_samples: int = 2000, *, noise: float = 0.2, test_fraction: float = 0.2, seed: Seed = 0) -> Dataset:
    """The prototype's noisy XOR: corners of {0,1}^2 shifted by -0.5 plus Gaussian noise; label = xor."""
    _check_positive_int("xor", "n_samples", n_samples, 4)
    if noise < 0:
        raise MorsenetError(f"xor: noise must be >= 0, got {noise}")
    gen = as_generator(seed)
    corners = torch.randint(0, 2, (n_samples, 2), generator=gen).double()
    y = (corners[:, 0] != corners[:, 1]).double()
    x = corners - 0.5 + noise * torch.randn(n_samples, 2, generator=gen, dtype=torch.float64)
    params = dict(n_samples=n_samples, noise=noise, test_fraction=test_fraction)
    return split("xor", x, y, test_fraction=test_fraction, gen=gen, params=params)


def make_xor_quadrants(n_samples: int = 2000, *, test_fraction: float = 0.2, seed: Seed = 0) -> Dataset:
    """The companion work's XOR: uniform in [-1, 1]^2 with label 1[x2^2 - x1^2 >= 0]."""
    _check_positive_int("xor_quadrants", "n_samples", n_samples, 4)
    gen = as_generator(seed)
    x = 2 * torch.rand(n_samples, 2, generator=gen, dtype=torch.float64) - 1
    y = (x[:, 1] ** 2 - x[:, 0] ** 2 >= 0).double()
    params = dict(n_samples=n_samples, test_fraction=test_fraction)
    return split("xor_quadrants", x, y, test_fraction=test_fraction, gen=gen, params=params)


def make_moons(n_samples: int = 2000, *, noise: float = 0.1, test_fraction: float = 0.3, seed: Seed = 0) -> Dataset:
    """Two interleaving half circles (scikit-learn's construction) with Gaussian noise."""
    _check_positive_int("moons", "n_samples", n_samples, 4)
    if noise < 0:
        raise MorsenetError(f"moons: noise must be >= 0, got {noise}")
    gen = as_generator(seed)
    n0 = n_samples // 2
    t0 = torch.rand(n0, generator=gen, dtype=torch.float64) * math.pi
    t1 = torch.rand(n_samples - n0, generator=gen, dtype=torch.float64) * math.pi
    upper = torch.stack([torch.cos(t0), torch.sin(t0)], 1)
    lower = torch.stack([1 - torch.cos(t1), 0.5 - torch.sin(t1)], 1)
    x = torch.cat([upper, lower]) + noise * torch.randn(n_samples, 2, generator=gen, dtype=torch.float64)
    y = torch.cat([torch.zeros(n0), torch.ones(n_samples - n0)])
    params = dict(n_samples=n_samples, noise=noise, test_fraction=test_fraction)
    return split("moons", x, y, test_fraction=test_fraction, gen=gen, params=params)


def make_square_1d(n_samples: int = 300, *, noise: float = 0.0, test_fraction: float = 0.2, seed: Seed = 0) -> Dataset:
    """The companion work's 1-D regression: x uniform on [-1, 1], target y = x^2 (+ optional noise)."""
    _check_positive_int("square_1d", "n_samples", n_samples, 4)
    gen = as_generator(seed)
    x = 2 * torch.rand(n_samples, 1, generator=gen, dtype=torch.float64) - 1
    y = x[:, 0] ** 2 + noise * torch.randn(n_samples, generator=gen, dtype=torch.float64)
    params = dict(n_samples=n_samples, noise=noise, test_fraction=test_fraction)
    return split("square_1d", x, y, test_fraction=test_fraction, gen=gen, task="regression", params=params)
