"""Bad input, as a careless or hurried user types it: every case gets exit 2, one `morsenet: error:` line that
names the key or file, no traceback, and nothing new on disk (the working directory is compared before/after).

Each case is (id, files to create first, argv, text the line must contain). File contents are text, bytes, or a
callable writing into the folder (for checkpoints and locks).
"""

from __future__ import annotations

import fcntl
import io
import json
import os
from pathlib import Path

import pytest
import torch

from morsenet.cli import main

TINY_STUDY = """
name = "tiny"
[train]
epochs = 2
[[datasets]]
name = "circles"
n_samples = 100
[[models]]
name = "w3"
kind = "mlp"
widths = [2, 3, 1]
"""

NODE_STUDY = TINY_STUDY.replace('kind = "mlp"\nwidths = [2, 3, 1]', 'kind = "neural_ode"\ndim = 2\nT = inf')

TINY_SWEEP = """
name = "tiny"
seeds = 2
chunk_size = 1
analyses = ["spectra"]
[train]
epochs = 2
[[datasets]]
name = "circles"
n_samples = 100
[[models]]
name = "w3"
kind = "mlp"
widths = [2, 3, 1]
"""


def study_with(extra: str = "", *, dataset: str = "", model: str = "") -> str:
    """TINY_STUDY with lines added to the top level, the data set table or the model table."""
    text = TINY_STUDY.replace('name = "circles"', 'name = "circles"\n' + dataset)
    if model:
        text = text.replace('kind = "mlp"\nwidths = [2, 3, 1]', model)
    return extra + "\n" + text


def csv_study(path: str) -> str:
    """TINY_STUDY on the CSV file `path`."""
    return TINY_STUDY.replace('name = "circles"\nn_samples = 100', f'name = "csv"\npath = {json.dumps(path)}')


def _checkpoint(config, state=None, *, fmt="morsenet-checkpoint"):
    def write(folder: Path) -> None:
        payload = {
            "format": fmt,
            "version": 1,
            "config": json.dumps(config),
            "meta": "{}",
            "state_dict": {} if state is None else state,
        }
        buf = io.BytesIO()
        torch.save(payload, buf)
        (folder / "m.pt").write_bytes(buf.getvalue())

    return write


_HELD: list = []


def _live_partial(folder: Path) -> None:
    """A run in progress on run/: run.partial with a lock held by this (live) process."""
    (folder / "run.partial" / "models").mkdir(parents=True)
    fh = open(folder / "run.partial" / ".lock", "w")  # noqa: SIM115 - held for the test
    fh.write(f"{os.getpid()}\n")
    fh.flush()
    fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    _HELD.append(fh)


def _stale_partial(folder: Path) -> None:
    (folder / "run.partial" / "models").mkdir(parents=True)
    (folder / "run.partial" / ".lock").write_text("999999999\n")


def _resume_partial(folder: Path) -> None:
    """An interrupted run of TINY_STUDY (written by hand: study.toml and a manifest)."""
    from morsenet.study import load_study

    (folder / "tiny.toml").write_text(TINY_STUDY)
    p = folder / "old.partial"
    (p / "models").mkdir(parents=True)
    (p / "study.toml").write_text(load_study(str(folder / "tiny.toml")).dumps())
    (p / "manifest.json").write_text(json.dumps({"status": "interrupted", "quick": False}))


LATIN1 = 'name = "caf\xe9"\n'.encode("latin-1")
GARBAGE = bytes(range(256)) * 4
RUN = ["run", "--out", "run", "--no-report"]

CASES = [
    # --- non-finite numbers
    ("lr-inf", {}, [*RUN, "--set", "train.lr=inf"], "train.lr"),
    ("lr-nan", {}, [*RUN, "--set", "train.lr=nan"], "train.lr"),
    ("lr-neg-inf", {}, [*RUN, "--set", "train.lr=-inf"], "train.lr"),
    ("threshold-nan", {}, [*RUN, "--set", "train.threshold=nan"], "train.threshold"),
    # --- training settings that only some model kinds take, refused at load
    ("weight-bound-mlp", {}, [*RUN, "--set", "train.weight_bound=1"], "weight_bound"),
    (
        "sweep-weight-bound-mlp",
        {"w.toml": TINY_SWEEP},
        ["sweep", "w.toml", "--out", "sw", "--set", "train.weight_bound=1"],
        "weight_bound",
    ),  # fmt: skip
    ("skip-nan", {}, [*RUN, "--set", "models.resnet_node.skip=nan"], "skip"),
    ("residual-inf", {}, [*RUN, "--set", "models.resnet_node.residual=inf"], "residual"),
    ("node-T-inf", {"s.toml": NODE_STUDY}, ["run", "s.toml", "--out", "run"], "T"),
    ("radius-inf", {}, [*RUN, "--set", "datasets.circles.outer_radius=inf"], "outer_radius"),
    ("test-fraction-nan", {}, [*RUN, "--set", "datasets.circles.test_fraction=nan"], "test_fraction"),
    (
        "sweep-margin-inf",
        {"w.toml": TINY_SWEEP},
        ["sweep", "w.toml", "--out", "sw", "--set", "analysis.box_margin=inf"],
        "box_margin",
    ),
    ("sweep-lr-inf", {"w.toml": TINY_SWEEP}, ["sweep", "w.toml", "--out", "sw", "--set", "train.lr=inf"], "lr"),
    ("analyze-radius-inf", {"m.pt": b"x"}, ["analyze", "m.pt", "--inner-radius", "inf"], "--inner-radius"),
    ("theory-skip-nan", {}, ["theory", "--resnet", "2,2,3", "--skip", "nan"], "--skip"),
    # --- type errors, also under --quick
    ("epochs-abc-quick", {}, [*RUN, "--quick", "--set", "train.epochs=abc"], "train.epochs"),
    ("n-samples-str-quick", {}, [*RUN, "--quick", "--set", "datasets.circles.n_samples='many'"], "n_samples"),
    ("n-samples-float-quick", {}, [*RUN, "--quick", "--set", "datasets.circles.n_samples=1.5"], "n_samples"),
    ("batch-float-quick", {}, [*RUN, "--quick", "--set", "train.batch_size=1.5"], "train.batch_size"),
    ("depth-abc-quick", {}, [*RUN, "--quick", "--set", "models.mlp_width2.depth=abc"], "depth"),
    ("seed-str-quick", {}, [*RUN, "--quick", "--set", "seed=abc"], "seed"),
    ("patience-bool", {}, [*RUN, "--set", "train.patience=true"], "train.patience"),
    ("radius-str", {}, [*RUN, "--set", "datasets.circles.inner_radius=big"], "inner_radius"),
    ("standardize-int", {}, [*RUN, "--set", "datasets.circles.standardize=1"], "standardize"),
    (
        "sweep-seeds-abc-quick",
        {"w.toml": TINY_SWEEP},
        ["sweep", "w.toml", "--out", "sw", "--quick", "--set", "seeds=abc"],
        "seeds",
    ),
    (
        "epochs-str-file-quick",
        {"s.toml": study_with().replace("epochs = 2", 'epochs = "2"')},
        ["run", "s.toml", "--quick", "--out", "run"],
        "train.epochs",
    ),
    # --- sizes bounded before allocating
    ("n-samples-huge", {}, [*RUN, "--set", "datasets.circles.n_samples=1000000000000"], "n_samples"),
    ("width-huge", {}, [*RUN, "--set", "models.mlp_width3.widths=[2,1000000000,1]"], "parameters"),
    ("depth-huge", {}, [*RUN, "--set", "models.mlp_width2.depth=1000000000"], "depth"),
    ("blocks-huge", {}, [*RUN, "--set", "models.resnet_node.blocks=1000000000"], "blocks"),
    (
        "node-dim-huge",
        {"s.toml": study_with(model='kind = "neural_ode"\ndim = 1000000')},
        ["run", "s.toml", "--out", "run"],
        "parameters",
    ),
    (
        "spheres-dim-huge",
        {"s.toml": study_with().replace('"circles"', '"spheres"\ndim = 100000000')},
        ["run", "s.toml", "--out", "run"],
        "dim",
    ),
    ("epochs-huge", {}, [*RUN, "--set", "train.epochs=1000000000000"], "train.epochs"),
    ("attempts-huge", {}, [*RUN, "--set", "train.max_attempts=1000000000"], "train.max_attempts"),
    ("seed-huge", {}, [*RUN, "--set", "seed=1000000000000000000000000"], "seed"),
    ("seed-negative", {}, [*RUN, "--set", "seed=-1"], "seed"),
    ("dataset-seed-huge", {}, [*RUN, "--set", "datasets.circles.seed=100000000000000000000"], "seed"),
    (
        "sweep-seeds-huge",
        {"w.toml": TINY_SWEEP},
        ["sweep", "w.toml", "--out", "sw", "--set", "seeds=1000000000000"],
        "seeds",
    ),
    (
        "sweep-seed-start-huge",
        {"w.toml": TINY_SWEEP},
        ["sweep", "w.toml", "--out", "sw", "--set", "seed_start=100000000000000000000"],
        "seed_start",
    ),
    (
        "sweep-resolution-huge",
        {"w.toml": TINY_SWEEP},
        ["sweep", "w.toml", "--out", "sw", "--set", "analysis.tunnel_resolution=1000000"],
        "tunnel_resolution",
    ),
    (
        "sweep-workers-huge",
        {"w.toml": TINY_SWEEP},
        ["sweep", "w.toml", "--out", "sw", "--workers", "100000"],
        "--workers",
    ),
    (
        "sweep-chunk-huge",
        {"w.toml": TINY_SWEEP},
        ["sweep", "w.toml", "--out", "sw", "--chunk-size", "10000000000"],
        "--chunk-size",
    ),
    (
        "checkpoint-width-huge",
        {"m.pt": _checkpoint({"kind": "mlp", "widths": [2, 2_000_000_000, 1]})},
        ["analyze", "m.pt"],
        "m.pt",
    ),
    ("analyze-resolution-huge", {"m.pt": b"x"}, ["analyze", "m.pt", "--resolution", "1000000"], "--resolution"),
    ("analyze-starts-huge", {"m.pt": b"x"}, ["analyze", "m.pt", "--starts", "1000000000"], "--starts"),
    ("report-dpi-huge", {"r/metrics.json": "{}"}, ["report", "r", "--dpi", "1000000"], "--dpi"),
    ("theory-widths-huge", {}, ["theory", "--widths", "2," + "2," * 20000 + "1"], "--widths"),
    # --- names that become paths
    ("label-traversal", {}, [*RUN, "--set", "datasets.circles.label='../../evil'"], "label"),
    ("label-slash", {}, [*RUN, "--set", "datasets.circles.label='a/b'"], "label"),
    ("label-dotdot", {}, [*RUN, "--set", "datasets.circles.label='a..b'"], "label"),
    ("label-nul", {"s.toml": study_with(dataset='label = "a\\u0000b"')}, ["run", "s.toml", "--out", "run"], "label"),
    (
        "label-unicode",
        {"s.toml": study_with(dataset='label = "caf\\u00e9"')},
        ["run", "s.toml", "--out", "run"],
        "label",
    ),
    (
        "model-name-traversal",
        {"s.toml": study_with().replace('name = "w3"', 'name = "../w3"')},
        ["run", "s.toml", "--out", "run"],
        "name",
    ),
    ("study-name-traversal", {}, [*RUN, "--set", "name='../../x'"], "name"),
    ("study-name-empty", {}, [*RUN, "--set", "name=''"], "name"),
    ("sweep-name-traversal", {"w.toml": TINY_SWEEP}, ["sweep", "w.toml", "--set", "name='../x'"], "name"),
    (
        "sweep-training-label",
        {"w.toml": TINY_SWEEP + '[[training]]\nlabel = "a\\\\b"\n'},
        ["sweep", "w.toml", "--out", "sw"],
        "label",
    ),
    # --- empty or malformed structures
    ("widths-empty", {}, [*RUN, "--set", "models.mlp_width3.widths=[]"], "widths"),
    ("widths-one", {}, [*RUN, "--set", "models.mlp_width3.widths=[2]"], "widths"),
    ("widths-nested", {}, [*RUN, "--set", "models.mlp_width3.widths=[[2],1]"], "widths"),
    ("datasets-empty", {"s.toml": "datasets = []\n"}, ["run", "s.toml", "--out", "run"], "datasets"),
    (
        "models-not-array",
        {"s.toml": study_with().replace("[[models]]", "models = 3\n[[x]]")},
        ["run", "s.toml", "--out", "run"],
        "models",
    ),
    ("train-not-table", {}, [*RUN, "--set", "train=3"], "train"),
    ("checkpoint-config-list", {"m.pt": _checkpoint([1, 2])}, ["analyze", "m.pt"], "m.pt"),
    (
        "checkpoint-state-list",
        {"m.pt": _checkpoint({"kind": "mlp", "widths": [2, 1]}, [1, 2])},
        ["analyze", "m.pt"],
        "m.pt",
    ),
    (
        "checkpoint-state-shape",
        {"m.pt": _checkpoint({"kind": "mlp", "widths": [2, 1]}, {"net.0.weight": torch.zeros(5, 5)})},
        ["analyze", "m.pt"],
        "m.pt",
    ),
    ("checkpoint-garbage", {"m.pt": GARBAGE}, ["analyze", "m.pt"], "m.pt"),
    ("checkpoint-foreign", {"m.pt": _checkpoint({}, fmt="other")}, ["theory", "m.pt"], "m.pt"),
    ("checkpoint-directory", {"m.pt/x": "x"}, ["analyze", "m.pt"], "m.pt"),
    ("theory-widths-empty", {}, ["theory", "--widths", ""], "--widths"),
    ("theory-widths-comma", {}, ["theory", "--widths", ","], "--widths"),
    # --- files that are not UTF-8
    ("study-latin1", {"s.toml": LATIN1}, ["run", "s.toml", "--out", "run"], "s.toml"),
    ("study-garbage", {"s.toml": GARBAGE}, ["run", "s.toml", "--out", "run"], "s.toml"),
    ("sweep-latin1", {"w.toml": LATIN1}, ["sweep", "w.toml", "--out", "sw"], "w.toml"),
    (
        "csv-latin1",
        {
            "s.toml": csv_study("d.csv"),
            "d.csv": "x1,x2,label\n1,2,0\n\xe9,1,1\n".encode("latin-1"),
        },
        ["run", "s.toml", "--out", "run"],
        "d.csv",
    ),
    (
        "csv-garbage",
        {"s.toml": csv_study("d.csv"), "d.csv": GARBAGE},
        ["run", "s.toml", "--out", "run"],
        "d.csv",
    ),
    ("study-is-directory", {"s.toml/x": "x"}, ["run", "s.toml", "--out", "run"], "s.toml"),
    # --- output locations
    ("run-out-under-file", {"f": "x"}, ["run", "--out", "f/run"], "f"),
    ("run-out-is-file", {"f": "x"}, ["run", "--out", "f"], "f"),
    ("run-out-not-empty", {"r/x": "x"}, ["run", "--out", "r"], "r"),
    ("run-out-deep-under-file", {"f": "x"}, ["run", "--out", "f/a/b/run"], "f"),
    ("sweep-out-under-file", {"f": "x", "w.toml": TINY_SWEEP}, ["sweep", "w.toml", "--out", "f/sw"], "f"),
    ("sweep-out-is-file", {"f": "x", "w.toml": TINY_SWEEP}, ["sweep", "w.toml", "--out", "f"], "f"),
    ("run-live-partial", _live_partial, ["run", "--out", "run"], "in progress"),
    ("run-stale-partial", _stale_partial, ["run", "--out", "run"], "--resume"),
    # --- environment: device, scheduler
    (
        "sweep-device-banana",
        {"w.toml": TINY_SWEEP},
        ["sweep", "w.toml", "--out", "sw", "--device", "banana"],
        "--device",
    ),
    ("sweep-device-index", {"w.toml": TINY_SWEEP}, ["sweep", "w.toml", "--out", "sw", "--device", "cpu:x"], "--device"),
    (
        "sweep-scheduler-bad-address",
        {"w.toml": TINY_SWEEP},
        ["sweep", "w.toml", "--out", "sw", "--scheduler", "banana://x"],
        "--scheduler",
    ),
    # --- CSV ambiguity and paths
    (
        "csv-duplicate-columns",
        {
            "s.toml": csv_study("d.csv"),
            "d.csv": "x1,x2,label,label\n1,2,0,1\n2,1,1,0\n3,1,1,0\n1,1,0,0\n",
        },
        ["run", "s.toml", "--out", "run"],
        "label",
    ),
    (
        "csv-label-and-target",
        {
            "s.toml": csv_study("d.csv"),
            "d.csv": "x1,x2,label,target\n1,2,0,1\n2,1,1,0\n3,1,1,0\n1,1,0,0\n",
        },
        ["run", "s.toml", "--out", "run"],
        "target",
    ),
    (
        "csv-directory",
        {"s.toml": csv_study("d.csv"), "d.csv/x": "x"},
        ["run", "s.toml", "--out", "run"],
        "directory",
    ),
    (
        "csv-missing",
        {"s.toml": csv_study("nope.csv")},
        ["run", "s.toml", "--out", "run"],
        "nope.csv",
    ),
    (
        "csv-path-number",
        {"s.toml": csv_study("d.csv").replace('"d.csv"', "3")},
        ["run", "s.toml", "--out", "run"],
        "path",
    ),
    # --- argparse errors
    ("analyze-starts-abc", {}, ["analyze", "m.pt", "--starts", "abc"], "--starts"),
    ("analyze-no-model", {}, ["analyze"], "MODEL.pt"),
    ("report-dpi-abc", {}, ["report", "r", "--dpi", "abc"], "--dpi"),
    ("sweep-workers-abc", {}, ["sweep", "--workers", "abc"], "--workers"),
    ("theory-skip-abc", {}, ["theory", "--resnet", "2,2,3", "--skip", "abc"], "--skip"),
    ("run-unknown-option", {}, ["run", "--bogus"], "--bogus"),
    ("unknown-command", {}, ["bogus"], "bogus"),
    ("set-without-value", {}, ["run", "--set"], "--set"),
    # --- --resume
    ("resume-missing", {}, ["run", "--resume", "nope.partial"], "nope.partial"),
    ("resume-not-partial", {"done/x": "x"}, ["run", "--resume", "done"], "done"),
    ("resume-other-study", _resume_partial, ["run", "--resume", "old.partial", "default"], "old.partial"),
    ("resume-and-out", _resume_partial, ["run", "--resume", "old.partial", "--out", "x"], "--out"),
    # --- small things
    ("set-no-equals", {}, [*RUN, "--set", "train.epochs"], "train.epochs"),
    ("unknown-key", {}, [*RUN, "--set", "colour=red"], "colour"),
    ("report-not-a-run", {"r/x": "x"}, ["report", "r"], "r"),
]


@pytest.fixture(autouse=True)
def _no_training(monkeypatch):
    """A bad input must be refused before any model is trained: training here fails the test at once."""

    def refuse(*args, **kwargs):
        raise AssertionError("training started: the bad input was not caught")

    import morsenet.study._runner as study_runner
    import morsenet.sweep._runner as sweep_runner

    monkeypatch.setattr(study_runner, "train", refuse)
    monkeypatch.setattr(sweep_runner, "make_tasks", refuse)


def _listing(root: Path) -> dict[str, tuple[int, int]]:
    return {
        str(p.relative_to(root)): (p.stat().st_size if p.is_file() else -1, p.stat().st_mode)
        for p in sorted(root.rglob("*"))
    }


@pytest.mark.parametrize("files, argv, needle", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_one_line_exit_2_nothing_written(tmp_path, monkeypatch, capsys, files, argv, needle):
    monkeypatch.chdir(tmp_path)
    if callable(files):
        files(tmp_path)
    else:
        for name, content in files.items():
            path = tmp_path / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if callable(content):
                content(path.parent)
            elif isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content)
    before = _listing(tmp_path)
    try:
        code = main(argv)
    finally:
        for fh in _HELD:
            fh.close()
        _HELD.clear()
    captured = capsys.readouterr()
    err = captured.err
    assert code == 2, err
    assert err.startswith("morsenet: error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    assert needle in err, err
    assert captured.out == ""
    assert _listing(tmp_path) == before


def test_there_are_at_least_60_cases():
    assert len(CASES) >= 60 and len({c[0] for c in CASES}) == len(CASES)


def test_read_only_parent(tmp_path, monkeypatch, capsys):
    """`--out` in a folder nobody may write: one line (as root, /sys is such a folder)."""
    monkeypatch.chdir(tmp_path)
    if os.geteuid() == 0:
        parent = Path("/sys")
    else:
        parent = tmp_path / "ro"
        parent.mkdir()
        parent.chmod(0o500)
    (tmp_path / "w.toml").write_text(TINY_SWEEP)
    for argv in (["run", "--out", str(parent / "morsenet-run")], ["sweep", "w.toml", "--out", str(parent / "sw")]):
        before = _listing(tmp_path)
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.startswith("morsenet: error: ") and err.count("\n") == 1 and str(parent) in err, err
        assert _listing(tmp_path) == before and not (parent / "morsenet-run").exists()


def test_cuda_without_cuda(tmp_path, monkeypatch, capsys):
    if torch.cuda.is_available():
        pytest.skip("this torch has CUDA")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "w.toml").write_text(TINY_SWEEP)
    assert main(["sweep", "w.toml", "--out", "sw", "--device", "cuda"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("morsenet: error: ") and err.count("\n") == 1 and "cuda" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.toml"]


def test_unreachable_scheduler_leaves_nothing(tmp_path, monkeypatch, capsys):
    import morsenet.sweep._runner as runner

    monkeypatch.setattr(runner, "SCHEDULER_TIMEOUT_S", 1)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "w.toml").write_text(TINY_SWEEP)
    assert main(["sweep", "w.toml", "--out", "sw", "--scheduler", "tcp://127.0.0.1:9"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("morsenet: error: ") and err.count("\n") == 1 and "127.0.0.1:9" in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.toml"]


def test_csv_with_byte_order_mark_is_accepted(tmp_path, monkeypatch, capsys):
    """Excel's "CSV UTF-8" starts with a byte-order mark: it is read, not refused."""
    monkeypatch.undo()  # this one trains (two epochs of a tiny model)
    monkeypatch.chdir(tmp_path)
    rows = "".join(f"{(i % 7) / 7:.3f},{(i % 5) / 5:.3f},{i % 2}\n" for i in range(40))
    (tmp_path / "d.csv").write_bytes(b"\xef\xbb\xbf" + ("x1,x2,label\n" + rows).encode())
    (tmp_path / "s.toml").write_text(csv_study("d.csv"))
    assert main(["run", "s.toml", "--out", "run", "--no-report", "--quiet"]) == 0, capsys.readouterr().err
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["models"]["w3"]["dataset"]["name"] == "csv"


def test_help_is_unchanged(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["run", "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: morsenet run") and "--resume" in out


def test_non_utf8_argv_is_one_line(tmp_path):
    """A file name in Latin-1 bytes on the command line: one line, no traceback (subprocess: real argv bytes)."""
    import subprocess
    import sys

    env = dict(os.environ, PYTHONPATH=str(Path(__file__).parents[1] / "src"), LC_ALL="C.UTF-8")
    for args in ([b"run", b"caf\xe9.toml"], [b"run", b"--out", b"caf\xe9", b"--set", b"train.epochs=abc"]):
        proc = subprocess.run(
            [sys.executable.encode(), b"-m", b"morsenet", *args],
            capture_output=True,
            cwd=tmp_path,
            env=env,
            timeout=120,
        )
        err = proc.stderr.decode("utf-8", "replace")
        assert proc.returncode == 2 and err.startswith("morsenet: error: ") and err.count("\n") == 1, err
        assert list(tmp_path.iterdir()) == []
