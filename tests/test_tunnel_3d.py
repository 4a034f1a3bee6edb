"""The 3-D tunnel test on hand-set logits with a known answer, its certificates, grids and slices."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from morsenet.analysis import (
    Tunnel3D,
    axis_slices,
    grid_3d,
    three_d_views,
    tunnel_analysis_3d,
)
from morsenet.analysis._tunnel_3d import three_d_resolution
from morsenet.datasets import DiskRing
from morsenet.errors import MorsenetError

GEOMETRY = DiskRing((0.0, 0.0, 0.0), 0.4, (0.6, 0.9))
BOX = ((-1.5, 1.5),) * 3
N = 24  # nodes per axis: spacing H
H = 3.0 / (N - 1)


def ball(x):
    return (x**2).sum(1) - 0.5**2


def cylinder(s, off=(0.0, 0.0)):
    """Class 0: the ball of radius 0.5 and a cylinder of radius s along x3 with its axis at `off`."""

    def f(x):
        return torch.minimum(ball(x), (x[:, 0] - off[0]) ** 2 + (x[:, 1] - off[1]) ** 2 - s**2)

    return f


def _dense(points: np.ndarray, n: int = 4000) -> torch.Tensor:
    """Points along a polyline, `n` per segment (independent of the certificate's own sampling)."""
    p = torch.as_tensor(points, dtype=torch.float64)
    t = torch.linspace(0, 1, n, dtype=torch.float64)[:, None]
    return torch.cat([p[i] + t * (p[i + 1] - p[i]) for i in range(len(p) - 1)])


def _on_box_surface(p: np.ndarray) -> bool:
    return any(math.isclose(float(v), b, abs_tol=1e-9) for v, (lo, hi) in zip(p, BOX) for b in (lo, hi))


def test_a_ball_is_bounded_with_a_closed_surface_around_it():
    t = tunnel_analysis_3d(ball, GEOMETRY, BOX, resolution=N)
    assert isinstance(t, Tunnel3D) and t.verdict == "bounded" and t.bounded and not t.tunnel
    c = t.certificate
    assert c is not None and c.kind == "closed_surface" and c.points.shape[1:] == (4, 3)
    # every face lies outside the ball |x| <= 0.5 (closed form), and they enclose it: they are hit by rays from
    # the centre in all directions (each ray crosses at least one face)
    corners = torch.as_tensor(c.points)
    assert float(corners.norm(dim=-1).min()) > 0.5
    centres = corners.mean(1)
    dirs = torch.nn.functional.normalize(torch.randn(64, 3, generator=torch.Generator().manual_seed(0),
                                                     dtype=torch.float64), dim=1)  # fmt: skip
    cosine = dirs @ torch.nn.functional.normalize(centres, dim=1).T
    assert bool((cosine.max(1).values > 0.99).all())
    assert c.margin > 0 and c.n_samples >= len(c.points) * 4
    assert t.reach_radius is not None and t.reach_radius <= 0.5
    assert t.ball_fraction_class0 == 1.0 and t.shell_fraction_class0 == 0.0
    assert t.centre_class == 0 and not t.touches_surface


def test_a_cylinder_through_the_shell_is_a_tunnel_with_a_path_to_the_box_surface():
    t = tunnel_analysis_3d(cylinder(0.2), GEOMETRY, BOX, resolution=N)
    assert t.verdict == "tunnel" and t.touches_surface and not t.thin
    c = t.certificate
    assert c is not None and c.kind == "path"
    assert np.allclose(c.points[0], 0.0) and _on_box_surface(c.points[-1])
    assert bool((cylinder(0.2)(_dense(c.points)) < 0).all())  # the closed form agrees along the whole path
    assert 0 < t.shell_fraction_class0 < 0.2  # only the cylinder's part of the shell is class 0
    assert t.reach_radius is not None and t.reach_radius > 1.5


def test_centre_classified_one_has_no_inner_region():
    t = tunnel_analysis_3d(lambda x: 1.0 - (x**2).sum(1), GEOMETRY, BOX, resolution=N)
    assert t.verdict == "no_inner_region" and t.certificate is None and t.centre_class == 1
    assert "no inner region" in t.summary()


@pytest.mark.parametrize("s", [0.25 * H, 0.1 * H])
def test_a_tunnel_thinner_than_the_grid_is_never_called_bounded(s):
    # off the nodes (between them): the grid sees no class-0 node in the cylinder outside the ball
    off = (0.37 * H + H / 2, 0.41 * H + H / 2)  # nodes sit at odd multiples of H / 2 (N even)
    f = cylinder(s, off)
    # samples H / 8 apart on the faces: every disk of radius > H / (8 sqrt 2) holds one, so the cylinder shows
    t = tunnel_analysis_3d(f, GEOMETRY, BOX, resolution=N, spacing=H / 8)
    assert t.verdict in ("tunnel", "undecided")
    if t.verdict == "tunnel":
        assert t.certificate is not None and _on_box_surface(t.certificate.points[-1])
        assert bool((f(_dense(t.certificate.points)) < 0).all())
    else:
        assert t.undecided_reason


def test_a_class_one_wall_thinner_than_the_grid_is_never_called_a_tunnel():
    # class 1 only in a spherical wall 0.4 H thick at radius 0.75: the grid's nodes miss it
    w = 0.2 * H
    f = lambda x: w**2 - (x.norm(dim=1) - 0.75) ** 2  # noqa: E731
    t = tunnel_analysis_3d(f, GEOMETRY, BOX, resolution=N, spacing=H / 8)
    assert t.verdict in ("bounded", "undecided")
    if t.verdict == "bounded":
        corners = torch.as_tensor(t.certificate.points).reshape(-1, 3)
        assert bool((f(corners) >= 0).all())


def test_to_dict_is_json_in_snake_case():
    t = tunnel_analysis_3d(cylinder(0.2), GEOMETRY, BOX, resolution=16)
    d = json.loads(json.dumps(t.to_dict()))
    assert d["verdict"] == "tunnel" and d["certificate_kind"] == "path"
    assert d["certificate_check"]["n_samples"] > 0 and len(d["certificate_check"]["points"]) >= 2
    assert all(k == k.lower() and " " not in k for k in d)
    assert "tunnel" in repr(t) and d["summary"].startswith("tunnel")
    b = tunnel_analysis_3d(ball, GEOMETRY, BOX, resolution=16).to_dict()
    assert b["certificate_check"]["kind"] == "closed_surface" and b["certificate_check"]["points"] is None


def test_grid_3d_indexing_and_float64():
    g = grid_3d(lambda x: x[:, 0] + 10 * x[:, 1] + 100 * x[:, 2], ((0, 1), (0, 2), (0, 3)), (4, 5, 6))
    assert g.logits.dtype == torch.float64 and g.shape == (4, 5, 6)
    i, j, k = 3, 1, 4
    assert float(g.logits[i, j, k]) == pytest.approx(float(g.xs[i] + 10 * g.ys[j] + 100 * g.zs[k]))
    assert g.spacing == pytest.approx((1 / 3, 0.5, 0.6))


def test_axis_slices_against_the_closed_form():
    s = axis_slices(ball, BOX, (0.1, -0.2, 0.3), resolution=21)
    for k, (a, b) in enumerate(s.axes):
        gv, gu = torch.meshgrid(s.vs[k], s.us[k], indexing="ij")
        x = torch.zeros(*gu.shape, 3, dtype=torch.float64)
        x[..., k] = s.center[k]
        x[..., a], x[..., b] = gu, gv
        r2 = (x**2).sum(-1)
        assert torch.allclose(s.probability[k], torch.sigmoid(r2 - 0.25))
        assert torch.allclose(s.gradient_norm[k], 2 * r2.sqrt())  # |grad (|x|^2)| = 2 |x|


def test_three_d_views_share_one_grid_and_resolutions():
    v = three_d_views(cylinder(0.2), BOX, geometry=GEOMETRY, resolution=16, slice_resolution=12)
    assert v.tunnel is not None and v.tunnel.grid is v.grid and v.tunnel.verdict == "tunnel"
    assert v.slices.center == (0.0, 0.0, 0.0)
    assert three_d_views(ball, BOX, resolution=8, slice_resolution=8).tunnel is None
    assert three_d_resolution(100) == 28 and three_d_resolution(200) == 56 and three_d_resolution(10) == 16


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"geometry": DiskRing((0.0, 0.0), 0.3, (0.5, 1.0))}, "3-D DiskRing"),
        ({"box": ((1.0, 2.0),) * 3}, "does not contain the centre"),
        ({"box": ((-1.0, 1.0),) * 2}, "pairs"),
        ({"resolution": 2}, "integers >= 4"),
        ({"resolution": 1000}, "more than"),
        ({"threshold": 1.5}, "threshold"),
        ({"spacing": 5.0}, "spacing"),
    ],
)
def test_bad_inputs(kwargs, match):
    args = {"geometry": GEOMETRY, "box": BOX, **kwargs}
    with pytest.raises(MorsenetError, match=match):
        tunnel_analysis_3d(ball, args.pop("geometry"), args.pop("box"), **args)
