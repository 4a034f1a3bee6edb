"""Tests for morsenet.analysis._topology: grid components, bounded regions, and the tunnel test."""

from __future__ import annotations

import json
import math
from collections import deque

import numpy as np
import pytest
import torch

from morsenet.analysis import decision_regions, label_components, tunnel_analysis
from morsenet.errors import MorsenetError

F64 = torch.float64
BOX = ((-2.0, 2.0), (-2.0, 2.0))


def disk(radius):
    return lambda p: (p**2).sum(dim=1) - radius**2


def tunnel(width, angle_deg=0.0, r0=0.43):
    """Class 0 on the disk |x| < r0 and on the half-strip {u > 0, |v| < width/2} along direction `angle_deg`."""
    c, s = math.cos(math.radians(angle_deg)), math.sin(math.radians(angle_deg))

    def f(p):
        u = p[:, 0] * c + p[:, 1] * s
        v = -p[:, 0] * s + p[:, 1] * c
        strip = torch.where(u > 0, v.abs() - width / 2, torch.ones_like(u))
        return torch.minimum((p**2).sum(dim=1) - r0**2, strip)

    return f


def smooth_tunnel(width, r0=0.43, k=200.0):
    """A smooth (soft-min) version of `tunnel` along +x."""

    def f(p):
        strip = p[:, 1].abs() - width / 2 + 5 * torch.relu(-p[:, 0]) ** 2
        disk_part = (p**2).sum(dim=1) - r0**2
        return -torch.logsumexp(torch.stack([-k * disk_part, -k * strip]), dim=0) / k

    return f


def strip_area_in_ring(width, b, c):
    """Exact area of {b <= |x| <= c, x > 0, |y| < width/2} by fine quadrature in y."""
    y = np.linspace(-width / 2, width / 2, 200001)
    return float(np.trapezoid(np.sqrt(c**2 - y**2) - np.sqrt(b**2 - y**2), y))


def angle_gap_deg(a_rad, b_deg):
    """Angular distance in degrees between an angle in radians and one in degrees."""
    d = (math.degrees(a_rad) - b_deg) % 360.0
    return min(d, 360.0 - d)


def bfs_count(classes: np.ndarray) -> int:
    """Oracle: number of 4-connected components by breadth-first search."""
    ny, nx = classes.shape
    seen = np.zeros_like(classes, dtype=bool)
    count = 0
    for j in range(ny):
        for i in range(nx):
            if seen[j, i]:
                continue
            count += 1
            queue = deque([(j, i)])
            seen[j, i] = True
            while queue:
                a, b = queue.popleft()
                for da, db in ((1, 0), (-1, 0), (0, 1), (0, -1)):
                    u, v = a + da, b + db
                    if 0 <= u < ny and 0 <= v < nx and not seen[u, v] and classes[u, v] == classes[a, b]:
                        seen[u, v] = True
                        queue.append((u, v))
    return count


@pytest.mark.parametrize("seed", range(4))
def test_label_components_matches_breadth_first_search(seed):
    rng = np.random.default_rng(seed)
    classes = (rng.random((40, 57)) < 0.45).astype(np.int64)
    labels = label_components(classes)
    assert labels.max() + 1 == bfs_count(classes)
    # every component is monochrome and its nodes are 4-connected (equal neighbours share a label)
    assert np.all((classes[:, :-1] != classes[:, 1:]) | (labels[:, :-1] == labels[:, 1:]))
    assert np.all((classes[:-1] != classes[1:]) | (labels[:-1] == labels[1:]))


def test_label_components_on_a_spiral():
    # a long snake of one class: worst case for naive label propagation
    n = 61
    classes = np.zeros((n, n), dtype=np.int64)
    for k in range(0, n // 2, 2):
        classes[k, k : n - k] = classes[n - 1 - k, k : n - k] = 1
        classes[k : n - k, k] = classes[k : n - k, n - 1 - k] = 1
        if k + 2 < n // 2:
            classes[k + 1, k + 1] = 1
            classes[k + 2, k + 1] = 0
    assert label_components(classes).max() + 1 == bfs_count(classes)


def test_half_plane():
    regions = decision_regions(lambda p: p[:, 0] - 0.3, BOX, resolution=201)
    assert regions.n_regions(0) == 1 and regions.n_regions(1) == 1 and regions.n_bounded() == 0
    area1 = sum(r.area for r in regions.regions if r.cls == 1)
    assert area1 == pytest.approx((2 - 0.3) * 4, rel=0.02)


def test_disk_is_one_bounded_region_with_the_right_area():
    regions = decision_regions(disk(0.45), BOX, resolution=256)
    assert regions.n_regions(0) == 1 and regions.n_bounded(0) == 1
    assert regions.n_regions(1) == 1 and regions.n_bounded(1) == 0
    inner = regions.region_at((0.0, 0.0))
    assert inner.cls == 0 and inner.bounded
    assert inner.area == pytest.approx(math.pi * 0.45**2, rel=0.03)
    assert inner.centroid == pytest.approx((0.0, 0.0), abs=0.02)


def test_two_disks_and_an_annulus():
    two = lambda p: (
        torch.minimum(
            ((p - torch.tensor([0.8, 0.0], dtype=F64)) ** 2).sum(1),
            ((p + torch.tensor([0.8, 0.0], dtype=F64)) ** 2).sum(1),
        )
        - 0.2
    )
    assert decision_regions(two, BOX, resolution=128).n_bounded(0) == 2
    annulus = lambda p: -((p**2).sum(1) - 0.25) * ((p**2).sum(1) - 1.0)
    regions = decision_regions(annulus, BOX, resolution=128)  # class 1 on the ring 0.5 < |x| < 1
    assert regions.n_bounded(1) == 1 and regions.n_bounded(0) == 1 and regions.n_regions(0) == 2


def test_threshold_is_on_the_probability():
    regions = decision_regions(disk(0.45), BOX, resolution=256, threshold=0.8)
    radius = math.sqrt(0.45**2 + math.log(4))  # sigmoid(logit) >= 0.8  <=>  logit >= log 4
    assert regions.region_at((0, 0)).area == pytest.approx(math.pi * radius**2, rel=0.03)


def test_enclosed_disk_has_no_tunnel():
    result = tunnel_analysis(disk(0.45), BOX)
    assert result.centre_class == 0 and result.bounded and not result.tunnel and not result.crosses_ring
    assert result.reach_radius == pytest.approx(0.45, abs=2 / 128 + 1e-9)
    assert not result.every_ring_circle_has_class0
    assert result.ring_area_fraction_class0 == 0.0 and result.disk_area_fraction_class0 == 1.0
    assert result.narrowest_width is None and result.crossing_angles == ()
    assert "bounded" in result.summary()


@pytest.mark.parametrize(("width", "angle"), [(0.2, 0.0), (0.05, 30.0), (0.01, 225.0)])
def test_tunnel_angle_and_width(width, angle):
    result = tunnel_analysis(tunnel(width, angle), BOX)
    assert result.tunnel and result.crosses_ring and not result.bounded and result.every_ring_circle_has_class0
    [crossing] = result.crossing_angles
    assert angle_gap_deg(crossing, angle) < 0.05
    assert result.narrowest_width == pytest.approx(width, rel=1e-3)


def test_tunnel_narrower_than_the_grid_is_found_by_the_circles():
    width = 1e-4  # grid spacing 4/256 ~ 0.016; angle step at r = 1 ~ 0.012
    result = tunnel_analysis(tunnel(width, 100.0), BOX, resolution=257)
    assert result.tunnel and result.thin and not result.grid_touches_edge
    assert result.narrowest_width == pytest.approx(width, rel=0.01)
    assert angle_gap_deg(result.crossing_angles[0], 100.0) < 0.05
    assert "thinner than the grid" in result.summary()


def test_ring_fractions_against_exact_area_and_points():
    width, (b, c) = 0.2, (0.5, 1.0)
    gen = torch.Generator().manual_seed(0)
    n = 4000
    r = torch.sqrt(b**2 + (c**2 - b**2) * torch.rand(n, generator=gen, dtype=F64))
    t = 2 * math.pi * torch.rand(n, generator=gen, dtype=F64)
    pts = torch.stack([r * t.cos(), r * t.sin()], dim=1)
    result = tunnel_analysis(tunnel(width), BOX, ring=(b, c), ring_points=pts)
    exact = strip_area_in_ring(width, b, c) / (math.pi * (c**2 - b**2))
    assert result.ring_area_fraction_class0 == pytest.approx(exact, rel=0.05)
    in_strip = ((pts[:, 0] > 0) & (pts[:, 1].abs() < width / 2)).double().mean()
    assert result.ring_points_fraction_class0 == pytest.approx(float(in_strip), abs=1e-12)


def test_smooth_tunnel():
    result = tunnel_analysis(smooth_tunnel(0.1), BOX)
    assert result.tunnel and angle_gap_deg(result.crossing_angles[0], 0.0) < 0.5
    assert result.narrowest_width == pytest.approx(0.1, rel=0.05)


def test_width2_net_without_critical_points_must_tunnel():
    # L4: a [2,2,1] tanh net (no critical points) whose centre is class 0 cannot enclose it.
    w1 = torch.tensor([[2.0, 1.0], [-1.0, 3.0]], dtype=F64)

    def f(p):
        return torch.tanh(p @ w1.T) @ torch.tensor([1.5, 1.0], dtype=F64) - 0.5

    result = tunnel_analysis(f, BOX)
    assert result.centre_class == 0
    assert result.tunnel and result.every_ring_circle_has_class0


def test_centre_of_class_one():
    result = tunnel_analysis(lambda p: 1 - (p**2).sum(1), BOX)
    assert result.centre_class == 1 and not result.bounded and not result.tunnel
    assert "centre is classified 1" in result.summary()


def test_results_serialise_to_json():
    t = tunnel_analysis(tunnel(0.2), BOX).to_dict()
    assert json.loads(json.dumps(t)) == t and len(t["crossing_angles_deg"]) == 1
    r = decision_regions(disk(0.45), BOX, resolution=64).to_dict()
    assert json.loads(json.dumps(r)) == r and r["n_bounded"] == {"0": 1, "1": 0}


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(box=((-0.9, 0.9), (-0.9, 0.9))), "box must contain the ring"),
        (dict(threshold=1.5), "strictly between 0 and 1"),
        (dict(ring=(1.0, 0.5)), "inner_radius < ring"),
        (dict(ring_points=torch.zeros(3, 3)), r"shape \(n_points, 2\)"),
        (dict(box=((-2, 2),)), "takes 2-D points"),
    ],
)
def test_tunnel_analysis_bad_arguments(kwargs, match):
    with pytest.raises(MorsenetError, match=match):
        tunnel_analysis(disk(0.45), **{"box": BOX, **kwargs})


def test_decision_regions_bad_resolution():
    with pytest.raises(MorsenetError, match="resolution"):
        decision_regions(disk(0.45), BOX, resolution=3)
