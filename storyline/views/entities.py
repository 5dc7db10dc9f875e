"""Entities across the articles of a storyline: shared full names and a registry.

Within one article the entity stage resolves short forms to the full name the
article gives. An article that only says "Miles" cannot, but its storyline may
say "Miles Stephens" elsewhere: :func:`storyline_aliases` maps every name used
in the articles to the full person name the storyline gives, when exactly one
fits (a first or last word shared by two full names stays as it is), and
:func:`resolve_storyline` returns copies of the articles with their entities'
canonical names and their quotes' speakers rewritten accordingly.

:func:`entity_registry` is what entity pages build on: one entry per canonical
name with its type, the surface forms (aliases) used for it, and how often and
in which articles it is mentioned. :func:`entity_index` adds to each entry what its
entity page shows of the storyline, the facts about it and the quotes by it, so that
entity pages read one stored row per storyline instead of the storyline's articles.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from ..model import Article, format_datetime
from ..nlp.entities import NAME_LABELS, name_key, person_index

__all__ = [
    "RegistryEntry",
    "entity_index",
    "entity_key",
    "entity_registry",
    "resolve_storyline",
    "storyline_aliases",
]

#: labels the small model gives to people's names when it gets them wrong
_PERSONLIKE = frozenset(("PERSON", "ORG", "PRODUCT", "WORK_OF_ART"))


def storyline_aliases(articles: Iterable[Article]) -> dict[str, str]:
    """Each one-word person name in ``articles`` → the only full name it can stand for."""
    articles = list(articles)
    full_names: Counter[str] = Counter()
    short: set[str] = set()
    for article in articles:
        for entity in article.entities:
            if entity.label not in _PERSONLIKE:
                continue
            if entity.label == "PERSON" and len(name_key(entity.canonical).split()) >= 2:
                full_names[entity.canonical] += 1
            elif len(name_key(entity.canonical).split()) == 1:
                short.add(entity.canonical)
    index = person_index(name for name, _ in full_names.most_common())
    aliases = {}
    for name in sorted(short):
        full = index.get(name_key(name))
        if full is not None and full != name:
            aliases[name] = full
    return aliases


def resolve_storyline(articles: Sequence[Article]) -> list[Article]:
    """Copies of ``articles`` with names resolved across the storyline (see the module).

    Only what changes is copied (the entity and quote lists, and the entities and
    quotes renamed); texts and everything else are shared with the originals.
    """
    aliases = storyline_aliases(articles)
    resolved = []
    for article in articles:
        entities = [
            replace(entity, canonical=aliases[entity.canonical], label="PERSON")
            if entity.canonical in aliases and entity.label in _PERSONLIKE
            else entity
            for entity in article.entities
        ]
        quotes = [
            replace(quote, speaker=aliases[quote.speaker])
            if quote.speaker in aliases and quote.speaker_kind != "descriptor"
            else quote
            for quote in article.quotes
        ]
        resolved.append(replace(article, entities=entities, quotes=quotes, doc=None))
    return resolved


@dataclass(slots=True)
class RegistryEntry:
    """One named thing of a story: canonical name, type, aliases and where it appears."""

    canonical: str
    label: str
    aliases: dict[str, int] = field(default_factory=dict)
    mentions: int = 0
    articles: list[str] = field(default_factory=list)
    first_seen: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "canonical": self.canonical,
            "label": self.label,
            "aliases": dict(self.aliases),
            "mentions": self.mentions,
            "articles": list(self.articles),
            "first_seen": format_datetime(self.first_seen),
        }


def entity_registry(
    articles: Sequence[Article], *, resolve: bool = True, labels: Iterable[str] = NAME_LABELS
) -> list[RegistryEntry]:
    """Named entities of ``articles`` (names only: no dates or amounts), most mentioned
    first. With ``resolve``, names are first resolved across the storyline."""
    wanted = frozenset(labels)
    source = resolve_storyline(articles) if resolve else list(articles)
    entries: dict[str, RegistryEntry] = {}
    votes: dict[str, Counter[str]] = {}
    for article in source:
        for entity in article.entities:
            if entity.label not in wanted:
                continue
            entry = entries.get(entity.canonical)
            if entry is None:
                entry = entries[entity.canonical] = RegistryEntry(entity.canonical, entity.label)
                votes[entity.canonical] = Counter()
            votes[entity.canonical][entity.label] += 1
            entry.mentions += 1
            entry.aliases[entity.text] = entry.aliases.get(entity.text, 0) + 1
            if article.id not in entry.articles:
                entry.articles.append(article.id)
            if article.published is not None and (
                entry.first_seen is None or article.published < entry.first_seen
            ):
                entry.first_seen = article.published
    for name, entry in entries.items():
        entry.label = votes[name].most_common(1)[0][0]
    return sorted(entries.values(), key=lambda e: (-e.mentions, e.canonical))


def entity_key(name: str) -> str:
    """How a canonical name is looked up: spacing and case ignored."""
    return " ".join(name.split()).casefold()


def entity_index(
    resolved: Sequence[Article], quotes: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    """One row per named entity of a storyline: its registry entry (:func:`entity_registry`
    of the already ``resolved`` articles), the facts stated about it (each with its
    article, outlet and span) and the storyline's grouped ``quotes`` by it.

    A quote is by an entity when every word of the entity's name is in the speaker's
    name, as :meth:`storyline.engine.Engine.quotes` matches speakers.
    """
    entries = entity_registry(resolved, resolve=False)
    words = [frozenset(entity_key(entry.canonical).split()) for entry in entries]
    by_word: dict[str, list[int]] = {}
    for number, named in enumerate(words):
        for word in named:
            by_word.setdefault(word, []).append(number)
    quoted: dict[int, list[dict[str, Any]]] = {}
    for quote in quotes:
        speaker = frozenset(entity_key(quote.get("speaker") or "").split())
        candidates = {number for word in speaker for number in by_word.get(word, ())}
        for number in sorted(candidates):
            if words[number] <= speaker:
                quoted.setdefault(number, []).append(quote)
    keys = {entity_key(entry.canonical): number for number, entry in enumerate(entries)}
    facts: dict[int, list[dict[str, Any]]] = {}
    for article in resolved:
        for fact in article.facts:
            about = keys.get(entity_key(fact.entity))
            if about is not None:
                facts.setdefault(about, []).append(
                    {
                        **fact.to_dict(),
                        "article": article.id,
                        "outlet": article.outlet,
                        "text": article.text[fact.start : fact.end],
                    }
                )
    return [
        {**entry.to_dict(), "facts": facts.get(number, []), "quotes": quoted.get(number, [])}
        for number, entry in enumerate(entries)
    ]
