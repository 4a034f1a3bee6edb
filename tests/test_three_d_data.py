"""The companion work's 3-D data sets: a ball and a shell cut from a cube, and two noisy sphere surfaces."""

from __future__ import annotations

import pytest
import torch

from morsenet.datasets import DiskRing, get_dataset, make_cube_ball_shell, make_noisy_spheres
from morsenet.errors import MorsenetError


def test_cube_ball_shell_labels_match_the_radii_and_the_cube():
    d = make_cube_ball_shell(1500, cube=1.0, r_ball=0.5, r_inner=0.7, r_outer=0.9, seed=3)
    x, y = d.x.double(), d.y
    assert x.shape == (1500, 3) and d.input_dim == 3
    r = x.norm(dim=1)
    tol = 1e-6  # points are stored in float32
    assert bool((x.abs() <= 1.0 + tol).all())
    assert bool((r[y == 0] <= 0.5 + tol).all())
    assert bool(((r[y == 1] >= 0.7 - tol) & (r[y == 1] <= 0.9 + tol)).all())
    assert 0 < int((y == 0).sum()) < int((y == 1).sum())  # uniform in the cube: the shell holds more volume
    # class sizes follow the volumes: ball 4/3 pi 0.5^3 against the shell 4/3 pi (0.9^3 - 0.7^3)
    expected = 0.5**3 / (0.5**3 + 0.9**3 - 0.7**3)
    assert abs(float((y == 0).double().mean()) - expected) < 0.05
    assert d.geometry == DiskRing((0.0, 0.0, 0.0), 0.5, (0.7, 0.9))


def test_cube_ball_shell_keeps_the_shell_cut_by_the_cube():
    d = make_cube_ball_shell(800, cube=0.8, r_ball=0.3, r_inner=0.7, r_outer=1.3, seed=0)
    r = d.x.double().norm(dim=1)
    assert bool((d.x.abs() <= 0.8 + 1e-6).all())
    assert float(r[d.y == 1].max()) > 0.8  # corners of the cube: the shell reaches past its faces
    assert bool((r[d.y == 1] <= 0.8 * 3**0.5 + 1e-6).all())


def test_noisy_spheres_without_noise_lie_on_the_spheres():
    d = make_noisy_spheres(600, inner_sphere=0.5, outer_sphere=1.2, noise=0.0, test_fraction=0.25, seed=1)
    r = d.x.double().norm(dim=1)
    assert torch.allclose(r[d.y == 0], torch.full_like(r[d.y == 0], 0.5), atol=1e-6)
    assert torch.allclose(r[d.y == 1], torch.full_like(r[d.y == 1], 1.2), atol=1e-6)
    assert int((d.y == 0).sum()) == 300
    assert len(d.x_test) == 150
    g = d.geometry
    assert g is not None and g.dim == 3 and g.disk_radius == 0.5
    assert g.ring[0] < 1.2 < g.ring[1]


def test_noisy_spheres_radial_noise_has_the_given_spread():
    d = make_noisy_spheres(4000, inner_sphere=0.5, outer_sphere=1.0, noise=0.05, seed=2)
    r = d.x.double().norm(dim=1)
    for cls, radius in ((0, 0.5), (1, 1.0)):
        rr = r[d.y == cls]
        assert abs(float(rr.mean()) - radius) < 0.005
        assert abs(float(rr.std()) - 0.05) < 0.005
    # directions uniform on the sphere: every coordinate's mean is near 0
    unit = d.x.double() / r[:, None]
    assert float(unit.mean(0).abs().max()) < 0.05


@pytest.mark.parametrize("make", [make_cube_ball_shell, make_noisy_spheres])
def test_seeded_and_reproducible(make):
    a, b, c = make(300, seed=5), make(300, seed=5), make(300, seed=6)
    assert torch.equal(a.x_train, b.x_train) and torch.equal(a.y_test, b.y_test)
    assert not torch.equal(a.x_train, c.x_train)
    gen = torch.Generator().manual_seed(5)
    assert torch.equal(make(300, seed=gen).x_train, a.x_train)


def test_registered_and_standardised_geometry():
    d = get_dataset("noisy_spheres", n_samples=400, standardize="all", seed=0)
    assert d.geometry is not None and d.geometry.standardized
    raw = get_dataset("noisy_spheres", n_samples=400, seed=0)
    # the same points: their original radii read through the standardised geometry
    assert torch.allclose(d.geometry.radius_of(d.x.double()).sort().values, raw.x.double().norm(dim=1).sort().values,
                          atol=1e-4)  # fmt: skip
    c = get_dataset("cube_ball_shell", n_samples=300, seed=0)
    assert c.name == "cube_ball_shell" and c.params["r_ball"] == 0.5


@pytest.mark.parametrize(
    ("name", "params", "match"),
    [
        ("cube_ball_shell", {"r_ball": 0.8, "r_inner": 0.6}, "r_ball < r_inner < r_outer"),
        ("cube_ball_shell", {"cube": 0.3}, "r_ball <= cube"),
        ("cube_ball_shell", {"cube": 100.0, "r_ball": 0.01, "r_inner": 0.02, "r_outer": 0.03}, "less than 0.1%"),
        ("cube_ball_shell", {"n_samples": 2}, "n_samples must be an integer >= 4"),
        ("cube_ball_shell", {"r_ball": "big"}, "r_ball"),
        ("noisy_spheres", {"inner_sphere": 1.0, "outer_sphere": 0.5}, "0 < inner_sphere < outer_sphere"),
        ("noisy_spheres", {"noise": -0.1}, "noise must be >= 0"),
        ("noisy_spheres", {"n_samples": 20_000_000}, "n_samples must be <="),
        ("noisy_spheres", {"disk_radius": 0.3}, "records its own disk and ring.*inner_sphere, outer_sphere, noise"),
        ("cube_ball_shell", {"ring": [1, 2]}, "records its own disk and ring.*r_ball, r_inner, r_outer"),
        ("noisy_spheres", {"dim": 4}, "has no parameter 'dim'"),
    ],
)
def test_bad_parameters_are_one_line_errors(name, params, match):
    with pytest.raises(MorsenetError, match=match) as err:
        get_dataset(name, **params)
    assert "\n" not in str(err.value)
