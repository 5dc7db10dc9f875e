"""Attribution rules of the quote stage: who said a quoted span, and with which verb.

The rules read the article text and the entity stage's entities, nothing else
(no parser). :func:`attribution_after` looks at the clause right after a quote
(``"...," she said``, ``"...," said Caddell``, ``"..." Mr. Trump wrote on Twitter
on Monday.``, ``"...," the White House spokesman, Josh Earnest, said``);
:func:`attribution_before` at the clause that introduces it (``Brown summed it
up: "``, ``Clinton, speaking to reporters, said: "``, ``Philip Bump: "``).
A speaker is a name the entity stage found, a he/she resolved to the person it
stands for (:mod:`storyline.nlp.speakers`), or a descriptor ("one fan", "another
source familiar with his thinking"); None rather than a wrong guess.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from .speakers import (
    CUES,
    MAX_PHRASE,
    MODIFIER_PREPOSITIONS,
    NAME_WORD,
    PHRASE_STOP,
    PRONOUNS,
    Context,
    Span,
    Speaker,
    phrase_speaker,
    pronoun_speaker,
    words_of,
)

__all__ = [
    "CUES",
    "PRONOUNS",
    "Attribution",
    "Context",
    "Lead",
    "Span",
    "Speaker",
    "attribution_after",
    "attribution_before",
    "attribution_beyond",
    "bracketed_source",
    "clause_end",
    "name_in_marks",
]

#: words that may stand between a speaker and the cue ("Teigen also said")
_FILLERS = frozenset(
    """also later then once again further still has had have will would could might
    may can did does do is was were are be just even only simply quickly recently
    previously finally already""".split()
)
#: words that may open a subject without being part of it ("But he added")
_OPENERS = frozenset("and but yet so then still though however".split())
#: words that join a second verb to a subject ("Trump ... and said")
_LINKERS = frozenset("and but before then later".split())
#: a word that may open a sentence before a quote without being the writer's words
_SENTENCE_ADVERBS = (_OPENERS - {"then", "though"}) | {"now", "indeed", "instead", "meanwhile"}
_TERMINAL = frozenset(".!?…")
#: words that may follow the cue of an attribution that ends there (``said in a statement``)
_AFTER_CUE = frozenset(
    """in on at to during after before while when as with about of from via by
    yesterday today tonight earlier later last this recently afterward afterwards
    back out up again""".split()
)


#: who a quote was said to, right after the cue (``Trump asked reporters``)
_LISTENERS = frozenset("reporters me us him her them supporters voters journalists".split())


@dataclass(slots=True)
class Attribution:
    cue: str
    speaker: Speaker | None
    end: int | None = None  # where an attribution after its quote ends
    #: where the words it attributes end, when they run on past the quote's closing mark
    content_end: int | None = None


_STOPS = re.compile(r"[.!?;:\n“\"«]|''")
_ABBREVIATION = re.compile(
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
            _ABBREVIATION.search(text, max(start, at - 4), at)
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
    speaker = _inverted(ctx, words_of(text, dash.end(), clause_end(text, dash.end(), line_end)))
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
            return Attribution("according to", _inverted(ctx, words[k + 2 :]))
        if word not in CUES or (
            word == "saying" and lowered[k - 1 : k] and lowered[k - 1] in _NOUN_BEFORE
        ):
            continue  # '"...," is one common saying here': the noun
        before = _strip_fillers(words[:k])
        if not before:
            return Attribution(words[k][0], _inverted(ctx, words[k + 1 :]))
        content_end = None
        if any(w[0] in ",;()—–" for w in before):
            head = _appositive_head(ctx, before, strict=new_sentence)
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
    if first.casefold() in _AFTER_CUE | _LISTENERS or _adverb(first):
        return True  # "said on Monday", "asked reporters", "said pleasantly"
    return first[:1].isupper() and first.casefold() != "i"


#: words that open who was asked or told ("the real estate mogul", "his supporters")
_OBJECT_OPENERS = frozenset("the his her their its our".split())
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
        and lowered[0] in _OBJECT_OPENERS
        and all(w.isalpha() and w not in _CLAUSE_WORDS for w in lowered[1:])
        and not any(w.endswith("ed") for w in lowered[1:])
    )


#: words that make what follows an asking cue a clause of its own ("told the mayor to go")
_CLAUSE_WORDS = frozenset("to that if whether would will was is were are had has".split())


def _adverb(word: str) -> bool:
    return word.islower() and word.endswith("ly") and len(word) > 4


#: words opening a phrase about what is spoken of, not who speaks
_TOPIC_OPENERS = frozenset("of about on regarding for with against to".split())


def _appositive_head(
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


def _inverted(ctx: Context, words: Sequence[tuple[str, int, int]]) -> Speaker | None:
    phrase = []
    for word in words:
        if word[0] in ",;()—–" or word[0].casefold() in PHRASE_STOP:
            break
        phrase.append(word)
    if len(phrase) > 1 and phrase[-1][0].islower() and phrase[-1][0].endswith("ed"):
        phrase.pop()  # "according to a court document filed by ...": the document
    return phrase_speaker(ctx, phrase, True) if phrase else None


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
    if bare.rstrip(",").casefold() in _SENTENCE_ADVERBS and bare.endswith(","):
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
        return Lead(Attribution(cue, _inverted(ctx, words[1:])), False, True)
    subject = words[:cue_at]
    cut = max((k for k, w in enumerate(subject) if w[0] in ",;—–()"), default=-1)
    subject = _strip_fillers(subject[cut + 1 :])
    if not subject and cut >= 0:
        if lowered[cue_at].endswith("ing"):
            subject = _main_subject(_without_time_phrase(words[:cut]))
        else:  # "Clinton, speaking to reporters on her plane, said:"
            subject = _appositive_head(ctx, words[:cut])
    speaker = None
    if not (subject and subject[-1][0].casefold() in _LINKERS):
        speaker = phrase_speaker(ctx, subject, False)
    if speaker is None:  # "Trump called on her to resign and said,"
        speaker = _clause_subject(ctx, words[:cue_at])
    before_subject = [w for w in words[: max(cut, 0)] if w[0].casefold() not in _OPENERS]
    participle = lowered[cue_at].endswith("ing")
    # "..., telling her, "you are ..."": a participle and who was spoken to
    told = participle and cue_at == last_word - 1 and lowered[last_word] in _LISTENERS
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
    return 0 < len(words) <= 10 and words[0] in _LISTENERS | _OBJECT_OPENERS and "that" not in words


def _hands_over(lowered: Sequence[str]) -> bool:
    """``as X put it`` or ``in X's words``, the whole of a lead-in."""
    if len(lowered) < 3:
        return False
    if lowered[0] == "as" and lowered[-2:] == ["put", "it"]:
        return True
    return lowered[0] == "in" and lowered[-1] == "words"


#: words before "saying" that make it the noun ("a common saying", "the old saying")
_NOUN_BEFORE = frozenset("a an the one common old popular famous favorite favourite".split())
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
        return _inverted(ctx, words[2:])
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
        if not _ABBREVIATION.search(head, max(0, match.start() - 4), match.start()):
            found = match.end()
    return found


def _strip_fillers(words: Sequence[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    """A subject without adverbs (``also``, ``jokingly``) and opening conjunctions."""
    kept = [
        w
        for w in words
        if w[0].casefold() not in _FILLERS and not (w[0].islower() and w[0].endswith("ly"))
    ]
    while kept and kept[0][0].casefold() in _OPENERS:
        kept = kept[1:]
    return kept


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
        if lowered in CUES or lowered.endswith("ed") or lowered in _FILLERS or word[0] in ",;":
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
        return Attribution(words[0][0], _inverted(ctx, words[1:]))
    subject = [w for w in words[:cue_at] if w[0].casefold() not in _FILLERS]
    return Attribution(words[cue_at][0], phrase_speaker(ctx, subject, False))
