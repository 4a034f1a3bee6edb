"""The companion work's 3-D data: a ball and a shell cut from a cube, and two noisy sphere surfaces."""

from __future__ import annotations

import math

import torch

from .._validation import Seed, as_generator
from ..errors import MorsenetError
from ._base import Dataset, DiskRing, check_size, split
from ._generators import _check_positive_int, _uniform_shell

__all__ = ["make_cube_ball_shell", "make_noisy_spheres"]

# cube_ball_shell samples the cube in rounds until enough points are kept; it refuses a ball and shell that
# cover less than this fraction of the cube (the rounds would be too many).
MIN_KEPT_FRACTION = 1e-3
MAX_ROUNDS = 64


def _kept_fraction_lower_bound(cube: float, r_ball: float, r_inner: float, r_outer: float) -> float:
    """A lower bound on the fraction of the cube [-c, c]^3 in the ball or the shell: the parts of both inside
    the cube's inscribed ball (radius c)."""

    def ball(r: float) -> float:
        return 4.0 / 3.0 * math.pi * min(r, cube) ** 3

    return (ball(r_ball) + ball(r_outer) - ball(r_inner)) / (2 * cube) ** 3


def make_cube_ball_shell(
    n_samples: int = 2000,
    *,
    cube: float = 1.0,
    r_ball: float = 0.5,
    r_inner: float = 0.7,
    r_outer: float = 0.9,
    test_fraction: float = 0.3,
    standardize: bool | str = False,
    seed: Seed = 0,
) -> Dataset:
    """Points uniform in the cube [-cube, cube]^3: class 0 those in the ball |x| <= r_ball, class 1 those in the
    shell r_inner <= |x| <= r_outer; the rest are dropped, and the cube is sampled again until `n_samples` are
    kept (the companion work's "ball and shell cut from a cube"; the class sizes follow the volumes).

    Needs 0 < r_ball < r_inner < r_outer and r_ball <= cube (the ball lies in the cube; the shell may be cut
    by the cube's faces). The geometry records the ball and the shell (`DiskRing` in 3-D).
    """
    _check_positive_int("cube_ball_shell", "n_samples", n_samples, 4)
    check_size("cube_ball_shell", n_samples, 3)
    if not 0 < r_ball < r_inner < r_outer:
        raise MorsenetError(
            f"cube_ball_shell: need 0 < r_ball < r_inner < r_outer, got r_ball={r_ball}, r_inner={r_inner}, "
            f"r_outer={r_outer}"
        )
    if not 0 < cube < math.inf or r_ball > cube:
        raise MorsenetError(f"cube_ball_shell: need 0 < r_ball <= cube (the ball inside the cube), got cube={cube}")
    kept = _kept_fraction_lower_bound(cube, r_ball, r_inner, r_outer)
    if kept < MIN_KEPT_FRACTION:
        raise MorsenetError(
            f"cube_ball_shell: the ball and the shell cover less than {MIN_KEPT_FRACTION:.1%} of the cube "
            f"(cube={cube}, r_ball={r_ball}); use a smaller cube or larger radii"
        )
    gen = as_generator(seed)
    parts: list[torch.Tensor] = []
    have = 0
    for _ in range(MAX_ROUNDS):
        batch = min(max(1024, math.ceil(1.2 * (n_samples - have) / kept)), 4_000_000)
        x = (2 * torch.rand(batch, 3, generator=gen, dtype=torch.float64) - 1) * cube
        r = x.norm(dim=1)
        x = x[(r <= r_ball) | ((r >= r_inner) & (r <= r_outer))]
        parts.append(x)
        have += len(x)
        if have >= n_samples:
            break
    else:  # pragma: no cover - the lower bound on the kept fraction makes this unreachable
        raise MorsenetError(f"cube_ball_shell: kept only {have} of {n_samples} points in {MAX_ROUNDS} rounds")
    x = torch.cat(parts)[:n_samples]
    y = (x.norm(dim=1) > r_ball).double()
    params = dict(
        n_samples=n_samples, cube=cube, r_ball=r_ball, r_inner=r_inner, r_outer=r_outer,
        test_fraction=test_fraction, standardize=standardize,
    )  # fmt: skip
    geometry = DiskRing((0.0, 0.0, 0.0), float(r_ball), (float(r_inner), float(r_outer)))
    return split(
        "cube_ball_shell", x, y, test_fraction=test_fraction, gen=gen, standardize=standardize, params=params,
        geometry=geometry,
    )  # fmt: skip


def noisy_spheres_geometry(inner_sphere: float, outer_sphere: float, noise: float) -> DiskRing:
    """The ball |x| <= inner_sphere and the shell outer_sphere - h <= |x| <= outer_sphere + h, where h is 2 noise
    clamped to [0.1, 0.5] (outer_sphere - inner_sphere)."""
    h = min(max(2 * noise, 0.1 * (outer_sphere - inner_sphere)), 0.5 * (outer_sphere - inner_sphere))
    return DiskRing((0.0, 0.0, 0.0), float(inner_sphere), (float(outer_sphere - h), float(outer_sphere + h)))


def make_noisy_spheres(
    n_samples: int = 2000,
    *,
    inner_sphere: float = 0.5,
    outer_sphere: float = 1.0,
    noise: float = 0.05,
    test_fraction: float = 0.3,
    standardize: bool | str = False,
    seed: Seed = 0,
) -> Dataset:
    """Two sphere surfaces in R^3 with Gaussian radial noise: half the points at radius
    inner_sphere + noise * N(0, 1) (class 0), half at outer_sphere + noise * N(0, 1) (class 1), directions uniform
    on the sphere (the companion work's "two noisy sphere surfaces").

    Needs 0 < inner_sphere < outer_sphere and noise >= 0. The geometry (`noisy_spheres_geometry`) records the
    ball of radius inner_sphere (class 0 and what it encloses) and a shell around the outer sphere,
    outer_sphere +- h with h = 2 noise clamped to [0.1, 0.5] (outer_sphere - inner_sphere).
    """
    _check_positive_int("noisy_spheres", "n_samples", n_samples, 4)
    check_size("noisy_spheres", n_samples, 3)
    if not 0 < inner_sphere < outer_sphere < math.inf:
        raise MorsenetError(
            f"noisy_spheres: need 0 < inner_sphere < outer_sphere, got inner_sphere={inner_sphere}, "
            f"outer_sphere={outer_sphere}"
        )
    if not 0 <= noise < math.inf:
        raise MorsenetError(f"noisy_spheres: noise must be >= 0, got {noise}")
    gen = as_generator(seed)
    n0 = n_samples // 2
    unit = _uniform_shell(n_samples, 3, 1.0, 1.0, gen)  # directions: the shell of radius 1
    radius = torch.cat(
        [torch.full((n0,), float(inner_sphere)), torch.full((n_samples - n0,), float(outer_sphere))]
    ).double()
    radius = radius + noise * torch.randn(n_samples, generator=gen, dtype=torch.float64)
    x = unit * radius[:, None]
    y = torch.cat([torch.zeros(n0), torch.ones(n_samples - n0)])
    params = dict(
        n_samples=n_samples,
        inner_sphere=inner_sphere,
        outer_sphere=outer_sphere,
        noise=noise,
        test_fraction=test_fraction,
        standardize=standardize,
    )
    return split(
        "noisy_spheres", x, y, test_fraction=test_fraction, gen=gen, standardize=standardize, params=params,
        geometry=noisy_spheres_geometry(inner_sphere, outer_sphere, noise),
    )  # fmt: skip
