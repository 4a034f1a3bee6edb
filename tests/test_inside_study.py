"""The bundled `inside` study: its five models as the issue lists them, and a `--quick` run whose report has the
"Inside the network" figures of every model."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import torch  # noqa: E402

from morsenet.cli import main  # noqa: E402
from morsenet.report import Resolutions, build_report  # noqa: E402
from morsenet.study import bundled_studies, load_study  # noqa: E402

NAMES = ("mlp_width2", "mlp_width3", "resnet_node", "node", "anode_zero")


def test_inside_study_has_the_five_models():
    assert "inside" in bundled_studies()
    study = load_study("inside")
    [data] = study.datasets
    assert data.name == "circles"
    cfg = {m.name: m.config for m in study.models}
    assert tuple(cfg) == NAMES
    assert cfg["mlp_width2"].widths == (2,) + (2,) * 15 + (1,)
    assert cfg["mlp_width3"].widths == (2, 3, 3, 1)
    r = cfg["resnet_node"]
    assert (r.width, r.blocks, r.skip, r.residual) == (2, 20, 1.0, 0.1)
    n, a = cfg["node"], cfg["anode_zero"]
    assert n.kind == a.kind == "neural_ode" and (n.dim, a.dim) == (2, 3) and n.vector_field == "outside"
    assert (n.augmentation, a.augmentation) == ("lift", "zero")
    assert study.train.threshold == 0.95 and study.train.epochs <= 500 and study.snapshot_every >= 25


def test_quick_run_reports_the_inside_section_for_every_model(tmp_path):
    """`morsenet run inside --quick` (training only here), then the report at small resolutions without the
    theory assessment: the slow parts are not what this checks."""
    out = tmp_path / "run"
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        small = ["--set", "train.epochs=4", "--set", "datasets.circles.n_samples=120"]
        assert main(["run", "inside", "--quick", *small, "--quiet", "--no-report", "--out", str(out)]) == 0
        for p in (out / "models").glob("*.snapshots.pt"):
            p.unlink()  # no training-evolution GIFs: the section is what is checked
        build_report(
            out,
            workers=1,
            theory=False,
            dpi=30,
            resolutions=Resolutions(prediction=30, jacobian=24, snapshot=24),
            figures="all",  # a quick run draws the core figures by default; the layer maps are extras
        )
    finally:
        torch.set_num_threads(threads)
    md = (out / "report.md").read_text()
    keys = ("inside_prefix", "inside_tail", "inside_single", "inside_lyapunov")
    for name in NAMES:
        folder = Path(out / "figures" / name)
        for key in keys:
            assert (folder / f"{key}.png").is_file(), (name, key)
            assert f"figures/{name}/{key}.png" in md
        has_blocks = name in ("resnet_node", "node", "anode_zero")
        assert (folder / "inside_blocks.png").is_file() == has_blocks
    assert "layer-resolved maps failed" not in md
    assert "Inside the network: Lyapunov maps" in md
