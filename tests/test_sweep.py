import json
import math
import tomllib

import pytest

from morsenet.errors import MorsenetError
from morsenet.sweep import (
    RowStore,
    bundled_sweeps,
    load_sweep,
    parse_sweep,
    rankdata,
    rate_difference_interval,
    run_sweep,
    spearman,
    summarize,
    wilson_interval,
)
from morsenet.sweep._tasks import make_tasks

TINY = """
name = "tiny"
seeds = 4
chunk_size = 2
analyses = ["spectra", "theory"]

[train]
epochs = 3
batch_size = 64
threshold = 0.6

[[datasets]]
name = "circles"
n_samples = 160

[[models]]
name = "w3"
kind = "mlp"
width = 3
depth = 1

[[models]]
name = "w2_bn"
kind = "mlp"
width = 2
depth = 3
bottleneck = true
batchnorm = true
"""


@pytest.fixture(autouse=True)
def _one_thread():
    """Sweeps run in this process here; like sweep workers, train single-threaded (tiny tensors)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def tiny(**changes):
    data = tomllib.loads(TINY)
    data.update(changes)
    return parse_sweep(data, source="tiny.toml")


# --- statistics against hand-computed and published values ----------------------------------------------------


@pytest.mark.parametrize(
    "k, n, lo, hi",
    [
        # Newcombe (1998), Statistics in Medicine 17:857, Table I, method 3 (Wilson score, no continuity correction)
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_wilson_interval_matches_published_values(k, n, lo, hi):
    got = wilson_interval(k, n)
    assert got == pytest.approx((lo, hi), abs=5e-5)


def test_wilson_interval_by_hand():
    # 5/10: p = 0.5, centre 0.5, half-width z sqrt(p(1-p)/n + z^2/4n^2) / (1 + z^2/n)
    z = 1.959963984540054
    half = z * math.sqrt(0.025 + z * z / 400) / (1 + z * z / 10)
    assert wilson_interval(5, 10) == pytest.approx((0.5 - half, 0.5 + half))
    # n/n: the lower bound is n / (n + z^2), the upper bound 1.
    assert wilson_interval(10, 10) == pytest.approx((10 / (10 + z * z), 1.0))
    assert all(math.isnan(v) for v in wilson_interval(0, 0))
    with pytest.raises(MorsenetError, match="0 <= successes <= n"):
        wilson_interval(3, 2)


def test_rate_difference_interval_matches_newcombe():
    # Newcombe (1998), Statistics in Medicine 17:873, example (a): 56/70 - 48/80, method 10: 0.0524 to 0.3339.
    d, lo, hi = rate_difference_interval(56, 70, 48, 80)
    assert (d, lo, hi) == pytest.approx((0.2, 0.0524, 0.3339), abs=5e-5)


def test_spearman_by_hand():
    # ranks of y with a tie: [1, 2, 3.5, 5, 3.5]; rho = 8 / sqrt(10 * 9.5)
    rho, lo, hi, n = spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7])
    assert n == 5 and rho == pytest.approx(8 / math.sqrt(95))
    z, half = math.atanh(rho), 1.959963984540054 * math.sqrt(1.06 / 2)
    assert (lo, hi) == pytest.approx((math.tanh(z - half), math.tanh(z + half)))
    assert spearman([1, 2, 3, 4], [10, 20, 30, 1000])[0] == pytest.approx(1.0)
    assert spearman([1, 2, 3, 4], [4, 3, 2, 1])[0] == pytest.approx(-1.0)
    assert math.isnan(spearman([1, 2, 3, 4], [1, 1, 1, 1])[0])
    assert spearman([1, 2, float("nan"), 4, 5], [1, 2, 3, 5, 4])[3] == 4
    assert list(rankdata([3.0, 1.0, 3.0, 2.0])) == [3.5, 1.0, 3.5, 2.0]


# --- sweep files -------------------------------------------------------------------------------------------------


def test_bundled_default_sweep_answers_the_prototypes_questions():
    assert "default" in bundled_sweeps()
    sweep = load_sweep("default")
    names = [m.name for m in sweep.models]
    assert sweep.seeds == 50 and len(names) == 11 and sweep.n_models == 550
    assert {
        "mlp_w2_d2",
        "mlp_w2_d4",
        "mlp_w2_d8",
        "mlp_w2_d15",
        "mlp_w2_d15_bottleneck",
        "mlp_w3_d1",
        "mlp_w3_d2",
        "resnet_node",
        "resnet_mlp",
        "resnet_augmented",
        "resnet_standard",
    } == set(names)
    assert [d.name for d in sweep.datasets] == ["circles"]
    bottleneck = sweep.models[names.index("mlp_w2_d15_bottleneck")].config.to_dict()["widths"]
    assert bottleneck == [2] + [2] * 13 + [1, 2] + [1]
    quick = load_sweep("default", quick=True)
    assert quick.seeds == 4 and all(c.train.epochs <= 15 for c in quick.cells())


@pytest.mark.parametrize(
    "changes, match",
    [
        ({"seedz": 3}, r"sweep has no key 'seedz'; allowed: name, description, seeds"),
        ({"seeds": "many"}, r"seeds must be an integer >= 1"),
        ({"seeds": True}, r"seeds must be an integer"),
        ({"analyses": ["spectra", "magic"]}, r"unknown analysis 'magic'"),
        ({"train": {"epochs": 3, "max_attempts": 3}}, r"max_attempts is not used in sweeps"),
        ({"train": {"epoch": 3}}, r"train has no setting 'epoch'; allowed: epochs"),
        ({"train": {"lr": -1}}, r"train.lr must be a number > 0"),
        ({"analysis": {"tunnel_res": 3}}, r"analysis has no setting 'tunnel_res'"),
        ({"analysis": {"tunnel_radii": 2}}, r"analysis.tunnel_radii must be an integer >= 4"),
        ({"datasets": [{"name": "circle"}]}, r"datasets\[0\]: unknown dataset 'circle'"),
        ({"datasets": [{"name": "circles", "noise": 1}]}, r"dataset 'circles' has no parameter 'noise'"),
        (
            {"models": [{"name": "a", "kind": "mlp", "widht": 2, "depth": 2}]},
            r"models\[0\] \('a'\): .*no parameter 'widht'",
        ),
        ({"models": [{"name": "a", "kind": "mlp", "width": "2", "depth": 2}]}, r"width must be an integer"),
        ({"models": [{"kind": "mlp", "width": 2, "depth": 2}]}, r"models\[0\] has no name"),
        ({"models": [{"name": "a", "kind": "mlp", "width": 2, "depth": 2}] * 2}, r"name 'a' is used twice"),
        (
            {"models": [{"name": "a/b", "kind": "mlp", "width": 2, "depth": 2}]},
            r"'a/b' must be a name of 1-100 characters: letters, digits",
        ),
        ({"training": [{"label": "x", "lr": 0.1}, {"label": "x"}]}, r"label 'x' is used twice"),
        ({"models": []}, r"sweep has no \[\[models\]\]"),
    ],
)
def test_bad_sweep_files_give_one_line_errors(changes, match):
    with pytest.raises(MorsenetError, match=match) as err:
        tiny(**changes)
    assert "\n" not in str(err.value)


def test_load_sweep_errors(tmp_path):
    with pytest.raises(MorsenetError, match="unknown sweep 'nope'"):
        load_sweep("nope")
    bad = tmp_path / "bad.toml"
    bad.write_text("seeds = [")
    with pytest.raises(MorsenetError, match="bad.toml: not valid TOML"):
        load_sweep(bad)
    bad.write_text(TINY.replace("depth = 1", "depth = 1\nfoo = 2"))
    with pytest.raises(MorsenetError, match=r"bad.toml: models\[0\] \('w3'\): model 'mlp' has no parameter 'foo'"):
        load_sweep(bad)


def test_grid_and_training_overrides():
    sweep = tiny(training=[{"label": "slow", "lr": 0.001}, {"label": "fast", "lr": 0.1}])
    cells = sweep.cells()
    assert [c.id for c in cells] == ["circles/w3/slow", "circles/w3/fast", "circles/w2_bn/slow", "circles/w2_bn/fast"]
    assert [c.train.lr for c in cells] == [0.001, 0.1, 0.001, 0.1]
    assert all(c.train.epochs == 3 for c in cells)
    assert sweep.models[1].family == "MLP width 2 + bottleneck"


def test_tasks_are_fixed_chunks_and_skip_finished_ones():
    sweep = tiny()
    tasks = make_tasks(sweep, set())
    assert [(t["cell"], t["seeds"]) for t in tasks] == [
        ("circles/w3/default", [0, 1]),
        ("circles/w3/default", [2, 3]),
        ("circles/w2_bn/default", [0, 1]),
        ("circles/w2_bn/default", [2, 3]),
    ]
    json.dumps(tasks)  # plain data: what travels to a worker
    done = {("circles/w3/default", 0), ("circles/w3/default", 1), ("circles/w2_bn/default", 2)}
    left = make_tasks(sweep, done)
    assert [(t["cell"], t["seeds"]) for t in left] == [
        ("circles/w3/default", [2, 3]),
        ("circles/w2_bn/default", [0, 1]),
        ("circles/w2_bn/default", [2, 3]),
    ]


# --- durable rows ------------------------------------------------------------------------------------------------


def test_row_store_survives_a_torn_line_and_deduplicates(tmp_path):
    store = RowStore(tmp_path / "rows.jsonl")
    store.append([{"cell": "a", "seed": 0, "x": 1.0}, {"cell": "a", "seed": 1, "x": float("inf")}])
    with open(store.path, "a") as fh:
        fh.write('{"cell": "a", "seed": 2, "x"')  # a crash in the middle of a write
    store.append([{"cell": "a", "seed": 0, "x": 99.0}, {"cell": "a", "seed": 3, "x": 3.0}])
    rows = store.read()
    assert [(r["seed"], r["x"]) for r in rows] == [(0, 1.0), (1, "inf"), (3, 3.0)]
    assert store.keys() == {("a", 0), ("a", 1), ("a", 3)}


# --- running -----------------------------------------------------------------------------------------------------


def test_serial_sweep_writes_a_tidy_table_and_a_self_contained_report(tmp_path):
    import pandas as pd

    result = run_sweep(tiny(), tmp_path, workers=1, quiet=True)
    assert result.failures == [] and result.trained == 8
    table = pd.read_csv(tmp_path / "results.csv")
    assert len(table) == 8 and not table.duplicated(["cell", "seed"]).any()
    assert sorted(set(table["model"])) == ["w2_bn", "w3"] and sorted(set(table["seed"])) == [0, 1, 2, 3]
    for col in ("best_accuracy", "epochs", "reached_threshold", "sv_min", "cond_max", "theory_class", "depth"):
        assert table[col].notna().all(), col
    assert set(table["theory_class"]) <= {"none", "morse_generic", "degenerate_mixed", "degenerate_forced", "constant"}
    assert len(json.loads(table["layer_sv_min"][0])) == len(json.loads(table["layer_cond"][0])) == 2
    html = (tmp_path / "report.html").read_text()
    assert "data:image/png;base64," in html and "Wilson" in html and "Does a bottleneck help" not in html
    assert "http://" not in html and "https://" not in html and "<script" not in html
    groups = summarize(result.rows)
    assert [g.n for g in groups] == [4, 4] and groups[0].n_judged == 4


def test_interrupted_sweep_resumes_without_losing_or_duplicating_rows(tmp_path):
    sweep = tiny()

    def interrupt(rows):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_sweep(sweep, tmp_path, workers=1, quiet=True, on_rows=interrupt)
    first = RowStore(tmp_path / "rows.jsonl").read()
    assert len(first) == 2 and not (tmp_path / "results.csv").exists()
    with pytest.raises(MorsenetError, match="pass --resume"):
        run_sweep(sweep, tmp_path, workers=1, quiet=True)
    with pytest.raises(MorsenetError, match="different sweep"):
        run_sweep(tiny(seeds=5), tmp_path, workers=1, quiet=True, resume=True)
    result = run_sweep(sweep, tmp_path, workers=1, quiet=True, resume=True)
    assert result.trained == 6 and len(result.rows) == 8
    keys = [(r["cell"], r["seed"]) for r in result.rows]
    assert len(set(keys)) == 8
    assert result.rows[:2] == first  # the rows written before the interruption are kept as they were
    again = run_sweep(sweep, tmp_path, workers=1, quiet=True, resume=True)
    assert again.trained == 0 and len(again.rows) == 8


def test_cli_sweep(tmp_path, capsys):
    from morsenet.cli import main

    path = tmp_path / "tiny.toml"
    path.write_text(TINY.replace("seeds = 4", "seeds = 2"))
    assert main(["sweep", str(path), "--out", str(tmp_path / "out"), "--workers", "1", "--quiet"]) == 0
    assert (tmp_path / "out" / "results.csv").read_text().count("\n") == 5
    assert main(["sweep", str(path), "--out", str(tmp_path / "out"), "--workers", "1", "--quiet"]) == 2
    assert "pass --resume" in capsys.readouterr().err
    assert main(["sweep", str(tmp_path / "missing.toml")]) == 2
    assert "no sweep file" in capsys.readouterr().err
    assert main(["sweep", str(path), "--out", str(tmp_path / "o2"), "--workers", "0"]) == 2


# --- the tunnel, escape and critical-point columns -----------------------------------------------------------


def _standardised_field(g, fn):
    """A float64 field in the data's coordinates from `fn` of the ORIGINAL offsets u = (x - center) / scale."""
    import torch

    c = torch.tensor(g.center, dtype=torch.float64)
    s = torch.tensor(g.scale, dtype=torch.float64)
    return lambda x: fn((x - c) / s)


def test_tunnel_and_escape_columns_work_in_the_geometry_frame_of_standardised_data():
    from types import SimpleNamespace

    import torch

    from morsenet.datasets import DiskRing
    from morsenet.sweep._config import AnalysisSettings
    from morsenet.sweep._tasks import _critical_points, _escape, _tunnel

    # Ellipses in the data's coordinates: x-offsets doubled, y-offsets halved; ring 0.5-1.0 in original units.
    g = DiskRing((0.5, -1.0), 0.3, (0.5, 1.0), scale=(2.0, 0.5))
    data = SimpleNamespace(geometry=g, input_dim=2)
    settings = AnalysisSettings()
    # Bounded: class 0 inside the original-units circle |u - (0.2, 0)| < 0.4 (inside the ring), whose only
    # critical point (a minimum) lies 0.2 from the centre in original units (0.4 in the data's x units).
    bowl = _standardised_field(g, lambda u: 10 * ((u[:, 0] - 0.2) ** 2 + u[:, 1] ** 2 - 0.16))
    row = _tunnel(None, bowl, data, settings)
    assert row["topology"] == "bounded" and row["tunnel"] is False and row["tunnel_width"] is None
    esc = _escape(None, bowl, data, settings)
    assert esc["nearest_critical_distance"] == pytest.approx(0.2, abs=1e-6)
    # Tunnel: a class-0 strip |u_1| < 0.05 along the positive u_0 axis, 0.1 wide in original units (0.05 in the
    # data's y units): the width is measured in the frame.
    strip = _standardised_field(
        g,
        lambda u: torch.minimum(
            10 * (u[:, 0] ** 2 + u[:, 1] ** 2 - 0.16), torch.where(u[:, 0] > 0, 4 * (u[:, 1].abs() - 0.05), 1.0)
        ),
    )
    row = _tunnel(None, strip, data, settings)
    assert row["topology"] == "tunnel" and row["tunnel"] is True
    assert row["tunnel_width"] == pytest.approx(0.1, rel=0.05)
    # A tilted plane has no critical point anywhere: none found out to 16 x the box.
    plane = _standardised_field(g, lambda u: 3 * u[:, 0] + u[:, 1] + 50)
    assert _escape(None, plane, data, settings) == {"nearest_critical_distance": None}
    # 3-D spheres and data without a disk-inside-ring geometry: no tunnel or escape columns.
    sphere = SimpleNamespace(geometry=DiskRing((0.0, 0.0, 0.0), 0.3, (0.5, 1.0)), input_dim=3)
    assert _tunnel(None, bowl, sphere, settings) == {} and _escape(None, bowl, sphere, settings) == {}
    assert _critical_points(None, bowl, sphere, settings) == {}


def test_undecided_models_stay_out_of_the_tunnel_rate():
    rows = [
        {"cell": "c", "model": "m", "seed": i, "topology": t, "completeness": c}
        for i, (t, c) in enumerate(
            [("tunnel", "complete"), ("bounded", "lower_bound"), ("undecided", "complete"), ("no_inner_region", None)]
        )
    ]
    (g,) = summarize(rows)
    assert (g.tunnels, g.bounded, g.no_inner, g.undecided, g.n_topology) == (1, 1, 1, 1, 3)
    assert (g.complete, g.n_completeness) == (2, 3)


QUICK_SWEEP = """
name = "quickcheck"
description = "One small MLP, 6 seeds each, on circles."
seeds = 6
chunk_size = 3
analyses = ["tunnel", "critical_points", "escape"]

[train]
epochs = 40
batch_size = 64
lr = 0.02
threshold = 0.6
val_fraction = 0.25

[[datasets]]
name = "circles"
n_samples = 1000

[[models]]
name = "w3"
kind = "mlp"
width = 3
depth = 1
"""


def test_quick_sweep_rows_have_the_new_columns_and_the_report_says_quick(tmp_path):
    path = tmp_path / "quickcheck.toml"
    path.write_text(QUICK_SWEEP)
    sweep = load_sweep(path, quick=True)
    assert sweep.seeds == 4
    result = run_sweep(sweep, tmp_path / "out", workers=1, quiet=True, quick=True)
    assert result.failures == [] and len(result.rows) == 4
    for r in result.rows:
        assert "analysis_errors" not in r, r.get("analysis_errors")
        assert isinstance(r["best_epoch"], int) and 1 <= r["best_epoch"] <= r["epochs"] <= 15
        assert r["selection"] == "validation" and 0.0 <= r["val_accuracy"] <= 1.0
        assert r["completeness"] in ("complete", "lower_bound")
        assert r["topology"] in ("tunnel", "bounded", "undecided", "no_inner_region")
        assert r["tunnel"] == (r["topology"] == "tunnel" if r["topology"] in ("tunnel", "bounded") else None)
        d = r["nearest_critical_distance"]
        assert d is None or 0.0 <= d <= 16 * sweep.analysis.tunnel_box
    html = (tmp_path / "out" / "report.html").read_text()
    assert "quick run: 4 seeds per cell (the sweep file asks for 6)" in html
    assert "4 seeds each" in html and "6 seeds each" not in html and "4 seeds per cell (0-3)" in html
    from morsenet.sweep import render_report

    full = render_report(result.rows, sweep)
    assert "quick run" not in full and "4 seeds each" in full


def test_bundled_paper_sweeps_are_listed_and_grids_expand_at_load(tmp_path):
    from morsenet.sweep import bundled_sweeps

    assert {"tunnel_paper", "ratio"} <= set(bundled_sweeps())
    path = tmp_path / "g.toml"
    path.write_text(TINY.replace('name = "w3"', 'name = "w3"\ngrid = { depth = [1, 2] }').replace("depth = 1\n", "", 1))
    sweep = load_sweep(path)
    assert [m.name for m in sweep.models][:2] == ["w3-depth1", "w3-depth2"]
    assert [m.config.depth for m in sweep.models][:2] == [1, 2]
    path.write_text(TINY + '\n[[training]]\nlabel = "b"\ngrid = { weight_bound = { logspace = [0, 1, 2] } }\n')
    with pytest.raises(MorsenetError, match=r"g\.toml: training\[0\]\.grid\.weight_bound\.logspace: lo and hi"):
        load_sweep(path)


def _same_row(a: dict, b: dict) -> bool:
    if a.keys() != b.keys():
        return False
    for k, v in a.items():
        w = b[k]
        if isinstance(v, float) and isinstance(w, float):
            if not (v == pytest.approx(w, rel=1e-9, abs=1e-12) or (math.isnan(v) and math.isnan(w))):
                return False
        elif isinstance(v, list) and v and isinstance(v[0], float):
            if v != pytest.approx(w, rel=1e-9, abs=1e-12):
                return False
        elif v != w:
            return False
    return True


def test_a_chunk_analysed_in_lockstep_gives_each_model_the_columns_it_gets_alone():
    from morsenet.datasets import get_dataset
    from morsenet.ensemble import train_ensemble
    from morsenet.sweep._config import AnalysisSettings
    from morsenet.sweep._tasks import analyze, analyze_models
    from morsenet.training import TrainConfig

    data = get_dataset("circles", n_samples=300, disk_radius=0.3, ring_inner=0.5, ring_outer=1.0, seed=0)
    settings = AnalysisSettings(tunnel_resolution=33, tunnel_radii=12, tunnel_angles=64, critical_point_starts=8)
    analyses = ["spectra", "theory", "tunnel", "critical_points", "escape"]
    config = TrainConfig(epochs=8, lr=0.02, batch_size=64)
    import morsenet.sweep._tasks as T

    passes = []
    original = T.run_lockstep

    def counting(chains, job):
        results, n = original(chains, job)
        passes.append(n)
        return results, n

    T.run_lockstep = counting
    try:
        for model, lockstep in (
            ({"kind": "mlp", "width": 3, "depth": 3, "batchnorm": True}, True),
            ({"kind": "resnet", "width": 2, "blocks": 3, "skip": 1.0, "residual": 0.5}, True),
            ({"kind": "mlp", "width": 3, "depth": 1}, False),  # too shallow to gain: one model after another
        ):
            models = train_ensemble(model, data, config, seeds=[0, 1, 2], progress=False).models()
            alone = [analyze(m, data, analyses, settings) for m in models]
            before = len(passes)
            together = analyze_models(models, data, analyses, settings)
            assert (len(passes) > before) == lockstep
            assert all(_same_row(a, b) for a, b in zip(alone, together)), (alone, together)
            assert all("topology" in r and "n_critical_points" in r and "analysis_errors" not in r for r in together)
    finally:
        T.run_lockstep = original
