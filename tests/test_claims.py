"""Claims checked against a run, rule R1's line, the `[report]` levels/claims keys and the probability level sets."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from morsenet.errors import MorsenetError
from morsenet.models import ResNetConfig, build_model
from morsenet.plotting._maps import plot_probability_level_sets
from morsenet.report._claims import Claim, ClaimCheck, check_claims, r1_text, report_spec, study_report_spec
from morsenet.spec import ReportSpec, parse_report
from morsenet.study._config import REPORT_KEYS


def run(name: str, status: str | None = "tunnel", n_points: int = 0, complete: bool = True):
    """A stand-in for a ModelAnalysis: what the checker reads (the name, the tunnel test, the critical points)."""
    cps = SimpleNamespace(points=[object()] * n_points, completeness="complete" if complete else "lower_bound")
    tunnel = None if status is None else SimpleNamespace(status=status)
    return SimpleNamespace(name=name, assessment=SimpleNamespace(tunnel=tunnel, critical_points=cps))


def verdicts(claims, analyses):
    return [(c.run, c.result, c.verdict) for c in check_claims(claims, analyses)]


def test_tunnel_claims_agree_disagree_or_stay_undecided():
    claim = Claim("node", "tunnel", "README")
    assert verdicts([claim], [run("node", "tunnel")]) == [("node", "tunnel", "agrees")]
    assert verdicts([claim], [run("node", "bounded")]) == [("node", "bounded (the disk is enclosed)", "disagrees")]
    assert verdicts([claim], [run("node", "undecided")])[0][2] == "undecided"
    assert verdicts([claim], [run("node", None)])[0][1:] == ("no tunnel test", "undecided")
    assert verdicts([Claim("node", "bounded")], [run("node", "bounded")])[0][2] == "agrees"
    none = SimpleNamespace(name="node", assessment=None)
    assert verdicts([claim], [none])[0][2] == "undecided"


def test_critical_point_claims_respect_completeness():
    no_cp = Claim("m", "no_critical_points")
    assert verdicts([no_cp], [run("m", n_points=0, complete=True)])[0][1:] == ("none (certified complete)", "agrees")
    assert verdicts([no_cp], [run("m", n_points=0, complete=False)])[0][2] == "undecided"
    assert verdicts([no_cp], [run("m", n_points=2)])[0][1:] == ("2 critical points found", "disagrees")
    assert verdicts([Claim("m", "critical_points")], [run("m", n_points=1)])[0][1:] == ("1 critical point found",
                                                                                         "agrees")  # fmt: skip
    assert verdicts([Claim("m", "critical_points")], [run("m", n_points=0)])[0][2] == "disagrees"


def test_claims_find_the_model_on_each_data_set():
    analyses = [run("circles-node", "tunnel"), run("xor-node", "bounded"), run("circles-other", "bounded")]
    assert [c[0] for c in verdicts([Claim("node", "tunnel")], analyses)] == ["circles-node", "xor-node"]
    only = verdicts([Claim("node", "tunnel", dataset="circles")], analyses)
    assert only == [("circles-node", "tunnel", "agrees")]
    missing = check_claims([Claim("absent", "tunnel")], analyses)
    assert len(missing) == 1 and isinstance(missing[0], ClaimCheck) and missing[0].verdict == "undecided"
    assert check_claims([], analyses) == []


def test_r1_text_on_hand_set_weights():
    model = build_model(ResNetConfig(2, 2, 2, skip=1.0, residual=0.5), seed=0)
    with torch.no_grad():
        for layer in model.block_layers:
            layer.weight.copy_(torch.diag(torch.tensor([0.8, -0.2])))
    assert r1_text(model) == "holds (ratio 0.4 < 1): every block is a diffeomorphism"  # 0.5 * 1 * 0.8 / 1
    with torch.no_grad():
        model.block_layers[0].weight.copy_(torch.diag(torch.tensor([6.2, 0.0])))
    assert r1_text(model).startswith("does not hold (ratio 3.1 >= 1)")
    assert r1_text(build_model(ResNetConfig(2, 2, 1, skip=0.0), seed=0)) is None  # skip 0: R1 does not apply
    assert r1_text(build_model({"kind": "mlp", "widths": [2, 2, 1]}, seed=0)) is None


def test_report_keys_levels_and_claims_are_checked():
    assert {"levels", "probability_levels", "claims"} <= set(REPORT_KEYS)
    raw = {"box": [-2.5, 2.5, -2.5, 2.5], "levels": "probability", "probability_levels": 20,
           "claims": [{"model": "m", "expect": "tunnel", "source": "paper"}]}  # fmt: skip
    spec = parse_report(raw, keys=REPORT_KEYS, dims=[("circles", 2)])
    assert spec.levels == "probability" and spec.n_probability_levels == 20
    assert spec.claims == (Claim("m", "tunnel", "paper"),)
    assert parse_report(spec.to_dict(), keys=REPORT_KEYS, dims=[("circles", 2)]) == spec
    assert ReportSpec(levels="probability").n_probability_levels == 20 and ReportSpec().is_default
    for bad, match in [
        ({"levels": "log"}, "report.levels must be one of logit, probability"),
        ({"levels": "probability", "probability_levels": 1}, "probability_levels must be an integer"),
        ({"probability_levels": 20}, 'needs levels = "probability"'),
        ({"claims": [{"model": "m", "expect": "maybe"}]}, "report.claims.expect must be one of"),
        ({"claims": [{"model": "m"}]}, "needs model and expect"),
        ({"claims": [{"model": "m", "expect": "tunnel", "why": "x"}]}, "has no key 'why'"),
        ({"claims": {"model": "m"}}, "an array of tables"),
    ]:
        with pytest.raises(MorsenetError, match=match):
            parse_report(bad, keys=REPORT_KEYS, dims=[("circles", 2)])


def test_report_spec_of_a_run_folder(tmp_path: Path):
    (tmp_path / "models").mkdir()
    (tmp_path / "study.toml").write_text('[report]\nlevels = "probability"\nprobability_levels = 7\n')
    a = SimpleNamespace(entry=SimpleNamespace(checkpoint=tmp_path / "models" / "m.pt"))
    assert study_report_spec(a).n_probability_levels == 7
    assert report_spec({"report": {"levels": "nonsense"}}) == ReportSpec()  # an invalid old file: the default
    assert report_spec({}) == ReportSpec()


def test_probability_level_sets_are_equally_spaced_probabilities():
    """p = sigmoid(x1) on a grid: the contours are the vertical lines x1 = logit(k / (n + 1))."""
    from matplotlib.figure import Figure

    xs = torch.linspace(-4, 4, 161)
    ys = torch.linspace(-1, 1, 21)
    logits = xs[None, :].expand(len(ys), -1)
    pred = SimpleNamespace(xs=xs, ys=ys, logits=logits, probabilities=torch.sigmoid(logits))
    ax = Figure().subplots()
    plot_probability_level_sets(pred, ax, levels=9)
    sets = [c for c in ax.collections if c.get_gid() == "level-sets"]
    assert len(sets) == 1
    assert np.allclose(sets[0].levels, np.arange(1, 10) / 10)
    half = [c for c in ax.collections if c.get_gid() == "zero-level"][0]
    x_half = np.concatenate([p.vertices[:, 0] for p in half.get_paths()])
    assert np.allclose(x_half, 0.0, atol=1e-6)  # sigmoid(x1) = 0.5 exactly at x1 = 0
    with pytest.raises(ValueError):
        plot_probability_level_sets(SimpleNamespace(xs=xs, ys=ys, logits=logits, probabilities=None), ax)


def test_claims_section_of_a_report():
    from morsenet.report._content import claims_section

    study = {"report": {"claims": [{"model": "node", "expect": "tunnel", "source": "README"}]}}
    r = SimpleNamespace(study=study, analyses=[run("node", "bounded")])
    (section,) = claims_section(r)
    assert section.title == "Claims checked"
    table = section.blocks[1]
    cells = [c.text for c in table.rows[0].cells]
    assert cells == ["`node`: tunnel", "README", "node", "bounded (the disk is enclosed)", "disagrees"]
    assert claims_section(SimpleNamespace(study={}, analyses=[])) == []
