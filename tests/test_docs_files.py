"""Sweep and study files under docs/ that the README quotes load and check as written."""

from pathlib import Path

from morsenet.sweep import load_sweep

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_penalty_sweep_compares_the_input_gradient_penalty_on_width2_mlps():
    sweep = load_sweep(str(DOCS / "penalty_sweep.toml"))
    assert [t.label for t in sweep.training] == ["standard", "penalty_0.1", "penalty_0.5"]
    penalties = sorted({c.train.input_gradient_penalty for c in sweep.cells()})
    assert penalties == [0.0, 0.1, 0.5]
    assert {m.config.width for m in sweep.models} == {2} and sweep.seeds == 20 and sweep.n_models == 120


def test_node_regime_sweep_is_the_tunnel_paper_sweeps_first_cell():
    mine, bundled = load_sweep(str(DOCS / "node_regime_sweep.toml")), load_sweep("tunnel_paper")
    assert [m.name for m in mine.models] == ["node_regime"] and mine.seeds == 50
    assert mine.models[0].config == bundled.models[0].config and mine.train == bundled.train
    assert mine.datasets[0].params == bundled.datasets[0].params and mine.analyses == bundled.analyses
