"""Terminal rendering of stories, timelines, quotes and contradictions for the CLI."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .model import Article, Story, format_datetime


def story(
    console: Console, story: Story, articles: Sequence[Article], events: Sequence[Story]
) -> None:
    console.print(f"[bold]{escape(story.title)}[/bold]  ({story.kind} {story.id})", highlight=False)
    if story.storyline:
        console.print(f"part of storyline {story.storyline}")
    for event in events:
        console.print(
            f"  event {event.id}: {escape(event.title)} ({len(event.articles)} articles)",
            highlight=False,
        )
    table = Table("published", "outlet", "title", "id", box=None, title="Articles")
    estimated = {d["article"]: d for d in story.estimated_dates if not d.get("known")}
    for article in articles:
        stamp = format_datetime(article.published)
        when = stamp[:16] if stamp else _estimate(estimated.get(article.id))
        table.add_row(when, escape(article.outlet or "-"), escape(article.title), article.id)
    console.print(table)
    republications(console, story)
    timeline(console, story)
    quotes(console, story.quotes)
    contradictions(console, story.contradictions)
    for agreement in story.agreements:
        console.print(f"agreed: {escape(_agreement(agreement))}", highlight=False)


def republications(console: Console, story: Story) -> None:
    """Which outlet republished whom: one row per copy, with its original."""
    if not story.republications:
        return
    console.print(f"{story.independent_reports} independent reports, {story.copies} copies")
    table = Table("copy", "outlet", "copy of", "outlet", "how", box=None, title="Copies")
    for row in story.republications:
        outlets = (row.copy_outlet or "-", row.original_outlet or "-")
        how = f"{row.kind} {row.similarity:.2f}"
        table.add_row(row.copy, escape(outlets[0]), row.original, escape(outlets[1]), how)
    console.print(table)


def timeline(console: Console, story: Story) -> None:
    if not story.timeline:
        return
    table = Table("when", "what", "source", box=None, title="Timeline")
    for entry in story.timeline:
        sources = entry.get("sources") or []
        first = sources[0] if sources else {}
        where = f"{first.get('outlet') or first.get('article', '-')}"
        if len(sources) > 1:
            where += f" +{len(sources) - 1}"
        text = entry.get("text", "")
        offset = entry.get("sentence_start") or 0
        focus = (entry.get("end") or offset + len(text)) - offset
        table.add_row(
            str(entry.get("label", "")), escape(excerpt_ending_at(text, focus)), escape(where)
        )
    console.print(table)


def quotes(console: Console, statements: Sequence[dict[str, Any]]) -> None:
    if not statements:
        return
    table = Table("speaker", "quote", "carried by (first first)", box=None, title="Quotes")
    for statement in statements:
        carriers = ", ".join(_carrier(c) for c in statement.get("carriers", []))
        table.add_row(
            escape(statement.get("speaker") or "unattributed"),
            escape(_short(statement.get("text", ""), 90)),
            escape(carriers),
        )
    console.print(table)


def contradictions(console: Console, found: Sequence[dict[str, Any]]) -> None:
    for contradiction in found:
        console.print(
            f"[bold red]disagreement[/bold red] on {escape(contradiction['entity'])}: "
            f"{escape(contradiction['attribute'])}",
            highlight=False,
        )
        for side in contradiction.get("sides", []):
            for evidence in side.get("evidence", []):
                console.print(
                    f"  {escape(side.get('label') or side.get('value', ''))}: "
                    f"{escape(evidence.get('outlet') or evidence['article'])} "
                    f"({evidence['article']}, chars {evidence['start']}-{evidence['end']}): "
                    f"“{escape(evidence.get('sentence', ''))}”",
                    highlight=False,
                )


def _carrier(carrier: dict[str, Any]) -> str:
    stamp = carrier.get("published")
    who = carrier.get("outlet") or carrier.get("article", "?")
    return f"{who} {stamp[:10]}" if stamp else str(who)


def _estimate(estimate: dict[str, Any] | None) -> str:
    if not estimate or not estimate.get("label"):
        return "undated"
    return f"{estimate['label']} (estimated: {estimate.get('basis')})"


def _agreement(agreement: dict[str, Any]) -> str:
    what = f"{agreement.get('entity') or 'the event'} {agreement['attribute']}"
    return f"{agreement.get('outlets')} outlets agree on {what} = {agreement.get('label')}"


def excerpt_ending_at(text: str, focus: int, width: int = 80) -> str:
    """``text`` cut to ``width`` so that it still shows what ends at ``focus``: a fact's
    evidence may run over two sentences, and its value closes the second."""
    if len(" ".join(text.split())) <= width or focus <= width - 1:
        return _short(text, width)
    end = min(len(text), focus + 10)
    window = " ".join(text[:end].split())[-(width - 2) :]
    window = window.split(" ", 1)[-1]  # from a whole word
    return "…" + window + ("…" if end < len(text.rstrip()) else "")


def _short(text: str, width: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"
