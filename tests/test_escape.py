"""Tests for morsenet.analysis._escape and morsenet.plotting._escape: the critical point shifted to infinity."""

from __future__ import annotations

import math

import matplotlib
import numpy as np
import pytest
import torch

from morsenet.analysis import escape_analysis
from morsenet.errors import MorsenetError
from morsenet.models import MLP
from morsenet.plotting._escape import plot_escape

matplotlib.use("Agg")


def test_paraboloid_min_gradient_is_2r_and_a_far_minimum_is_found():
    e = escape_analysis(lambda p: (p**2).sum(dim=1), box_radius=2.0, doublings=2, n_radii=12)
    np.testing.assert_allclose(e.min_gradient, 2 * e.radii, rtol=1e-12)
    assert e.nearest_critical_distance == pytest.approx(0.0, abs=1e-8) and e.nearest.kind == "minimum"
    # a minimum at distance 5, outside the box of radius 2 but inside R = 2 * 2^2 = 8
    far = escape_analysis(lambda p: ((p - torch.tensor([3.0, 4.0], dtype=p.dtype)) ** 2).sum(dim=1), doublings=2)
    assert far.nearest_critical_distance == pytest.approx(5.0, rel=1e-8)
    assert "distance 5" in far.summary()


def test_width2_net_has_none_up_to_r_and_the_plot_marks_it():
    model = MLP([2, 2, 2, 2, 1], "tanh", False, seed=3)
    e = escape_analysis(model, box_radius=2.0, doublings=3, n_radii=16, n_angles=64)
    assert e.nearest_critical_distance is None and e.max_radius == 16.0
    assert "no critical point up to R = 16" in e.summary()
    assert e.to_dict()["nearest_critical_distance"] is None
    ax = plot_escape(e)
    gids = {a.get_gid() for a in ax.get_children()}
    assert {"escape-curve", "escape-box", "escape-nearest"} <= gids
    assert math.isfinite(float(e.min_gradient.min()))


def test_bad_arguments():
    with pytest.raises(MorsenetError, match="doublings"):
        escape_analysis(lambda p: p.sum(dim=1), doublings=-1)
    with pytest.raises(MorsenetError, match="box_radius"):
        escape_analysis(lambda p: p.sum(dim=1), box_radius=0.0)
