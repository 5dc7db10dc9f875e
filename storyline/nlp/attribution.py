"""Attribution rules of the quote stage: who said a quoted span, and with which verb.

The rules read the article text and the entity stage's entities, nothing else
(no parser). :func:`attribution_after` looks at the clause right after a quote
(``"...," she said``, ``"...," said Caddell``, ``"..." Mr. Trump wrote on Twitter
on Monday.``, ``"...," the White House spokesman, Josh Earnest, said``);
the clause that introduces a quote (``Brown summed it up: "``) is
:mod:`storyline.nlp.lead_ins`'s, which shares this module's vocabulary and phrase
rules (fillers, listeners, :func:`appositive_head`, :func:`inverted_speaker`).
A speaker is a name the entity stage found, a he/she resolved to the person it
stands for (:mod:`storyline.nlp.speakers`), or a descriptor ("one fan", "another
source familiar with his thinking"); None rather than a wrong guess.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .speakers import (
    CUES,
    MAX_PHRASE,
    MODIFIER_PREPOSITIONS,
    PHRASE_STOP,
    PRONOUNS,
    Context,
    Span,
    Speaker,
    phrase_speaker,
    words_of,
)

__all__ = [
    "CUES",
    "PRONOUNS",
    "Attribution",
    "Context",
    "Span",
    "Speaker",
    "attribution_after",
    "attribution_beyond",
    "bracketed_source",
    "clause_end",
    "name_in_marks",
]

#: words that may stand between a speaker and the cue ("Teigen also said")
FILLERS = frozenset(
    """also later then once again further still has had have will would could might
    may can did does do is was were are be just even only simply quickly recently
    previously finally already""".split()
)
#: words that may open a subject without being part of it ("But he added")
OPENERS = frozenset("and but yet so then still though however".split())
#: words that join a second verb to a subject ("Trump ... and said")
LINKERS = frozenset("and but before then later".split())
#: a word that may open a sentence before a quote without being the writer's words
SENTENCE_ADVERBS = (OPENERS - {"then", "though"}) | {"now", "indeed", "instead", "meanwhile"}
_TERMINAL = frozenset(".!?…")
#: words that may follow the cue of an attribution that ends there (``said in a statement``)
_AFTER_CUE = frozenset(
    """in on at to during after before while when as with about of from via by
    yesterday today tonight earlier later last this recently afterward afterwards
    back out up again""".split()
)


#: who a quote was said to, right after the cue (``Trump asked reporters``)
LISTENERS = frozenset("reporters me us him her them supporters voters journalists".split())


@dataclass(slots=True)
class Attribution:
    cue: str
    speaker: Speaker | None
    end: int | None = None  # where an attribution after its quote ends
    #: where the words it attributes end, when they run on past the quote's closing mark
    content_end: int | None = None


_STOPS = re.compile(r"[.!?;:\n“\"«]|''")
ABBREVIATION = re.compile(
    r"(?:\b(?:Mr|Mrs|Ms|Dr|Sens?|Reps?|Govs?|Gen|Lt|Col|Maj|Capt|Adm|Cmdr|Cpl|Pvt|Sgt|Supt|Atty"
    r"|Pres|Sec|Amb|Fr|St|Ft|Mt|Jr|Sr|Rev|Prof)|\b[A-Z])$"
)


#: a short name or title (40 characters at most) in quotation marks, with the clause
#: going on after it
_NAME_IN_MARKS = re.compile(r"[“\"«][^\W\d_][^.!?;:\n“”\"«»]{0,40}?[”\"»](?=[ ,][a-z,])")


def name_in_marks(text: str, start: int) -> bool:
    """Whether the quotation mark at ``start`` opens a short name inside a clause that goes
    on after it (``wearing a cowboy hat and "Ted Cruz" campaign pins, said``)."""
    return _NAME_IN_MARKS.match(text, start) is not None


def clause_end(text: str, start: int, limit: int) -> int:
    """Where the clause from ``start`` ends: sentence punctuation (not after a title or an
    initial), a colon or semicolon, a line break or the next quotation mark."""
    for match in _STOPS.finditer(text, start, limit):
        at = match.start()
        if match.group() == "." and (
            ABBREVIATION.search(text, max(start, at - 4), at)
            or re.match(r"\s*[a-z,\d]", text[at + 1 : at + 4])
        ):
            continue  # "Sen. Bernie Sanders", "Tampa, Fla., who ..."
        if match.group() == "." and text[at + 1 : at + 2] == ")":
            continue  # "(D-Conn.)"
        if name_in_marks(text, at):
            continue  # 'wearing "Ted Cruz" pins, said': a name quoted inside the clause
        return at
    return limit


def attribution_after(ctx: Context, span: Span, limit: int) -> Attribution | None:
    """An attribution right after the quote: ``, Teigen said`` / ``said Caddell``, or
    a line of its own under a quote that fills its paragraph: ``- Bernie Sanders.``"""
    attribution = _after_clause(ctx, span, limit)
    if attribution is not None:
        attribution.end = clause_end(ctx.text, span.end, limit)
        return attribution
    return _signature_line(ctx, span, limit)


#: the dash that signs a quote, on the line under it or right after it (``―``, the
#: horizontal bar, is the typographers' dash for this)
_SIGNATURE = re.compile(r"[ \t\u00a0]*(?:\n\s*)?[-—–―]\s*(?=[A-Z])")


def _signature_line(ctx: Context, span: Span, limit: int) -> Attribution | None:
    """``"..."`` opening its paragraph, then ``- President Obama, tweeting after the
    speech.`` on the line under it, or ``― Sonya Herridge`` closing its own line: the
    way fact checks, quote round-ups and collected reactions sign a quote."""
    text = ctx.text
    dash = _SIGNATURE.match(text, span.end, limit)
    if dash is None or text[: span.start].rstrip(" \t")[-1:] not in ("", "\n"):
        return None
    line_end = text.find("\n", dash.end(), limit)
    line_end = limit if line_end < 0 else line_end
    speaker = inverted_speaker(
        ctx, words_of(text, dash.end(), clause_end(text, dash.end(), line_end))
    )
    if speaker is None or speaker.kind != "entity":
        return None
    return Attribution("-", speaker, line_end)


_BRACKETED = re.compile(r"[ \t]*\[([^\]\n]{2,40})\][ \t]*(?=\n|$)")


def bracketed_source(ctx: Context, span: Span, limit: int) -> Attribution | None:
    """``"The United Nations has been grappling with ..." [WaPo.]``: a quoted passage with
    its source in brackets closing the paragraph, the way news digests cite what they
    excerpt. Only a whole quoted sentence: a bracket after a phrase cites the writer's
    paraphrase around it (``called it "serious trouble." [NYT.]``)."""
    text = ctx.text
    found = _BRACKETED.match(text, span.end, limit)
    inner = text[span.inner_start : span.inner_end].strip(" \"'”’")
    if found is None or not (inner[:1].isupper() and inner[-1:] in _TERMINAL):
        return None
    if len(inner.split()) < 5:
        return None
    source = words_of(text, found.start(1), found.end(1))
    return Attribution("[", phrase_speaker(ctx, source, True), found.end())


def _after_clause(ctx: Context, span: Span, limit: int) -> Attribution | None:
    text = ctx.text
    inner = text[span.inner_start : span.inner_end].rstrip()
    words = words_of(text, span.end, clause_end(text, span.end, limit))
    if words and words[0][0] in ",—–-":
        words = words[1:]
    if not words:
        return None
    opener = words[0][0]
    goes_on = inner[-1:].isalnum() and span.end == words[0][1] - 1
    if goes_on and opener[:1].islower() and opener.casefold() not in CUES | PRONOUNS.keys():
        return None  # the sentence goes on: '"Boots on the ground" would be'
    new_sentence = inner[-1:] in _TERMINAL and opener[:1].isupper()
    if new_sentence and opener.casefold() not in CUES:
        if opener.casefold() in PRONOUNS and len(words) > 2:
            return None  # "He said the plan ..." starts a sentence of its own
        last_word = next((w for w in reversed(words) if w[0][:1].isalnum()), words[-1])
        if _introduces_next(text, last_word[2], limit):
            return None  # ... and it introduces the next quote: "Teigen answered: "
    lowered = [w.casefold() for w, _, _ in words]
    reach = _APPOSITIVE_REACH if _named_then_comma(ctx, words) else MAX_PHRASE + 12
    for k, word in enumerate(lowered[:reach]):
        if word == "according" and lowered[k + 1 : k + 2] == ["to"]:
            return Attribution("according to", inverted_speaker(ctx, words[k + 2 :]))
        if word not in CUES or (
            word == "saying" and lowered[k - 1 : k] and lowered[k - 1] in _NOUN_BEFORE
        ):
            continue  # '"...," is one common saying here': the noun
        before = strip_fillers(words[:k])
        if not before:
            return Attribution(words[k][0], inverted_speaker(ctx, words[k + 1 :]))
        content_end = None
        if any(w[0] in ",;()—–" for w in before):
            head = appositive_head(ctx, before, strict=new_sentence)
            if not head:
                return None
            if _goes_on(words[0][0]):
                commas = [w[1] for w in before if w[0] == "," and w[1] < head[0][1]]
                if not commas:
                    return None  # '"...," like the recent ..., said Curtin': beyond it
                # '"...," and donations began to pick up, Gilbert said': the writer's
                # words finish the attributed sentence before its speaker is named
                content_end = len(text[: commas[-1]].rstrip())
            before = head
        elif k > MAX_PHRASE + 2:
            # "nuclear experts David Albright and Serena Kelleher-Vergantini of
            # Washington's Institute for Science and International Security wrote": the
            # speakers are named before the first "of"
            at = next(
                (n for n, w in enumerate(before) if w[0] in MODIFIER_PREPOSITIONS), len(before)
            )
            if not 1 < at <= MAX_PHRASE + 2:
                return None
            before = before[:at]
        speaker = phrase_speaker(ctx, before, False)
        rest = words[k + 1 :]
        if new_sentence and (
            speaker is None or not (_ends_attribution(rest) or _asked_whom(word, rest))
        ):
            return None
        return Attribution(words[k][0], speaker, content_end=content_end)
    if new_sentence and inner[-1:] not in "?!":
        return None
    return _unknown_verb(ctx, inner, words)


def _goes_on(word: str) -> bool:
    """Whether a quote's sentence goes on in the writer's words after its closing mark
    (``and``, ``like``, ``since``), rather than naming its speaker."""
    return word.islower() and (word in PHRASE_STOP or word == "like")


#: how far a cue may stand after a name that an appositive follows (``"...," Trump, the
#: 2016 GOP presidential frontrunner ... after winning the New Hampshire primaries, said``)
_APPOSITIVE_REACH = 40


def _named_then_comma(ctx: Context, words: Sequence[tuple[str, int, int]]) -> bool:
    """Whether the clause opens with a person's name and a comma."""
    if not words:
        return False
    entity = ctx.entity_at(words[0][1], words[-1][2])
    if entity is None or entity.label != "PERSON" or entity.start != words[0][1]:
        return False
    after = [w for w in words if w[1] >= entity.end]
    return bool(after) and after[0][0] == ","


#: the longest run of words between a quote and the attribution ending its sentence
MAX_CONTINUATION = 30


def attribution_beyond(ctx: Context, span: Span, limit: int) -> Attribution | None:
    """An attribution closing the sentence a quote opens, after words that finish the
    sentence in the writer's voice: ``"It seems extremely unlikely" that Sanders can catch
    Clinton, said Steve Elmendorf.`` and ``"This will be a challenge" for Clinton, said
    Kunin.`` The attribution is the part after the first comma that an attribution
    follows (``, said Steve Elmendorf, deputy campaign manager ...``)."""
    text = ctx.text
    end = clause_end(text, span.end, limit)
    if text[span.end : span.end + 1] in ",":
        return None  # no words in between: that is attribution_after's case
    comma = text.find(",", span.end + 1, end)
    while comma > span.end:
        if len(words_of(text, span.end, comma)) > MAX_CONTINUATION:
            return None
        tail = Span(comma, comma, [(comma, comma)])
        attribution = _after_clause(ctx, tail, end)
        if attribution is not None and attribution.speaker is not None:
            attribution.end = end
            attribution.content_end = len(text[:comma].rstrip())
            return attribution
        comma = text.find(",", comma + 1, end)
    return None


def _ends_attribution(words: Sequence[tuple[str, int, int]]) -> bool:
    """Whether the words after a cue close an attribution (``said on Monday``) rather
    than go on with reported speech (``said the plan ...``)."""
    if not words or words[0][0] in ".,;:—–(":
        return True
    first = words[0][0]
    if first.casefold() in _AFTER_CUE | LISTENERS or _adverb(first):
        return True  # "said on Monday", "asked reporters", "said pleasantly"
    return first[:1].isupper() and first.casefold() != "i"


#: words that open who was asked or told ("the real estate mogul", "his supporters")
OBJECT_OPENERS = frozenset("the his her their its our".split())
#: cues whose object is who was asked or told ("Todd asked the real estate mogul.")
_ASKING = frozenset("asked asks told tells pressed reminded".split())


def _asked_whom(cue: str, rest: Sequence[tuple[str, int, int]]) -> bool:
    """Whether the words after an asking cue are only who was asked: a short noun phrase
    opening with a determiner, to the end of the clause (not ``told the plan ...``, which
    reported speech would go on with a verb)."""
    lowered = [w[0].casefold() for w in rest]
    return (
        cue in _ASKING
        and 2 <= len(lowered) <= 5
        and lowered[0] in OBJECT_OPENERS
        and all(w.isalpha() and w not in _CLAUSE_WORDS for w in lowered[1:])
        and not any(w.endswith("ed") for w in lowered[1:])
    )


#: words that make what follows an asking cue a clause of its own ("told the mayor to go")
_CLAUSE_WORDS = frozenset("to that if whether would will was is were are had has".split())


def _adverb(word: str) -> bool:
    return word.islower() and word.endswith("ly") and len(word) > 4


#: words opening a phrase about what is spoken of, not who speaks
_TOPIC_OPENERS = frozenset("of about on regarding for with against to".split())


def appositive_head(
    ctx: Context, words: Sequence[tuple[str, int, int]], strict: bool = False
) -> list[tuple[str, int, int]]:
    """The speaker among comma-separated pieces: ``Sam Nunberg, a former Trump aide,`` →
    the name; ``the White House spokesman, Josh Earnest,`` → the name; ``an official, who
    was not authorized to speak,`` → the first piece."""
    pieces: list[list[tuple[str, int, int]]] = [[]]
    for word in words:
        if word[0] in ",;()—–":
            pieces.append([])
        else:
            pieces[-1].append(word)
    pieces = [piece for piece in pieces if piece]
    if not pieces:
        return []
    for piece in pieces:
        if piece[0][0].casefold() in _TOPIC_OPENERS:
            continue  # "Of Carson, Levine, who ..., said": what was spoken about
        entity = ctx.entity_at(piece[0][1], piece[-1][2])
        if (
            entity is not None
            and entity.label == "PERSON"
            and sum(1 for w in piece if w[1] >= entity.end or w[2] <= entity.start) <= 1
        ):
            return piece
    if pieces[0][0][0].casefold() in PHRASE_STOP or strict:
        return []
    return pieces[0] if len(pieces[0]) <= MAX_PHRASE else []


#: past forms of verbs that attribute speech in a phrase (``shot back``, ``went on``)
_IRREGULAR_CUES = frozenset("shot went put spoke began broke".split())
#: at most this many words may follow a verb we do not know before the clause ends
_UNKNOWN_VERB_TAIL = 5


def _unknown_verb(
    ctx: Context, inner: str, words: Sequence[tuple[str, int, int]]
) -> Attribution | None:
    """``"...," he surmised.``, ``"...?" Hannity pressed.``, ``"...," Toomey fumed on
    Tuesday``, ``"...," remembered Roy Verley``: a name or pronoun next to one verb in the
    past, whatever the verb, in a short clause after a quote that ends in ``,?!``."""
    if inner[-1:] not in ",?!":
        return None
    clause = []
    for word in words:
        if word[0] in ",;()—–":
            break
        clause.append(word)
    for k in range(min(4, len(clause))):
        if not _verb_like(clause[k][0]):
            continue
        if k == 0:  # inverted: "remembered Roy Verley"
            name = clause[1:]
            speaker = phrase_speaker(ctx, name, True) if 1 <= len(name) <= 3 else None
            if speaker is not None and speaker.kind == "entity":
                return Attribution(clause[0][0], speaker)
            return None
        if len(clause) - k - 1 > _UNKNOWN_VERB_TAIL:
            return None
        if any(w[0].casefold() == "that" for w in clause[k + 1 :]):
            return None  # "he argued that ...": reported speech of its own
        speaker = phrase_speaker(ctx, clause[:k], False)
        if speaker is None or (speaker.kind == "descriptor" and k == 1):
            return None
        return Attribution(clause[k][0], speaker)
    return None


def _verb_like(word: str) -> bool:
    return word in _IRREGULAR_CUES or (
        re.fullmatch(r"[a-z]+(?:ed|s)", word) is not None and not word.endswith("ss")
    )


def _introduces_next(text: str, clause_end: int, next_quote: int) -> bool:
    return re.fullmatch(r"\s*[,:]\s*", text[clause_end:next_quote]) is not None


def inverted_speaker(ctx: Context, words: Sequence[tuple[str, int, int]]) -> Speaker | None:
    phrase = []
    for word in words:
        if word[0] in ",;()—–" or word[0].casefold() in PHRASE_STOP:
            break
        phrase.append(word)
    if len(phrase) > 1 and phrase[-1][0].islower() and phrase[-1][0].endswith("ed"):
        phrase.pop()  # "according to a court document filed by ...": the document
    return phrase_speaker(ctx, phrase, True) if phrase else None


#: words before "saying" that make it the noun ("a common saying", "the old saying")
_NOUN_BEFORE = frozenset("a an the one common old popular famous favorite favourite".split())


def strip_fillers(words: Sequence[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    """A subject without adverbs (``also``, ``jokingly``) and opening conjunctions."""
    kept = [
        w
        for w in words
        if w[0].casefold() not in FILLERS and not (w[0].islower() and w[0].endswith("ly"))
    ]
    while kept and kept[0][0].casefold() in OPENERS:
        kept = kept[1:]
    return kept
