"""A small document model: what a report says, built once and written as HTML or Markdown by `_writers`.

Inline text may mark `**bold**` and `` `code` ``; every other character is literal (HTML-escaped on output).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Paragraph:
    """A paragraph; `style` is "", "note", "verdict", "alarm", "meta" or "answer"; `badge` (label, good) leads it."""

    text: str
    style: str = ""
    badge: tuple[str, bool] | None = None


@dataclass(frozen=True)
class Cell:
    """A table cell: its text, whether it is bold, and an optional CSS class (HTML only)."""

    text: str
    bold: bool = False
    css: str = ""


@dataclass(frozen=True)
class Row:
    """A table row; `css` marks it (e.g. "disagree") in HTML."""

    cells: tuple[Cell, ...]
    css: str = ""


@dataclass(frozen=True)
class Table:
    """A table with a header row; `css` is the table's class (HTML only)."""

    columns: tuple[str, ...]
    rows: tuple[Row, ...]
    css: str = ""

    @classmethod
    def of(
        cls, columns: tuple[str, ...], rows: list[list[str]], css: str = "", numeric_from: int | None = None
    ) -> Table:
        """A table of plain text rows; columns from `numeric_from` on get the CSS class "n" (right-aligned)."""

        def cell(i: int, text: str) -> Cell:
            return Cell(text, css="n" if numeric_from is not None and i >= numeric_from else "")

        return cls(columns, tuple(Row(tuple(cell(i, t) for i, t in enumerate(r))) for r in rows), css)


@dataclass(frozen=True)
class Fields:
    """Key-value pairs: a two-column table in HTML, a bullet list in Markdown."""

    items: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Bullets:
    """A bullet list of inline texts."""

    items: tuple[str, ...]


@dataclass(frozen=True)
class Code:
    """Preformatted text in a collapsed block headed `summary`; `language` tags the Markdown fence."""

    text: str
    summary: str
    language: str = ""
    markdown: bool = True


@dataclass(frozen=True)
class Figure:
    """A figure: a PNG (or GIF) file or bytes, with a title and caption; `files` are the formats written."""

    title: str
    caption: str
    image: Path | bytes
    files: tuple[Path, ...] = ()


@dataclass(frozen=True)
class Section:
    """A titled section; `blocks` may hold nested sections (one heading level down).

    `anchor` gives the HTML section an id; `toc` (with an anchor) lists it in the table of contents; `style`
    is its CSS class (e.g. "answer").
    """

    title: str
    blocks: tuple[Block, ...]
    anchor: str = ""
    toc: str = ""
    style: str = ""


Block = Paragraph | Table | Fields | Bullets | Code | Figure | Section


@dataclass(frozen=True)
class Document:
    """A whole report: a title, leading blocks, sections; `base` is the folder figure links are relative to."""

    title: str
    heading: str
    blocks: tuple[Block, ...]
    base: Path | None = None
