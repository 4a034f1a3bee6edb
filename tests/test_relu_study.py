"""The bundled `relu` study (the prototype's last experiment) and what the analyses say about ReLU nets."""

from __future__ import annotations

import torch

from morsenet.analysis import assess_model
from morsenet.models import build_model
from morsenet.study import bundled_studies, load_study


def test_relu_study_reproduces_the_prototype_settings():
    assert "relu" in bundled_studies()
    study = load_study("relu")
    [model] = study.models
    cfg = model.config
    assert cfg.activation == "relu" and cfg.widths == (2,) + (2,) * 15 + (1,) and cfg.batchnorm
    assert study.train.epochs == 450 and study.train.lr == 0.01 and study.snapshot_every == 50


def test_relu_width2_net_gets_beise_plateaus_and_a_tunnel_verdict():
    with torch.random.fork_rng(devices=[]):
        model = build_model({"kind": "mlp", "widths": [2] * 7 + [1], "activation": "relu"}, seed=3).eval()
    a = assess_model(model, ((-2.0, 2.0), (-2.0, 2.0)), n_starts=32, resolution=65)
    assert a.prediction.can_enclose is False and "Beise et al." in a.prediction.theorems
    assert a.critical_points.points == []  # flat regions are plateaus, never critical points
    assert a.agree and "DISAGREEMENT" not in a.verdict
    if a.tunnel is not None and a.tunnel.status != "no_inner_region":
        assert a.tunnel.status in ("tunnel", "undecided")  # Beise: never bounded
