"""Sweep grids: skip/residual/ratio products, logspace/linspace lists, weight-bound training grids, the ratio figure."""

from __future__ import annotations

import math
import tomllib

import numpy as np
import pytest
import torch

from morsenet.errors import MorsenetError
from morsenet.models import ResNetConfig, build_model
from morsenet.plotting._sweep import plot_sweep_ratio
from morsenet.sweep import parse_sweep, summarize
from morsenet.sweep._grid import MAX_GRID, grid_values
from morsenet.sweep._tasks import make_tasks, run_task, skip_residual_columns

BASE = """
name = "grids"
seeds = 2
chunk_size = 2
analyses = ["spectra"]

[train]
epochs = 2
batch_size = 64

[[datasets]]
name = "circles"
n_samples = 120

[[models]]
name = "res"
kind = "resnet"
width = 2
blocks = 2
"""


def sweep(models: dict | None = None, training: list | None = None):
    data = tomllib.loads(BASE)
    if models is not None:
        data["models"][0].update(models)
    if training is not None:
        data["training"] = training
    return parse_sweep(data, source="grids.toml")


def test_product_grid_names_and_values():
    s = sweep({"grid": {"skip": [0.1, 1], "residual": [1.0, 2.0, 3.0]}})
    names = [m.name for m in s.models]
    assert names[:3] == ["res-skip0.1-residual1", "res-skip0.1-residual2", "res-skip0.1-residual3"]
    assert len(names) == 6 and len(set(names)) == 6
    by_name = {m.name: m.config for m in s.models}
    assert by_name["res-skip1-residual2"].skip == 1.0 and by_name["res-skip1-residual2"].residual == 2.0


def test_ratio_grid_sets_skip_to_ratio_times_residual():
    s = sweep({"ratio": [0.5, 2.0], "residual": [0.1, 1.0]})
    got = {m.name: (m.config.skip, m.config.residual) for m in s.models}
    assert got == {
        "res-ratio0.5-residual0.1": (0.05, 0.1),
        "res-ratio0.5-residual1": (0.5, 1.0),
        "res-ratio2-residual0.1": (0.2, 0.1),
        "res-ratio2-residual1": (2.0, 1.0),
    }
    fixed = sweep({"grid": {"ratio": {"logspace": [0.01, 100, 5]}}, "residual": 2.0})
    assert [m.config.skip for m in fixed.models] == pytest.approx([0.02, 0.2, 2.0, 20.0, 200.0])


def test_logspace_and_linspace_lists():
    assert grid_values("g", {"logspace": [0.01, 100, 9]}) == pytest.approx(list(np.geomspace(0.01, 100, 9)), rel=1e-6)
    assert grid_values("g", {"logspace": [0.01, 100, 9]})[1] == 0.0316228  # 6 significant digits
    assert grid_values("g", {"linspace": [0, 1, 5]}) == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert grid_values("g", {"logspace": [3, 3, 1]}) == [3.0]


def test_training_grid_over_weight_bound_and_cells():
    s = sweep(training=[{"label": "free"}, {"label": "b", "grid": {"weight_bound": {"logspace": [0.5, 2, 3]}}}])
    assert [(t.label, t.overrides) for t in s.training] == [
        ("free", {}), ("b-weight_bound0.5", {"weight_bound": 0.5}), ("b-weight_bound1", {"weight_bound": 1.0}),
        ("b-weight_bound2", {"weight_bound": 2.0}),
    ]  # fmt: skip
    cells = s.cells()
    assert len(cells) == 4 and cells[1].train.weight_bound == 0.5 and cells[0].train.weight_bound is None
    tasks = make_tasks(s, set())
    assert [t["coords"]["weight_bound"] for t in tasks] == [None, 0.5, 1.0, 2.0]
    written = s.to_dict()  # the sweep as written to the output folder: expanded, no grid left
    assert [t["label"] for t in written["training"]][1:] == ["b-weight_bound0.5", "b-weight_bound1", "b-weight_bound2"]
    assert all("grid" not in t for t in written["training"])


@pytest.mark.parametrize(
    "models, match",
    [
        ({"grid": {"skip": []}}, "must not be empty"),
        ({"grid": {"skip": {"logspace": [0, 1, 3]}}}, "lo and hi must be > 0"),
        ({"grid": {"skip": {"logspace": [1, 2]}}}, r"must be \[lo, hi, n\]"),
        ({"grid": {"skip": {"geomspace": [1, 2, 3]}}}, "must be a list or one of"),
        ({"grid": {"skip": {"linspace": [0, 1, 0]}}}, "n must be an integer"),
        ({"grid": {"skip": [1], "name": ["x"]}}, "cannot be gridded"),
        ({"grid": {"skip": [1.0]}, "skip": 2.0}, "both a grid axis and a fixed value"),
        ({"ratio": [1.0], "grid": {"skip": [1.0]}}, "ratio or skip, not both"),
        ({"ratio": [1.0], "residual": "a"}, "residual must be a finite number"),
        ({"grid": {"skip": {"linspace": [0, 1, 200]}, "residual": {"linspace": [0, 1, 3]}}}, f"at most {MAX_GRID}"),
        ({"grid": {"skip": ["x"]}}, "skip"),  # the value check of the expanded entry
        ({"grid": {}}, "grid is empty"),
    ],
)
def test_bad_grids_raise_one_line_errors(models, match):
    with pytest.raises(MorsenetError, match=match) as err:
        sweep(models)
    assert "\n" not in str(err.value)


def test_ratio_without_residual_raises():
    data = tomllib.loads(BASE)
    data["models"][0]["ratio"] = [1.0]
    with pytest.raises(MorsenetError, match="ratio needs residual"):
        parse_sweep(data)


def test_skip_residual_and_r1_columns_hand_set():
    """A hand-set ResNet: block weights 0.3 * I, BatchNorm off, skip 2, residual 1: R1 ratio 1 * 1 * 0.3 / 2."""
    model = build_model(ResNetConfig(2, 2, 2, skip=2.0, residual=1.0), seed=0)
    with torch.no_grad():
        for layer in model.block_layers:
            layer.weight.copy_(0.3 * torch.eye(2))
    cols = skip_residual_columns(model)
    assert cols["skip"] == 2.0 and cols["residual"] == 1.0 and cols["ratio"] == 2.0
    assert cols["r1_ratio"] == pytest.approx(0.15, rel=1e-6) and cols["r1_holds"] is True
    with torch.no_grad():
        model.block_layers[1].weight.copy_(torch.diag(torch.tensor([5.0, 0.1])))
    cols = skip_residual_columns(model)
    assert cols["r1_ratio"] == pytest.approx(2.5, rel=1e-6) and cols["r1_holds"] is False
    mlp = skip_residual_columns(build_model({"kind": "mlp", "widths": [2, 2, 1]}, seed=0))
    assert set(mlp.values()) == {None}
    zero = skip_residual_columns(build_model(ResNetConfig(2, 2, 1, skip=0.0, residual=0.0), seed=0))
    assert zero["ratio"] is None and zero["r1_holds"] is None


def test_task_rows_carry_the_new_columns():
    s = sweep({"grid": {"ratio": [0.5]}, "residual": 1.0}, training=[{"label": "b", "weight_bound": 0.8}])
    rows = run_task(make_tasks(s, set())[0])
    assert len(rows) == 2
    for r in rows:
        assert r["skip"] == 0.5 and r["residual"] == 1.0 and r["ratio"] == 0.5 and r["weight_bound"] == 0.8
        assert isinstance(r["r1_ratio"], float) and r["r1_holds"] == (r["r1_ratio"] < 1)


def _rows(ratio: float, bound: float | None, tunnels: int, n: int = 10) -> list[dict]:
    label = "free" if bound is None else f"b{bound:g}"
    return [
        {"cell": f"d/m{ratio:g}/{label}", "model": f"m{ratio:g}", "dataset": "d", "training": label,
         "ratio": ratio, "weight_bound": bound, "width": 2, "depth": 10, "reached_threshold": k % 2 == 0,
         "topology": "tunnel" if k < tunnels else "bounded", "tunnel_width": 0.1 * ratio if k < tunnels else None,
         "best_accuracy": 0.9}
        for k in range(n)
    ]  # fmt: skip


def test_ratio_figure_one_curve_per_bound_with_wilson_intervals():
    rows = [r for ratio in (0.1, 1.0, 10.0) for b in (None, 2.0) for r in _rows(ratio, b, int(ratio > 0.5) * 7)]
    groups = summarize(rows)
    fig = plot_sweep_ratio(groups)
    assert fig is not None
    ax_tunnel, ax_success, ax_width = fig.axes[:3]
    assert ax_tunnel.get_xscale() == "log" and ax_width.get_xscale() == "log"
    labels = sorted(t.get_text() for t in ax_tunnel.get_legend().get_texts())
    assert labels == ["bound 2", "no bound"]
    lines = [ln for ln in ax_tunnel.get_lines() if ln.get_marker() == "o"]  # the curves, not the caps
    assert len(lines) == 2
    assert sorted(np.round(lines[0].get_ydata(), 6)) == [0.0, 0.7, 0.7]
    # the error bars are the Wilson intervals of 7 of 10 (hand-checked against morsenet.sweep._stats)
    g = next(g for g in groups if g.first["ratio"] == 10.0)
    lo, hi = g.tunnel_ci
    assert (lo, hi) == pytest.approx((0.3968, 0.8922), abs=1e-3) and math.isclose(g.tunnel_rate, 0.7)
    widths = [ln for ln in ax_width.get_lines() if len(ln.get_xdata()) == 3][0].get_ydata()
    assert np.isnan(widths[0]) and widths[1:] == pytest.approx([0.1, 1.0])
    assert plot_sweep_ratio(summarize(_rows(1.0, None, 3))) is None  # one ratio: nothing to draw
