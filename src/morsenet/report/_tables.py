"""The metrics table of a run (rows, then a document table) and one-line model descriptions."""

from __future__ import annotations

from typing import Any

from ..models import config_from_dict
from ._document import Table
from ._writers import block_html, block_markdown

COLUMNS = (
    "model",
    "data",
    "architecture",
    "parameters",
    "test accuracy (protocol)",
    "val accuracy",
    "best test loss",
    "best epoch",
    "epochs",
    "seed",
    "attempts (seed: accuracy)",
    "reached threshold",
    "wall time",
)


def describe_model(config: dict[str, Any]) -> str:
    """A short human description of a model config dict, e.g. "MLP 2-2x15-1 tanh, BN" ("-" without one)."""
    return config_from_dict(config).describe() if config else "-"


def _fmt(value: Any, spec: str) -> str:
    return "-" if value is None else format(value, spec)


PROTOCOLS = {
    "test": "prototype protocol: model chosen on the test set",
    "validation": "model chosen on the validation set",
}


def accuracy_with_protocol(m: dict[str, Any]) -> str:
    """The test accuracy of a metrics.json model record labelled with how the model was chosen (`selection`:
    "test", the prototype's protocol, whose test accuracy is optimistic; or "validation")."""
    acc = m.get("test_accuracy", m.get("best_test_accuracy"))
    if acc is None:
        return "-"
    selection = str(m.get("selection") or "test")
    return f"{acc:.3f} ({PROTOCOLS.get(selection, f'model chosen on the {selection} set')})"


def metrics_rows(metrics: dict[str, Any]) -> list[dict[str, str]]:
    """One row (column name -> text) per model of a run's metrics.json."""
    rows = []
    for name, m in metrics.get("models", {}).items():
        dataset = m.get("dataset", {})
        attempts = ", ".join(f"{a.get('seed')}: {_fmt(a.get('best_accuracy'), '.3f')}" for a in m.get("attempts", []))
        reached = m.get("reached_threshold")
        rows.append(
            {
                "model": name,
                "data": str(dataset.get("label") or dataset.get("name", "-")),
                "architecture": describe_model(m.get("model", {})),
                "parameters": str(m.get("parameters", "-")),
                "test accuracy (protocol)": accuracy_with_protocol(m),
                "val accuracy": _fmt(m.get("val_accuracy"), ".3f"),
                "best test loss": _fmt(m.get("best_test_loss"), ".4g"),
                "best epoch": "-" if m.get("best_epoch") is None else str(int(m["best_epoch"])),  # 1-based
                "epochs": str(m.get("epochs_run", "-")),
                "seed": str(m.get("seed", "-")),
                "attempts (seed: accuracy)": attempts or "-",
                "reached threshold": "-" if reached is None else ("yes" if reached else "no"),
                "wall time": f"{_fmt(m.get('wall_time_s'), '.1f')} s",
            }
        )
    return rows


def metrics_table(metrics: dict[str, Any]) -> Table:
    """The metrics table as a document block."""
    rows = [[r[c] for c in COLUMNS] for r in metrics_rows(metrics)]
    return Table.of(COLUMNS, rows, css="metrics")


def render_metrics_table(metrics: dict[str, Any], fmt: str = "markdown") -> str:
    """The metrics table as "markdown" or "html" text."""
    if fmt == "markdown":
        return block_markdown(metrics_table(metrics))
    if fmt == "html":
        return block_html(metrics_table(metrics))
    raise ValueError(f"fmt must be 'markdown' or 'html', got {fmt!r}")
