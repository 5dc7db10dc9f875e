"""The quote stage: direct quotes, the verb that introduces them and who said them.

**Finding quotes.** Quotation marks are paired by where they stand, not only by
their shape: a mark after a space and before a word opens, a mark after a word
and before a space or punctuation closes, so straight (``"``), curly (``“ ”``),
doubled single (``''``, as some wires print them) and angle (``« »``) quotes
all work, and a quote nested inside another (single or double) stays inside
it. A quote still open at the end of a paragraph goes on when the next
paragraph opens with a quotation mark (the convention for speech over several
paragraphs) and is dropped otherwise: an unbalanced mark never produces a
quote. Offsets (``start``, ``end``) cover the quote with its marks and index
``Article.text``; ``text`` is the quoted words without the outer marks, the
paragraphs of a long quote joined by a newline.

**Speech, not scare quotes.** A quoted span is a direct quote when an
attribution sits next to it: after it (``"...," she said``, ``"...," said
Caddell``, ``"...," he surmised``), or before it, ending in a comma or a colon
(``One fan wrote, "..."``, ``Brown summed it up: "..."``, a paragraph ending in
``Caddell continued:``). Words quoted inside a sentence without a speech verb
next to them ("hot" and "cute", titles) are left out, and so is a quoted
sentence with no attribution at all (measured on PolNeAR train, fewer than a
third of those are annotated as quotes).

**Split quotes.** ``"Yes," she said, "you will."`` gives two quotes: the second
has ``part_of`` set to the index of the first in ``Article.quotes`` and carries
its speaker. A quote that follows its predecessor's attribution with nothing
else in between is linked the same way, when it has no attribution of its own
(``"...," said Caddell. "Yesterday, ..."``, also across a paragraph break) or
one naming the same speaker in the same paragraph.

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
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar

from ..model import Article, Entity, Quote
from ..pipeline import BaseStage
from ..text import STOPWORDS

__all__ = ["CUES", "QuoteStage", "extract_quotes", "find_quoted_spans"]

#: verbs and phrases that introduce or attribute speech, in the forms news uses them
CUES = frozenset(
    """said says say saying told tells tell telling wrote writes write writing written
    added adds adding asked asks asking explained explains noted notes continued continues
    replied replies responded responds answered answers quipped quips joked jokes raved
    raves commented comments captioned captions tweeted tweets posted posts declared
    declares stated states argued argues claimed claims insisted insists warned warns
    recalled recalls acknowledged acknowledges admitted admits announced announces observed
    observes remarked remarks conceded concedes countered counters suggested suggests urged
    urges predicted predicts concluded concludes cautioned cautions shouted shouts yelled
    yells exclaimed exclaims whispered whispers mused muses musing laughed laughs sighed
    gushed gushes teased teases boasted boasts bragged brags complained complains lamented
    laments confirmed confirms emphasized emphasizes emphasised stressed stresses agreed
    agrees vowed vows promised promises pledged pledges demanded demands charged charges
    alleged alleges testified testifies reported reports summed sums chimed chimes
    explaining adding noting writing replying responding asking insisting arguing
    telling warning continuing declaring recounted recounts reiterated reiterates
    disclosed wondered wonders mocked mocks scoffed retorted retorts opined joking
    concluding cautioning announcing confessed confesses revealed reveals thundered
    proclaimed proclaims blasted blasts slammed slams praised praises quoted read reads
    chanted chants screamed screams cried reacted beamed assured assures barked""".split()
)
PRONOUNS = {"he": "m", "she": "f", "they": "", "i": "", "we": "", "it": "", "you": ""}
_MALE = re.compile(r"\b(?:he|him|his|himself)\b", re.IGNORECASE)
_FEMALE = re.compile(r"\b(?:she|her|hers|herself)\b", re.IGNORECASE)
#: words that may stand between a speaker and the cue ("Teigen also said")
_FILLERS = frozenset(
    """also later then once again further still has had have will would could might
    may can did does do is was were are be just even only simply quickly recently
    previously finally already""".split()
)
#: words that end a speaker phrase after an inverted cue ("said Caddell in a statement")
_PHRASE_STOP = frozenset(
    """in on at to for during after before while when as with about of from via by who
    which that whose where because but and or than during since""".split()
)
_DETERMINERS = frozenset(
    """a an the one another some many several two three four five both each every
    other others one's his her their its our my your this that these those""".split()
)
#: words that stand for a speaker on their own ("wrote another")
_LONE_DESCRIPTORS = frozenset("another one others some many several most few both".split())
_NOT_NAMES = STOPWORDS["en"] | _DETERMINERS | _LONE_DESCRIPTORS | frozenset(PRONOUNS)
SPEAKER_LABELS = frozenset(("PERSON", "ORG", "NORP", "GPE"))
MAX_PHRASE = 8
_NAME_WORD = re.compile(r"(?:[A-Z][a-z]*\.|(?:Mc|Mac|O['’]|D['’])?[A-Z][a-z]+(?:-[A-Z][a-z]+)?)")
_WORD = re.compile(r"[^\W\d_][\w’'.-]*[\w]|[^\W\d_]|\d[\w.,]*|[^\w\s]")
_MARK = re.compile(r"'{2,3}|[\"“”„«»]")
_TERMINAL = frozenset(".!?…")
#: words that may follow the cue of an attribution that ends there (``said in a statement``)
_AFTER_CUE = frozenset(
    """in on at to during after before while when as with about of from via by
    yesterday today tonight earlier later last this recently afterward afterwards
    back out up again""".split()
)
#: what may stand right before the second part of a split quote (not "author of")
_LINK_AFTER = frozenset(".,;:!?—–-")


@dataclass(slots=True)
class Span:
    """A quoted span: its marks' outer offsets and the inner pieces, one a paragraph."""

    start: int
    end: int
    pieces: list[tuple[int, int]]

    @property
    def inner_start(self) -> int:
        return self.pieces[0][0]

    @property
    def inner_end(self) -> int:
        return self.pieces[-1][1]

    def text(self, text: str) -> str:
        return "\n".join(text[a:b].strip() for a, b in self.pieces)


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
        if mark == "'''":  # a closing '' after a closing ', or an opening '' before an opening '
            a, b = (a + 1, b) if a > start and not text[a - 1].isspace() else (a, b - 1)
            mark = "''"
        before = text[a - 1] if a > start else " "
        after = text[b] if b < end else " "
        space_before = before.isspace() or before in "([{—–-/"
        space_after = after.isspace() or after in ".,;:!?)]}—–-…'’"
        if mark in "“„«":
            family = "«" if mark == "«" else "“"
            can_open, can_close = not after.isspace(), before.isalnum() and after.isspace()
            if can_close:
                can_open = False
        elif mark in "”»":
            family = "«" if mark == "»" else "“"
            can_close = not before.isspace()
            can_open = not can_close and not after.isspace()
        else:
            family = mark
            can_open = space_before and not after.isspace()
            can_close = not before.isspace() and (space_after or not before.isalnum())
            if before.isspace() and a - 1 > start and text[a - 2] in ",.!?'’" and space_after:
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


@dataclass(slots=True)
class _Speaker:
    kind: str
    name: str | None
    start: int
    end: int


@dataclass(slots=True)
class _Attribution:
    cue: str
    speaker: _Speaker | None
    end: int | None = None  # where an attribution after its quote ends


@dataclass(slots=True)
class _Context:
    """What the attribution rules need to know about one article."""

    text: str
    entities: list[Entity]
    starts: list[int] = field(default_factory=list)
    genders: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.entities = sorted(self.entities, key=lambda e: e.start)
        self.starts = [e.start for e in self.entities]

    def learn_genders(self, spans: Sequence[Span]) -> None:
        """Genders from the narration: quoted words are blanked first (their pronouns
        are the speaker's, not the narrator's)."""
        masked = list(self.text)
        for span in spans:
            masked[span.start : span.end] = " " * (span.end - span.start)
        self.genders = _genders("".join(masked), self.entities)

    def entity_at(self, start: int, end: int, last: bool = False) -> Entity | None:
        """The first (or ``last``) named entity that lies within ``start:end``."""
        i = bisect_left(self.starts, start)
        found = None
        while i < len(self.entities) and self.entities[i].start < end:
            entity = self.entities[i]
            if entity.end <= end and entity.label in SPEAKER_LABELS:
                if not last:
                    return entity
                found = entity
            i += 1
        return found

    def full_name(self, name: str) -> str:
        """A name the recognizer missed, completed by the one person whose last word it is."""
        last = name.split()[-1]
        matches = {
            e.canonical
            for e in self.entities
            if e.label == "PERSON" and e.canonical.split()[-1] == last
        }
        return matches.pop() if len(matches) == 1 else name

    def persons_before(self, position: int, window: int = 1500) -> list[Entity]:
        i = bisect_left(self.starts, position)
        return [
            e
            for e in reversed(self.entities[:i])
            if e.label == "PERSON" and e.start >= position - window
        ]


def _genders(text: str, entities: Sequence[Entity]) -> dict[str, str]:
    """m or f for people whose pronouns in the article clearly agree, from the clause after
    each mention that opens its sentence."""
    votes: defaultdict[str, Counter[str]] = defaultdict(Counter)
    previous_end = 0
    people = [e for e in entities if e.label == "PERSON"]
    for i, entity in enumerate(people):
        between = text[previous_end : entity.start]
        previous_end = entity.end
        if i > 0 and not re.search(r"[.!?\n]", between):
            continue  # only a mention that opens its sentence is taken as its subject
        stop = people[i + 1].start if i + 1 < len(people) else len(text)
        end = re.compile(r"[.!?\n]").search(text, entity.end, stop)
        clause = text[entity.end : end.start() if end else stop]
        before = text[max(0, entity.start - 5) : entity.start].casefold()
        votes[entity.canonical]["m"] += len(_MALE.findall(clause)) + 2 * ("mr." in before)
        votes[entity.canonical]["f"] += len(_FEMALE.findall(clause)) + 2 * (
            "ms." in before or "mrs." in before
        )
    genders = {}
    for name, counter in votes.items():
        male, female = counter["m"], counter["f"]
        if male > 2 * female:
            genders[name] = "m"
        elif female > 2 * male:
            genders[name] = "f"
    return genders


def _words(text: str, start: int, end: int) -> list[tuple[str, int, int]]:
    return [(m.group(), m.start(), m.end()) for m in _WORD.finditer(text, start, end)]


_STOPS = re.compile(r"[.!?;:\n“\"«]|''")
_ABBREVIATION = re.compile(
    r"(?:\b(?:Mr|Mrs|Ms|Dr|Sen|Rep|Gov|Gen|Lt|Col|Sgt|St|Jr|Sr|Rev|Prof)|\b[A-Z])$"
)


def _clause_end(text: str, start: int, limit: int) -> int:
    """Where the clause from ``start`` ends: sentence punctuation (not after a title or an
    initial), a colon or semicolon, a line break or the next quotation mark."""
    for match in _STOPS.finditer(text, start, limit):
        at = match.start()
        if match.group() == "." and (
            _ABBREVIATION.search(text, max(start, at - 4), at)
            or re.match(r"\s*[a-z,\d]", text[at + 1 : at + 4])
        ):
            continue  # "Sen. Bernie Sanders", "Tampa, Fla., who ..."
        return at
    return limit


def _phrase_speaker(
    ctx: _Context, words: Sequence[tuple[str, int, int]], inverted: bool
) -> _Speaker | None:
    """The speaker named by ``words``: before the cue (subject) or after it (inverted)."""
    words = [w for w in words if w[0] != "."]
    if not words:
        return None
    first, last = words[0][1], words[-1][2]
    entity = ctx.entity_at(first, last, last=not inverted)
    if entity is not None:
        if inverted:
            edge_ok = sum(1 for w in words if w[2] <= entity.start) <= 2
        else:
            edge_ok = sum(1 for w in words if w[1] >= entity.end) == 0
        if edge_ok:
            return _Speaker("entity", entity.canonical, entity.start, entity.end)
    lowered = [w.casefold() for w, _, _ in words]
    if len(words) == 1 and lowered[0] in PRONOUNS:
        return _pronoun(ctx, lowered[0], words[0][1], words[0][2])
    if len(words) <= 3 and all(
        _NAME_WORD.fullmatch(w) and w.casefold() not in _NOT_NAMES for w, _, _ in words
    ):
        return _Speaker("entity", ctx.full_name(ctx.text[first:last]), first, last)
    if len(words) > MAX_PHRASE or not all(w.isalpha() or w in "-’'" for w, _, _ in words):
        return None
    if any(w in CUES or w in PRONOUNS or w in _PHRASE_STOP for w in lowered):
        return None
    if len(words) == 1 and not (lowered[0] in _LONE_DESCRIPTORS or _plural_noun(lowered[0])):
        return None
    if lowered[0] in _DETERMINERS or (len(words) == 1 and words[0][0].islower()):
        return _Speaker("descriptor", ctx.text[first:last], first, last)
    return None


def _plural_noun(word: str) -> bool:
    return (
        len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is", "'s", "’s"))
    )


def _pronoun(ctx: _Context, word: str, start: int, end: int) -> _Speaker:
    """He or she, resolved to the latest person before it whose pronouns agree, provided
    no person of unknown gender was mentioned in between (then it stays unresolved)."""
    gender = PRONOUNS[word]
    name: str | None = None
    if gender:
        candidates = ctx.persons_before(start)
        unknown = {p.canonical for p in candidates if p.canonical not in ctx.genders}
        for person in candidates:
            known = ctx.genders.get(person.canonical)
            if known is None:
                break
            if known == gender:
                name = person.canonical
                break
        if name is None and len(unknown) == 1 and len({p.canonical for p in candidates}) == 1:
            name = next(iter(unknown))
    return _Speaker("pronoun", name, start, end)


def _after(ctx: _Context, span: Span, limit: int) -> _Attribution | None:
    """An attribution right after the quote: ``, Teigen said`` / ``said Caddell``."""
    attribution = _after_clause(ctx, span, limit)
    if attribution is not None:
        attribution.end = _clause_end(ctx.text, span.end, limit)
    return attribution


def _after_clause(ctx: _Context, span: Span, limit: int) -> _Attribution | None:
    text = ctx.text
    inner = text[span.inner_start : span.inner_end].rstrip()
    words = _words(text, span.end, _clause_end(text, span.end, limit))
    if words and words[0][0] in ",—–-":
        words = words[1:]
    if not words:
        return None
    opener = words[0][0]
    if inner[-1:].isalnum() and span.end == words[0][1] - 1 and opener.casefold() not in CUES:
        if opener[:1].islower() and opener.casefold() not in PRONOUNS:
            return None  # the sentence goes on: '"Boots on the ground" would be'
    new_sentence = inner[-1:] in _TERMINAL and opener[:1].isupper()
    if new_sentence and opener.casefold() not in CUES:
        if opener.casefold() in PRONOUNS and len(words) > 2:
            return None  # "He said the plan ..." starts a sentence of its own
        if _introduces_next(text, words[-1][2], limit):
            return None  # ... and it introduces the next quote: "Teigen answered: "
    lowered = [w.casefold() for w, _, _ in words]
    for k, word in enumerate(lowered[: MAX_PHRASE + 12]):
        if word == "according" and lowered[k + 1 : k + 2] == ["to"]:
            return _Attribution("according to", _inverted(ctx, words[k + 2 :]))
        if word not in CUES:
            continue
        before = [w for w in words[:k] if w[0].casefold() not in _FILLERS]
        if not before:
            return _Attribution(words[k][0], _inverted(ctx, words[k + 1 :]))
        if any(w[0] in ",;()—–" for w in before):
            before = _appositive_head(ctx, before, strict=new_sentence)
            if not before:
                return None
        elif k > MAX_PHRASE + 2:
            return None
        speaker = _phrase_speaker(ctx, before, False)
        if new_sentence and (speaker is None or not _ends_attribution(words[k + 1 :])):
            return None
        return _Attribution(words[k][0], speaker)
    return None if new_sentence else _unknown_verb(ctx, inner, words)


def _ends_attribution(words: Sequence[tuple[str, int, int]]) -> bool:
    """Whether the words after a cue close an attribution (``said on Monday``) rather
    than go on with reported speech (``said the plan ...``)."""
    if not words or words[0][0] in ".,;:—–(":
        return True
    first = words[0][0]
    return first.casefold() in _AFTER_CUE or first[:1].isupper() and first.casefold() != "i"


def _appositive_head(
    ctx: _Context, words: Sequence[tuple[str, int, int]], strict: bool = False
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
    if not pieces or pieces[0][0][0].casefold() in _PHRASE_STOP:
        return []
    for piece in pieces:
        entity = ctx.entity_at(piece[0][1], piece[-1][2])
        if (
            entity is not None
            and entity.label == "PERSON"
            and sum(1 for w in piece if w[1] >= entity.end or w[2] <= entity.start) <= 1
        ):
            return piece
    return pieces[0] if len(pieces[0]) <= MAX_PHRASE and not strict else []


def _unknown_verb(
    ctx: _Context, inner: str, words: Sequence[tuple[str, int, int]]
) -> _Attribution | None:
    """``"...," he surmised.``: a name or pronoun and one verb after a quote that ends in
    a comma, whatever the verb."""
    if inner[-1:] not in ",?!" or not 2 <= len(words) <= 4:
        return None
    subject, verb = words[:-1], words[-1]
    if not re.fullmatch(r"[a-z]+(?:ed|s)", verb[0]) or verb[0].endswith("ss"):
        return None
    speaker = _phrase_speaker(ctx, subject, False)
    if speaker is None or (speaker.kind == "descriptor" and len(subject) == 1):
        return None
    return _Attribution(verb[0], speaker)


def _introduces_next(text: str, clause_end: int, next_quote: int) -> bool:
    return re.fullmatch(r"\s*[,:]\s*", text[clause_end:next_quote]) is not None


def _inverted(ctx: _Context, words: Sequence[tuple[str, int, int]]) -> _Speaker | None:
    phrase = []
    for word in words:
        if word[0] in ",;()—–" or word[0].casefold() in _PHRASE_STOP:
            break
        phrase.append(word)
    return _phrase_speaker(ctx, phrase, True) if phrase else None


@dataclass(slots=True)
class _Lead:
    """What comes before a quote in its sentence."""

    attribution: _Attribution | None = None
    opens: bool = False  # the quote opens its sentence
    introduced: bool = False  # a comma, colon or cue right before the quote


def _before(ctx: _Context, span: Span, floor: int, paragraph_start: int) -> _Lead:
    """An attribution before the quote (``Brown summed it up: "``)."""
    text = ctx.text
    start = span.start
    head = text[floor:start]
    clause_start = floor + _last_boundary(head, True)
    clause = text[clause_start:start].rstrip()
    if not clause.strip() or clause.strip() in "—–-(":
        if start == paragraph_start and text[:start].rstrip().endswith(":"):
            return _Lead(_previous_colon(ctx, start), True, True)
        return _Lead(None, True, False)
    words = _words(text, clause_start, clause_start + len(clause))
    lowered = [w.casefold() for w, _, _ in words]
    if clause[-1] not in ",:" and not (lowered and lowered[-1] in CUES):
        return _Lead()
    cue_at = max((k for k, w in enumerate(lowered) if w in CUES), default=-1)
    if cue_at < 0:
        return _Lead(_Attribution(":", None) if clause[-1] == ":" else None, False, True)
    subject = words[:cue_at]
    cut = max((k for k, w in enumerate(subject) if w[0] in ",;—–()"), default=-1)
    subject = [w for w in subject[cut + 1 :] if w[0].casefold() not in _FILLERS]
    if lowered[cue_at].endswith("ing") and not subject:
        subject = _main_subject(words[: max(cut, 0)])
    cue = words[cue_at][0]
    if subject and subject[-1][0].casefold() in ("and", "but"):
        return _Lead(_Attribution(cue, None), False, True)
    return _Lead(_Attribution(cue, _phrase_speaker(ctx, subject, False)), False, True)


_BOUNDARY = re.compile(r"[.?!][\"”’')]*\s|\n")
_BOUNDARY_NO_BREAK = re.compile(r"[.?!][\"”’')]*[^\S\n]")


def _last_boundary(head: str, breaks: bool) -> int:
    """Where the last sentence of ``head`` starts (0 when it is all one sentence)."""
    found = 0
    for match in (_BOUNDARY if breaks else _BOUNDARY_NO_BREAK).finditer(head):
        if not _ABBREVIATION.search(head, max(0, match.start() - 4), match.start()):
            found = match.end()
    return found


def _main_subject(words: Sequence[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    """The words opening a clause up to its first likely verb (a word in -ed or a cue)."""
    subject = []
    for word in words:
        lowered = word[0].casefold()
        if lowered in CUES or lowered.endswith("ed") or lowered in _FILLERS or word[0] in ",;":
            break
        subject.append(word)
    return subject if len(subject) <= MAX_PHRASE else []


def _previous_colon(ctx: _Context, start: int) -> _Attribution | None:
    """``Caddell continued:`` closing the paragraph before a quote."""
    text = ctx.text
    end = text.rstrip().rfind(":", 0, start)
    line_start = text.rfind("\n", 0, end) + 1
    head = text[line_start:end]
    clause_start = line_start + _last_boundary(head, False)
    words = _words(text, clause_start, end)
    lowered = [w.casefold() for w, _, _ in words]
    cue_at = max((k for k, w in enumerate(lowered) if w in CUES), default=-1)
    if cue_at < 0:
        return _Attribution(":", None)
    subject = [w for w in words[:cue_at] if w[0].casefold() not in _FILLERS]
    return _Attribution(words[cue_at][0], _phrase_speaker(ctx, subject, False))


def extract_quotes(text: str, entities: Sequence[Entity] = ()) -> list[Quote]:
    """Direct quotes in ``text`` with cue and speaker; ``entities`` are the article's."""
    ctx = _Context(text, list(entities))
    spans = find_quoted_spans(text)
    ctx.learn_genders(spans)
    quotes: list[Quote] = []
    said_until: int | None = None  # end of the attribution after the last quote kept
    previous_end = 0
    for n, span in enumerate(spans):
        following = spans[n + 1].start if n + 1 < len(spans) else len(text)
        paragraph_start = text.rfind("\n", 0, span.start) + 1
        lead = _before(ctx, span, max(paragraph_start, previous_end), paragraph_start)
        after = _after(ctx, span, following) if lead.opens or lead.introduced else None
        attribution = after if after is not None else lead.attribution
        link = None
        if quotes and quotes[-1].end == previous_end and said_until is not None:
            between = text[said_until : span.start]
            if (
                _only_punctuation(between, attribution is None)
                and (attribution is None or "\n" not in between)
                and text[: span.start].rstrip()[-1:] in _LINK_AFTER
            ):
                link = quotes[-1].part_of if quotes[-1].part_of is not None else len(quotes) - 1
        previous_end = span.end
        if attribution is None and link is None:
            said_until = None
            continue
        quote = Quote(span.text(text), span.start, span.end)
        first = quotes[link] if link is not None else None
        if first is not None and _same_speaker(text, first, attribution):
            quote.part_of = link
            quote.cue, quote.speaker, quote.speaker_kind = (
                first.cue,
                first.speaker,
                first.speaker_kind,
            )
            quote.speaker_start, quote.speaker_end = first.speaker_start, first.speaker_end
        elif attribution is not None and (lead.opens or not _partial(quote.text)):
            quote.cue = attribution.cue if attribution.cue != ":" else None
            _set_speaker(quote, attribution.speaker)
        else:
            said_until = None
            continue
        said_until = after.end if after is not None else None
        quotes.append(quote)
    return quotes


import os
MINW = int(os.environ.get("MINW", "8"))
def _speech_like(text: str, span: Span) -> bool:
    words = span.text(text)
    if not words[:1].isupper() or words.rstrip("'’\"”)]")[-1:] not in _TERMINAL:
        return False
    return len(words.split()) >= MINW


def _copy_speaker(quote: Quote, first: Quote) -> None:
    quote.cue, quote.speaker, quote.speaker_kind = first.cue, first.speaker, first.speaker_kind
    quote.speaker_start, quote.speaker_end = first.speaker_start, first.speaker_end


def _partial(words: str) -> bool:
    """A quoted fragment that starts in mid-sentence (``said there was "an implicit
    bargain"``): PolNeAR annotates the reported speech around it, not a direct quote."""
    return words[:1].islower()


def _only_punctuation(between: str, new_paragraph: bool) -> bool:
    """Whether nothing but punctuation (and, before a quote opening a paragraph of its own,
    line breaks) separates an attribution from the next quote."""
    allowed = r"[\s.,;:—–-]*" if new_paragraph else r"[ \t.,;:—–-]*"
    return len(between) <= 120 and re.fullmatch(allowed, between) is not None


def _same_speaker(text: str, first: Quote, attribution: _Attribution | None) -> bool:
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


def _set_speaker(quote: Quote, speaker: _Speaker | None) -> None:
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
