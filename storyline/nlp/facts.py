"""The facts stage: what outlets state and readers compare, as (entity, attribute, value, as-of).

Attributes, and the value each carries:

``birth_date``, ``death_date``
    a TIMEX3 date value ("2018-05", "2026-02-26", "XXXX-07-21" when the year is
    unknown); ``qualifier`` keeps a TIMEX3 ``mod`` ("APPROX"...). A birth date
    derived from an age is an ISO interval ("2018-04-16/2018-06-15") with ``basis``
    naming the age and the date it was stated on.
``age``
    an ISO duration ("P9W", "P14M", "P31Y"), ``unit`` its granularity and
    ``qualifier`` the hedge ("about", "nearly").
``life_stage``
    a milestone of early childhood that dates a child ("Miles is walking now",
    "his first steps"): ``value`` is the ISO interval of ages at which children
    reach it ("P8.2M/P17.6M"), ``qualifier`` the milestone ("walking alone").
    Only for a person the article presents as a child.
``birth_place``, ``death_place``
    the place name.
``count (<noun> <predicate>)``
    a number of people, homes, votes, likes, patients..., e.g. ``count (homes
    destroyed)`` = "41"; ``unit`` is the noun, ``qualifier`` the hedge ("about",
    "more than"). Money is ``amount (<predicate>)`` in the currency's code.

Who a fact is about comes from ``article.entities`` (canonical names). A
subject is found next to the statement ("Miles was born", "Sienna, 31,"); a
child descriptor ("their little guy (who was born ...") resolves to the person
the article introduced as a child ("his son, Miles"); "the 27-year-old"
resolves to the last person named. Names are compared through
:func:`entity_key` and, across a storyline, :func:`merge_keys` ("Miles" is
"Miles Stephens" when no other storyline name contains "Miles").

``as_of`` is the date a fact holds on: a day-level date in the same sentence
("burned 9,800 acres by Feb. 26"), else the article's anchor (its publication
date, or an estimate, then ``as_of_estimated``). A statement of an earlier
state ("election-night results had shown ... 37 votes") has no ``as_of`` and
``basis="earlier state"``: it is not compared with current figures.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, timedelta
from typing import ClassVar

from ..model import Article, Entity, Fact, TimeExpr
from ..pipeline import BaseStage
from .times import (
    Anchor,
    anchor_for,
    find_times,
    interval_of,
    parse_number,
    sentence_bounds,
    span_sentences,
)

__all__ = [
    "FactStage",
    "age_birth_interval",
    "entity_key",
    "extract_facts",
    "merge_keys",
]

PERSON_LABELS = ("PERSON",)
SUBJECT_LABELS = ("PERSON", "ORG", "GPE", "FAC", "EVENT", "NORP", "LOC", "PRODUCT")
PLACE_LABELS = ("GPE", "LOC", "FAC")
TITLES = frozenset(
    """baby little mr mrs ms miss dr sen senator rep gov governor president coach mayor detective
    sgt sergeant officer chief judge justice prince princess king queen lord lady sir dame st saint
    star singer actor actress rapper model""".split()
)
CHILD_WORDS = (
    r"baby|son|daughter|boy|girl|guy|one|newborn|child|kid|infant|toddler|grandson|granddaughter"
    r"|twins?"
)
#: noun (as written, plural) -> what it counts; only these nouns make count facts
NOUNS = {
    **dict.fromkeys(
        """people persons residents workers employees staff drivers operators mechanics riders
        passengers patients participants students children adults voters members protesters fans
        customers users visitors troops soldiers officers firefighters refugees migrants victims
        households families homes houses buildings structures jobs votes ballots likes views
        followers retweets subscribers downloads streams acres hectares deaths fatalities dead
        injuries sites hospitals clinics schools cases infections""".split(),
        "",
    ),
}
#: canonical predicate <- the words that express it near a count
PREDICATES = {
    "destroyed": "destroyed destroying burned razed leveled levelled gutted lost",
    "damaged": "damaged damaging",
    "killed": "killed dead died deaths fatalities killing",
    "injured": "injured hurt wounded injuries",
    "evacuated": "evacuated evacuate evacuating fled flee forced ordered",
    "enrolled": "enrolled enrolling randomized randomised recruited included involved studied",
    "employed": "employs employed employing employ",
    "received": "received receiving won got drew gained racked earned collected garnered",
    "cast": "cast",
    "margin": "margin ahead leading led",
    "striking": "strike striking walked",
    "affected": "affected exposed belonging covering",
}
_PREDICATE_OF = {
    word: canonical for canonical, words in PREDICATES.items() for word in words.split()
}
HEDGES = {
    "about": "about", "around": "about", "roughly": "about", "approximately": "about",
    "some": "about", "an estimated": "about", "nearly": "nearly", "almost": "nearly",
    "close to": "nearly", "more than": "more than", "over": "more than", "at least": "at least",
    "less than": "less than", "fewer than": "less than", "under": "less than", "up to": "up to",
    "just": "", "only": "",
}  # fmt: skip
SCALES = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}
CURRENCIES = {"$": "USD", "€": "EUR", "£": "GBP"}

_HEDGE = "|".join(sorted((re.escape(h) for h in HEDGES), key=len, reverse=True)).replace(
    r"\ ", r"\s+"
)
_NUMBER = r"\d{1,3}(?:,\d{3}){1,4}(?!\d)|\d{1,9}(?:\.\d{1,3})?(?![\d,])"
#: a number (or a sum: "$4.5 million"); what it counts is found in the words after it
_AMOUNT = re.compile(
    rf"(?P<cur>[$€£])?(?<![\w.,-])(?P<num>{_NUMBER})"
    r"(?:\s+(?P<scale>thousand|million|billion|trillion)\b)?"
)
_HEDGE_BEFORE = re.compile(rf"(?i:\b(?P<hedge>{_HEDGE})\s+$)")
#: up to three words right after a number: "2,400 bus drivers", "420 city sanitation workers"
_NEXT_WORDS = re.compile(r"(?![\w%-])(?:\s+[A-Za-z][\w-]{0,20}){1,3}")
_WORDS = re.compile(r"[A-Za-z][\w-]*")
#: what a sum of money is: the noun after it, or the predicate before it
MONEY = {
    **dict.fromkeys(
        "reward fine settlement bail contract deal loan budget bonus salary grant".split(), ""
    ),
    **dict.fromkeys("donation damages ransom losses".split(), ""),
}
_MONEY_PREDICATE = {
    word: canonical
    for canonical, words in {
        "value": "valued worth", "cost": "cost costs costing",
        "spending": "spend spent spending invest",
        "losses": "losses lost", "raised": "raised raise", "paid": "paid pay paying",
    }.items()
    for word in words.split()
}  # fmt: skip
_BORN = re.compile(r"\b(?P<verb>born|died|killed)\b")
_EARLIER = re.compile(
    r"\b(?:had\s+(?:\w+\s+)?(?:shown|been|had|reported|said|put|estimated|listed)|initially|originally"
    r"|at\s+first|election[- ]night|previously|earlier\s+(?:count|estimate|figure)s?)\b",
    re.IGNORECASE,
)
#: milestone -> (how it is written, ages in months at which children reach it): the
#: windows of achievement of the WHO Multicentre Growth Reference Study (2006) for
#: motor milestones; birthdays are the day itself, within a month
LIFE_STAGES = {
    "walking alone": (
        r"first\s+(?:\w+\s+)?steps?|(?:is|was|are|started|starts|began|begins|now)\s+walking"
        r"|(?:learn(?:ed|ing|s|t)?|starting|started|began|beginning)\s+to\s+walk\b",
        8.2, 17.6,
    ),
    "crawling": (r"(?:is|was|started|starts|began|begins|now)\s+crawling", 5.2, 13.5),
    "sitting without support": (
        r"(?:sitting|sit)\s+up\s+(?:on\s+(?:his|her)\s+own|alone)", 3.8, 9.2
    ),
    "first birthday": (r"first\s+birthday", 12.0, 13.0),
    "second birthday": (r"second\s+birthday", 24.0, 25.0),
}  # fmt: skip
_LIFE_STAGE = re.compile(
    "|".join(f"(?P<s{i}>\\b(?:{rx}))" for i, (rx, _, _) in enumerate(LIFE_STAGES.values())),
    re.IGNORECASE,
)
#: a milestone still to come: "he might take his first steps", "is about to walk"
_PROSPECT = re.compile(
    r"\b(?:might|may|will|would|could|gonna|going\s+to|about\s+to|hope|hopes|soon)\s+(?:\w+\s+){0,2}$",
    re.IGNORECASE,
)
_APPOSITIVE_AGE = re.compile(r",\s+(?:now\s+)?(?P<num>\d{1,3}),(?=\s)")


def entity_key(name: str) -> str:
    """The key names are compared by: no case, titles ("Dr."), possessives or punctuation."""
    text = re.sub(r"['’]s\b", "", name.casefold())
    words = [w for w in re.findall(r"[^\W_]+(?:-[^\W_]+)*", text) if w]
    while len(words) > 1 and words[0] in TITLES:
        words.pop(0)
    while len(words) > 1 and words[-1] in ("is", "was", "has", "says", "said"):
        words.pop()
    return " ".join(words)


def merge_keys(keys: Iterable[str]) -> dict[str, str]:
    """Map each key to the fullest name it stands for among ``keys``.

    A one-word key ("miles") becomes the one longer key that starts or ends with
    that word ("miles stephens"); when two longer keys share it ("john legend",
    "john smith") it stays as it is.
    """
    unique = set(keys)
    long = [k for k in unique if " " in k]
    merged = {}
    for key in unique:
        if " " in key:
            merged[key] = key
            continue
        owners = [k for k in long if k.split()[0] == key or k.split()[-1] == key]
        merged[key] = owners[0] if len(owners) == 1 else key
    return merged


def age_birth_interval(
    value: str, qualifier: str | None, earliest: date, latest: date
) -> tuple[date, date] | None:
    """The days someone was born on who is ``value`` old ("P14M") on a day in [earliest, latest]."""
    match = re.fullmatch(r"P(\d+(?:\.\d+)?)([DWMY])", value)
    if match is None:
        return None
    amount, unit = float(match.group(1)), match.group(2)
    low, high = amount, amount + 1  # "14 months old": at least 14, not yet 15
    if qualifier == "about":
        low, high = amount - 1, amount + 1
    elif qualifier == "nearly":
        low, high = amount - 1, amount
    elif qualifier in ("more than", "at least"):
        low, high = amount, amount * 1.5 + 1

    def back(day: date, count: float) -> date:
        if unit in "DW":
            return day - timedelta(days=round(count * (7 if unit == "W" else 1)))
        months = round(count * (12 if unit == "Y" else 1))
        index = day.year * 12 + day.month - 1 - months
        year, month = divmod(index, 12)
        return date(year, month + 1, min(day.day, 28))

    slack = timedelta(days=3)
    return back(earliest, high) - slack, back(latest, low) + slack


class _Subjects:
    """Entity mentions of one article, and who descriptors and pronouns stand for."""

    def __init__(self, article: Article) -> None:
        self.text = article.text
        self.mentions = sorted(article.entities, key=lambda e: e.start)
        self.children = [m for m in self.mentions if m.label in PERSON_LABELS and self._is_child(m)]

    def _is_child(self, mention: Entity) -> bool:
        before = self.text[max(0, mention.start - 30) : mention.start].casefold()
        after = self.text[mention.end : mention.end + 30].casefold()
        return bool(
            re.search(rf"\b(?:{CHILD_WORDS}|little)\b[\s,]*(?:girl|boy)?[\s,]*$", before)
            or re.match(
                r",?\s+(?:now\s+)?(?:about\s+)?\d{1,2}[\s-](?:days?|weeks?|months?)[\s-]old", after
            )
        )

    def person_before(self, position: int, gap: str = r"[\s,]*") -> Entity | None:
        """The name whose mention ends right before ``position`` (only ``gap`` between).

        Any kind of name will do: the small model often calls a first name an
        organisation ("Juniper, now 6 weeks old"); being born or having an age
        says it is a person.
        """
        for mention in reversed(self.mentions):
            if mention.end <= position and mention.label in SUBJECT_LABELS:
                if re.fullmatch(gap, self.text[mention.end : position], re.IGNORECASE):
                    return mention
                return None
        return None

    def last_person(self, position: int, reach: int = 1500) -> Entity | None:
        """The last person named before ``position`` (not as a possessive: "the Tide's guard")."""
        for mention in reversed(self.mentions):
            possessive = re.match(r"['’]s?\b", self.text[mention.end : mention.end + 2])
            if mention.end <= position and mention.label in PERSON_LABELS and not possessive:
                return mention if position - mention.end <= reach else None
        return None

    def child_near(self, position: int) -> Entity | None:
        before = [m for m in self.children if m.end <= position]
        if before:
            return before[-1]
        return self.children[0] if self.children else None

    def subject_of(self, position: int) -> Entity | None:
        """Who a statement at ``position`` ("... was born") is about."""
        head = self.text[max(0, position - 80) : position]
        named = self.person_before(
            position,
            r"\s*(?:,\s*)?(?:\(\s*)?(?:who\s+)?(?:was|were|is|has\s+been)?\s*(?:\w+ly\s+)?",
        )
        if named is not None:
            return named
        if re.search(
            rf"\b(?:{CHILD_WORDS})\b\W*(?:\(\s*)?(?:who\s+)?(?:was|were)\s+(?:\w+ly\s+)?$",
            head,
            re.I,
        ):
            return self.child_near(position)
        if re.search(r"\b(?:he|she)\s+(?:was|were)\s+(?:\w+ly\s+)?$", head, re.IGNORECASE):
            return self.last_person(position, reach=400)
        return None

    def clause_subject(self, start: int) -> Entity | None:
        """A named subject right before a count's verb ("Reyes received 9,218 votes")."""
        for mention in reversed(self.mentions):
            if mention.end <= start and mention.label in SUBJECT_LABELS:
                gap = re.fullmatch(r"\s+(\w+)\s+(?:\w+\s+)?", self.text[mention.end : start])
                if gap and gap.group(1).casefold() in _PREDICATE_OF:
                    return mention
                return None
        return None


def extract_facts(
    article: Article, anchor: Anchor | None = None, derive: bool = True
) -> list[Fact]:
    """The facts ``article`` states, dated against ``anchor`` (its own when None).

    ``derive`` adds the birth-date interval every age implies on its as-of date;
    the storyline views turn it off when the anchor itself was estimated from an age.
    """
    anchor = anchor if anchor is not None else anchor_for(article)
    times = article.times if article.times else find_times(article.text, anchor)
    subjects = _Subjects(article)
    facts: list[Fact] = []
    facts.extend(_life_events(article, times, subjects, anchor))
    facts.extend(_ages(article, times, subjects, anchor, derive))
    facts.extend(_counts(article, times, subjects, anchor))
    facts.extend(_life_stages(article, subjects, anchor))
    return sorted(facts, key=lambda f: (f.start, f.attribute))


def _fact(
    article: Article,
    anchor: Anchor | None,
    entity: str,
    attribute: str,
    value: str,
    span: tuple[int, int],
    **extra: str | None,
) -> Fact:
    lo, hi = span_sentences(article.text, span[0], span[1])
    return Fact(
        entity=entity,
        attribute=attribute,
        value=value,
        start=span[0],
        end=span[1],
        as_of=extra.pop("as_of", anchor.day.isoformat() if anchor else None),
        unit=extra.pop("unit", None),
        qualifier=extra.pop("qualifier", None),
        sentence_start=lo,
        sentence_end=hi,
        as_of_estimated=bool(anchor and anchor.estimated),
        basis=extra.pop("basis", None),
    )


def _life_events(
    article: Article, times: Sequence[TimeExpr], subjects: _Subjects, anchor: Anchor | None
) -> Iterator[Fact]:
    """Birth and death dates and places: "Miles was born in May of 2018", "born in Rome"."""
    text = article.text
    for match in _BORN.finditer(text):
        subject = subjects.subject_of(match.start())
        if subject is None:
            continue
        kind = "birth" if match.group("verb") == "born" else "death"
        clause_end = _clause_end(text, match.end())
        date_expr = next(
            (
                t
                for t in times
                if match.end() <= t.start < clause_end and t.type == "DATE" and not t.age
            ),
            None,
        )
        span = interval_of(date_expr.value) if date_expr is not None else None
        future = (
            span is not None and anchor is not None and span[0] > anchor.day + timedelta(days=1)
        )
        if (
            date_expr is not None
            and not future
            and (span is not None or date_expr.value.startswith("XXXX-"))
        ):
            yield _fact(
                article, anchor, subject.canonical, f"{kind}_date", date_expr.value,
                (subject.start, date_expr.end), qualifier=date_expr.mod,
            )  # fmt: skip
        place = next(
            (
                m
                for m in subjects.mentions
                if match.end() <= m.start < clause_end
                and m.label == "GPE"
                and re.search(r"\b(?:in|at)\s+(?:the\s+)?$", text[max(0, m.start - 8) : m.start])
            ),
            None,
        )
        if place is not None:
            yield _fact(
                article,
                anchor,
                subject.canonical,
                f"{kind}_place",
                place.canonical,
                (subject.start, place.end),
            )


#: where a clause ends: a stop that does not end an abbreviation ("Feb.", "St."), a semicolon...
_CLAUSE_END = re.compile(
    r"(?<![A-Z])(?<!\b[A-Z][a-z])(?<!\b[A-Z][a-z]{2})(?<!\bSept)[.;!?](?:\s|$)"
    r"|,\s+(?:and|but|while|who|which)\b|\n"
)


def _clause_end(text: str, position: int, reach: int = 120) -> int:
    found = _CLAUSE_END.search(text, position, min(len(text), position + reach))
    return found.start() if found else min(len(text), position + reach)


def _ages(
    article: Article,
    times: Sequence[TimeExpr],
    subjects: _Subjects,
    anchor: Anchor | None,
    derive: bool,
) -> Iterator[Fact]:
    """Ages: "Miles, 9 weeks old", "Miles is about 14 months old", "the 27-year-old", "Ana, 31,"."""
    text = article.text
    found: list[tuple[Entity, str, str | None, int, int]] = []
    for expr in times:
        if not expr.age:
            continue
        hedge = _hedge_of(expr)
        subject = subjects.person_before(
            expr.start, r"\s*,?\s*(?:(?:is|was|now|who\s+is)\s+)?(?:now\s+)?"
        )
        lead = text[max(0, expr.start - 12) : expr.start].casefold()
        if (subject is None and expr.text.casefold().startswith("the ")) or re.search(
            r"\bthe\s+$", lead
        ):
            subject = subjects.last_person(expr.start)  # "The 27-year-old point guard"
        if subject is None:
            after = next((m for m in subjects.mentions if m.start >= expr.end), None)
            if (
                after
                and after.label in PERSON_LABELS
                and re.fullmatch(r"\s+", text[expr.end : after.start])
            ):
                subject = after  # "6-year-old Elian Gonzalez"
        if subject is not None:
            found.append((subject, expr.value, hedge, subject.start, expr.end))
    for mention in subjects.mentions:
        if mention.label not in PERSON_LABELS:
            continue
        appositive = _APPOSITIVE_AGE.match(text, mention.end)
        if appositive and 0 < int(appositive.group("num")) < 120:
            found.append(
                (
                    mention,
                    f"P{int(appositive.group('num'))}Y",
                    None,
                    mention.start,
                    appositive.end() - 1,
                )
            )
    for subject, value, hedge, start, end in found:
        unit = {"D": "day", "W": "week", "M": "month", "Y": "year"}.get(value[-1])
        yield _fact(
            article,
            anchor,
            subject.canonical,
            "age",
            value,
            (start, end),
            unit=unit,
            qualifier=hedge,
        )
        if derive and anchor is not None:
            earliest = anchor.earliest if anchor.estimated and anchor.earliest else anchor.day
            latest = anchor.latest if anchor.estimated and anchor.latest else anchor.day
            born = age_birth_interval(value, hedge, earliest, latest)
            if born is not None:
                yield _fact(
                    article, anchor, subject.canonical, "birth_date", f"{born[0]}/{born[1]}",
                    (start, end),
                    qualifier="from age", basis=f"age {value} as of {anchor.day.isoformat()}",
                )  # fmt: skip


def _life_stages(article: Article, subjects: _Subjects, anchor: Anchor | None) -> Iterator[Fact]:
    """Milestones of a child: "Her son, Miles, is walking now", "Miles' first steps".

    The subject is the last name earlier in the sentence, else (when the sentence
    names nobody) the child last named before it ("caught his first steps"). It
    must be a child of the article ("his son, Miles", "Miles, 9 weeks old"): an
    adult "walking" or a country's "first steps" towards a deal is no age. A
    milestone still to come ("he might take his first steps") dates nothing.
    """
    text = article.text
    children = {entity_key(c.canonical) for c in subjects.children}
    if not children:
        return
    stages = list(LIFE_STAGES.items())
    for match in _LIFE_STAGE.finditer(text):
        stage, (_, low, high) = stages[int(next(k for k, v in match.groupdict().items() if v)[1:])]
        lo, _hi = sentence_bounds(text, match.start())
        if _PROSPECT.search(text, lo, match.start()):
            continue
        named = [
            m
            for m in subjects.mentions
            if lo <= m.start and m.end <= match.start() and m.label in SUBJECT_LABELS
        ]
        subject = named[-1] if named else None
        if subject is None:
            subject = next(
                (
                    m
                    for m in reversed(subjects.mentions)
                    if m.end <= match.start() and entity_key(m.canonical) in children
                ),
                None,
            )
        if subject is None or entity_key(subject.canonical) not in children:
            continue
        start = subject.start if subject.start >= lo else match.start()
        yield _fact(
            article, anchor, subject.canonical, "life_stage", f"P{low:g}M/P{high:g}M",
            (start, match.end()), qualifier=stage,
            basis=f"{stage}: reached at {low:g} to {high:g} months",
        )  # fmt: skip


def _hedge_of(expr: TimeExpr) -> str | None:
    mods = {
        "APPROX": "about",
        "LESS_THAN": "nearly",
        "MORE_THAN": "more than",
        "EQUAL_OR_MORE": "at least",
    }
    return mods.get(expr.mod or "")


def _counts(
    article: Article, times: Sequence[TimeExpr], subjects: _Subjects, anchor: Anchor | None
) -> Iterator[Fact]:
    """Counts of people, homes, votes, likes... and sums of money, with their hedges."""
    text = article.text
    for match in _AMOUNT.finditer(text):
        amount = parse_number(match.group("num"))
        if amount is None:
            continue
        amount *= SCALES.get((match.group("scale") or "").casefold(), 1)
        measured = _measured(text, match, times)
        if measured is None:
            continue
        attribute, unit, end = measured
        hedged = _HEDGE_BEFORE.search(text, max(0, match.start() - 25), match.start())
        hedge = HEDGES.get(" ".join(hedged.group("hedge").casefold().split())) if hedged else None
        start = hedged.start() if hedged else match.start()
        lo, hi = sentence_bounds(text, start)
        earlier = _EARLIER.search(text, lo, hi)
        subject = subjects.clause_subject(start)
        as_of = _sentence_day(times, lo, hi) or (anchor.day.isoformat() if anchor else None)
        yield _fact(
            article, anchor, subject.canonical if subject else "", attribute, f"{amount:g}",
            (start, end), unit=unit, qualifier=hedge or None, as_of=None if earlier else as_of,
            basis="earlier state" if earlier else None,
        )  # fmt: skip


def _measured(
    text: str, match: re.Match[str], times: Sequence[TimeExpr]
) -> tuple[str, str, int] | None:
    """(attribute, unit, end of the span) of the number ``match``, or None if it counts nothing."""
    after = _NEXT_WORDS.match(text, match.end())
    words = list(_WORDS.finditer(text, after.start(), after.end())) if after else []
    if match.group("cur"):
        what = words[0].group().casefold() if words else ""
        predicate = what if what in MONEY else _money_predicate(text, match.start())
        end = words[0].end() if what in MONEY else match.end()
        return (
            (f"amount ({predicate})" if predicate else "amount"),
            CURRENCIES[match.group("cur")],
            end,
        )
    noun = next((w for w in words if w.group().casefold() in NOUNS), None)
    if noun is None or any(w.group()[0].isupper() for w in words if w.start() < noun.start()):
        return None
    if _inside_time(times, match.start("num"), match.end("num")):
        return None
    name = noun.group().casefold()
    predicate = _predicate(text, match.start(), noun.end())
    return (f"count ({name} {predicate})" if predicate else f"count ({name})"), name, noun.end()


def _money_predicate(text: str, start: int) -> str | None:
    head = re.split(r"[,;:.](?:\s|$)", text[max(0, start - 40) : start])[-1].casefold()
    words = re.findall(r"[a-z]+", head)
    return next((_MONEY_PREDICATE[w] for w in reversed(words) if w in _MONEY_PREDICATE), None)


def _inside_time(times: Sequence[TimeExpr], start: int, end: int) -> bool:
    return any(t.start <= start and end <= t.end for t in times)


def _predicate(text: str, start: int, end: int) -> str | None:
    """The canonical predicate nearest a count, in its clause: "destroyed 41 homes" -> destroyed."""
    lo = max(0, start - 60)
    head = re.split(r"[,;:.](?:\s|$)|\band\b", text[lo:start])[-1]
    tail = re.split(r"[,;:.](?:\s|$)", text[end : end + 40])[0]
    if re.search(r"\bby\s+(?:just\s+|only\s+)?$", head.casefold()) or re.match(r"\s+ahead\b", tail):
        return "margin"
    candidates = [
        (len(head) - m.end(), m.group().casefold()) for m in re.finditer(r"[A-Za-z]+", head)
    ]
    candidates += [(m.start(), m.group().casefold()) for m in re.finditer(r"[A-Za-z]+", tail)]
    for _distance, word in sorted(candidates):
        if word in _PREDICATE_OF:
            return _PREDICATE_OF[word]
    return None


def _sentence_day(times: Sequence[TimeExpr], lo: int, hi: int) -> str | None:
    for expr in times:
        if lo <= expr.start < hi and expr.type in ("DATE", "TIME") and not expr.age:
            span = interval_of(expr.value)
            if span and span[0] == span[1]:
                return span[0].isoformat()
    return None


class FactStage(BaseStage):
    """Fill ``article.facts``; needs the article's entities and times."""

    name: ClassVar[str] = "facts"
    requires: ClassVar[tuple[str, ...]] = ("text", "entities", "times")
    provides: ClassVar[tuple[str, ...]] = ("facts",)

    def __call__(self, article: Article) -> Article:
        article.facts = extract_facts(article)
        return article

    def pipe(self, articles: Iterable[Article], batch_size: int = 64) -> Iterator[Article]:
        for article in articles:
            yield self(article)
