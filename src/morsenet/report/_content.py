"""What a report holds once everything is computed and drawn: the input of the HTML and Markdown writers."""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from typing import Any

from ._analyze import ModelAnalysis, Resolutions
from ._figures import FigureFile
from ._run import RunFolder


@dataclass
class Report:
    run: RunFolder
    analyses: list[ModelAnalysis]
    model_figures: dict[str, list[FigureFile]]
    comparison: list[FigureFile]
    resolutions: Resolutions
    built: str
    version: str
    seconds: float = 0.0

    @property
    def study(self) -> dict[str, Any]:
        try:
            return tomllib.loads(self.run.study_text) if self.run.study_text else {}
        except tomllib.TOMLDecodeError:
            return {}

    @property
    def description(self) -> str:
        return str(self.study.get("description", "")).strip()

    def seed_lines(self) -> list[tuple[str, str]]:
        """(what, seed) pairs: every seed the run and the report used."""
        out = []
        seeds = self.run.manifest.get("seeds") or {}
        if "study" in seeds:
            out.append(("study seed", str(seeds["study"])))
        for label, s in (seeds.get("datasets") or {}).items():
            out.append((f"data set {label}", str(s)))
        for name, record in self.run.metrics.get("models", {}).items():
            attempts = [a.get("seed") for a in record.get("attempts", [])]
            out.append(
                (
                    f"model {name}",
                    f"kept attempt seed {record.get('seed')}; attempt seeds "
                    f"{json.dumps(attempts)}; data set {record.get('dataset', {}).get('name')} with "
                    f"{json.dumps(record.get('dataset', {}).get('params', {}), sort_keys=True)}",
                )
            )
        out.append(("report analyses", "deterministic grids (no randomness); theory assessment seed 0"))
        return out

    def reproduce_snippet(self, a: ModelAnalysis) -> str:
        spec = a.meta.get("dataset") or a.entry.metrics.get("dataset") or {}
        box = tuple(tuple(round(v, 6) for v in side) for side in a.box)
        lines = [
            "import morsenet",
            "from morsenet.analysis import jacobian_grid, prediction_grid, weight_spectra",
            f'model = morsenet.load("{a.entry.checkpoint.relative_to(self.run.path).as_posix()}")',
            f'data = morsenet.get_dataset("{spec.get("name")}", **{json.dumps(spec.get("params", {}))})',
            "spectra = weight_spectra(model)",
        ]
        if a.input_dim == 2:
            r = self.resolutions
            lines += [
                f"box = {box}",
                f"grid = prediction_grid(model, box, {r.prediction}, task=data.task)",
                f"jac = jacobian_grid(model, box, {r.jacobian}, layer=model.n_layers)",
            ]
        elif a.input_dim == 1:
            lines += [
                "from morsenet.analysis import prediction_curve",
                f"curve = prediction_curve(model, {box[0]}, {self.resolutions.curve}, task=data.task)",
            ]
        return "\n".join(lines)
