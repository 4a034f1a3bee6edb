"""Writing figures: `FigureWriter` saves each figure in every format and records it as a `FigureFile`."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import plotting as P

__all__ = ["FigureFile", "FigureWriter", "new_figure", "safe_name"]


@dataclass(frozen=True)
class FigureFile:
    """A written figure: `png` is embedded in report.html; `files` lists every format written."""

    key: str
    title: str
    caption: str
    png: Path
    files: tuple[Path, ...]


def safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._") or "model"


def new_figure(figsize: tuple[float, float]) -> Any:
    from matplotlib.figure import Figure  # a bare Figure: no pyplot state, nothing to close

    return Figure(figsize=figsize)


class FigureWriter:
    """Draws figures into `folder` in `formats`; `out` lists the written figures in order."""

    def __init__(self, folder: Path, formats: Sequence[str], dpi: int, *, skip: Collection[str] = ()) -> None:
        self.folder, self.formats, self.dpi = folder, tuple(formats), dpi
        self.skip = frozenset(skip)  # keys not drawn (the extras of a core figure set)
        self.out: list[FigureFile] = []

    def wants(self, key: str) -> bool:
        """Whether figure `key` is drawn (callers that build a figure themselves ask first)."""
        return key not in self.skip

    def panels(
        self,
        key: str,
        title: str,
        caption: str,
        figsize: tuple[float, float],
        draws: Sequence[Callable[[Any], Any]],
        projections: Sequence[str | None] | None = None,
        bottom: float = 0.6,
    ) -> None:
        if not self.wants(key):
            return
        fig = new_figure(figsize)
        for k, draw in enumerate(draws):
            proj = projections[k] if projections else None
            draw(fig.add_subplot(1, len(draws), k + 1, projection=proj))
        P.grid_spacing(fig, bottom=bottom, right=0.7, wspace=0.5)
        self.figure(key, title, caption, fig)

    def figure(self, key: str, title: str, caption: str, fig: Any) -> None:
        formats = ("png",) + tuple(f for f in self.formats if f != "png")
        files = P.save_figure(fig, self.folder / key, formats=formats, dpi=self.dpi)
        self.out.append(FigureFile(key, title, caption, files[0], tuple(files)))
