"""Lead-ins: the clause before a quote that introduces it, and who it names.

``Brown summed it up: "``, ``Clinton, speaking to reporters, said: "``, ``Philip
Bump: "``, ``According to the newspaper, "``, ``As Vulture put it, "``: how the
words before a quote attribute it (:func:`attribution_before`), and whether the
quote opens its sentence, is introduced, or heads it in lower case (:class:`Lead`).
The words after a quote are :mod:`storyline.nlp.attribution`'s, whose vocabulary
(fillers, openers, listeners) and phrase rules these share.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from .attribution import (
    ABBREVIATION,
    FILLERS,
    LINKERS,
    LISTENERS,
    OBJECT_OPENERS,
    OPENERS,
    SENTENCE_ADVERBS,
    Attribution,
    appositive_head,
    inverted_speaker,
    strip_fillers,
)
from .speakers import (
    CUES,
    MAX_PHRASE,
    NAME_WORD,
    PHRASE_STOP,
    Context,
    Span,
    Speaker,
    phrase_speaker,
    pronoun_speaker,
    words_of,
)

__all__ = ["Lead", "attribution_before"]


@dataclass(slots=True)
class Lead:
    """What comes before a quote in its sentence."""

    attribution: Attribution | None = None
    opens: bool = False  # the quote opens its sentence
    introduced: bool = False  # a comma, colon or cue right before the quote
    #: the cue ends a clause that opens its sentence (``He added, "``, ``But, she said, "``):
    #: what follows is the quote itself, even when it starts in lower case
    heads: bool = False
    #: a lead-in with a comma but no speech verb (``According to the newspaper, "``, ``As
    #: Vulture put it, "``): an attribution only for a quote that is a whole sentence
    weak: Attribution | None = None


def attribution_before(ctx: Context, span: Span, floor: int, paragraph_start: int) -> Lead:
    """An attribution before the quote (``Brown summed it up: "``)."""
    text = ctx.text
    start = span.start
    head = text[floor:start]
    clause_start = floor + _last_boundary(head, True)
    clause = text[clause_start:start].rstrip()
    bare = "".join(c for c in clause if unicodedata.category(c) != "Cf").strip()
    if not bare or bare in "—–-(":  # nothing but a dash or a direction mark before it
        if start == paragraph_start and text[:start].rstrip().endswith(":"):
            return Lead(_previous_colon(ctx, start), True, True)
        return Lead(None, True, False)
    if clause_start == paragraph_start and bare.upper() == bare:
        return Lead(None, True, False)  # a heading in capitals: 'HOW CHINA'S DECLINE ... "'
    if bare.rstrip(",").casefold() in SENTENCE_ADVERBS and bare.endswith(","):
        return Lead(None, True, False)  # 'Yet, "it is hard to make a causal link," added'
    words = words_of(text, clause_start, clause_start + len(clause))
    lowered = [w.casefold() for w, _, _ in words]
    if clause[-1] in "—–-(" and clause[-2:-1].isspace():
        return Lead(None, True, False)  # a quote set off by a dash: 'to Mexico - "I love ...'
    if clause[-1] not in ",:" and not (lowered and lowered[-1] in CUES):
        return Lead()
    cue_at = max((k for k, w in enumerate(lowered) if w in CUES), default=-1)
    if cue_at < 0:
        if clause[-1] != ":":
            # "as the prosecutor put it, "apart from ..."", "in Forbes' words, "they are
            # ...": the writer hands over to the source's own words
            pieces = _pieces(words)
            hands_over = bool(pieces) and _hands_over([w[0].casefold() for w in pieces[-1]])
            source = _lead_in_speaker(ctx, pieces[-1] if hands_over else words)
            return Lead(None, False, True, heads=hands_over, weak=Attribution(",", source))
        speaker = _colon_speaker(ctx, words) or _clause_subject(ctx, words[:-1])
        return Lead(Attribution(":", speaker), False, True)
    cue = words[cue_at][0]
    last_word = len(words) - (2 if words[-1][0] in ",:" else 1)
    if cue_at == 0:  # "Said Dorothy Poynter, who grew up with Ali,"
        return Lead(Attribution(cue, inverted_speaker(ctx, words[1:])), False, True)
    subject = words[:cue_at]
    cut = max((k for k, w in enumerate(subject) if w[0] in ",;—–()"), default=-1)
    subject = strip_fillers(subject[cut + 1 :])
    if not subject and cut >= 0:
        if lowered[cue_at].endswith("ing"):
            subject = _main_subject(_without_time_phrase(words[:cut]))
        else:  # "Clinton, speaking to reporters on her plane, said:"
            subject = appositive_head(ctx, words[:cut])
    speaker = None
    if not (subject and subject[-1][0].casefold() in LINKERS):
        speaker = phrase_speaker(ctx, subject, False)
    if speaker is None:  # "Trump called on her to resign and said,"
        speaker = _clause_subject(ctx, words[:cue_at])
    before_subject = [w for w in words[: max(cut, 0)] if w[0].casefold() not in OPENERS]
    participle = lowered[cue_at].endswith("ing")
    # "..., telling her, "you are ..."": a participle and who was spoken to
    told = participle and cue_at == last_word - 1 and lowered[last_word] in LISTENERS
    # "But, she told the mayors who gathered in Indianapolis, "no one ...": who was told
    addressed = lowered[cue_at] in _TELLING and _listener(lowered[cue_at + 1 : last_word + 1])
    heads = ((cue_at == last_word or addressed) and (not before_subject or participle)) or told
    return Lead(Attribution(cue, speaker), False, True, heads=heads)


#: cues whose object is who was spoken to ("told the mayors", "assured reporters")
_TELLING = frozenset("told tells telling assured assures reminded reminds warned warns".split())


def _listener(words: Sequence[str]) -> bool:
    """Whether ``words`` (case-folded) name a listener: a short phrase that opens with
    one (``reporters``) or with a determiner (``the mayors who gathered there``), not a
    clause of reported speech (``that ...``)."""
    return 0 < len(words) <= 10 and words[0] in LISTENERS | OBJECT_OPENERS and "that" not in words


def _hands_over(lowered: Sequence[str]) -> bool:
    """``as X put it`` or ``in X's words``, the whole of a lead-in."""
    if len(lowered) < 3:
        return False
    if lowered[0] == "as" and lowered[-2:] == ["put", "it"]:
        return True
    return lowered[0] == "in" and lowered[-1] == "words"


#: the last word of a time phrase opening a clause ("Hours later, Trump ...")
_TIME_PHRASE_ENDS = frozenset("later earlier ago afterward afterwards".split())


def _without_time_phrase(words: Sequence[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    """``words`` without an opening time phrase and its comma ("Hours later, Trump
    returned the compliment" is Trump's clause, not Hours')."""
    for k, word in enumerate(words[:5]):
        if word[0] == "," and k and words[k - 1][0].casefold() in _TIME_PHRASE_ENDS:
            return list(words[k + 1 :])
    return list(words)


def _lead_in_speaker(ctx: Context, words: Sequence[tuple[str, int, int]]) -> Speaker | None:
    """The source named by a lead-in without a speech verb: ``According to X,``, ``As X
    put it,``, or the subject of the clause (``Trump issued a statement,``)."""
    lowered = [w.casefold() for w, _, _ in words]
    if lowered[:2] == ["according", "to"]:
        return inverted_speaker(ctx, words[2:])
    if _hands_over(lowered):
        if lowered[0] == "as":  # "as X put it"
            return phrase_speaker(ctx, words[1:-2], False)
        owner = [w for w in words[1:-1] if w[0] not in ("’", "'", "’s", "'s")]  # "in X's words"
        return phrase_speaker(ctx, owner, False) if owner else None
    if lowered[:1] == ["as"]:
        return phrase_speaker(ctx, _main_subject(words[1:]), False)
    return _clause_subject(ctx, words)


_BOUNDARY = re.compile(r"[.?!][\"”’')]*\s|\n")


_BOUNDARY_NO_BREAK = re.compile(r"[.?!][\"”’')]*[^\S\n]")


def _last_boundary(head: str, breaks: bool) -> int:
    """Where the last sentence of ``head`` starts (0 when it is all one sentence)."""
    found = 0
    for match in (_BOUNDARY if breaks else _BOUNDARY_NO_BREAK).finditer(head):
        if not ABBREVIATION.search(head, max(0, match.start() - 4), match.start()):
            found = match.end()
    return found


def _colon_speaker(ctx: Context, words: Sequence[tuple[str, int, int]]) -> Speaker | None:
    """The subject of a clause introducing a quote with a colon but no speech verb
    (``McConnell delivered a blunt message:``, ``Pollsters agree - Carl Bialik:``)."""
    pieces: list[list[tuple[str, int, int]]] = [[]]
    for word in words:
        if word[0] in ",;()—–-:":
            pieces.append([])
        else:
            pieces[-1].append(word)
    pieces = [piece for piece in pieces if piece]
    if not pieces:
        return None
    last = pieces[-1]
    lowered = [w[0].casefold() for w in last[:2]]
    opening = 1 if lowered[:1] == ["from"] else 2 if lowered == ["more", "from"] else 0
    if opening and len(last) > opening:  # "More from Jones:", "From the report:"
        return phrase_speaker(ctx, last[opening:], True)
    if len(last) <= 3 and all(NAME_WORD.fullmatch(w[0]) for w in last):
        return phrase_speaker(ctx, last, False)
    first = pieces[0]
    skip = 1 if first[0][0].casefold() == "the" else 0
    entity = ctx.entity_at(first[0][1], first[-1][2])
    if entity is not None and len(first) > skip and entity.start == first[skip][1]:
        return Speaker("entity", entity.canonical, entity.start, entity.end)
    return None


_SUBORDINATORS = frozenset(
    "when whenever after before while as if although though because since once until unless".split()
)


def _clause_subject(ctx: Context, words: Sequence[tuple[str, int, int]]) -> Speaker | None:
    """The name or he/she opening the main clause, after any introductory phrase
    (``On Tuesday, Mr. McConnell deflected questions before saying,``)."""
    if words and words[0][0].casefold() in _SUBORDINATORS:
        # "When her father, Ron, put out snacks, the author captioned it": the clause
        # the commas cut up is not the main one, and a name inside it is not the
        # speaker; the main clause is the last piece, when it opens with its subject
        pieces = _pieces(words)
        if len(pieces) < 2 or pieces[-1][0][0].casefold() not in ("the", "he", "she"):
            return None
        subject = _main_subject(pieces[-1])
        if not subject or len(subject) == len(pieces[-1]):
            return None
        return phrase_speaker(ctx, subject, False)
    pieces = _pieces(words)
    while pieces and (pieces[0][0][0].casefold() in PHRASE_STOP or pieces[0][0][0].endswith("ing")):
        pieces = pieces[1:]
    if not pieces:
        return None
    first = pieces[0]
    if first[0][0].casefold() in ("he", "she"):
        return pronoun_speaker(ctx, first[0][0].casefold(), first[0][1], first[0][2])
    entity = ctx.entity_at(first[0][1], first[-1][2])
    if entity is None or entity.label != "PERSON":
        return None
    if sum(1 for w in first if w[2] <= entity.start) > 1:
        return None
    return Speaker("entity", entity.canonical, entity.start, entity.end)


def _pieces(words: Sequence[tuple[str, int, int]]) -> list[list[tuple[str, int, int]]]:
    """``words`` cut at commas, dashes and brackets."""
    pieces: list[list[tuple[str, int, int]]] = [[]]
    for word in words:
        if word[0] in ",;()—–:":
            pieces.append([])
        else:
            pieces[-1].append(word)
    return [piece for piece in pieces if piece]


def _main_subject(words: Sequence[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    """The words opening a clause up to its first likely verb (a word in -ed or a cue)."""
    subject = []
    for word in words:
        lowered = word[0].casefold()
        if lowered in CUES or lowered.endswith("ed") or lowered in FILLERS or word[0] in ",;":
            break
        subject.append(word)
    return subject if len(subject) <= MAX_PHRASE else []


def _previous_colon(ctx: Context, start: int) -> Attribution | None:
    """``Caddell continued:`` closing the paragraph before a quote."""
    text = ctx.text
    end = text.rstrip().rfind(":", 0, start)
    line_start = text.rfind("\n", 0, end) + 1
    head = text[line_start:end]
    clause_start = line_start + _last_boundary(head, False)
    words = words_of(text, clause_start, end)
    lowered = [w.casefold() for w, _, _ in words]
    cue_at = max((k for k, w in enumerate(lowered) if w in CUES), default=-1)
    if cue_at < 0:  # "Trump issued the following statement:"
        return Attribution(":", _colon_speaker(ctx, words) or _clause_subject(ctx, words))
    if cue_at == 0:  # "Stated Stone:"
        return Attribution(words[0][0], inverted_speaker(ctx, words[1:]))
    subject = [w for w in words[:cue_at] if w[0].casefold() not in FILLERS]
    return Attribution(words[cue_at][0], phrase_speaker(ctx, subject, False))
