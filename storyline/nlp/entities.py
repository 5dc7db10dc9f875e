"""The entity stage: named entities with their aliases resolved within an article.

spaCy's recognizer gives the mentions (every OntoNotes type: PERSON, ORG, GPE,
LOC, NORP, ...). The small English model misses and mislabels names often
enough that a few corrections run on top of it, all from evidence inside the
article:

1. **Trim.** A mention is cut at a possessive (``John Legend's`` → ``John
   Legend``) and loses trailing function words (``Baby Miles Is``); lower-case
   "names" (``lewks``) are dropped.
2. **Platforms.** Well-known platforms and services (Twitter, Instagram, ...)
   are organisations, whatever the model said.
3. **Full names.** A capitalised word just before a mention is joined to it
   (``Chrissy`` + ``Teigen``) when it cannot be an ordinary word: not a stop
   word, title or month, and not only capitalised because a sentence starts.
4. **Aliases.** A one-word mention (or a mention the model missed) that is the
   first or last word of exactly one multi-word person name in the article
   resolves to it (``Teigen`` → ``Chrissy Teigen``) and takes its label, which
   corrects mislabels such as ``Teigen``/ORG. An ambiguous short form
   (``Clinton`` with both Bill and Hillary present) keeps its own name.
5. **Person evidence.** A name group the model labels inconsistently becomes
   PERSON when the text says so: a kinship word after its possessive
   (``Teigen's dad``), a role word before it (``singer John Legend``), or a
   verb only people do after it (``Teigen quipped``).

``Entity.canonical`` is the full name the mention resolves to (for other types,
the mention without a leading "the"). Resolution across the articles of a
storyline is :mod:`storyline.views.entities`.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from ..model import Article, Entity
from ..pipeline import BaseStage
from .parse import doc_of
from .speakers import CUES

__all__ = [
    "NAME_LABELS",
    "PLATFORMS",
    "EntityStage",
    "extract_entities",
    "name_key",
    "person_index",
]

#: labels of things with names (the rest are dates, amounts and numbers)
NAME_LABELS = frozenset(
    "PERSON NORP FAC ORG GPE LOC PRODUCT EVENT WORK_OF_ART LAW LANGUAGE".split()
)
#: platforms and services the small model often calls people or places
PLATFORMS: dict[str, str] = {
    name.casefold(): name
    for name in (
        "Twitter X Instagram Facebook YouTube TikTok Snapchat Reddit LinkedIn WhatsApp "
        "Pinterest Tumblr Telegram Weibo WeChat Twitch Threads Bluesky Mastodon Spotify "
        "Netflix Hulu Google Apple Amazon Microsoft Uber Airbnb"
    ).split()
}
#: honorifics and titles that are not part of a name
TITLES = frozenset(
    """mr mr. mrs mrs. ms ms. miss dr dr. prof prof. sen sen. rep rep. gov gov. gen gen. lt
    col col. sgt sir dame lord lady president vice senator governor congressman
    congresswoman representative mayor judge justice secretary chairman chairwoman pope
    king queen prince princess saint st st. rev rev. father sister brother uncle aunt
    grandpa grandma baby little""".split()
)
#: nouns that, after a name's possessive, show the name is a person's
KIN = frozenset(
    """wife husband son sons daughter daughters dad father mom mother mum kids children
    child baby babies brother sister boyfriend girlfriend fiance fiancé fiancee fiancée
    partner family parents grandkids grandchildren hubby spouse widow nephew niece
    cousin uncle aunt grandfather grandmother grandpa grandma""".split()
)
#: role words that, before a name, show it is a person's
ROLES = frozenset(
    """singer model actor actress comedian rapper star host author writer director
    producer senator governor president candidate nominee pollster spokesman spokeswoman
    spokesperson chef athlete player coach musician designer journalist reporter anchor
    influencer husband wife son daughter mother father mom dad""".split()
)
#: verbs of speaking or feeling that organisations rarely take as subjects
PERSON_VERBS = frozenset(
    """quipped joked laughed mused gushed raved cried smiled sighed giggled teased
    confessed admitted revealed shrugged wept""".split()
)
#: labels the small model gives to people's names when it gets them wrong
_PERSONLIKE = frozenset(("PERSON", "ORG", "PRODUCT", "WORK_OF_ART"))
MONTHS_DAYS = frozenset(
    """january february march april may june july august september october november
    december monday tuesday wednesday thursday friday saturday sunday""".split()
)
_POSSESSIVE = re.compile(r"['’]s?$")
_SENTENCE_END = frozenset('.!?:;\n"“”')


@dataclass(slots=True)
class _Mention:
    start: int
    end: int
    label: str
    tokens: list[str]
    model: bool = True  # found by the model, not added from an alias
    extended: bool = False  # a first name was joined to the model's mention


def name_key(text: str) -> str:
    """A name without titles, possessive or case: the key aliases are matched on."""
    words = [w for w in re.split(r"\s+", text.strip()) if w]
    while words and words[0].casefold() in TITLES:
        words = words[1:]
    if words and words[0].casefold() == "the":
        words = words[1:]
    joined = " ".join(words)
    return _POSSESSIVE.sub("", joined).casefold()


def _canonical_text(text: str, label: str = "") -> str:
    words = text.split()
    if len(words) > 1 and words[0].casefold() == "the":
        words = words[1:]
    while label == "PERSON" and len(words) > 1 and words[0].casefold() in TITLES:
        words = words[1:]
    return " ".join(words)


def extract_entities(doc: Any) -> list[Entity]:
    """Entity mentions of a parsed ``doc``, corrected and with aliases resolved."""
    text: str = doc.text
    mentions = _model_mentions(doc)
    midsentence = _capitalised_midsentence(doc)
    _extend_names(doc, mentions, midsentence)
    mentions.extend(_unrecognised_pairs(doc, mentions, midsentence))
    groups = _alias_groups(mentions)
    mentions.extend(_missed_aliases(doc, mentions, groups))
    mentions.sort(key=lambda m: m.start)
    canon = groups
    labels = _group_labels(doc, mentions, canon)
    entities: list[Entity] = []
    for mention in mentions:
        surface = text[mention.start : mention.end]
        key = name_key(surface)
        full = canon.get(key)
        label = mention.label
        if mention.label in _PERSONLIKE and full is not None:
            label = labels.get(full, label)
        elif full is not None and len(mention.tokens) == 1:
            full = None  # a place or group named like a person: keep it as it is
        elif key in PLATFORMS:
            label = "ORG"
        canonical = full if full is not None else _canonical_text(surface, label)
        if key in PLATFORMS:
            canonical, label = PLATFORMS[key], "ORG"
        entities.append(Entity(surface, label, mention.start, mention.end, canonical))
    return entities


def _model_mentions(doc: Any) -> list[_Mention]:
    mentions = []
    for ent in doc.ents:
        tokens = list(ent)
        label = ent.label_
        if label in NAME_LABELS:
            tokens = _trim(tokens)
            role = 0
            while role < len(tokens) - 1 and tokens[role].lower_ in ROLES | TITLES:
                role += 1
            if role and label in _PERSONLIKE:  # "Model Chrissy Teigen": a person, titled
                tokens, label = tokens[role:], "PERSON"
            if not tokens or not any(t.text[:1].isupper() for t in tokens):
                continue
        start, end = tokens[0].idx, tokens[-1].idx + len(tokens[-1].text)
        mentions.append(_Mention(start, end, label, [t.text for t in tokens]))
    return mentions


def _trim(tokens: list[Any]) -> list[Any]:
    for i, token in enumerate(tokens):
        if i > 0 and _POSSESSIVE.fullmatch(token.text):
            tokens = tokens[:i]
            break
        if "\n" in token.text or (
            i > 0 and token.text[:1].isupper() and "\n" in token.text_with_ws
        ):
            tokens = tokens[: i + 1]
            break
    while tokens and (tokens[-1].is_stop or not tokens[-1].text[:1].isalnum()):
        tokens = tokens[:-1]
    while tokens and (tokens[0].is_stop or not tokens[0].text[:1].isalnum()):
        if tokens[0].lower_ == "the" and len(tokens) > 1 and tokens[1].text[:1].isupper():
            break
        tokens = tokens[1:]
    if len(tokens) > 1 and tokens[0].lower_ in CUES:
        tokens = tokens[1:]  # "Stated Stone:", "Said Dorothy Poynter": the verb is not the name
    return tokens


def _sentence_initial(text: str, start: int) -> bool:
    i = start - 1
    while i >= 0 and text[i] in " \t\xa0(“\"'‘":
        i -= 1
    return i < 0 or text[i] in _SENTENCE_END


def _capitalised_midsentence(doc: Any) -> set[str]:
    """Words capitalised somewhere other than at the start of a sentence."""
    seen = set()
    text = doc.text  # built anew on each access: read it once
    for token in doc:
        if token.is_title and not _sentence_initial(text, token.idx):
            seen.add(token.text)
    return seen


def _can_be_name(token: Any, midsentence: set[str]) -> bool:
    word = token.text
    lowered = word.casefold()
    if not (word[:1].isupper() and word.isalpha() and len(word) > 1):
        return False
    if token.is_stop or lowered in TITLES or lowered in MONTHS_DAYS or lowered in ROLES:
        return False
    if lowered in PLATFORMS or word.isupper():
        return False
    return word in midsentence


def _extend_names(doc: Any, mentions: list[_Mention], midsentence: set[str]) -> None:
    """Join an unrecognised capitalised first name to the mention that follows it."""
    taken = {i for m in mentions for i in range(m.start, m.end)}
    by_start = {token.idx: token for token in doc}
    for mention in mentions:
        if mention.label not in _PERSONLIKE or len(mention.tokens) != 1:
            continue
        first = by_start.get(mention.start)
        if first is None or first.i == 0:
            continue
        before = doc[first.i - 1]
        if before.whitespace_ != " " or before.idx in taken:
            continue
        if _can_be_name(before, midsentence):
            mention.start = before.idx
            mention.tokens.insert(0, before.text)
            mention.extended = True
            taken.update(range(before.idx, before.idx + len(before.text)))


def _unrecognised_pairs(
    doc: Any, mentions: Sequence[_Mention], midsentence: set[str]
) -> Iterator[_Mention]:
    """``First Last`` pairs the model missed whose last word it tagged elsewhere."""
    singles = {m.tokens[0]: m.label for m in mentions if len(m.tokens) == 1}
    singles = {k: v for k, v in singles.items() if v in _PERSONLIKE}
    if not singles:
        return
    taken = {i for m in mentions for i in range(m.start, m.end)}
    for token in doc[1:]:
        label = singles.get(token.text)
        if label is None or token.idx in taken:
            continue
        before = doc[token.i - 1]
        free = before.whitespace_ == " " and before.idx not in taken
        if free and _can_be_name(before, midsentence):
            end = token.idx + len(token.text)
            yield _Mention(before.idx, end, label, [before.text, token.text], extended=True)


def _alias_groups(mentions: Sequence[_Mention]) -> dict[str, str]:
    """name key → the full name it resolves to, for person-like mentions."""
    full_names: Counter[str] = Counter()
    for mention in mentions:
        if mention.label != "PERSON" and not mention.extended:
            continue
        if len(name_key(" ".join(mention.tokens)).split()) >= 2:
            full_names[" ".join(mention.tokens)] += 1
    return person_index(full_names)


def person_index(full_names: Iterable[str]) -> dict[str, str]:
    """Map each full name's key, and its unambiguous first and last words, to the name.

    When two full names share a key (``John Smith``, ``Mr. John Smith``), the first
    spelling given wins; a short form shared by two different names maps to nothing.
    """
    index: dict[str, str] = {}
    short: defaultdict[str, set[str]] = defaultdict(set)
    for name in full_names:
        key = name_key(name)
        words = key.split()
        if len(words) < 2:
            continue
        index.setdefault(key, _canonical_text(_POSSESSIVE.sub("", name)))
        short[words[0]].add(index[key])
        short[words[-1]].add(index[key])
        if len(words) > 2:
            short[f"{words[0]} {words[-1]}"].add(index[key])
    for word, names in short.items():
        if len(names) == 1 and word not in index and word not in TITLES:
            index[word] = next(iter(names))
    return index


def _missed_aliases(
    doc: Any, mentions: Sequence[_Mention], groups: dict[str, str]
) -> Iterator[_Mention]:
    """Capitalised words the model left out that are unambiguous aliases of a full name."""
    short = {key for key in groups if " " not in key}
    if not short:
        return
    taken = {i for m in mentions for i in range(m.start, m.end)}
    for token in doc:
        if not token.is_title or token.idx in taken or token.lower_ not in short:
            continue
        if token.is_stop or token.lower_ in MONTHS_DAYS:
            continue
        yield _Mention(token.idx, token.idx + len(token.text), "PERSON", [token.text], False)


def _group_labels(doc: Any, mentions: Sequence[_Mention], canon: dict[str, str]) -> dict[str, str]:
    """The label of each resolved name: a vote, overruled by evidence of a person."""
    votes: defaultdict[str, Counter[str]] = defaultdict(Counter)
    evidence: Counter[str] = Counter()
    text = doc.text
    starts = sorted(m.start for m in mentions)
    for mention in mentions:
        full = canon.get(name_key(text[mention.start : mention.end]))
        if full is None or mention.label not in _PERSONLIKE:
            continue
        weight = 2 if len(mention.tokens) > 1 and mention.model else 1
        votes[full][mention.label] += weight if mention.model else 0
        if _person_context(text, mention.start, mention.end, starts):
            evidence[full] += 1
    labels = {}
    for full, counter in votes.items():
        label = counter.most_common(1)[0][0] if counter else "PERSON"
        if evidence[full] or counter["PERSON"] * 2 >= sum(counter.values()):
            label = "PERSON"
        labels[full] = label
    return labels


_AFTER = re.compile(r"\s*(['’]s\s+(?P<kin>\w+)|,?\s+(?P<verb>\w+))")
_BEFORE = re.compile(r"(?P<role>[\w.]+)[)\s,]+$")
_GENDERED = re.compile(r"\b(?:she|he|her|his|herself|himself)\b", re.IGNORECASE)
_CLAUSE_END = re.compile(r"[.!?;\n]")


def _person_context(text: str, start: int, end: int, starts: Sequence[int]) -> bool:
    """Whether the words around a mention show it names a person."""
    after = _AFTER.match(text, end, min(len(text), end + 40))
    if after is not None:
        if (after.group("kin") or "").casefold() in KIN:
            return True
        if (after.group("verb") or "").casefold() in PERSON_VERBS:
            return True
    before = _BEFORE.search(text, max(0, start - 30), start)
    if before is not None and before.group("role").casefold() in ROLES | TITLES:
        return True
    stop = _CLAUSE_END.search(text, end, min(len(text), end + 80))
    limit = stop.start() if stop else min(len(text), end + 80)
    following = starts[bisect_right(starts, start) : bisect_right(starts, start) + 1]
    if following and following[0] < limit:
        limit = following[0]
    return _GENDERED.search(text, end, limit) is not None


class EntityStage(BaseStage):
    """Fill ``Article.entities`` from the shared parse (English articles only)."""

    name: ClassVar[str] = "entities"
    requires: ClassVar[tuple[str, ...]] = ("doc",)
    provides: ClassVar[tuple[str, ...]] = ("entities",)

    def __call__(self, article: Article) -> Article:
        if article.language not in (None, "en"):
            article.entities = []
            return article
        article.entities = extract_entities(doc_of(article))
        return article
