"""The metrics table of a run (rows, then Markdown or HTML) and one-line model descriptions."""

from __future__ import annotations

import html
from typing import Any

COLUMNS = (
    "model",
    "data",
    "architecture",
    "parameters",
    "best test accuracy",
    "best test loss",
    "best epoch",
    "epochs",
    "seed",
    "attempts (seed: accuracy)",
    "reached threshold",
    "wall time",
)


def describe_model(config: dict[str, Any]) -> str:
    """A short human description of a model config, e.g. "MLP 2-2x15-1 tanh, BN"."""
    kind = config.get("kind")
    act = config.get("activation", "")
    bn = ", BN" if config.get("batchnorm") else ""
    if kind == "mlp":
        widths = list(config.get("widths", []))
        hidden, parts, k = widths[1:-1], [], 0
        while k < len(hidden):  # run-length encode repeated widths: 2-2-2-2 -> 2x4
            j = k
            while j < len(hidden) and hidden[j] == hidden[k]:
                j += 1
            parts.append(f"{hidden[k]}x{j - k}" if j - k > 1 else str(hidden[k]))
            k = j
        return f"MLP {'-'.join([str(widths[0]), *parts, str(widths[-1])])} {act}{bn}"
    if kind == "resnet":
        head = "" if config.get("input_layer", True) else ", no input layer"
        return (
            f"ResNet width {config.get('width')}, {config.get('blocks')} blocks, skip {config.get('skip'):g}, "
            f"residual {config.get('residual'):g} {act}{bn}{head}"
        )
    if kind == "neural_ode":
        return (
            f"neural ODE dim {config.get('dim')}, T={config.get('T'):g}, {config.get('steps')} RK4 steps, "
            f"{config.get('pieces')} pieces, {config.get('vector_field')} {act}"
        )
    return str(kind)


def _fmt(value: Any, spec: str) -> str:
    return "-" if value is None else format(value, spec)


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
                "best test accuracy": _fmt(m.get("best_test_accuracy"), ".3f"),
                "best test loss": _fmt(m.get("best_test_loss"), ".4g"),
                "best epoch": "-" if m.get("best_epoch") is None else str(int(m["best_epoch"]) + 1),
                "epochs": str(m.get("epochs_run", "-")),
                "seed": str(m.get("seed", "-")),
                "attempts (seed: accuracy)": attempts or "-",
                "reached threshold": "-" if reached is None else ("yes" if reached else "no"),
                "wall time": f"{_fmt(m.get('wall_time_s'), '.1f')} s",
            }
        )
    return rows


def render_metrics_table(metrics: dict[str, Any], fmt: str = "markdown") -> str:
    """The metrics table as "markdown" or "html" text."""
    rows = metrics_rows(metrics)
    if fmt == "markdown":
        lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "|".join("---" for _ in COLUMNS) + "|"]
        lines += ["| " + " | ".join(r[c].replace("|", "\\|") for c in COLUMNS) + " |" for r in rows]
        return "\n".join(lines)
    if fmt == "html":
        head = "".join(f"<th>{html.escape(c)}</th>" for c in COLUMNS)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(r[c])}</td>" for c in COLUMNS) + "</tr>" for r in rows)
        return f'<table class="metrics"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
    raise ValueError(f"fmt must be 'markdown' or 'html', got {fmt!r}")
