"""The quote stage: direct quotes, the verb that introduces them and who said them.

**Finding quotes.** Quotation marks are paired by where they stand, not only by
their shape: a mark after a space and before a word opens, a mark after a word
and before a space or punctuation closes, so straight (``"``), curly (``“ ”``),
doubled single (``''``, as some wires print them) and angle (``« »``) quotes
all work, and a quote nested inside another (single or double) stays inside
it. A quote still open at the end of a paragraph goes on when the next
paragraph opens with a quotation mark (the convention for speech over several
paragraphs) and is dropped otherwise: an unbalanced mark never produces a
quote, unless the paragraph ends with the bracketed source of an excerpt
(``... of Columbia. [Gallup.]``), where the quote ends. Misprinted marks are read
for what they must be: an opening ``“`` typed to close (``here,“ said``,
``stand.“[HuffPost.]``), a closing ``”`` opening a paragraph, a mark right after a
colon (``Gowdy:"``) or after a direction mark, a closing ``''`` after two spaces,
and ``'.'`` before a bracket (``''family fortunes.'.')``: a closing ``''`` printed
around its full stop); the inch mark of a height (``5’2”``) is no quotation mark,
and a mark before an ellipsis opens (``Ill. ". . . I just want``). Offsets (``start``,
``end``) cover the quote with its marks and index ``Article.text``; ``text`` is
the quoted words without the outer marks, the paragraphs of a long quote joined
by a newline. When the attributed words run on, unquoted, past the closing mark
to an attribution ending the sentence (``"We are frustrated and horrified" by the
shooting, Nefzi said.``), ``content_end`` is where they end: the speaker is
reported to have said all of it, which is what PolNeAR annotates as the Content.

**Speech, not scare quotes.** A quoted span is a direct quote when an
attribution sits next to it: after it (``"...," she said``, ``"...," said
Caddell``, ``"...," he surmised``, ``"...?" Hannity pressed.``, ``"..." Mr. Trump
wrote on Twitter.``, ``"..." Trump asked reporters``), at the end of the sentence
the quote opens (``"This will be a challenge" for Clinton, said Kunin.``), on the
line under a quote that fills its paragraph (``- Bernie Sanders.``) or after a dash
closing a quote's own line (``"..." ― Sonya Herridge``, as collected reactions are
printed), in brackets closing the paragraph of a quoted sentence that opens its
own (``"The United Nations has been grappling ..." [WaPo.]``, also under a heading
in capitals), or before it, ending in a comma or a colon (``One fan wrote,
"..."``, ``Brown summed it up: "..."``, a paragraph ending in ``Caddell
continued:``); the rules are in
:mod:`storyline.nlp.attribution` (after the quote) and :mod:`storyline.nlp.lead_ins`
(before it), the speakers in :mod:`storyline.nlp.speakers`.
A lead-in with a comma but no speech verb (``According to the newspaper, "``,
``As Vulture put it, "``) introduces a quote only when the quote is a whole
sentence of five words or more. Words quoted inside a sentence without a speech
verb next to them ("hot" and "cute") are left out, and so are titles in
apposition (``his radio show, "Generations with Kevin Swanson,"``) and a quoted
sentence with no attribution at all (measured on PolNeAR train, fewer than half
of those are annotated as quotes). A fragment quoted in mid-sentence (``he said
there was "an implicit bargain"``, lower case after a cue) is left out too
unless it opens its paragraph or its sentence opens with the cue (``He added,
"actually, ..."``), or the cue is a participle (``..., saying "we faced difficult
challenges together."``), and it ends the sentence: PolNeAR annotates the reported
speech around it, not a direct quote. A title inside an attribution (``said
Steven Brill, author of "America's Bitter Pill,"``, ``told "Fox News."``)
belongs to the attribution: it is neither a quote nor the second part of one.

**Split quotes.** ``"Yes," she said, "you will."`` gives two quotes: the second
has ``part_of`` set to the index of the first in ``Article.quotes`` and carries
its speaker. A quote that follows its predecessor's attribution with nothing
else in between is linked the same way when it has no attribution after it
(``"...," said Caddell. "Yesterday, ..."``, also across a paragraph break, and
on to the next paragraph again when that opens with a quote). A quote with an
attribution of its own after it is a quote of its own, even from the same
speaker (``"...," she said. "...," she said.``), and so is one after a short
attribution with a second speech verb in it (``"...," she said, adding, "..."``).
PolNeAR annotates the linked
ones as one Content with several fragments, the others as one Content each.

**Speakers** (``speaker_kind``): ``entity``, a name the entity stage found,
given by its canonical form (or a capitalised name it missed, completed by the
one person of the article with that last name); ``pronoun``, a he/she resolved
to the latest person mentioned before it whose pronouns in the article agree,
provided no person of unknown gender comes in between (``speaker`` stays None
otherwise, and for they/we/I); ``descriptor``, the words that stand for the
speaker when no name is given ("one fan", "another", "a second"). A name
inside a longer phrase ("one fan replied to Teigen's tweet", "Teigen's rep")
is not taken as the speaker. No other guess is made: a speaker is None rather
than wrong.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from ..model import Article, Entity, Quote
from ..pipeline import BaseStage
from .attribution import (
    CUES,
    MAX_CONTINUATION,
    Attribution,
    Context,
    Span,
    Speaker,
    attribution_after,
    attribution_beyond,
    bracketed_source,
    clause_end,
    name_in_marks,
)
from .lead_ins import Lead, attribution_before
from .speakers import words_of

__all__ = ["CUES", "QuoteStage", "Span", "extract_quotes", "find_quoted_spans"]

#: ``'.'`` before a bracket is a closing ``''`` with its full stop moved inside it, as some
#: wire texts print it (``billionaire ''family fortunes.'.')``)
_MARK = re.compile(r"'\.'(?=\))|'{2,3}|[\"“”„«»]")
#: what may stand right before the second part of a split quote (not "author of")
_LINK_AFTER = frozenset(".,;:!?—–-”\"'’»")
_ELLIPSIS = re.compile(r"\.\s?\.|…")
_HEIGHT = re.compile(r"\b\d['’]\d{1,2}$")
_BRACKETED_SOURCE = re.compile(r"\s*\[[^\]\n]{2,40}\]$")


@dataclass(slots=True)
class _Mark:
    start: int
    end: int
    family: str
    can_open: bool
    can_close: bool


def _marks(text: str, start: int, end: int) -> list[_Mark]:
    marks = []
    for match in _MARK.finditer(text, start, end):
        a, b = match.span()
        mark = match.group()
        if mark == "'.'":
            mark = "''"
        if mark == "'''":  # a closing '' after a closing ', or an opening '' before an opening '
            a, b = (a + 1, b) if a > start and not text[a - 1].isspace() else (a, b - 1)
            mark = "''"
        before = text[a - 1] if a > start else " "
        after = text[b] if b < end else " "
        if _HEIGHT.search(text, max(start, a - 4), a):
            continue  # the inch mark of a height: 'someone who is 5’2”.'
        if mark == '"' and (after == "“" or before == "”"):
            continue  # a stray straight mark glued to a curly one: '"“You don’t win ...'
        if unicodedata.category(before) == "Cf":
            before = " "  # a direction mark or zero-width space opening a line
        space_before = before.isspace() or before in "([{—–-/:"
        space_after = after.isspace() or after in ".,;:!?)]}—–-…'’"
        if mark in "“„«":
            family = "«" if mark == "«" else "“"
            # an opening mark typed as a closer: 'here,“ said' ('word“' but not 'word “')
            # '“ … if the primary were held' opens, a space before its ellipsis
            can_open = not after.isspace() or _ELLIPSIS.match(text, b + 1) is not None
            can_close = not before.isspace() and (after.isspace() or after in ".,;:!?[")
            can_close = can_close and (before.isalnum() or before in ".,!?…—–-")
            if can_close:
                can_open = False
        elif mark in "”»":
            family = "«" if mark == "»" else "“"
            can_close = not before.isspace()
            can_open = not can_close and (not after.isspace() or a == start)
        else:
            family = mark
            can_open = space_before and not after.isspace()
            can_close = not before.isspace() and (space_after or not before.isalnum())
            if (
                before.isspace()
                and text[start:a].rstrip()[-1:] in tuple(",.!?'’")
                and space_after
                and not _ELLIPSIS.match(text, b)  # 'Ill. ". . . I just want': it opens
            ):
                can_open, can_close = False, True  # 'important,' " and ''coalitions, ''"
            if before.isalnum() and after.isalnum():  # inch marks, glued text
                can_open = can_close = False
        if can_open or can_close:
            marks.append(_Mark(a, b, family, can_open, can_close))
    return marks


def _paragraphs(text: str) -> list[tuple[int, int]]:
    spans = []
    for match in re.finditer(r"[^\n]+", text):
        a, b = match.span()
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if a < b:
            spans.append((a, b))
    return spans


def find_quoted_spans(text: str) -> list[Span]:
    """Every balanced top-level quotation in ``text`` (see the module docstring)."""
    found: list[Span] = []
    carried: Span | None = None  # a quote still open at the end of the last paragraph
    carried_family = ""
    for p_start, p_end in _paragraphs(text):
        marks = _marks(text, p_start, p_end)
        stack: list[_Mark] = []
        current: Span | None = None
        if carried is not None:
            if marks and marks[0].start == p_start and marks[0].can_open:
                current = carried
                current.pieces.append((marks[0].end, p_end))
                stack = [_Mark(marks[0].start, marks[0].end, carried_family, True, False)]
                marks = marks[1:]
            carried = None
        for mark in marks:
            if stack and mark.can_close and _closes(stack, mark):
                opener = stack.pop()
                if not stack:
                    if current is None:
                        current = Span(opener.start, mark.end, [(opener.end, mark.start)])
                    else:
                        current.pieces[-1] = (current.pieces[-1][0], mark.start)
                        current.end = mark.end
                    found.append(current)
                    current = None
            elif mark.can_open:
                if not stack:
                    current = Span(mark.start, mark.end, [(mark.end, p_end)])
                stack.append(mark)
        if stack and current is not None:
            cited = _BRACKETED_SOURCE.search(text, current.pieces[-1][0], p_end)
            if cited is not None and len(stack) == 1:
                # an excerpt left open before its bracketed source: '... Columbia. [Gallup.]'
                current.pieces[-1] = (current.pieces[-1][0], cited.start())
                current.end = cited.start()
                found.append(current)
            else:
                carried, carried_family = current, stack[0].family
    return found


def _closes(stack: list[_Mark], mark: _Mark) -> bool:
    """Pop the opener this closing mark matches (the nearest of its family)."""
    for depth in range(len(stack) - 1, -1, -1):
        if stack[depth].family == mark.family:
            del stack[depth + 1 :]
            return True
    if len(stack) == 1 and mark.family != "''":  # “...": sloppy but unmistakable
        return True
    return not mark.can_open and len(stack) == 1


def extract_quotes(text: str, entities: Sequence[Entity] = ()) -> list[Quote]:
    """Direct quotes in ``text`` with cue and speaker; ``entities`` are the article's."""
    ctx = Context(text, list(entities))
    spans = find_quoted_spans(text)
    ctx.learn_genders(spans)
    quotes: list[Quote] = []
    said_until: int | None = None  # end of the attribution after the last quote kept
    previous_end = 0
    for n, span in enumerate(spans):
        following = next(
            (s.start for s in spans[n + 1 :] if not name_in_marks(text, s.start)), len(text)
        )
        paragraph_start = text.rfind("\n", 0, span.start) + 1
        lead = attribution_before(ctx, span, max(paragraph_start, previous_end), paragraph_start)
        after = attribution_after(ctx, span, following) if lead.opens or lead.introduced else None
        if after is None and lead.opens and lead.attribution is None:
            after = attribution_beyond(ctx, span, following) or bracketed_source(
                ctx, span, following
            )
        attribution = after if after is not None else lead.attribution
        link = None
        if said_until is not None and span.end <= said_until:
            continue  # a name quoted inside the last attribution: 'told NBC's "Today" on'
        if quotes and quotes[-1].end == previous_end and said_until is not None:
            link = _link(text, quotes, span, said_until, attribution)
        if attribution is None and link is None and _inside_attribution(text, span, said_until):
            said_until = clause_end(text, span.end, following)  # a title: told "Fox News"
            continue
        last_end, previous_end = previous_end, span.end
        own = after is not None and after.speaker is not None
        if link is not None and own and len(span.pieces) > 1:
            span = _continue_then_split(text, span, quotes, link)
            lead = Lead(None, True, False)
            link = None
        quote = _quote(text, span, lead, after, attribution, quotes, link)
        if quote is None and attribution is None and quotes and quotes[-1].end == last_end:
            quote = _closing_part(text, span, quotes)
        if quote is None:
            said_until = None
            continue
        if after is None and lead.attribution is not None and quote.part_of is None:
            quote.content_end = _runs_on(text, span, following)
        if after is not None:
            said_until = after.end
        elif attribution is None:
            said_until = span.end  # a part with no attribution: the next part may follow
        else:
            said_until = None
        quotes.append(quote)
    return quotes


#: a sentence's words before a quote that closes the statement before it, at most
_CLOSING_LEAD_WORDS = 4
_SENTENCE_BREAK = re.compile(r"[.!?][\"”’')]*\s+")
_SUBJECT_PRONOUNS = frozenset("he she they i we".split())


def _closing_part(text: str, span: Span, quotes: list[Quote]) -> Quote | None:
    """A quote that, with at most a few words of the writer's, makes up the sentence after
    the last quote's attribution, in the same paragraph: ``"...," Trump said. Instead, "he
    just acts like a defeated man."`` It continues the statement before and carries its
    speaker (measured on PolNeAR train: 10 Contents gained, 1 lost). A speech verb or a
    pronoun among those words (``He added that "..."``) makes it reported speech of its
    own, which is not a direct quote."""
    last = quotes[-1]
    if last.speaker is None:
        return None
    between = text[last.end : span.start]
    stop = _SENTENCE_BREAK.search(between)
    if "\n" in between or stop is None:
        return None
    lead = [w.casefold() for w, _, _ in words_of(text, last.end + stop.end(), span.start)]
    lead = [w for w in lead if w[:1].isalnum()]
    if len(lead) > _CLOSING_LEAD_WORDS or any(w in CUES or w in _SUBJECT_PRONOUNS for w in lead):
        return None
    if not (_ends_sentence(span.text(text)) or text[span.end : span.end + 1] in (".", "!", "?")):
        return None
    part = Quote(span.text(text), span.start, span.end)
    _continues(part, last, last.part_of if last.part_of is not None else len(quotes) - 1)
    return part


def _link(
    text: str, quotes: list[Quote], span: Span, said_until: int, attribution: Attribution | None
) -> int | None:
    """The index of the quote that ``span`` continues, when only punctuation separates it
    from the attribution of the quote before."""
    between = text[said_until : span.start]
    if "\n" in between and _family(text, span.start) != _family(text, quotes[-1].start):
        return None  # a paragraph quoted in other marks is another text (an excerpt)
    if (
        _only_punctuation(between, attribution is None)
        and not _second_cue(text, quotes[-1].end, span.start)
        and (attribution is None or "\n" not in between)
        and (text[: span.start].rstrip()[-1:] in _LINK_AFTER or _cue_ends(text, span.start))
    ):
        return quotes[-1].part_of if quotes[-1].part_of is not None else len(quotes) - 1
    return None


def _family(text: str, start: int) -> str:
    """The kind of mark opening the quote at ``start``: curly, straight or doubled single."""
    mark = text[start : start + 2]
    if mark.startswith("''"):
        return "''"
    return '"' if mark[:1] == '"' else "“"


#: words before a speech verb that make it a noun ("in her remarks", "a reply")
_NOUN_MARKERS = frozenset("a an the her his their its our my your".split())
#: an attribution at most this long with two speech verbs in it introduces a new quote
_SECOND_CUE_WORDS = 8


def _second_cue(text: str, start: int, end: int) -> bool:
    """Whether a short attribution between two quotes holds a second speech verb (``she
    said, adding,``, ``he said, and then predicted:``, ``Ebeling said, and her husband cut
    in.``): the writer presents the next quote as a new statement, and PolNeAR annotates it
    as one (measured on train: 14 of 18 such pairs are two Contents, against 39 of 822
    pairs with one verb)."""
    words = [w.casefold() for w, _, _ in words_of(text, start, end) if w[:1].isalpha()]
    cues = sum(
        1
        for k, w in enumerate(words)
        if w in CUES and not (k and words[k - 1] in _NOUN_MARKERS)  # "in her remarks"
    )
    return cues >= 2 and len(words) <= _SECOND_CUE_WORDS


def _continue_then_split(text: str, span: Span, quotes: list[Quote], link: int) -> Span:
    """A quote over several paragraphs that continues the quote before and ends with an
    attribution of its own (``"...," Sexton said. "... revel in it.¶"There's another
    side ...," Sexton said.``): all but its last paragraph continue the quote before, the
    last is a new quote. Returns the span left for the new quote."""
    first = quotes[link]
    head_end = span.pieces[-2][1]
    part = Quote(Span(span.start, head_end, span.pieces[:-1]).text(text), span.start, head_end)
    _continues(part, first, link)
    quotes.append(part)
    tail_start = text.rfind("\n", 0, span.pieces[-1][0]) + 1
    return Span(tail_start, span.end, span.pieces[-1:])


#: words that carry a quote's sentence on in the writer's voice (``"We have three weeks to
#: go" until the caucuses.``)
_RUN_ON_OPENERS = frozenset(
    "from for until to about because since if than that over against with without by into".split()
)
_RUN_ON_MIN_WORDS = 4


def _runs_on(text: str, span: Span, limit: int) -> int | None:
    """Where the attributed words end when a quote introduced before it runs on without
    its own punctuation (``Tyler said, "We have three weeks to go" until the Iowa
    caucuses.``): at the next comma or the end of the clause. None when the quote ends
    itself (``"...," referring to ...``), or what follows holds a speech verb or is no
    continuation (``"CNN" five times``). Measured on PolNeAR train: 4 Contents gained, none
    lost."""
    if not text[span.end - 2 : span.end - 1].isalnum():
        return None
    if len(span.text(text).split()) < _RUN_ON_MIN_WORDS:
        return None
    end = clause_end(text, span.end, limit)
    comma = text.find(",", span.end, end)
    end = comma if comma >= 0 else end
    words = [w.casefold() for w, _, _ in words_of(text, span.end, end) if w[:1].isalnum()]
    if not words or words[0] not in _RUN_ON_OPENERS or len(words) > MAX_CONTINUATION:
        return None
    if any(w in CUES for w in words):
        return None
    return len(text[:end].rstrip())


def _cue_ends(text: str, start: int) -> bool:
    """Whether a speech verb ends right before ``start``, its full stop left out
    (``"...," she said "Ultimately ..."``)."""
    before = re.search(r"([a-z]+)\s+$", text[max(0, start - 20) : start])
    return before is not None and before.group(1) in CUES


def _quote(
    text: str,
    span: Span,
    lead: Lead,
    after: Attribution | None,
    attribution: Attribution | None,
    quotes: list[Quote],
    link: int | None,
) -> Quote | None:
    """The quote ``span`` stands for, with its speaker, or None when it is not speech."""
    words = span.text(text)
    if _title(words) and (
        (not lead.opens and (lead.attribution is None or after is not None))
        or _names_a_work(text, span.start)
    ):
        return None  # a title in apposition: 'his radio show, "Generations with Kevin Swanson,"'
    quote = Quote(words, span.start, span.end)
    first = quotes[link] if link is not None else None
    own = after is not None and after.speaker is not None  # '"...," she said' of its own
    if (
        first is not None
        and link is not None
        and not own
        and _same_speaker(text, first, attribution)
    ):
        _continues(quote, first, link)
    elif (
        attribution is None
        and lead.weak is not None
        and (_whole_sentence(words) or (lead.heads and _ends_sentence(words)))
    ):
        _set_speaker(quote, lead.weak.speaker)
    elif attribution is not None and (
        lead.opens or (lead.heads and _ends_sentence(words)) or not _partial(words)
    ):
        quote.cue = attribution.cue if attribution.cue not in (":", "-", "[") else None
        _set_speaker(quote, attribution.speaker)
        quote.content_end = attribution.content_end
    else:
        return None
    return quote


def _inside_attribution(text: str, span: Span, said_until: int | None) -> bool:
    """Whether a quoted title sits inside the attribution of the quote before it."""
    return said_until == span.start and text[: span.start].rstrip()[-1:] not in _LINK_AFTER


def _partial(words: str) -> bool:
    """A quoted fragment that starts in mid-sentence (``said there was "an implicit
    bargain"``): PolNeAR annotates the reported speech around it, not a direct quote."""
    return words[:1].islower()


_SMALL_WORDS = frozenset("a an and as at but by for in of on or the to with vs".split())


def _title(words: str) -> bool:
    """Capitalised like a title (``This Kind of War``, ``Crippled America: How to Make
    America Great Again``): every word but the small ones, no sentence end inside."""
    tokens = re.findall(r"[^\W\d_][\w'’-]*", words)
    if not 1 <= len(tokens) <= 10 or re.search(r"[.!?]\s", words):
        return False
    return all(t[:1].isupper() or t.casefold() in _SMALL_WORDS for t in tokens)


#: nouns for a written or broadcast work or a slogan: the quote after one is its name
_WORK_NOUNS = frozenset(
    "book memoir autobiography biography novel column essay article headline show series "
    "film movie documentary song album musical class course slogan titled entitled".split()
)
_LAST_WORD = re.compile(r"([^\W\d_][\w-]*)\W*$")


def _names_a_work(text: str, start: int) -> bool:
    """Whether the words before a quote name a work it is the title of (``she wrote in
    her memoir, "Tough Choices."``), even when a speech verb stands before them."""
    last = _LAST_WORD.search(text, max(0, start - 40), start)
    return last is not None and last.group(1).casefold() in _WORK_NOUNS


def _ends_sentence(words: str) -> bool:
    return words.rstrip(" \"'”’")[-1:] in ".!?"


def _whole_sentence(words: str) -> bool:
    """A quoted sentence of its own (capitalised, five words or more, ending in ``.!?``),
    not a title or a slogan."""
    return words[:1].isupper() and len(words.split()) >= 5 and _ends_sentence(words)


def _only_punctuation(between: str, new_paragraph: bool) -> bool:
    """Whether nothing but punctuation (and, before a quote opening a paragraph of its own,
    line breaks) separates an attribution from the next quote."""
    allowed = r"[\s.,;:—–-]*" if new_paragraph else r"[ \t.,;:—–-]*"
    return len(between) <= 120 and re.fullmatch(allowed, between) is not None


def _same_speaker(text: str, first: Quote, attribution: Attribution | None) -> bool:
    """Whether a quote whose attribution is ``attribution`` can continue ``first``."""
    if attribution is None or attribution.speaker is None:
        return True
    speaker = attribution.speaker
    if speaker.start == first.speaker_start:
        return True
    if speaker.name is not None:
        return speaker.name == first.speaker
    said = text[speaker.start : speaker.end].casefold()
    return first.speaker_start is not None and said == (
        text[first.speaker_start : first.speaker_end].casefold()
    )


def _continues(part: Quote, before: Quote, first: int) -> None:
    """Make ``part`` a further part of the quote at index ``first``, with the cue and
    speaker of ``before`` (that quote or one of its parts)."""
    part.part_of, part.cue = first, before.cue
    part.speaker, part.speaker_kind = before.speaker, before.speaker_kind
    part.speaker_start, part.speaker_end = before.speaker_start, before.speaker_end


def _set_speaker(quote: Quote, speaker: Speaker | None) -> None:
    if speaker is None:
        return
    quote.speaker = speaker.name
    quote.speaker_kind = speaker.kind
    quote.speaker_start, quote.speaker_end = speaker.start, speaker.end


class QuoteStage(BaseStage):
    """Fill ``Article.quotes`` from the text and the entity stage's entities."""

    name: ClassVar[str] = "quotes"
    requires: ClassVar[tuple[str, ...]] = ("entities",)
    provides: ClassVar[tuple[str, ...]] = ("quotes",)

    def __call__(self, article: Article) -> Article:
        if article.language not in (None, "en"):
            article.quotes = []
            return article
        article.quotes = extract_quotes(article.text, article.entities)
        return article
