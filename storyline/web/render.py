"""Templates and the helpers they use: autoescaped Jinja2, search highlighting, links."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape

from ..model import format_datetime
from ..store import MATCH_END, MATCH_START


class Templates:
    """The page templates, with autoescaping always on."""

    def __init__(self, folder: Path) -> None:
        self.env = Environment(
            loader=FileSystemLoader(folder),
            autoescape=True,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters.update(highlight=highlight, day=day)
        self.env.globals.update(entity_url=entity_url, path=quote_path)

    def response(self, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        page = self.env.get_template(name).render(**context)
        return HTMLResponse(page, status_code=status_code)


def quote_path(value: str) -> str:
    """One path segment, percent-encoded."""
    return quote(value, safe="")


def entity_url(name: str) -> str:
    return "/entities/" + quote_path(name)


def day(value: datetime | str | None) -> str:
    """``2024-03-10`` for a timestamp, "undated" for none."""
    text = format_datetime(value) if isinstance(value, datetime) else value
    return text[:10] if text else "undated"


def snippet_parts(snippet: str) -> list[tuple[str, bool]]:
    """A search snippet as (text, matched) pieces."""
    parts: list[tuple[str, bool]] = []
    head, *rest = snippet.split(MATCH_START)
    parts.append((head.replace(MATCH_END, ""), False))
    for piece in rest:
        matched, _, after = piece.partition(MATCH_END)
        parts.append((matched, True))
        parts.append((after.replace(MATCH_END, ""), False))
    return [(text, matched) for text, matched in parts if text]


def plain_snippet(snippet: str) -> dict[str, Any]:
    """A snippet as plain text and the [start, end) offsets of its matched words."""
    text, spans = "", []
    for piece, matched in snippet_parts(snippet):
        if matched:
            spans.append([len(text), len(text) + len(piece)])
        text += piece
    return {"text": text, "matches": spans}


def highlight(snippet: str) -> Markup:
    """A snippet as HTML: every piece escaped, matched words in ``<mark>``."""
    return Markup("").join(
        Markup("<mark>{}</mark>").format(text) if matched else escape(text)
        for text, matched in snippet_parts(snippet)
    )


def paragraphs(text: str, start: int | None, end: int | None) -> list[list[tuple[str, bool]]]:
    """An article's paragraphs as (text, cited) pieces; the span [start, end) is cited."""
    found: list[list[tuple[str, bool]]] = []
    offset = 0
    for line in text.split("\n"):
        line_start, offset = offset, offset + len(line) + 1
        if not line.strip():
            continue
        if start is None or end is None or end <= line_start or start >= line_start + len(line):
            found.append([(line, False)])
            continue
        left = max(start, line_start) - line_start
        right = min(end, line_start + len(line)) - line_start
        pieces = [(line[:left], False), (line[left:right], True), (line[right:], False)]
        found.append([piece for piece in pieces if piece[0]])
    return found
