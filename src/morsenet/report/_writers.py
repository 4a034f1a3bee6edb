"""The two writers of a `Document`: one self-contained HTML file (inline CSS, base64 images) and Markdown."""

from __future__ import annotations

import base64
import html
import re
from pathlib import Path

from ._document import Block, Bullets, Code, Document, Fields, Figure, Paragraph, Row, Section, Table

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;max-width:1200px;
padding:1rem 2rem;color:#222;line-height:1.45}
h1{margin-bottom:.2rem}h2{border-bottom:2px solid #ddd;padding-bottom:.2rem;margin-top:2.2rem}
nav ul{columns:3;list-style:none;padding:0}nav a{text-decoration:none}
table{border-collapse:collapse;font-size:.85rem;margin:.6rem 0}th,td{border:1px solid #ccc;padding:.25rem .5rem;
text-align:left;vertical-align:top}thead th{background:#f3f3f3}table.metrics td:nth-child(n+4){text-align:right}
td.n{text-align:right}div.scroll{overflow-x:auto;max-width:100%}div.scroll>table{margin:0}
figure{margin:1rem 0 1.6rem}figure img{max-width:100%;height:auto;border:1px solid #eee}
figcaption{font-size:.85rem;color:#555}.files{font-size:.75rem;color:#777}
pre{background:#f7f7f7;padding:.6rem;overflow-x:auto;font-size:.8rem}.note{color:#8a5a00;font-style:italic}
.verdict{font-size:1.05rem;font-weight:600}.badge{border-radius:3px;padding:.05rem .4rem;color:#fff;font-size:.8rem}
.badge.ok{background:#2e7d32}.badge.bad{background:#c62828}.meta{color:#666;font-size:.85rem}
.answer{background:#f6f9fc;border-left:4px solid #4a78b5;padding:.4rem .8rem}
table.theory td.agree{background:#e8f5e9}
table.theory tr.disagree td{background:#fde0e0}
table.theory tr.disagree td.verdict-cell{background:#c62828;color:#fff;font-weight:700}
p.alarm{background:#c62828;color:#fff;font-weight:700;padding:.4rem .6rem;border-radius:3px}
"""

MIME = {b"\x89PNG": "image/png", b"GIF8": "image/gif"}
_INLINE = re.compile(r"\*\*(.+?)\*\*|`([^`]+)`")


def data_uri(image: Path | bytes) -> str:
    """The one image embedding of every report: a base64 data URI of PNG or GIF bytes (or of such a file)."""
    raw = image.read_bytes() if isinstance(image, Path) else image
    mime = MIME.get(raw[:4], "image/png")
    return f"data:{mime};base64,{base64.b64encode(raw).decode('ascii')}"


def inline_html(text: str) -> str:
    """Escape `text`, turning `**bold**` into <b> and `code` into <code>."""
    out, k = [], 0
    for m in _INLINE.finditer(text):
        out.append(html.escape(text[k : m.start()]))
        out.append(f"<b>{html.escape(m[1])}</b>" if m[1] is not None else f"<code>{html.escape(m[2])}</code>")
        k = m.end()
    return "".join(out) + html.escape(text[k:])


def _link(p: Path, base: Path | None) -> str:
    return (p.relative_to(base) if base is not None else p).as_posix()


# ----- HTML -----


def _row_html(row: Row) -> str:
    cells = []
    for c in row.cells:
        cls = f' class="{c.css}"' if c.css else ""
        text = html.escape(c.text)
        cells.append(f"<td{cls}>{f'<b>{text}</b>' if c.bold else text}</td>")
    return (f'<tr class="{row.css}">' if row.css else "<tr>") + "".join(cells) + "</tr>"


def _figure_html(f: Figure, base: Path | None) -> str:
    e = html.escape
    ident = f' id="{e(_link(f.files[0], base))}"' if f.files else ""
    links = " ".join(f'<a href="{e(_link(p, base))}">{e(p.suffix[1:])}</a>' for p in f.files)
    files = f' <span class="files">[{links}]</span>' if links else ""
    return (
        f'<figure{ident}><img src="{data_uri(f.image)}" alt="{e(f.title)}"><figcaption><b>{e(f.title)}.</b> '
        f"{inline_html(f.caption)}{files}</figcaption></figure>"
    )


def _block_html(b: Block, level: int, base: Path | None) -> str:
    if isinstance(b, Section):
        body = "\n".join(_block_html(x, level + 1, base) for x in b.blocks)
        head = f"<h{level}>{inline_html(b.title)}</h{level}>"
        if not (b.anchor or b.style):
            return f"{head}\n{body}"
        ident = f' id="{html.escape(b.anchor)}"' if b.anchor else ""
        cls = f' class="{b.style}"' if b.style else ""
        return f"<section{ident}{cls}>{head}{body}</section>"
    if isinstance(b, Paragraph):
        cls = f' class="{b.style}"' if b.style else ""
        badge = ""
        if b.badge is not None:
            badge = f'<span class="badge {"ok" if b.badge[1] else "bad"}">{html.escape(b.badge[0])}</span> '
        return f"<p{cls}>{badge}{inline_html(b.text)}</p>"
    if isinstance(b, Table):
        cls = f' class="{b.css}"' if b.css else ""
        head = "".join(f"<th>{html.escape(c)}</th>" for c in b.columns)
        body = "".join(_row_html(r) for r in b.rows)
        # wide tables scroll sideways inside the page instead of being cut off at the window's edge
        return f'<div class="scroll"><table{cls}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'
    if isinstance(b, Fields):
        rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in b.items)
        return f'<table class="kv">{rows}</table>'
    if isinstance(b, Bullets):
        return "<ul>" + "".join(f"<li>{inline_html(t)}</li>" for t in b.items) + "</ul>"
    if isinstance(b, Code):
        return f"<details><summary>{html.escape(b.summary)}</summary><pre>{html.escape(b.text)}</pre></details>"
    return _figure_html(b, base)


def block_html(b: Block) -> str:
    """One block as an HTML fragment (sections as <h2>)."""
    return _block_html(b, 2, None)


def render_html(doc: Document) -> str:
    """The document as one self-contained HTML page (CSS inline, images as data URIs, no external URL)."""
    e = html.escape
    toc = "".join(
        f'<li><a href="#{e(b.anchor)}">{inline_html(b.toc)}</a></li>'
        for b in doc.blocks
        if isinstance(b, Section) and b.anchor and b.toc
    )
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(doc.title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{inline_html(doc.heading)}</h1>",
    ]
    first = [b for b in doc.blocks if not isinstance(b, Section)]
    out += [_block_html(b, 2, doc.base) for b in first]
    if toc:
        out.append(f"<nav><ul>{toc}</ul></nav>")
    out += [_block_html(b, 2, doc.base) for b in doc.blocks if isinstance(b, Section)]
    out.append("</body></html>")
    return "\n".join(out) + "\n"


# ----- Markdown -----


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|")


def _figure_md(f: Figure, base: Path | None) -> str:
    others = ", ".join(f"[{p.suffix[1:]}]({_link(p, base)})" for p in f.files[1:])
    image = f"![{f.title}]({_link(f.image, base)})\n\n" if isinstance(f.image, Path) else ""
    return f"{image}*{f.title}.* {f.caption}" + (f" Also: {others}." if others else "") + "\n"


def _block_md(b: Block, level: int, base: Path | None) -> str:
    if isinstance(b, Section):
        return "\n\n".join([f"{'#' * level} {b.title}", *(_block_md(x, level + 1, base) for x in b.blocks)])
    if isinstance(b, Paragraph):
        lead = "" if b.badge is None else f"**{b.badge[0]}** - "
        if b.style == "note":
            return f"> {lead}{b.text}"
        return f"**{lead}{b.text}**" if b.style == "alarm" else f"{lead}{b.text}"
    if isinstance(b, Table):
        lines = ["| " + " | ".join(b.columns) + " |", "|" + "|".join("---" for _ in b.columns) + "|"]
        for r in b.rows:
            cells = [f"**{_md_cell(c.text)}**" if c.bold else _md_cell(c.text) for c in r.cells]
            lines.append("| " + " | ".join(cells) + " |")
        return "\n".join(lines)
    if isinstance(b, Fields):
        return "\n".join(f"- **{k}**: {v}" for k, v in b.items)
    if isinstance(b, Bullets):
        return "\n".join(f"- {t}" for t in b.items)
    if isinstance(b, Code):
        if not b.markdown:
            return ""
        fence = f"```{b.language}\n{b.text}\n```"
        return f"<details><summary>{b.summary}</summary>\n\n{fence}\n\n</details>"
    return _figure_md(b, base)


def block_markdown(b: Block) -> str:
    """One block as Markdown (sections as ##)."""
    return _block_md(b, 2, None)


def render_markdown(doc: Document) -> str:
    """The document as Markdown, linking figure files (relative to `doc.base`) instead of embedding them."""
    parts = [f"# {doc.heading}"]
    parts += [_block_md(b, 2, doc.base) for b in doc.blocks]
    return "\n\n".join(p for p in parts if p) + "\n"
