"""Shared fixtures: an in-memory store, an engine on a temporary database, a file
writer, a command-line runner, and a small corpus of news articles."""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from storyline.cli import main
from storyline.config import Config
from storyline.engine import Engine
from storyline.model import Entity
from storyline.nlp.facts import entity_key, merge_keys
from storyline.nlp.parse import load_model
from storyline.store import Store

SHARED = Path(__file__).resolve().parents[2] / "shared"

#: the keys every exported article carries (the stable export schema)
EXPORT_ARTICLE_KEYS = {
    "id",
    "url",
    "path",
    "outlet",
    "title",
    "published",
    "language",
    "event",
    "storyline",
    "copy_of",
    "entities",
    "quotes",
    "times",
    "facts",
}

#: Articles used across the suite. Two reports of one happening (the bridge), its
#: follow-up three weeks later, and unrelated news; dates are 2024, all UTC.
NEWS: dict[str, dict[str, str]] = {
    "bridge": {
        "url": "https://www.coastalherald.example/news/harbour-bridge-collapse",
        "outlet": "The Coastal Herald",
        "published": "2024-03-10T07:45:00Z",
        "title": "Harbour Bridge partly collapses during storm, two people injured",
        "text": (
            "Part of the Harbour Bridge in Port Alden collapsed late on Saturday night as a "
            "storm battered the coast, injuring two people and cutting the main road between "
            "the northern suburbs and the city centre.\n\n"
            "A section of the eastern span gave way shortly before midnight, according to the "
            "Port Alden fire service. A delivery van fell onto the lower deck, and its driver "
            "and a passenger were taken to Saint Mary's hospital with broken bones. Both are "
            "in a stable condition.\n\n"
            "Mayor Helen Okafor said the bridge would stay closed until engineers had inspected "
            'every pier. "We will not reopen the Harbour Bridge until we are certain it is '
            'safe," Okafor told reporters at the scene. Commuters face a detour of forty '
            "minutes through the industrial district while the crossing is closed."
        ),
    },
    "bridge_other_outlet": {
        "url": "https://aldentimes.example/2024/03/10/bridge-span-falls",
        "outlet": "Alden Times",
        "published": "2024-03-10T11:20:00Z",
        "title": "Storm brings down span of Port Alden's Harbour Bridge",
        "text": (
            "Engineers were inspecting the damaged Harbour Bridge in Port Alden on Sunday "
            "after a section of its eastern span collapsed during the storm overnight.\n\n"
            "Two people were injured when their delivery van dropped onto the lower deck of "
            "the bridge. The fire service said the driver and the passenger were treated at "
            "Saint Mary's hospital for broken bones.\n\n"
            "Mayor Helen Okafor closed the Harbour Bridge to all traffic and said engineers "
            "would check every pier of the crossing before it reopens. The storm also cut "
            "power to thousands of homes along the coast, and commuters from the northern "
            "suburbs were told to expect long detours through the industrial district."
        ),
    },
    "bridge_inquiry": {
        "url": "https://www.coastalherald.example/news/harbour-bridge-inquiry-report",
        "outlet": "The Coastal Herald",
        "published": "2024-03-29T09:00:00Z",
        "title": "Inquiry blames corroded bolts for Harbour Bridge collapse",
        "text": (
            "Corroded bolts on the eastern piers caused the partial collapse of the Harbour "
            "Bridge in Port Alden this month, an inquiry ordered by Mayor Helen Okafor "
            "concluded on Friday.\n\n"
            "The inquiry found that inspections of the bridge had been postponed twice to "
            "save money, and that warnings about corrosion on the piers were never passed to "
            "the council. Okafor said the city would replace every bolt on the crossing and "
            "hire an independent firm to inspect the Harbour Bridge each year.\n\n"
            "The two people injured when the span fell have left Saint Mary's hospital."
        ),
    },
    "rates": {
        "url": "https://financewire.example/markets/central-bank-raises-rates",
        "outlet": "Finance Wire",
        "published": "2024-03-10T13:00:00Z",
        "title": "Central bank raises interest rates to curb stubborn inflation",
        "text": (
            "The central bank raised its benchmark interest rate by a quarter of a percentage "
            "point on Sunday, its third increase this year, as inflation stayed well above "
            "its target.\n\n"
            "Governor Tomas Reinholt said prices for food, rent and energy were still rising "
            "too quickly and that borrowing costs would remain high until inflation slowed. "
            "Mortgage lenders are expected to pass the increase on to homeowners within "
            "weeks, and economists warned that the housing market could cool sharply.\n\n"
            "Shares of banks rose after the announcement while the currency gained against "
            "the dollar. Exporters complained that a stronger currency would hurt sales "
            "abroad just as orders from overseas customers were starting to recover."
        ),
    },
    "football": {
        "url": "https://sportsdaily.example/football/cup-final-report",
        "outlet": "Sports Daily",
        "published": "2024-03-11T21:30:00Z",
        "title": "Riverside United win the cup final on penalties",
        "text": (
            "Riverside United won the national cup final on penalties on Monday night after "
            "a goalless draw against Northgate Rovers in front of a sold-out stadium.\n\n"
            "Goalkeeper Samir Haddad saved two penalties in the shootout, and captain Leo "
            "Brandt scored the decisive kick to give Riverside their first trophy in twelve "
            "seasons. Northgate had a goal disallowed for offside in extra time.\n\n"
            "Thousands of supporters celebrated in the streets around the stadium until the "
            "early hours, and the club said the players would parade the trophy through the "
            "town on an open-top bus at the weekend."
        ),
    },
    "wildfire": {
        "url": "https://mountainnews.example/wildfire-forces-evacuations",
        "outlet": "Mountain News",
        "published": "2024-03-12T16:10:00Z",
        "title": "Wildfire forces evacuation of hill villages",
        "text": (
            "Firefighters battled a wildfire in the dry hills above Cedar Valley on Tuesday "
            "as strong winds pushed the flames toward three villages, forcing hundreds of "
            "residents to leave their homes.\n\n"
            "Helicopters dropped water on the fire while crews cut breaks through the "
            "forest. Forestry officials said the blaze had already burned more than two "
            "thousand hectares of pine woodland and was likely started by a spark from "
            "farm machinery.\n\n"
            "Evacuated families were sheltering in a school gym in the valley town, where "
            "volunteers handed out blankets and hot meals through the night."
        ),
    },
    "election": {
        "url": "https://capitalpost.example/politics/snap-election-called",
        "outlet": "Capital Post",
        "published": "2024-03-13T10:00:00Z",
        "title": "Prime minister calls snap election after coalition collapses",
        "text": (
            "Prime Minister Ana Vidal called a snap parliamentary election for May on "
            "Wednesday, a day after the junior partner in her coalition walked out over a "
            "dispute about pension reform.\n\n"
            "Vidal told parliament that voters should decide whether the reform goes ahead. "
            "Opposition leaders welcomed the vote and said the government had lost its "
            "majority and its authority months ago.\n\n"
            "Polls suggest no party is close to winning a majority on its own, and analysts "
            "expect weeks of negotiations to form the next coalition after the ballot."
        ),
    },
}


#: A Western European article with accents, for 8-bit encodings (latin-1 has no curly quotes)
ACCENTED = (
    "Caf\u00e9 owners in Z\u00fcrich protest against new rent rules\n\n"
    "The owners of more than forty caf\u00e9s in Z\u00fcrich marched to the city hall on "
    'Monday. "It is na\u00efve to think small businesses can absorb another increase," '
    "said Ren\u00e9e M\u00fcller, who runs a caf\u00e9 near the lake. The council said it "
    "would review the rules next month, but critics called the promise vague."
)


def news_record(key: str, **changes: Any) -> dict[str, Any]:
    """One corpus article as a JSON Lines record, with fields changed or removed (None)."""
    record: dict[str, Any] = {"id": None, **NEWS[key]}
    record.update(changes)
    return {k: v for k, v in record.items() if v is not None}


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test sees the developer's STORYLINE_* settings or a storyline.toml in the cwd."""
    for name in list(os.environ):
        if name.startswith("STORYLINE_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def news() -> dict[str, dict[str, str]]:
    """The corpus above: key -> url, outlet, published, title, text."""
    return {key: dict(value) for key, value in NEWS.items()}


@pytest.fixture
def accented() -> str:
    return ACCENTED


@pytest.fixture
def record() -> Callable[..., dict[str, Any]]:
    """``record("bridge", url=None)``: a corpus article as a JSON Lines record."""
    return news_record


@pytest.fixture
def store() -> Iterator[Store]:
    with Store(":memory:") as opened:
        yield opened


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "test.db"


@pytest.fixture
def engine(db_path: Path) -> Iterator[Engine]:
    with Engine(db_path, config=Config()) as opened:
        yield opened


Content = str | bytes | list[Any]


@pytest.fixture
def write(tmp_path: Path) -> Callable[..., Path]:
    """Write a file under tmp_path and return its path.

    ``content`` may be text (UTF-8 unless ``encoding`` says otherwise), bytes, or a list
    of JSON values written one per line. A name ending in ``.gz`` is gzip-compressed.
    """

    def write_file(name: str, content: Content, encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, list):
            content = "".join(json.dumps(item, ensure_ascii=False) + "\n" for item in content)
        data = content.encode(encoding) if isinstance(content, str) else content
        if name.endswith(".gz"):
            data = gzip.compress(data, mtime=0)
        path.write_bytes(data)
        return path

    return write_file


def article_file(key: str) -> str:
    """A corpus article as a plain-text file: title line, blank line, body."""
    return f"{NEWS[key]['title']}\n\n{NEWS[key]['text']}\n"


@pytest.fixture
def text_file() -> Callable[[str], str]:
    return article_file


class Cli:
    """Runs ``storyline --db <tmp db> ARGS`` and opens the same database afterwards."""

    def __init__(self, db: Path) -> None:
        self.db = db
        self.runner = CliRunner()

    def __call__(
        self,
        *args: str,
        input: str | bytes | None = None,
        env: dict[str, str] | None = None,
        db: bool = True,
    ) -> Result:
        argv = ["--db", str(self.db), *args] if db else list(args)
        # wide enough that tables do not truncate titles
        env = {"COLUMNS": "200", **(env or {})}
        return self.runner.invoke(main, argv, input=input, env=env, catch_exceptions=False)

    def engine(self) -> Engine:
        return Engine(self.db, config=Config())


@pytest.fixture
def cli(db_path: Path) -> Cli:
    return Cli(db_path)


@pytest.fixture
def shared() -> Path:
    """``../shared`` beside the checkout; CI always has it."""
    if not SHARED.is_dir():
        pytest.skip(f"needs the shared material at {SHARED} (put the shared/ folder there)")
    return SHARED


# -- a large, realistic stream ------------------------------------------------------

_NOUNS = (
    "council budget harbour bridge school hospital railway election court strike contract "
    "factory river flood market festival museum airport tunnel union pension tax road "
    "police inquiry report plan vote shortage ferry village station stadium company "
    "minister protest agreement investigation reservoir drought project library"
).split()
_VERBS = (
    "approved rejected announced delayed criticised defended opened closed reviewed "
    "postponed funded blocked expanded cancelled questioned welcomed"
).split()
_ADJECTIVES = (
    "new controversial regional delayed expensive popular temporary national local "
    "disputed ambitious costly urgent"
).split()
_FIRST = "Anna Marek Lucia Jonas Priya Tomas Elena Samir Ingrid Kofi Mei Rafael".split()
_LAST = "Novak Okafor Lindqvist Haddad Brandt Vidal Reinholt Moreau Tanaka Costa".split()
_SYLLABLES = "var hol dor ken mar stad lin bro wick ash fel tor gra ven mon sel".split()
_DAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()


def large_jsonl(path: Path, records: int = 20_000, per_event: int = 4) -> int:
    """Write ``records`` JSON Lines news records of about 5 KB each; return the size.

    Every ``per_event`` consecutive records report one happening (same place, people and
    subject), so the stream holds ``records / per_event`` distinct events, as news does.
    Written in a streaming loop: the generator itself holds one record at a time.
    """
    import random

    rng = random.Random(20240310)
    with path.open("w", encoding="utf-8") as handle:
        for number in range(records):
            topic = random.Random(number // per_event)
            place = "".join(topic.sample(_SYLLABLES, 3)).capitalize()
            people = [f"{topic.choice(_FIRST)} {topic.choice(_LAST)}" for _ in range(2)]
            # what the happening is about: a few words of its own, as news has
            subject = ["".join(topic.sample(_SYLLABLES, 3)) for _ in range(6)]
            sentences = []
            while sum(len(s) + 1 for s in sentences) < 5000:
                sentences.append(
                    f"{rng.choice(people)} said the {rng.choice(_ADJECTIVES)} "
                    f"{rng.choice(subject)} {rng.choice(_NOUNS)} in {place} was "
                    f"{rng.choice(_VERBS)} on {rng.choice(_DAYS)} after the "
                    f"{rng.choice(_NOUNS)} {rng.choice(_VERBS)} the {rng.choice(subject)}."
                )
            day = 1 + (number // per_event) % 28
            record = {
                "id": f"big-{number}",
                "url": f"https://news.example.com/{number // per_event}/{number}",
                "outlet": f"Outlet {number % 7}",
                "title": f"{place} {subject[0]} {rng.choice(_VERBS)} as {people[0]} speaks",
                "text": "\n\n".join(
                    " ".join(sentences[i : i + 6]) for i in range(0, len(sentences), 6)
                ),
                "published": f"2024-05-{day:02d}T{number % 24:02d}:00:00Z",
                "section": "regional",
            }
            handle.write(json.dumps(record) + "\n")
    return path.stat().st_size


@pytest.fixture
def news_stream() -> Callable[..., int]:
    """``news_stream(path, records=..., per_event=...)``: write a realistic stream."""
    return large_jsonl


@pytest.fixture(scope="session")
def big_jsonl(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """About 100 MB of JSON Lines (20,000 records of about 5 KB), made once per run."""
    path = tmp_path_factory.mktemp("large") / "stream.jsonl"
    large_jsonl(path)
    return path


def spacy_entities(text: str) -> list[Entity]:
    """Name mentions from spaCy, one-word person names merged into the article's full names."""
    doc = load_model()(text)
    mentions = [
        e for e in doc.ents if e.label_ in ("PERSON", "ORG", "GPE", "LOC", "FAC", "EVENT", "NORP")
    ]
    keys = merge_keys(entity_key(e.text) for e in mentions if e.label_ == "PERSON")
    return [
        Entity(
            e.text, e.label_, e.start_char, e.end_char, keys.get(entity_key(e.text), e.text).title()
        )
        for e in mentions
    ]
