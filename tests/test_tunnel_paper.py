"""The bundled `tunnel_paper` study and the `tunnel_paper` / `ratio` sweeps: the companion code's settings."""

from __future__ import annotations

import json
import math
import re
from dataclasses import replace
from importlib import resources

import numpy as np
import pytest
import torch

from morsenet.study import load_study
from morsenet.sweep import load_sweep, run_sweep

# PAPER_PARITY.md section 3: width, blocks, eps, delta, BN, epochs, (threshold, tries).
TABLE = {
    "node_regime": (2, 20, 1.0, 0.1, 100, 0.9, 10),
    "mlp_regime": (2, 6, 0.1, 1.0, 300, None, 1),
    "augmented": (3, 1, 0.0, 1.0, 300, None, 1),
    "standard": (2, 10, 1.0, 1.0, 100, 0.95, 5),
    "xor_mlp_regime": (2, 6, 0.0, 1.0, 100, None, 1),
    "xor_augmented": (3, 2, 0.0, 1.0, 100, None, 1),
    "xor_standard": (2, 10, 1.0, 1.0, 100, None, 1),
}


@pytest.fixture(autouse=True)
def _one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_study_has_the_companion_cases_and_settings():
    study = load_study("tunnel_paper")
    assert [m.name for m in study.models] == list(TABLE)
    for m in study.models:
        width, blocks, skip, residual, epochs, threshold, tries = TABLE[m.name]
        c = m.config
        assert (c.kind, c.width, c.blocks, c.skip, c.residual, c.batchnorm) == ("resnet", width, blocks, skip,
                                                                                 residual, True)  # fmt: skip
        assert c.init == "xavier_normal" and c.init_gain == 1.0 and c.activation == "tanh"
        train = replace(study.train, **m.train)
        assert (train.epochs, train.threshold, train.max_attempts) == (epochs, threshold, tries), m.name
    circles, xor = study.datasets
    assert circles.name == "circles" and circles.params == {
        "n_samples": 2000, "disk_radius": 0.4, "ring_inner": 0.5, "ring_outer": 1.0, "standardize": "all",
        "test_fraction": 0.3, "seed": 0,
    }  # fmt: skip
    assert xor.name == "xor_quadrants" and xor.params["n_samples"] == 2000
    rep = study.report
    assert rep.box == ((-2.5, 2.5), (-2.5, 2.5)) and rep.levels == "probability" and rep.n_probability_levels == 20
    first = rep.claims[0]
    assert (first.model, first.dataset, first.expect) == ("node_regime", "circles", "tunnel")
    assert "companion README" in first.source
    data = circles.build()  # standardised on all points: mean 0, unit variance over train + test together
    x = torch.cat([data.x_train, data.x_test])
    # (StandardScaler divides by the population sd, morsenet by the sample sd: they differ by sqrt(1999/2000))
    assert torch.allclose(x.mean(0), torch.zeros(2), atol=1e-5)
    assert torch.allclose(x.std(0, unbiased=False), torch.ones(2), atol=1e-3)


def test_every_bundled_setting_names_its_source():
    """Each [[models]] / [[datasets]] table of the bundled files follows a comment naming where it comes from."""
    for folder, name in (
        ("morsenet.study", "studies/tunnel_paper.toml"),
        ("morsenet.sweep", "sweeps/tunnel_paper.toml"),
    ):
        text = resources.files(folder).joinpath(name).read_text()
        blocks = re.split(r"\n(?=\[\[(?:models|datasets)\]\])", text)[1:]
        prev = re.split(r"\n(?=\[\[(?:models|datasets)\]\])", text)
        for before, block in zip(prev, blocks):
            comment = [ln for ln in before.splitlines() if ln.startswith("#")]
            assert comment and re.search(r"[Ss]ection \d|PAPER_PARITY", " ".join(comment[-3:])), (name, block[:60])


def test_sweep_tunnel_paper_is_the_studys_circles_cases_over_50_seeds():
    study, sweep = load_study("tunnel_paper"), load_sweep("tunnel_paper")
    by_name = {m.name: m.config for m in study.models}
    assert [m.name for m in sweep.models] == ["node_regime", "mlp_regime", "augmented", "standard"]
    for m in sweep.models:
        assert m.config == by_name[m.name]
    assert sweep.seeds == 50 and sweep.datasets[0].params == study.datasets[0].params
    assert "escape" in sweep.analyses
    quick = load_sweep("tunnel_paper", quick=True)
    assert quick.seeds == 4 and all(c.train.epochs <= 15 for c in quick.cells())


def test_sweep_ratio_grid():
    sweep = load_sweep("ratio")
    ratios = [m.config.skip / m.config.residual for m in sweep.models]
    assert len(ratios) == 7 and ratios[0] == pytest.approx(0.01) and ratios[-1] == pytest.approx(100)
    assert np.allclose(np.diff(np.log(ratios)), math.log(10) * 2 / 3, rtol=1e-4)  # log-spaced
    assert {(m.config.width, m.config.blocks, m.config.batchnorm, m.config.activation) for m in sweep.models} == {
        (2, 10, True, "tanh")
    }
    bounds = [c.train.weight_bound for c in sweep.cells()]
    assert sorted({b for b in bounds if b is not None}) == [0.5, 2.0] and None in bounds
    assert sweep.chunk_size == sweep.seeds and len(sweep.cells()) == 21


def test_quick_ratio_sweep_runs_and_draws_the_ratio_figure(tmp_path):
    """Two ratios of the bundled `ratio` sweep under --quick (2 seeds to keep the test short): rows with the new
    columns and the ratio figure in the report."""
    sweep = load_sweep("ratio", quick=True)
    sweep = replace(sweep, seeds=2, chunk_size=2, models=(sweep.models[0], sweep.models[-1]),
                    training=sweep.training[1:2], analyses=("spectra", "theory"))  # fmt: skip
    # (the tunnel test, 1-3 s a model, is left out here; tests/test_sweep.py checks it on standardised circles)
    result = run_sweep(sweep, tmp_path, workers=1, quiet=True, quick=True)
    assert result.failures == [] and len(result.rows) == 4
    for r in result.rows:
        assert r["weight_bound"] == 0.5 and r["residual"] == 1.0 and r["ratio"] in (0.01, 100.0)
        assert r["r1_holds"] == (r["r1_ratio"] < 1)
    html = (tmp_path / "report.html").read_text()
    assert "against the skip/residual ratio" in html


def test_quick_tunnel_paper_sweep_trains_the_bundled_cases(tmp_path):
    sweep = load_sweep("tunnel_paper", quick=True)
    sweep = replace(sweep, seeds=2, chunk_size=2, models=sweep.models[:1], analyses=("spectra", "theory"))
    result = run_sweep(sweep, tmp_path, workers=1, quiet=True, quick=True, report=False)
    assert result.failures == [] and len(result.rows) == 2
    for r in result.rows:
        assert (r["skip"], r["residual"], r["ratio"], r["weight_bound"]) == (1.0, 0.1, 10.0, None)
        assert isinstance(r["r1_ratio"], float) and r["r1_holds"] == (r["r1_ratio"] < 1)


def test_quick_tunnel_paper_study_runs_and_reports_r1_and_the_claims(tmp_path):
    """`morsenet run tunnel_paper --quick` trains all 14 runs from the bundled file (tiny data, 3 epochs); the
    report is then built for two of them (the neural-ODE regime the companion's claim is about, and the standard
    ResNet), which keeps the test short: every model's report costs seconds of critical-point search."""
    from morsenet.cli import main

    out = tmp_path / "tp"
    args = ["run", "tunnel_paper", "--quick", "--no-report", "--quiet", "--out", str(out),
            "--set", "datasets.circles.n_samples=200", "--set", "datasets.xor.n_samples=200",
            "--set", "train.epochs=3"]  # fmt: skip
    assert main(args) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert len(metrics["models"]) == 14
    node = metrics["models"]["circles-node_regime"]
    assert node["model"]["init"] == "xavier_normal" and node["dataset"]["params"]["standardize"] == "all"
    keep = ("circles-node_regime", "circles-standard")
    metrics["models"] = {k: v for k, v in metrics["models"].items() if k in keep}
    (out / "metrics.json").write_text(json.dumps(metrics))
    assert main(["report", str(out), "--resolution", "24", "--quiet"]) == 0
    html = (out / "report.html").read_text()
    assert "Claims checked" in html and "neural-ODE regime shows the tunnel" in html
    assert html.count("(ratio ") >= 2  # the R1 line of both ResNets, read off their folded weights
    assert (out / "figures" / "circles-node_regime" / "level_sets.png").is_file()
