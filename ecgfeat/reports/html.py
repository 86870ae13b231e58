"""``report.html``: the study's markdown report as one self-contained HTML file (figures embedded as base64).

Handles what ``report.md`` uses: headings, paragraphs, block quotes, pipe tables, images, ``**bold**``,
```code``` and line lists. Text is HTML-escaped; images are read from paths relative to the report, and an image
outside the report's folder is refused.
"""
from __future__ import annotations

import base64
import html
import re
from pathlib import Path

_STYLE = """body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
img{max-width:100%;height:auto;display:block;margin:1em 0}table{border-collapse:collapse;margin:1em 0}
td,th{border:1px solid #bbb;padding:3px 8px;font-size:90%}th{background:#f0f0f0}
blockquote{border-left:4px solid #c33;margin:1em 0;padding:.5em 1em;background:#fff4f4}
code{background:#f3f3f3;padding:0 3px}"""


def _inline(text: str) -> str:
    out = html.escape(text, quote=False)
    out = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", out)
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", out)


def _image(alt: str, src: str, base: Path) -> str:
    path = (base / src).resolve()
    if base.resolve() not in path.parents:
        raise ValueError(f"report image {src!r} is outside the report folder")
    data = base64.b64encode(path.read_bytes()).decode()
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def _table(rows: list[str]) -> str:
    cells = [[c.strip() for c in r.strip().strip("|").split("|")] for r in rows]
    head, body = cells[0], [r for r in cells[1:] if not all(set(c) <= set("-: ") for c in r)]
    out = ["<table><tr>" + "".join(f"<th>{_inline(c)}</th>" for c in head) + "</tr>"]
    out += ["<tr>" + "".join(f"<td>{_inline(c)}</td>" for c in r) + "</tr>" for r in body]
    return "\n".join(out) + "</table>"


def markdown_to_html(markdown: str, base: Path, title: str = "ecgfeat report") -> str:
    """HTML for ``markdown`` whose image paths are relative to ``base``."""
    blocks: list[str] = []
    lines = markdown.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        image = re.fullmatch(r"!\[(.*?)\]\((.+?)\)", line.strip())
        if not line.strip():
            i += 1
        elif line.startswith("#"):
            level = len(line) - len(line.lstrip("#"))
            blocks.append(f"<h{level}>{_inline(line[level:].strip())}</h{level}>")
            i += 1
        elif image:
            blocks.append(_image(image.group(1), image.group(2), base))
            i += 1
        elif line.startswith("|"):
            rows = []
            while i < len(lines) and lines[i].startswith("|"):
                rows.append(lines[i])
                i += 1
            blocks.append(_table(rows))
        elif line.startswith(">"):
            quote = []
            while i < len(lines) and lines[i].startswith(">"):
                quote.append(lines[i][1:].strip())
                i += 1
            blocks.append(f"<blockquote>{_inline(' '.join(quote))}</blockquote>")
        else:
            para = []
            while i < len(lines) and lines[i].strip() and not lines[i].startswith(("#", "|", ">", "![")):
                para.append(lines[i])
                i += 1
            blocks.append(f"<p>{_inline(' '.join(para))}</p>")
    return (f"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title>"
            f"<style>{_STYLE}</style></head><body>\n" + "\n".join(blocks) + "\n</body></html>\n")


def write_report_html(markdown_path: Path, html_path: Path) -> Path:
    """Write the self-contained HTML of the markdown report at ``markdown_path``."""
    text = markdown_path.read_text()
    first = text.splitlines()[0].lstrip("# ").strip() if text.strip() else "ecgfeat report"
    html_path.write_text(markdown_to_html(text, markdown_path.parent, first))
    return html_path
