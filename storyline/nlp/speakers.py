"""Who a quote's speaker is: names, he/she resolved to a person, descriptors.

The attribution rules (:mod:`storyline.nlp.attribution`, :mod:`storyline.nlp.lead_ins`)
find the words that stand for a speaker; this module turns them into a
:class:`Speaker`. A name is one the entity stage found, given by its canonical
form (or a capitalised name it missed, completed by the one person of the article
with that last name); a he/she is resolved to the latest person mentioned before it
whose pronouns in the article agree (see :func:`pronoun_speaker`); a descriptor is
the phrase itself ("one fan", "another source familiar with his thinking"). None
rather than a wrong guess. It also holds the vocabulary the quote modules share:
speech verbs, pronouns.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..model import Entity
from ..text import STOPWORDS

__all__ = [
    "CUES",
    "MAX_PHRASE",
    "NAME_WORD",
    "PHRASE_STOP",
    "PRONOUNS",
    "Context",
    "Span",
    "Speaker",
    "phrase_speaker",
    "pronoun_speaker",
    "words_of",
]

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
    chanted chants screamed screams cried reacted beamed assured assures barked
    add argue explain conclude insist warn urge suggest observe acknowledge
    admit recall contend interjected interjects interrupted cracked snapped deadpanned
    chided scolded marveled marvelled riffed rejoined""".split()
)
PRONOUNS = {"he": "m", "she": "f", "they": "", "i": "", "we": "", "it": "", "you": ""}
_MALE = re.compile(r"\b(?:he|him|his|himself)\b", re.IGNORECASE)
_FEMALE = re.compile(r"\b(?:she|her|hers|herself)\b", re.IGNORECASE)

#: words that end a speaker phrase after an inverted cue ("said Caddell in a statement")
PHRASE_STOP = frozenset(
    """in on at to for during after before while when as with about of from via by who
    which that whose where because but and or than during since""".split()
)
_DETERMINERS = frozenset(
    """a an the one another some many several two three four five both each every
    other others one's his her their its our my your this that these those""".split()
)
#: words that stand for a speaker on their own ("wrote another")
_LONE_DESCRIPTORS = frozenset("another one others some many several most few both".split())
#: who a handle belongs to in "Instagram user fernandesrach", "Twitter user @jdoe"
_HANDLE_OWNERS = frozenset("user commenter follower subscriber poster".split())
_NOT_NAMES = STOPWORDS["en"] | _DETERMINERS | _LONE_DESCRIPTORS | frozenset(PRONOUNS)
SPEAKER_LABELS = frozenset(("PERSON", "ORG", "NORP", "GPE"))
_PERSON = frozenset(("PERSON",))
MAX_PHRASE = 8
NAME_WORD = re.compile(
    r"(?:[A-Z][a-z]*\.|(?:Mc|Mac|O['’]|D['’])?[A-Z][a-z]+(?:[A-Z][a-z]+)*(?:-[A-Z][a-z]+)?)"
)  # "HuffPollster", "DeSantis" too
_WORD = re.compile(r"[^\W\d_][\w’'.-]*[\w]|[^\W\d_]|\d[\w.,]*|[^\w\s]")


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
class Speaker:
    kind: str
    name: str | None
    start: int
    end: int


@dataclass(slots=True)
class Context:
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

    def entity_at(
        self, start: int, end: int, last: bool = False, labels: frozenset[str] = SPEAKER_LABELS
    ) -> Entity | None:
        """The first (or ``last``) named entity with one of ``labels`` within ``start:end``."""
        i = bisect_left(self.starts, start)
        found = None
        while i < len(self.entities) and self.entities[i].start < end:
            entity = self.entities[i]
            if entity.end <= end and entity.label in labels:
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


def words_of(text: str, start: int, end: int) -> list[tuple[str, int, int]]:
    return [(m.group(), m.start(), m.end()) for m in _WORD.finditer(text, start, end)]


#: a name after one of these ends a phrase that names someone else ("the mayor of Paris")
MODIFIER_PREPOSITIONS = frozenset("of at in from for".split())


def phrase_speaker(
    ctx: Context, words: Sequence[tuple[str, int, int]], inverted: bool
) -> Speaker | None:
    """The speaker named by ``words``: before the cue (subject) or after it (inverted)."""
    words = [w for w in words if w[0] != "."]
    if not words:
        return None
    first, last = words[0][1], words[-1][2]
    entity = ctx.entity_at(first, last, last=not inverted)
    if inverted and entity is not None and entity.label != "PERSON":
        # "said Navy Capt. Daniel Osei": the recognizer may take the rank for an
        # organisation; the person after it is the speaker
        person = ctx.entity_at(first, last, labels=_PERSON)
        if person is not None and sum(1 for w in words if w[2] <= person.start) <= 2:
            entity = person
    if entity is not None:
        if inverted:
            edge_ok = sum(1 for w in words if w[2] <= entity.start) <= 2
        else:
            edge_ok = sum(1 for w in words if w[1] >= entity.end) == 0
            head = [w for w in words if w[2] <= entity.start]
            while head and head[-1][0].casefold() in ("the", "a", "an"):
                head.pop()
            if len(head) > 1 and head[-1][0].casefold() in MODIFIER_PREPOSITIONS:
                # "Archbishop Aris Shirvanian of the Armenian Patriarchate of Jerusalem",
                # "the president of Mexico": the place or body names the speaker's post
                found = phrase_speaker(ctx, head[:-1], False)
                if found is None or found.kind == "descriptor":
                    return found
                return found if ctx.entity_at(found.start, found.end) is not None else None
        if edge_ok:
            return Speaker("entity", entity.canonical, entity.start, entity.end)
    lowered = [w.casefold() for w, _, _ in words]
    if len(words) == 1 and lowered[0] in PRONOUNS:
        return pronoun_speaker(ctx, lowered[0], words[0][1], words[0][2])
    if len(words) <= 3 and all(
        NAME_WORD.fullmatch(w) and w.casefold() not in _NOT_NAMES for w, _, _ in words
    ):
        return Speaker("entity", ctx.full_name(ctx.text[first:last]), first, last)
    if 2 <= len(words) <= 4 and lowered[-2] in _HANDLE_OWNERS and words[0][0][:1].isupper():
        # "Instagram user fernandesrach": a user named by their handle on a platform
        return Speaker("descriptor", ctx.text[first:last], first, last)
    if len(words) > MAX_PHRASE or not all(
        w.replace("-", "").isalpha() or w in "-’'" for w, _, _ in words
    ):  # "the Republican vice-presidential nominee"
        return None
    if any(w in CUES or w in PRONOUNS or w in PHRASE_STOP for w in lowered):
        return None
    if len(words) == 1 and not (lowered[0] in _LONE_DESCRIPTORS or _plural_noun(lowered[0])):
        return None
    if lowered[0] in _DETERMINERS or (len(words) == 1 and words[0][0].islower()):
        return Speaker("descriptor", ctx.text[first:last], first, last)
    return None


def _plural_noun(word: str) -> bool:
    return (
        len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is", "'s", "’s"))
    )


def pronoun_speaker(ctx: Context, word: str, start: int, end: int) -> Speaker:
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
    return Speaker("pronoun", name, start, end)
