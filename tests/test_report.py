"""build_report on a tiny hand-made run folder: valid self-contained HTML, every figure embedded, no URLs."""

import dataclasses
import html
import json
import math
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

import morsenet  # noqa: E402
import morsenet.report._analyze  # noqa: E402
from morsenet import MorsenetError  # noqa: E402
from morsenet.analysis import CriticalPoint, assess_model, tunnel_analysis  # noqa: E402
from morsenet.cli import main  # noqa: E402
from morsenet.report import (  # noqa: E402
    Document,
    ModelAnalysis,
    Resolutions,
    Section,
    analyze_model,
    build_report,
    metrics_rows,
    read_run,
    render_html,
    render_markdown,
    render_metrics_table,
)
from morsenet.report._run import ModelEntry  # noqa: E402
from morsenet.report._summary import bottleneck_claim, bottleneck_section, summary_rows, summary_section  # noqa: E402
from morsenet.training import TrainConfig, train  # noqa: E402

MODELS = {
    "tiny_mlp": ("circles", {"n_samples": 120, "seed": 3}, {"kind": "mlp", "widths": [2, 3, 1]}, 11),
    "tiny_resnet": (
        "circles",
        {"n_samples": 120, "seed": 3},
        {"kind": "resnet", "input_dim": 2, "width": 2, "blocks": 2, "skip": 1.0, "residual": 0.5},
        12,
    ),
    "tiny_1d": (
        "square_1d",
        {"n_samples": 40, "seed": 4},
        {"kind": "resnet", "input_dim": 1, "width": 1, "blocks": 2, "input_layer": False},
        13,
    ),
}


def _make_run(root: Path) -> Path:
    """A run folder in the format `morsenet run` writes, trained here for a few epochs."""
    run = root / "tiny-run"
    (run / "models").mkdir(parents=True)
    metrics, seeds = {"complete": True, "models": {}}, {}
    cfg = TrainConfig(epochs=3, patience=0, batch_size=32)
    for name, (dname, dparams, mconfig, seed) in MODELS.items():
        data = morsenet.get_dataset(dname, **dparams)
        snaps = {"epochs": [], "states": []}

        def factory(attempt_seed, snaps=snaps):
            def callback(epoch, model, history):
                snaps["epochs"].append(epoch + 1)
                snaps["states"].append({k: v.detach().clone() for k, v in model.state_dict().items()})

            return callback

        result = train(mconfig, data, cfg, seed=seed, callback_factory=factory)
        h = result.history
        meta = {
            "name": name,
            "dataset": {"label": dname, "name": dname, "params": dparams},
            "train": cfg.to_dict(),
            "seed": result.seed,
            "history": h.to_dict(),
            "attempts": [a.to_dict() for a in result.attempts],
        }
        morsenet.save(result.model, run / "models" / f"{name}.pt", meta=meta)
        torch.save(snaps, run / "models" / f"{name}.snapshots.pt")
        metrics["models"][name] = {
            "dataset": meta["dataset"],
            "model": result.model.config(),
            "parameters": 9,
            "task": data.task,
            "best_test_accuracy": h.best_accuracy,
            "best_test_loss": h.best_test_loss,
            "best_epoch": h.best_epoch + 1,  # 1-based, as `morsenet run` writes it
            "epochs_run": h.epochs_run,
            "seed": result.seed,
            "attempts": meta["attempts"],
            "reached_threshold": None,
            "wall_time_s": 0.1,
            "checkpoint": f"models/{name}.pt",
        }
        seeds[name] = [a.seed for a in result.attempts]
    manifest = {
        "study": "tiny",
        "morsenet_version": morsenet.__version__,
        "torch_version": torch.__version__,
        "python": "3.11",
        "started": "2026-01-01T00:00:00+00:00",
        "finished": "2026-01-01T00:01:00+00:00",
        "seeds": {"study": 0, "datasets": {"circles": 3, "square_1d": 4}, "models": seeds},
        "wall_time_s": {n: 0.1 for n in MODELS},
        "quick": True,
    }
    (run / "metrics.json").write_text(json.dumps(metrics))
    (run / "manifest.json").write_text(json.dumps(manifest))
    (run / "study.toml").write_text('name = "tiny"\ndescription = "A tiny study for the report tests."\nseed = 0\n')
    return run


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """Tiny tensors: one torch thread avoids waiting on descheduled threads on a busy machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


FAST = dict(
    workers=1,
    theory=False,
    dpi=40,
    resolutions=Resolutions(prediction=40, jacobian=24, snapshot=24, curve=101),
    figures="all",  # the fixture is a quick run, whose default is the core set (tested on its own below)
)


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    return _make_run(tmp_path_factory.mktemp("runs"))


@pytest.fixture(scope="module")
def built(template, tmp_path_factory):
    """The three-model run with its report built once (building is the slow part)."""
    run = Path(shutil.copytree(template, tmp_path_factory.mktemp("built") / template.name))
    build_report(run, **FAST)
    return run


@pytest.fixture
def run_dir(template, tmp_path):
    """A one-model copy of the run (tiny_mlp), for tests that rebuild the report."""
    run = Path(shutil.copytree(template, tmp_path / template.name))
    metrics = json.loads((run / "metrics.json").read_text())
    metrics["models"] = {"tiny_mlp": metrics["models"]["tiny_mlp"]}
    (run / "metrics.json").write_text(json.dumps(metrics))
    return run


class _Checker(HTMLParser):
    """Checks that every non-void element is closed in order, and collects src/href attributes."""

    VOID = {"meta", "img", "br", "hr", "link", "input", "source", "col", "area", "base", "wbr"}

    def __init__(self):
        super().__init__()
        self.stack, self.errors, self.refs, self.imgs = [], [], [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.refs += [v for k, v in attrs.items() if k in ("src", "href") and v is not None]
        if tag == "img":
            self.imgs.append(attrs.get("src", ""))
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"unexpected </{tag}> with open {self.stack[-3:]}")
        else:
            self.stack.pop()


def test_report_is_valid_self_contained_html(built):
    run_dir, path = built, built / "report.html"
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    checker = _Checker()
    checker.feed(text)
    checker.close()
    assert not checker.errors and checker.stack == []
    # every figure written is embedded (PNG and GIF as data URIs), and nothing points off the machine
    written = sorted(p for p in (run_dir / "figures").rglob("*") if p.suffix in (".png", ".gif"))
    assert len(written) >= 15
    assert len(checker.imgs) == len(written) and all(s.startswith("data:image/") for s in checker.imgs)
    assert not [r for r in checker.refs if re.match(r"^([a-z]+:)?//", r) or r.startswith(("http", "ftp"))]
    assert not re.search(r"https?://", text)
    linked = {r for r in checker.refs if not r.startswith(("data:", "#"))}
    assert linked == {p.relative_to(run_dir).as_posix() for p in written}
    # what the report must state: study, metrics, each model, every seed, the theory hook, the evolution
    for needle in [
        "tiny",
        "A tiny study",
        "test accuracy (protocol)",
        "(prototype protocol: model chosen on the test set)",
        "tiny_mlp",
        "tiny_resnet",
        "tiny_1d",
        "Theory and topology",
        "Training evolution",
        "attempt seeds [11]",
        "attempt seeds [12]",
        "&quot;seed&quot;: 4",
        "morsenet report",
    ]:
        assert needle in text, needle
    for model in ("tiny_mlp", "tiny_resnet"):
        assert (run_dir / "figures" / model / "decision_boundary.png").is_file()
        assert (run_dir / "figures" / model / "evolution.gif").is_file()
    assert (run_dir / "figures" / "tiny_1d" / "curve.png").is_file()
    assert (run_dir / "figures" / "tiny_1d" / "block_derivatives.png").is_file()
    assert not (run_dir / "figures" / "tiny_1d" / "decision_boundary.png").exists()
    assert {p.name for p in (run_dir / "figures" / "comparison").iterdir()} == {
        "compare_2d.png",
        "compare_1d.png",
        "compare_training.png",
    }


def test_markdown_links_existing_figures_and_rebuild_replaces_figures(run_dir):
    assert build_report(run_dir, formats=("png", "svg"), **FAST) == run_dir / "report.html"
    md = (run_dir / "report.md").read_text(encoding="utf-8")
    links = re.findall(r"\]\(([^)]+)\)", md)
    assert links and all((run_dir / link).is_file() for link in links)
    assert any(link.endswith(".svg") for link in links)
    assert "| tiny_mlp |" in md
    stale = run_dir / "figures" / "tiny_mlp" / "stale.png"
    stale.write_bytes(b"x")
    build_report(run_dir, **FAST)
    assert not stale.exists() and not list((run_dir / "figures").rglob("*.svg"))


def _entry(run: Path, name: str):
    return next(e for e in read_run(run).models if e.name == name)


def test_theory_section_renders_the_typed_assessment(run_dir):
    _add_model(run_dir, "line", _fixture_line_model(), "circles", {"n_samples": 120, "seed": 3})
    a = analyze_model(_entry(run_dir, "line"), resolutions=FAST["resolutions"])
    d = a.assessment
    assert d.tunnel.ring == (0.5, 1.0) and d.tunnel.inner_radius == a.data.geometry.disk_radius  # the data's ring
    assert d.critical_points.points and any(p.continuum for p in d.critical_points.points)
    build_report(run_dir, **{**FAST, "theory": True})
    text = (run_dir / "report.html").read_text(encoding="utf-8")
    for needle in [
        d.verdict,
        "agrees" if d.agree else "disagrees",
        html.escape(d.prediction.explanation),
        d.critical_points.summary(),
        "<td>degenerate</td>",
        html.escape(d.tunnel.summary()),
        "critical points of the logit by kind",
    ]:
        assert needle in text, needle
    assert "theory says" in (run_dir / "report.md").read_text(encoding="utf-8")
    # the field's vocabulary, not the result objects' field names
    for word in ["winding number", "encloses the disk", "can enclose", "Morse index", "degenerate continuum"]:
        assert word in text, word
    for internal in ["winding_radius", "encloses:", "gradient_norm", "<th>continuum</th>", "<td>False</td>"]:
        assert internal not in text, internal


def test_failing_assessment_does_not_break_the_report(run_dir, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("no convergence")

    monkeypatch.setattr(morsenet.report._analyze, "assess_model", broken)
    build_report(run_dir, **{**FAST, "theory": True})
    assert "theory assessment failed: RuntimeError: no convergence" in (run_dir / "report.html").read_text()
    row = _summary_rows((run_dir / "report.md").read_text(encoding="utf-8"))["tiny_mlp"]
    assert row[1] == "morse_generic" and row[-1].startswith("not assessed (theory assessment failed")


def test_user_errors(run_dir, tmp_path, capsys):
    with pytest.raises(MorsenetError, match="no run folder"):
        build_report(tmp_path / "missing")
    with pytest.raises(MorsenetError, match="not a run folder"):
        build_report(tmp_path)
    with pytest.raises(MorsenetError, match="unknown figure format 'jpg'"):
        build_report(run_dir, formats=("png", "jpg"))
    (run_dir / "models" / "tiny_mlp.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(MorsenetError, match="tiny_mlp.pt"):
        build_report(run_dir, **FAST)
    assert main(["report", str(run_dir), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("morsenet: error:") and len(err.strip().splitlines()) == 1


def test_cli_rebuilds_the_report(run_dir, capsys):
    assert main(["report", str(run_dir), "--quiet", "--no-theory", "--workers", "1", "--dpi", "40"]) == 0
    assert capsys.readouterr().out.strip() == str(run_dir / "report.html")
    # off a terminal (as here) there is no progress output at all, --quiet or not
    args = ["report", str(run_dir), "--no-theory", "--workers", "1", "--dpi", "40", "--resolution", "24"]
    args += ["--figures", "all"]  # the fixture is a quick run (core figures by default)
    assert main([*args, "--box=-2,2,-1.5,1.5"]) == 0
    out = capsys.readouterr()
    assert out.err == "" and out.out.strip() == str(run_dir / "report.html")
    md = (run_dir / "report.md").read_text(encoding="utf-8")
    assert "[-2, 2] × [-1.5, 1.5] (given by --box)" in md and "--resolution 24" in md
    assert "analysis box [-2, 2] × [-1.5, 1.5]" in md
    snippet = (run_dir / "report.html").read_text(encoding="utf-8")
    assert "box = ((-2.0, 2.0), (-1.5, 1.5))" in snippet and "prediction_grid(model, box, 24," in snippet
    from PIL import Image

    with Image.open(run_dir / "figures" / "tiny_mlp" / "decision_boundary.png") as im:
        assert im.mode in ("RGB", "RGBA")  # true colour: no palette
        assert im.size == (round(6.2 * 40), round(6.4 * 40))
    for bad, message in [
        (["--box", "1,2,3"], "--box needs 2, 4 or 6"),
        (["--box=2,1,0,1"], "X0 < X1"),
        (["--box=a,b,c,d"], "must be numbers"),
        (["--box=-1,1,-1,1,-1,1"], "no model of this run takes 3 inputs"),
        (["--resolution", "2"], "--resolution must be >= 3"),
    ]:
        assert main(["report", str(run_dir), "--quiet", *bad]) == 2, bad
        err = capsys.readouterr().err
        assert message in err and len(err.strip().splitlines()) == 1, err


def test_progress_shows_only_on_a_terminal(monkeypatch):
    import io

    from morsenet._progress import Phase, phase, wanted

    class Tty(io.StringIO):
        def isatty(self):
            return True

    assert wanted(None, stream=Tty()) and not wanted(None, stream=io.StringIO())
    assert not wanted(True, quiet=True, stream=Tty()) and not wanted(False, stream=Tty())
    monkeypatch.setattr("sys.stderr", Tty())
    with phase("x", 3) as p:
        assert p.enabled
        p.step("one")
        p.step("two", n=2)
        assert p.done == 3
    assert not p.enabled  # closed on exit
    off = Phase("y", 3, enabled=False)
    off.step("ignored")
    assert not off.enabled and off.done == 1


def test_tables_scroll_sideways_instead_of_being_cut_off():
    doc = Document("t", "t", (Section("s", (morsenet.report.Table.of(("a", "b"), [["1", "2"]]),)),))
    text = render_html(doc)
    assert '<div class="scroll"><table><thead>' in text and "div.scroll{overflow-x:auto" in text


def test_metrics_table(template):
    metrics = json.loads((template / "metrics.json").read_text())
    rows = metrics_rows(metrics)
    for row, record in zip(rows, metrics["models"].values()):  # epochs count from 1 in metrics.json and report
        assert row["best epoch"] == str(record["best_epoch"])
    assert [r["model"] for r in rows] == list(MODELS)
    assert rows[0]["architecture"] == "MLP 2-3-1 tanh" and rows[0]["seed"] == "11"
    md = render_metrics_table(metrics, "markdown").splitlines()
    assert len(md) == 2 + len(MODELS) and md[0].startswith("| model |")
    html = render_metrics_table(metrics, "html")
    assert html.count("<tr>") == 1 + len(MODELS)
    # each accuracy names its protocol; the validation accuracy shows when the run has one
    assert rows[0]["test accuracy (protocol)"].endswith("(prototype protocol: model chosen on the test set)")
    held = {"models": {"m": {"selection": "validation", "test_accuracy": 0.9124, "val_accuracy": 0.95}}}
    (row,) = metrics_rows(held)
    assert row["test accuracy (protocol)"] == "0.912 (model chosen on the validation set)"
    assert row["val accuracy"] == "0.950"


# ----- theory versus measurement: summary table, tunnel highlight, the bottleneck claim -----


def _summary_rows(md: str) -> dict[str, list[str]]:
    """The summary table of report.md: model -> its cells."""
    section = md.split("## Theory versus measurement", 1)[1].split("\n## ", 1)[0]
    rows = [
        [c.strip() for c in line.strip().strip("|").split(" | ")]
        for line in section.splitlines()
        if line.startswith("| ")
    ]
    assert rows[0][:2] == ["model", "predicted class"]
    return {cells[0].strip(" *"): cells for cells in rows[1:]}


def test_summary_table_lists_every_model_with_its_predicted_class(built):
    from morsenet.theory import predict

    rows = _summary_rows((built / "report.md").read_text(encoding="utf-8"))
    assert set(rows) == set(MODELS)
    for name in MODELS:
        expected = predict(morsenet.load(built / "models" / f"{name}.pt")).cls
        assert rows[name][1] == expected, (name, rows[name])
        assert "not assessed" in rows[name][-1]  # built with theory=False: predicted, not measured
    text = (built / "report.html").read_text(encoding="utf-8")
    assert '<section id="theory"><h2>Theory versus measurement</h2>' in text
    assert text.index('id="theory"') < text.index('id="metrics"')  # near the top
    table = text.split('<table class="theory">', 1)[1].split("</table>", 1)[0]
    assert table.count("<tr") == 1 + len(MODELS) and all(f"<td>{n}</td>" in table for n in MODELS)


def _analysis(model, assessment, name="tiny_mlp", data=None):
    """A hand-made ModelAnalysis (the report's input) on the circles data."""
    data = data or morsenet.get_dataset("circles", n_samples=120, seed=3)
    entry = ModelEntry(name, {}, Path(f"models/{name}.pt"), None)
    theory = assessment.prediction if assessment is not None else None
    return ModelAnalysis(entry, model, data, None, {}, assessment=assessment, theory=theory)


def test_disagreement_is_loud_in_the_summary():
    model = _fixture_line_model()
    real = assess_model(model, box=((-1.2, 1.2),) * 2, n_starts=16, resolution=41)
    saddle = CriticalPoint(torch.tensor([0.1, -0.2]), 0.0, "saddle", 1, torch.tensor([-1.0, 1.0]), 0.0)
    search = dataclasses.replace(real.critical_points, points=[saddle], flat=False)
    pred = dataclasses.replace(real.prediction, cls="none", can_enclose=False, theorems=("T1", "L4"), provenance=("P",))
    reason = "1 non-degenerate critical point(s) found, which class none rules out"
    fake = dataclasses.replace(
        real,
        prediction=pred,
        critical_points=search,
        winding=-1,
        agree=False,
        verdict="theory says none -- DISAGREEMENT",
        reasons=(reason,),
    )
    doc = Document("t", "t", (summary_section([_analysis(model, fake)]),))
    md = render_markdown(doc)
    row = _summary_rows(md)["tiny_mlp"]
    assert row[1:6] == [
        "none",
        "no (tunnel forced)",
        "T1, L4 [P]",
        f"0 min, 0 max, 1 saddle, 0 degenerate (0 continua); {search.completeness_summary()}",
        "-1",
    ]
    assert row[-1].startswith("**\u26a0 DISAGREE: 1 non-degenerate")
    assert "**\u26a0 1 model(s) DISAGREE with the theory: tiny_mlp.**" in md
    text = render_html(doc)
    assert '<tr class="disagree">' in text and '<td class="verdict-cell"><b>\u26a0 DISAGREE' in text
    assert '<p class="alarm">' in text and "background:#c62828" in text


def _strip(x):  # class 0 (logit < 0): the disk r < 0.35 and a strip |x1| < 0.08 from it up to the box edge
    r = x.norm(dim=1)
    return torch.minimum(r - 0.35, torch.where(x[:, 1] > 0, x[:, 0].abs() - 0.08, torch.ones_like(r)))


def _basin(x):  # class 0: the disk r < 0.35 only, enclosed by the ring
    return x.norm(dim=1) - 0.35


BOX = ((-1.5, 1.5), (-1.5, 1.5))


def _overlay_of(f):
    from morsenet.analysis import prediction_grid

    pred = prediction_grid(f, BOX, 61, dtype=torch.float64)
    t = tunnel_analysis(f, BOX, inner_radius=0.3, ring=(0.5, 1.0), resolution=61, n_radii=32, n_angles=256)
    return pred, t, t


def _closed(mask):
    """Whether the outlined component stays off the grid's edge (its outline is a closed curve)."""
    return mask is not None and not (mask[0, :].any() or mask[-1, :].any() or mask[:, 0].any() or mask[:, -1].any())


def _gid(ax, gid):
    return [a for a in ax.lines + ax.collections + ax.texts if a.get_gid() == gid]


def test_tunnel_highlight_for_a_hand_set_tunnel_classifier():
    from matplotlib.figure import Figure

    from morsenet.plotting import plot_decision_boundary

    pred, t, o = _overlay_of(_strip)
    assert t.tunnel and o.status == "tunnel" and not _closed(o.mask)
    assert o.mask[-1].any() and not o.mask[0].any()  # the component reaches the top edge only
    (x0, y0), (x1, y1) = o.chord
    assert math.hypot(x1 - x0, y1 - y0) == pytest.approx(t.narrowest_width, abs=0.01)
    assert t.narrowest_width == pytest.approx(0.16, abs=0.01) and abs(x0 + x1) < 0.01 and y0 > 0.45
    ax = plot_decision_boundary(pred, Figure().add_subplot(), tunnel=o)
    assert len(_gid(ax, "ring")) == 2 and len(_gid(ax, "tunnel-outline")) == 1 and not _gid(ax, "bounded-outline")
    (chord,) = _gid(ax, "narrowest-chord")
    assert np.allclose(chord.get_xydata(), [[x0, y0], [x1, y1]])
    (crossings,) = _gid(ax, "ring-crossing")
    assert np.allclose(crossings.get_offsets(), [[0.0, 0.75]], atol=0.02)
    assert any("tunnel" in t.get_text() for t in ax.get_legend().get_texts())


def test_closed_outline_for_a_hand_set_bounded_classifier():
    from matplotlib.figure import Figure
    from matplotlib.path import Path as MplPath

    from morsenet.plotting import plot_decision_boundary

    pred, t, o = _overlay_of(_basin)
    assert t.bounded and o.status == "bounded" and _closed(o.mask) and o.chord is None
    ax = plot_decision_boundary(pred, Figure().add_subplot(), tunnel=o)
    (outline,) = _gid(ax, "bounded-outline")
    (path,) = [p for p in outline.get_paths() if len(p.vertices)]
    assert path.codes[-1] == MplPath.CLOSEPOLY  # a closed curve
    radii = np.hypot(*path.vertices[:-1].T)
    assert radii.max() < 0.5 and radii.min() > 0.25  # around the disk, inside the ring
    assert not _gid(ax, "narrowest-chord") and not _gid(ax, "ring-crossing") and not _gid(ax, "tunnel-outline")
    # a classifier calling the centre 1 gets no highlight
    real = assess_model(_fixture_line_model(), box=BOX, n_starts=8, resolution=41)
    verdict = {"verdict": "no_inner_region"} if hasattr(t, "verdict") else {}  # the test's own verdict, if stored
    centre_1 = dataclasses.replace(real, tunnel=dataclasses.replace(t, centre_class=1, **verdict))
    assert centre_1.tunnel.status == "no_inner_region" and _analysis(_fixture_line_model(), centre_1).tunnel is None
    assert _analysis(_fixture_line_model(), dataclasses.replace(real, tunnel=t)).tunnel is t


def _fixture_line_model(bias: float = 1.2):
    """THEORY.md 4.3's degenerate line, [2,1,2,1] tanh, negated and shifted: class 0 is the strip |x1| < c."""
    from morsenet.models import build_model

    m = build_model({"kind": "mlp", "widths": [2, 1, 2, 1]}, seed=0)
    m.load_state_dict(
        {
            "hidden_layers.0.weight": torch.tensor([[1.0, 0.0]]),
            "hidden_layers.0.bias": torch.zeros(1),
            "hidden_layers.1.weight": torch.ones(2, 1),
            "hidden_layers.1.bias": torch.tensor([1.0, -1.0]),
            "readout.weight": torch.tensor([[-1.0, 1.0]]),
            "readout.bias": torch.tensor([bias]),
        }
    )
    return m.eval()


def test_bottleneck_claim_for_a_degenerate_line():
    m = _fixture_line_model()
    d = assess_model(m, box=((-1.2, 1.2),) * 2, n_starts=48, resolution=81)
    assert d.prediction.cls == "degenerate_forced" and d.agree and d.tunnel.tunnel
    a = _analysis(m, d, name="bottleneck")
    text = " ".join(bottleneck_claim(a))
    assert '"cannot generate a singular point"' in text and "T3(b)" in text and "L5" in text
    assert "a line of degenerate critical points through (" in text and "null direction (" in text
    assert "escapes through a tunnel" in text and "supports: THEORY.md" in text
    nested = Section("model", (Section("Theory and topology", (bottleneck_section(a),)),))
    assert "\n\n#### The prototype's bottleneck claim\n\n" in render_markdown(Document("t", "t", (nested,)))
    (row,) = summary_rows([a])
    complete = d.critical_points.completeness_summary()
    assert row["critical points found"] == f"0 min, 0 max, 0 saddle, 1 degenerate (1 continuum); {complete}"
    assert row["disk region"].startswith("tunnel (narrowest width") and row.agree is True
    # no critical point found: the measurement does not decide the singular-point question
    empty = dataclasses.replace(d, critical_points=dataclasses.replace(d.critical_points, points=[]))
    text = " ".join(bottleneck_claim(dataclasses.replace(a, assessment=empty)))
    assert "found no critical point" in text and "neither decisively" in text
    other = dataclasses.replace(d, prediction=dataclasses.replace(d.prediction, cls="none"))
    assert bottleneck_claim(dataclasses.replace(a, assessment=other)) is None


def _add_model(run: Path, name: str, model, dataset: str, params: dict) -> None:
    """Save a hand-made (untrained) model into a run folder as `morsenet run` would."""
    meta = {"name": name, "dataset": {"label": dataset, "name": dataset, "params": params}}
    morsenet.save(model, run / "models" / f"{name}.pt", meta=meta)
    metrics = json.loads((run / "metrics.json").read_text())
    metrics["models"][name] = {
        "dataset": meta["dataset"],
        "model": model.config(),
        "parameters": 1,
        "checkpoint": f"models/{name}.pt",
    }
    (run / "metrics.json").write_text(json.dumps(metrics))


def test_one_d_and_n_d_runs_build_with_the_theory_on(template, tmp_path):
    from morsenet.models import build_model

    run = Path(shutil.copytree(template, tmp_path / template.name))
    metrics = json.loads((run / "metrics.json").read_text())
    metrics["models"] = {"tiny_1d": metrics["models"]["tiny_1d"]}
    (run / "metrics.json").write_text(json.dumps(metrics))
    _add_model(
        run,
        "mlp_4d",
        build_model({"kind": "mlp", "widths": [4, 5, 1]}, seed=0),
        "spheres",
        {"n_samples": 80, "dim": 4, "seed": 1},
    )
    build_report(run, **{**FAST, "theory": True})
    md = (run / "report.md").read_text(encoding="utf-8")
    rows = _summary_rows(md)
    assert set(rows) == {"tiny_1d", "mlp_4d"}
    assert rows["mlp_4d"][1] == "morse_generic" and "handles 1- to 3-D inputs" in rows["mlp_4d"][-1]
    assert rows["tiny_1d"][5] == "n/a (not 2-D)" and rows["tiny_1d"][-1].strip("*\u26a0 ").startswith(
        ("agree", "DISAGREE")
    )  # assessed: critical points of the 1-D curve
    assert md.count("### Theory and topology") == 2


def test_reprs_show_counts_not_contents(built):
    run = read_run(built)
    text = repr(run)
    assert text.startswith("RunFolder(") and "3 models: tiny_mlp, tiny_resnet, tiny_1d" in text
    entry = repr(run.models[0])
    assert entry.startswith("ModelEntry('tiny_mlp'") and "test accuracy" in entry and "tensor" not in entry


def test_summary_json_uses_the_fields_vocabulary(built):
    summary = json.loads((built / "summary.json").read_text())
    record = summary["models"]["tiny_mlp"]
    assert {"class", "can_enclose", "critical_points", "winding_number", "disk_region", "agrees", "verdict"} <= set(
        record
    )
    assert "cls" not in json.dumps(summary)
    metrics = json.loads((built / "metrics.json").read_text())
    assert record["best_epoch"] == metrics["models"]["tiny_mlp"]["best_epoch"]


# ----- undecided tunnels, completeness, numerically degenerate, escape figure, one box policy, Ctrl-C -----


def test_undecided_tunnel_is_shown_with_its_reason_never_as_bounded():
    from morsenet.report._summary import _region

    _, t, _ = _overlay_of(_basin)
    real = assess_model(_fixture_line_model(), box=BOX, n_starts=8, resolution=41)
    undecided = dataclasses.replace(
        t, verdict="undecided", certificate=None, certificate_kind=None, undecided_reason="both passed (too coarse)"
    )
    ring = morsenet.get_dataset("circles", n_samples=120, seed=3)  # a disk inside a ring
    a = _analysis(_fixture_line_model(), dataclasses.replace(real, tunnel=undecided), data=ring)
    assert a.ring_data
    cell = _region(a.assessment, a)
    assert cell.startswith("undecided (both passed (too coarse))") and "bounded" not in cell
    assert _region(dataclasses.replace(real, tunnel=t), a).startswith("bounded")
    # the same tunnel measured in the disk-and-ring frame: stated, and not overlaid on the data-coordinate maps
    framed = dataclasses.replace(real, tunnel=t, tunnel_frame="disk_ring")
    b = _analysis(_fixture_line_model(), framed, data=ring)
    assert "disk-and-ring frame" in _region(framed, b) and b.tunnel is None
    assert _analysis(_fixture_line_model(), dataclasses.replace(real, tunnel=t), data=ring).tunnel is t


def test_critical_points_cell_states_completeness_and_numerically_degenerate_with_its_sigma():
    model = _fixture_line_model()
    real = assess_model(model, box=((-1.2, 1.2),) * 2, n_starts=16, resolution=41)
    (row,) = summary_rows([_analysis(model, real)])
    assert row["critical points found"].endswith("; " + real.critical_points.completeness_summary())
    lower = dataclasses.replace(real.critical_points, completeness="lower_bound", unresolved_cells=(None, None))
    (row,) = summary_rows([_analysis(model, dataclasses.replace(real, critical_points=lower))])
    assert row["critical points found"].endswith(f"; at least {len(lower.points)}; 2 cells unresolved")
    nd = dataclasses.replace(
        real,
        critical_points=dataclasses.replace(real.critical_points, points=[]),
        measured="numerically_degenerate",
        numerically_degenerate_sigma_min=-17.25,
    )
    (row,) = summary_rows([_analysis(model, nd)])
    cell = row["critical points found"]
    assert "numerically degenerate" in cell and "1e-17.2" in cell and "not a disagreement" in cell
    assert row.agree is True and row["theory vs measurement"] == "agree"
    from morsenet.report._content import assessment_blocks

    text = render_markdown(Document("t", "t", (Section("s", tuple(assessment_blocks(_analysis(model, nd)))),)))
    assert "1e-17.2" in text and "not a disagreement" in text


def test_escape_figure_per_two_d_model(tmp_path):
    from morsenet.analysis import escape_analysis, weight_spectra
    from morsenet.report._figures import model_figures

    model = _fixture_line_model()
    a = _analysis(model, None)
    a.spectra = weight_spectra(model)
    a.escape = escape_analysis(model, (0.0, 0.0), box_radius=1.5, doublings=1, n_radii=8, n_angles=32)
    figs = {f.key: f for f in model_figures(a, tmp_path, dpi=30)}
    assert figs["escape"].png.is_file()
    summary = a.escape.summary()
    assert figs["escape"].caption.startswith(summary[:1].upper() + summary[1:])
    a.escape = None
    assert "escape" not in {f.key for f in model_figures(a, tmp_path / "none", dpi=30)}


def test_one_box_policy_and_the_study_box_in_the_report(run_dir):
    from morsenet.analysis._grid import default_search_box

    data = morsenet.get_dataset("circles", n_samples=120, seed=3)
    x = data.x.double()
    expected = tuple((float(lo) - 0.2, float(hi) + 0.2) for lo, hi in zip(x.min(0).values, x.max(0).values))
    got = default_search_box(data)
    assert len(got) == 2 and np.allclose(got, expected) and got == data.box(0.2)
    assert default_search_box(data, ((-1, 1), (-2, 2))) == ((-1.0, 1.0), (-2.0, 2.0))
    with pytest.raises(MorsenetError, match="1 \\(lo, hi\\) pairs"):
        default_search_box(data, ((-1, 1),))
    # a study's [report] box is the report's box, on a rebuild too, and the report states it per model
    (run_dir / "models" / "tiny_mlp.snapshots.pt").unlink()  # no evolution figures: a quicker build
    study = run_dir / "study.toml"
    study.write_text(study.read_text() + "\n[report]\nbox = [-1.25, 1.25, -1.5, 1.5]\n")
    build_report(run_dir, **FAST)
    md = (run_dir / "report.md").read_text()
    assert "[-1.25, 1.25] × [-1.5, 1.5] (given by the study's report.box)" in md
    assert "analysis box [-1.25, 1.25] × [-1.5, 1.5]" in md


def test_report_workers_start_with_ctrl_c_ignored(monkeypatch, tmp_path):
    import signal
    from concurrent.futures import Future

    import morsenet.report._jobs as J

    seen, shut = [], []

    class Pool:  # records the SIGINT handler in force when workers would start
        def __init__(self, *args, **kwargs):
            seen.append(signal.getsignal(signal.SIGINT))

        def submit(self, fn, *args):
            seen.append(signal.getsignal(signal.SIGINT))
            f: Future = Future()
            f.set_exception(KeyboardInterrupt())  # Ctrl-C while the analyses run
            return f

        def shutdown(self, wait=True, cancel_futures=False):
            shut.append(cancel_futures)

    monkeypatch.setattr(J, "ProcessPoolExecutor", Pool)
    monkeypatch.setattr(J, "spawn_is_safe", lambda: True)
    entries = [ModelEntry(n, {}, tmp_path / f"{n}.pt", None) for n in ("a", "b")]
    before = signal.getsignal(signal.SIGINT)
    with pytest.raises(KeyboardInterrupt):
        J.run_jobs(entries, tmp_path, Resolutions.quick(), ("png",), 40, False, 2, lambda s: None)
    assert len(seen) == 3 and all(h is signal.SIG_IGN for h in seen)
    assert signal.getsignal(signal.SIGINT) is before and True in shut  # restored; queued jobs cancelled


def test_a_quick_run_draws_the_core_figures_and_says_how_to_draw_them_all(run_dir):
    from morsenet.report._figures import COMPARED_FIGURES, EXTRA_FIGURES

    build_report(run_dir, **{k: v for k, v in FAST.items() if k != "figures"})  # a quick run: core by default
    folder = run_dir / "figures" / "tiny_mlp"
    drawn = {p.stem for p in folder.iterdir()} if folder.exists() else set()
    assert not drawn & (EXTRA_FIGURES | COMPARED_FIGURES) and "evolution" not in drawn
    assert not any(k.startswith("inside_") for k in drawn)
    # each map once, in the comparisons: the boundary and the gradient norm; the training curves of the one model too
    compared = {p.stem for p in (run_dir / "figures" / "comparison").iterdir()}
    assert {"compare_2d", "compare_training"} <= compared
    md = (run_dir / "report.md").read_text()
    assert "Core figures only" in md and "morsenet report RUN --figures all" in md and f"`{run_dir.name}`" in md
    assert "decision boundary and gradient norm of the logit (the core figures" in md
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary  # tables and verdicts are complete either way
    # the study's own report.figures wins over the quick default; the argument wins over both
    study = run_dir / "study.toml"
    study.write_text(study.read_text() + '\n[report]\nfigures = "all"\n')
    build_report(run_dir, **{k: v for k, v in FAST.items() if k != "figures"})
    drawn = {p.stem for p in folder.iterdir()}
    assert {"data", "surface", "weight_spectra", "evolution", "decision_boundary", "training"} <= drawn
    assert "Core figures only" not in (run_dir / "report.md").read_text()
    assert "compare_training" not in {p.stem for p in (run_dir / "figures" / "comparison").iterdir()}  # one model
    build_report(run_dir, **{**FAST, "figures": "core"})
    assert not {p.stem for p in folder.iterdir()} & EXTRA_FIGURES if folder.exists() else True
    with pytest.raises(MorsenetError, match="--figures must be one of all, core"):
        build_report(run_dir, **{**FAST, "figures": "some"})
