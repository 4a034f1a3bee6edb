"""Tests for morsenet.analysis._certificates: tunnel verdicts with explicit, checked curves both ways."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from morsenet.analysis import tunnel_analysis
from morsenet.analysis._certificates import check_polyline

BOX = ((-2.0, 2.0), (-2.0, 2.0))


def wall(thickness, gap=0.0, radius=0.75, gap_angle=20.0):
    """Class 1 (logit >= 0) only on the annulus | |x| - radius | < thickness / 2, with an optional straight class-0
    cut of width `gap` through it along the ray at `gap_angle` degrees. With a cut, the wall's logit dips gently
    towards it (as a trained net's does; an exactly symmetric wall gives the circle test no minimum to refine)."""
    c, s = math.cos(math.radians(gap_angle)), math.sin(math.radians(gap_angle))

    def f(p):
        r = torch.linalg.vector_norm(p, dim=1)
        logit = -100 * ((r - radius).abs() - thickness / 2)
        if gap:
            theta = torch.atan2(p[:, 1], p[:, 0]) - math.radians(gap_angle)
            logit = logit + 0.5 * (1 - torch.cos(theta))
            u, v = p[:, 0] * c + p[:, 1] * s, -p[:, 0] * s + p[:, 1] * c
            logit = torch.where((u > 0) & (v.abs() < gap / 2), torch.full_like(logit, -1.0), logit)
        return logit

    return f


def _independent_check(f, points, closed, want):
    """Resample the certificate 4x finer than its own check, with plain numpy segments."""
    pts = np.vstack([points, points[:1]]) if closed else points
    samples = [pts[i] + t * (pts[i + 1] - pts[i]) for i in range(len(pts) - 1) for t in np.linspace(0, 1, 200)]
    logits = f(torch.tensor(np.array(samples)))
    return bool((logits < 0).all()) if want == 0 else bool((logits >= 0).all())


@pytest.mark.parametrize("thickness", [0.01, 0.004])
def test_thin_wall_is_bounded_with_a_closed_class1_curve(thickness):
    f = wall(thickness)
    t = tunnel_analysis(f, BOX, inner_radius=0.3, ring=(0.5, 1.0))
    assert t.status == "bounded" and t.bounded and not t.tunnel
    assert t.certificate_kind == "closed_curve" and isinstance(t.certificate, np.ndarray)
    assert t.certificate.shape[1] == 2 and len(t.certificate) >= 3
    assert _independent_check(f, t.certificate, True, 1)
    r = np.hypot(t.certificate[:, 0], t.certificate[:, 1])
    assert np.all(np.abs(r - 0.75) < thickness / 2)  # the curve runs inside the wall


@pytest.mark.parametrize("gap", [0.001, 0.02])
def test_thin_tunnel_is_a_tunnel_with_a_class0_path_to_the_edge(gap):
    f = wall(0.05, gap=gap)
    t = tunnel_analysis(f, BOX, inner_radius=0.3, ring=(0.5, 1.0))
    assert t.status == "tunnel" and t.tunnel and t.certificate_kind == "path"
    start, end = t.certificate[0], t.certificate[-1]
    assert np.hypot(*start) < 0.3  # from the disk ...
    assert max(abs(end[0]), abs(end[1])) == pytest.approx(2.0, abs=1e-9)  # ... to the box edge
    assert _independent_check(f, t.certificate, False, 0)
    assert "certificate" in t.summary() and t.to_dict()["verdict"] == "tunnel"


def test_check_polyline_catches_a_wall_between_the_vertices():
    f = wall(0.003)
    ok, n, _ = check_polyline(f, np.array([[0.0, 0.0], [1.9, 0.0]]), 0.0, 0, 1e-3, closed=False)
    assert not ok and n >= 1900
    ok, _, margin = check_polyline(f, np.array([[0.0, 0.0], [0.5, 0.0]]), 0.0, 0, 1e-3, closed=False)
    assert ok and margin > 0


def test_centre_of_class_one_has_no_inner_region_and_no_certificate():
    t = tunnel_analysis(lambda p: torch.ones(len(p), dtype=torch.float64), BOX)
    assert t.status == "no_inner_region" and t.certificate is None
