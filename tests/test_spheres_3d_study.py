"""The bundled `spheres_3d` study: its settings, and a quick run whose report shows the 3-D figures and verdicts."""

from __future__ import annotations

import json
from dataclasses import replace

from morsenet.study import bundled_studies, load_study, run_study


def test_spheres_3d_study_settings():
    assert "spheres_3d" in bundled_studies()
    study = load_study("spheres_3d")
    [data] = study.datasets
    assert data.name == "noisy_spheres"
    configs = {m.name: m.config for m in study.models}
    assert configs["mlp_width3"].widths[0] == 3 and max(configs["mlp_width3"].widths[1:-1]) == 3
    assert max(configs["mlp_width4"].widths[1:-1]) == 4
    relu = configs["ffnet_relu"]
    assert relu.widths == (3, 10, 10, 10, 10, 10, 1) and relu.activation == "relu"
    assert study.report is not None and study.report.box == ((-1.5, 1.5),) * 3
    assert 100 <= study.train.epochs <= 500


def test_quick_run_reports_the_3d_figures_and_tunnel_verdicts(tmp_path):
    study = load_study("spheres_3d", quick=True, overrides=["train.epochs=3", "datasets.noisy_spheres.n_samples=150"])
    # two of the three models keep the test short: the width-3 MLP (tanh, BatchNorm) and the ReLU FFnet
    study = replace(study, models=tuple(m for m in study.models if m.name in ("mlp_width3", "ffnet_relu")))
    out = run_study(study, out=tmp_path / "run", progress=False, log=lambda s: None, quick=True)
    html = (out / "report.html").read_text()
    assert json.loads((out / "metrics.json").read_text())["complete"]
    assert (out / "summary.json").is_file()
    for name in ("mlp_width3", "ffnet_relu"):
        assert (out / "figures" / name / "decision_surface_3d.png").is_file()
        assert (out / "figures" / name / "slices_3d.png").is_file()
    assert html.count("Decision surface (3-D)") >= 2 and html.count("Slices through the centre") >= 2
    # the verdict in both captions of every model: "3-D tunnel test (on a NxNxN grid, ...): <verdict>: ..."
    captions = html.split("3-D tunnel test (on a ")[1:]
    assert len(captions) >= 4
    for caption in captions:
        verdict = caption.split("): ", 1)[1]
        assert verdict.startswith(("tunnel", "bounded", "undecided", "the centre is classified 1")), verdict[:80]
