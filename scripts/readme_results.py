"""Regenerate the README's quoted results from a run folder, so that they can never go stale.

    python scripts/readme_results.py RUN_DIR            # rewrite the block in README.md
    python scripts/readme_results.py RUN_DIR --check    # exit 1 if README.md's block differs (for CI)

The block is everything between the lines `<!-- results:begin -->` and `<!-- results:end -->`. It is built
from the run's metrics.json, manifest.json and summary.json (written by `morsenet run` / `morsenet report`).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

BEGIN, END = "<!-- results:begin -->", "<!-- results:end -->"
KINDS = (("minimum", "min"), ("maximum", "max"), ("saddle", "saddle"), ("degenerate", "degenerate"))


class ResultsError(Exception):
    """A run folder or README that the script cannot use (printed as one line, exit status 2)."""


def _read(path: Path) -> dict[str, Any]:
    if not path.is_file():
        hint = " (build it with `morsenet report RUN_DIR`)" if path.name == "summary.json" else ""
        raise ResultsError(f"{path}: missing{hint}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as err:
        raise ResultsError(f"{path}: unreadable JSON ({err})") from None
    if not isinstance(data, dict):
        raise ResultsError(f"{path}: expected a JSON object")
    return data


def _critical(c: dict[str, int] | None) -> str:
    if c is None:
        return "not assessed"
    parts = [f"{c.get(k, 0)} {short}" for k, short in KINDS if c.get(k, 0)]
    if c.get("continua"):
        parts.append(f"{c['continua']} {'continuum' if c['continua'] == 1 else 'continua'}")
    found = ", ".join(parts) or "none"
    if c.get("completeness") == "complete":
        return f"{found} (complete)"
    if c.get("completeness") == "lower_bound":
        return f"at least: {found}"
    return found


def _region(r: dict[str, Any] | None) -> str:
    if r is None:
        return "-"
    if r.get("status") == "tunnel":
        w = r.get("narrowest_width")
        return "tunnel" + ("" if w is None else f" (narrowest width {w:.2g})")
    return str(r.get("status"))


def _enclose(v: bool | None) -> str:
    return {True: "yes", False: "no"}.get(v, "unknown") if v is not None else "unknown"


def results_block(run_dir: Path) -> str:
    """The Markdown between the markers (markers excluded) for the run in `run_dir`."""
    metrics, manifest = _read(run_dir / "metrics.json"), _read(run_dir / "manifest.json")
    summary = _read(run_dir / "summary.json")
    models = metrics.get("models") or {}
    if not models:
        raise ResultsError(f"{run_dir / 'metrics.json'}: no models")
    seed = (manifest.get("seeds") or {}).get("study", "?")
    quick = " (a --quick run)" if manifest.get("quick") else ""
    lines = [
        f"What the `{manifest.get('study', run_dir.name)}` study shows (seed {seed}{quick}; generated from the run "
        f"folder `{run_dir.name}` by `python scripts/readme_results.py RUN_DIR`, which reads its `metrics.json` "
        "and `summary.json`, so these are the run's numbers, not typed ones):",
        "",
        "| model | test accuracy | best epoch | theory: class | can enclose | critical points found | disk region | "
        "theory vs measurement |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, m in models.items():
        s = (summary.get("models") or {}).get(name, {})
        acc = m.get("best_test_accuracy")
        lines.append(
            f"| {name} | {'-' if acc is None else f'{acc:.3f}'} | {m.get('best_epoch', '-')} | "
            f"{s.get('class') or '-'} | {_enclose(s.get('can_enclose'))} | {_critical(s.get('critical_points'))} | "
            f"{_region(s.get('disk_region'))} | "
            f"{'agree' if s.get('agrees') else ('DISAGREE' if s.get('agrees') is False else 'not assessed')} |"
        )
    return "\n".join(lines)


def rewrite(readme: str, block: str) -> str:
    """`readme` with the text between the markers replaced by `block`."""
    if readme.count(BEGIN) != 1 or readme.count(END) != 1 or readme.index(BEGIN) > readme.index(END):
        raise ResultsError(f"the README needs exactly one {BEGIN} ... {END} block")
    head, rest = readme.split(BEGIN)
    _, tail = rest.split(END)
    return f"{head}{BEGIN}\n{block}\n{END}{tail}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Regenerate the README's results block from a run folder.")
    parser.add_argument("run_dir", type=Path, help="a run folder with metrics.json and summary.json")
    parser.add_argument("--readme", type=Path, default=Path(__file__).resolve().parents[1] / "README.md")
    parser.add_argument("--check", action="store_true", help="only check: exit 1 if the block differs")
    args = parser.parse_args(argv)
    try:
        old = args.readme.read_text(encoding="utf-8")
        new = rewrite(old, results_block(args.run_dir))
    except (ResultsError, OSError) as err:
        print(f"readme_results: error: {err}", file=sys.stderr)
        return 2
    if args.check:
        if new != old:
            print(f"{args.readme}: results block is stale; rerun without --check", file=sys.stderr)
            return 1
        return 0
    if new != old:
        args.readme.write_text(new, encoding="utf-8")
    print(args.readme)
    return 0


if __name__ == "__main__":
    sys.exit(main())
