"""Text helpers every stage agrees on: normalisation, identity hashes, tokens, language."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter

_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)
_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'", "‛": "'"})

STOPWORDS: dict[str, frozenset[str]] = {
    "en": frozenset(
        """a about above after again against all also am an and any are as at be because been
        before being below between both but by can could did do does doing down during each few
        for from further had has have having he her here hers herself him himself his how i if in
        into is it its itself just me more most my myself no nor not now of off on once only or
        other our ours ourselves out over own same she should so some such than that the their
        theirs them themselves then there these they this those through to too under until up
        very was we were what when where which while who whom why will with would you your yours
        yourself yourselves said says say one two new like get got us also may might must shall
        many much even still well back way since around per via""".split()
    ),
    "de": frozenset(
        "der die das und ist nicht ein eine mit den dem des von zu auf für sich".split()
    ),
    "fr": frozenset("le la les et est un une des du dans pour que qui pas sur au avec ce".split()),
    "es": frozenset("el la los las y es un una de del en que por con para no se su al".split()),
    "it": frozenset("il lo la gli le e un una di del che per non con sono della nel si".split()),
    "pt": frozenset("o a os as e um uma de do da em que para com não se no na por".split()),
    "nl": frozenset("de het een en van in is dat op te niet zijn met voor die er".split()),
}


def normalise(text: str) -> str:
    """Unicode NFKC, plain quote marks, one space between words, no edge spaces."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    return _SPACE.sub(" ", text).strip()


def text_hash(text: str) -> str:
    """Identity of a text regardless of case, spacing and quote style."""
    return hashlib.sha1(normalise(text).casefold().encode("utf-8")).hexdigest()


def short_hash(value: str, length: int = 12) -> str:
    return hashlib.sha1(value.encode("utf-8")).hexdigest()[:length]


def words(text: str) -> list[str]:
    return _WORD.findall(text)


def content_terms(text: str, language: str | None = "en") -> list[str]:
    """Lower-cased words that carry content: no stopwords, no numbers, crude plural folding."""
    stop = STOPWORDS.get(language or "en", STOPWORDS["en"])
    terms = []
    for word in words(text.translate(_QUOTES)):
        lowered = word.casefold()
        if lowered.endswith("'s"):
            lowered = lowered[:-2]
        if len(lowered) < 3 or lowered in stop or lowered.isdigit():
            continue
        terms.append(_fold_plural(lowered))
    return terms


def _fold_plural(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def name_terms(text: str) -> list[str]:
    """Capitalised words inside sentences: a cheap stand-in for names until NER runs."""
    names = []
    for match in re.finditer(r"(?<![.!?:\"“]\s)(?<!^)\b([A-Z][a-z]{2,})\b", text, re.MULTILINE):
        word = match.group(1).casefold()
        if word not in STOPWORDS["en"]:
            names.append(word)
    return names


def guess_language(text: str) -> str | None:
    """The language whose function words are most frequent, if any clearly dominates."""
    sample = [w.casefold() for w in words(text[:5000])]
    if len(sample) < 5:
        return None
    counts = Counter()  # type: Counter[str]
    for word in sample:
        for language, stop in STOPWORDS.items():
            if word in stop:
                counts[language] += 1
    if not counts:
        return None
    language, hits = counts.most_common(1)[0]
    return language if hits / len(sample) >= 0.08 else None
