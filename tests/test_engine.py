from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Callable
from contextlib import closing
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from storyline.config import Config
from storyline.engine import Engine, IngestReport
from storyline.errors import ExtractionError, InputError, NotFoundError, SourceError
from storyline.model import Article
from storyline.store import COPY_INDEX_CACHE_MB, Store

Write = Callable[..., Path]
Record = Callable[..., dict[str, Any]]
TextFile = Callable[[str], str]

KEYS = [
    "bridge",
    "rates",
    "football",
    "wildfire",
    "election",
    "bridge_other_outlet",
    "bridge_inquiry",
]
#: columns that hold the wall-clock time of a write, not its content
CLOCK_COLUMNS = {"at", "ingested_at", "applied_at", "computed_at", "seconds", "claimed_until"}


def corpus(record: Record) -> list[dict[str, Any]]:
    return [record(key) for key in KEYS]


def snapshot(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every table's rows (sorted, without clock columns): what a database holds."""
    with closing(sqlite3.connect(path)) as db:
        db.row_factory = sqlite3.Row
        tables = [
            row[0]
            for row in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' AND name != 'migrations'"
            )
        ]
        result = {}
        for table in tables:
            rows = db.execute(f'SELECT * FROM "{table}"').fetchall()
            result[table] = sorted(
                (tuple(row[k] for k in row.keys() if k not in CLOCK_COLUMNS) for row in rows),  # noqa: SIM118
                key=repr,
            )
    return result


def clean_run(path: Path, jsonl: Path, batch_size: int = 3) -> dict[str, list[tuple[object, ...]]]:
    with Engine(path, config=Config(batch_size=batch_size)) as engine:
        assert engine.ingest(jsonl).ok
    return snapshot(path)


def ids_in(engine: Engine) -> list[str]:
    return [article.id for article in engine.articles()]


# -- ingesting each format ----------------------------------------------------------


def test_engine_ingests_text_html_jsonl_and_gzip(
    engine: Engine, write: Write, record: Record, text_file: TextFile, tmp_path: Path
) -> None:
    write("in/a.txt", text_file("bridge"))
    write("in/b.txt.gz", text_file("rates"))
    page = f"<html><body><article><h1>Cup final</h1><p>{record('football')['text']}</p>"
    write("in/c.html.gz", page + "</article></body></html>")
    write("in/d.jsonl.gz", [record("wildfire"), record("election")])
    report = engine.ingest(tmp_path / "in")
    assert (report.read, report.new, report.known, report.failed) == (5, 5, 0, 0)
    assert report.ok
    titles = [article.title for article in engine.articles()]
    assert titles[:2] == [record("bridge")["title"], record("rates")["title"]]
    assert titles[3:] == [record("wildfire")["title"], record("election")["title"]]
    paths = [article.path for article in engine.articles()]
    assert paths[0] == str(tmp_path / "in" / "a.txt")
    assert paths[4] == str(tmp_path / "in" / "d.jsonl.gz")


def test_engine_report_counts_touched_events_and_storylines(
    engine: Engine, write: Write, record: Record
) -> None:
    report = engine.ingest(write("two.jsonl", [record("bridge"), record("bridge_other_outlet")]))
    assert report.new == 2
    assert len(report.events) == 1 and len(report.storylines) == 1
    assert report.summary() == (
        "read 2, new 2, already known 0, failed 0; events touched 1, storylines touched 1"
    )
    data = report.to_dict()
    assert data["events"] == sorted(report.events)
    assert data["errors"] == []


def test_engine_accepts_one_path_or_many(engine: Engine, write: Write, text_file: TextFile) -> None:
    one = write("one.txt", text_file("bridge"))
    two = write("two.txt", text_file("rates"))
    assert engine.ingest(str(one)).new == 1
    assert engine.ingest([two, one]).new == 1


# -- identity and idempotence -----------------------------------------------------------


def test_engine_reingesting_the_same_file_changes_nothing(
    engine: Engine, db_path: Path, write: Write, record: Record, text_file: TextFile
) -> None:
    jsonl = write("feed.jsonl", corpus(record))
    txt = write("extra.txt", text_file("bridge"))
    first = engine.ingest([jsonl, txt])
    assert first.new == len(KEYS) + 1
    before = snapshot(db_path)
    ids = ids_in(engine)
    again = engine.ingest([jsonl, txt])
    assert (again.read, again.new, again.known, again.failed) == (
        len(KEYS) + 1,
        0,
        len(KEYS) + 1,
        0,
    )
    assert again.events == set() and again.storylines == set()
    assert ids_in(engine) == ids
    assert snapshot(db_path) == before


def test_engine_reingesting_in_a_new_engine_changes_nothing(
    db_path: Path, write: Write, record: Record
) -> None:
    jsonl = write("feed.jsonl", corpus(record))
    with Engine(db_path, config=Config()) as engine:
        engine.ingest(jsonl)
    before = snapshot(db_path)
    with Engine(db_path, config=Config()) as engine:
        assert engine.ingest(jsonl).known == len(KEYS)
    assert snapshot(db_path) == before


def test_engine_same_url_is_the_same_article_even_if_the_text_differs(
    engine: Engine, write: Write, record: Record
) -> None:
    original = record("bridge")
    updated = record("bridge", text=original["text"] + "\n\nUpdate: the bridge reopened.")
    updated["url"] = original["url"].replace("https://www.", "https://WWW.") + "/#comments"
    assert engine.ingest(write("a.jsonl", [original])).new == 1
    report = engine.ingest(write("b.jsonl", [updated]))
    assert (report.new, report.known) == (0, 1)
    [stored] = engine.articles()
    assert stored.text == original["text"]


def test_engine_same_url_twice_in_one_batch_is_one_article(
    engine: Engine, write: Write, record: Record
) -> None:
    twice = [record("bridge"), record("bridge", title="Corrected headline")]
    report = engine.ingest(write("twice.jsonl", twice))
    assert (report.read, report.new, report.known) == (2, 1, 1)


def test_engine_without_url_the_same_normalised_text_is_the_same_article(
    engine: Engine, write: Write, news: dict[str, dict[str, str]]
) -> None:
    body = news["bridge"]["text"].replace('"', "\u201c", 1).replace('safe,"', "safe,\u201d")
    write("a/story.txt", f"{news['bridge']['title']}\n\n{body}\n")
    respaced = "   ".join(news["bridge"]["text"].split(" ")).replace("\n\n", "\n \n\n")
    write("b/story.txt", f"Another headline\n\n\n{respaced}\r\n")
    write("c.jsonl", [{"title": "As a record", "text": news["bridge"]["text"].upper()}])
    report = engine.ingest(["a", "b", "c.jsonl"])  # relative to tmp_path, the cwd
    assert (report.read, report.new, report.known) == (3, 1, 2)
    assert engine.store.count_articles() == 1


def test_engine_explicit_id_used_by_two_articles_fails_the_second(
    engine: Engine, write: Write, record: Record
) -> None:
    path = write(
        "ids.jsonl",
        [record("bridge", id="story-1"), record("rates", id="story-1"), record("football")],
    )
    report = engine.ingest(path)
    assert (report.new, report.failed) == (2, 1)
    [error] = report.errors
    assert isinstance(error, ExtractionError)
    assert str(path) in str(error)
    assert "'story-1' is used by another article" in str(error)
    assert engine.article("story-1").title == record("bridge")["title"]
    # and across ingests
    report = engine.ingest(write("more.jsonl", [record("wildfire", id="story-1")]))
    assert report.failed == 1
    assert "'story-1' is used by another article" in str(report.errors[0])


def test_engine_id_clash_names_the_file_and_line(
    engine: Engine, write: Write, record: Record
) -> None:
    path = write("ids.jsonl", [record("bridge", id="x"), record("rates", id="x")])
    [error] = engine.ingest(path).errors
    assert error.origin == f"{path}:2"


# -- a batch that fails part way ------------------------------------------------------------


@pytest.mark.parametrize("failure", [RuntimeError("disk on fire"), KeyboardInterrupt()])
@pytest.mark.parametrize("resume", ["same engine", "new engine"])
def test_engine_crash_mid_batch_keeps_whole_batches_and_resumes_deterministically(
    tmp_path: Path,
    write: Write,
    record: Record,
    monkeypatch: pytest.MonkeyPatch,
    failure: BaseException,
    resume: str,
) -> None:
    records = corpus(record)
    # what a clean run of just the first batch, and of everything, leaves behind
    expected_partial = clean_run(tmp_path / "partial.db", write("feed.jsonl", records[:3]))
    jsonl = write("feed.jsonl", records)
    expected_full = clean_run(tmp_path / "full.db", jsonl)

    db = tmp_path / "crash.db"
    calls = 0
    insert_article = Store.insert_article

    def failing(self: Store, article: Article, identity: str, text_hash: str) -> None:
        nonlocal calls
        calls += 1
        if calls == 5:  # the second article of the second batch of three
            raise failure
        insert_article(self, article, identity, text_hash)

    engine = Engine(db, config=Config(batch_size=3))
    try:
        monkeypatch.setattr(Store, "insert_article", failing)
        with pytest.raises(type(failure)):
            engine.ingest(jsonl)
        monkeypatch.undo()
        assert calls == 5
        assert not engine.store.db.in_transaction
        # exactly the first batch, with everything derived from it and nothing else;
        # its stories' views are not computed yet (the run ends before), and the
        # next run computes them
        crashed = snapshot(db)
        for stored_with_views in ("story_views", "storyline_entities"):
            assert crashed.pop(stored_with_views) == []
            assert expected_partial.pop(stored_with_views)
        assert crashed == expected_partial
        assert {story for story, _ in engine.views.stale()} == {
            story for row in crashed["story_versions"] for story in row[:1]
        }
        if resume == "new engine":
            engine.close()
            engine = Engine(db, config=Config(batch_size=3))
        report = engine.ingest(jsonl)
        assert (report.new, report.known, report.failed) == (len(records) - 3, 3, 0)
        assert len(ids_in(engine)) == len(set(ids_in(engine))) == len(records)
    finally:
        engine.close()
    assert snapshot(db) == expected_full


def test_engine_crash_leaves_no_dangling_references(
    engine: Engine, write: Write, record: Record, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine.config = Config(batch_size=2)
    calls = 0
    insert_article = Store.insert_article

    def failing(self: Store, article: Article, identity: str, text_hash: str) -> None:
        nonlocal calls
        calls += 1
        if calls == 4:
            raise RuntimeError("boom")
        insert_article(self, article, identity, text_hash)

    monkeypatch.setattr(Store, "insert_article", failing)
    with pytest.raises(RuntimeError):
        engine.ingest(write("feed.jsonl", corpus(record)))
    db = engine.store.db
    articles = {row[0] for row in db.execute("SELECT id FROM articles")}
    assert len(articles) == 2
    assert {row[0] for row in db.execute("SELECT article FROM assignments")} == articles
    clusters = {row[0] for row in db.execute("SELECT id FROM clusters")}
    used = {
        row[0]
        for row in db.execute("SELECT event FROM articles UNION SELECT storyline FROM articles")
    }
    assert clusters == used
    (size,) = db.execute("SELECT sum(size) FROM clusters WHERE kind = 'event'").fetchone()
    assert size == 2


# -- bad inputs ---------------------------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06\x00\x00\x00"


def bad_inputs(write: Write, tmp_path: Path, record: Record) -> list[tuple[str, str, type]]:
    """Write one bad input of each kind; return (origin, message part, error type) each."""
    write("bad/binary.txt", PNG + bytes(200))
    write("bad/empty.txt", "")
    write("bad/nobody.html", "<html><head><title>Nothing</title></head><body></body></html>")
    write("bad/huge.txt", "Huge\n\n" + "All work and no play makes a dull boy. " * 2000)
    lines = [
        json.dumps(record("rates")),
        '{"title": "broken", "text": "unterminated',
        "[1, 2, 3]",
        json.dumps({"title": "No body at all", "outlet": "Nowhere"}),
        json.dumps(record("football")),
    ]
    write("bad/feed.jsonl", "\n".join(lines) + "\n")
    bad = tmp_path / "bad"
    return [
        (str(bad / "binary.txt"), "binary file", SourceError),
        (str(bad / "empty.txt"), "empty file", ExtractionError),
        (f"{bad / 'feed.jsonl'}:2", "malformed JSON", ExtractionError),
        (f"{bad / 'feed.jsonl'}:3", "expected a JSON object, got list", ExtractionError),
        (f"{bad / 'feed.jsonl'}:4", "record has neither 'text' nor 'html'", ExtractionError),
        (str(bad / "huge.txt"), "too large", SourceError),
        (str(bad / "nobody.html"), "no article", ExtractionError),
        (str(tmp_path / "missing.txt"), "no such file or directory", SourceError),
    ]


def test_engine_bad_inputs_are_reported_and_the_rest_is_ingested(
    db_path: Path, write: Write, record: Record, text_file: TextFile, tmp_path: Path
) -> None:
    expected = bad_inputs(write, tmp_path, record)
    write("bad/a-good.txt", text_file("bridge"))
    write("bad/z-good.txt", text_file("wildfire"))
    seen: list[InputError] = []
    config = Config(max_article_bytes=20_000, batch_size=2)
    with Engine(db_path, config=config) as engine:
        report = engine.ingest([tmp_path / "bad", tmp_path / "missing.txt"], on_error=seen.append)
        titles = sorted(article.title for article in engine.articles())
    assert seen == report.errors
    assert not report.ok
    assert report.failed == len(expected)
    assert report.new == 4
    got = sorted((e.origin, e.reason, type(e)) for e in report.errors)
    for (origin, part, kind), (got_origin, reason, got_kind) in zip(
        sorted(expected), got, strict=True
    ):
        assert (got_origin, got_kind) == (origin, kind)
        assert part in reason
    assert titles == sorted(
        record(key)["title"] for key in ["bridge", "wildfire", "rates", "football"]
    )


def test_engine_unreadable_file_is_reported_and_the_rest_is_ingested(
    engine: Engine, write: Write, text_file: TextFile
) -> None:
    good = write("good.txt", text_file("bridge"))
    locked = write("locked.txt", text_file("rates"))
    locked.chmod(0)
    try:
        if os.access(locked, os.R_OK):
            pytest.skip("running with privileges that read any file (root)")
        report = engine.ingest([locked, good])
    finally:
        locked.chmod(0o644)
    assert report.new == 1
    [error] = report.errors
    assert error.origin == str(locked)
    assert "cannot read" in str(error)


@pytest.mark.parametrize("encoding", ["cp1252", "latin-1"])
def test_engine_non_utf8_article_keeps_its_accents(
    engine: Engine, write: Write, accented: str, encoding: str
) -> None:
    report = engine.ingest(write("zurich.txt", accented, encoding=encoding))
    assert report.ok
    [article] = engine.articles()
    assert article.title == "Caf\u00e9 owners in Z\u00fcrich protest against new rent rules"
    for word in ("caf\u00e9s", "na\u00efve", "Z\u00fcrich", "Ren\u00e9e M\u00fcller"):
        assert word in article.text


def test_engine_single_file_over_max_article_bytes_is_too_large(
    db_path: Path, write: Write, text_file: TextFile
) -> None:
    big = write("big.txt", text_file("bridge") * 20)
    with Engine(db_path, config=Config(max_article_bytes=big.stat().st_size - 1)) as engine:
        report = engine.ingest(big)
    [error] = report.errors
    assert isinstance(error, SourceError)
    assert str(error).startswith(f"{big}: ")
    assert "too large" in str(error)
    assert report.new == 0


# -- the Python API -------------------------------------------------------------------------


def test_engine_add_ingests_articles_built_in_python(engine: Engine, news: dict[str, Any]) -> None:
    articles = [
        Article(
            id="",
            text=news[key]["text"],
            title=news[key]["title"],
            url=news[key]["url"],
            outlet=news[key]["outlet"],
            published=datetime.fromisoformat(news[key]["published"]),
            language="en",
        )
        for key in ("bridge", "bridge_other_outlet", "rates")
    ]
    report = engine.add(articles)
    assert isinstance(report, IngestReport)
    assert (report.read, report.new, report.known) == (3, 3, 0)
    stored = list(engine.articles())
    assert [a.url for a in stored] == [a.url for a in articles]
    assert all(a.id.startswith("a") for a in stored)
    assert stored[0].event == stored[1].event != stored[2].event
    assert engine.add(articles).known == 3


def test_engine_add_keeps_an_explicit_id(engine: Engine, news: dict[str, Any]) -> None:
    engine.add([Article(id="mine", text=news["rates"]["text"], title="Rates")])
    assert engine.article("mine").title == "Rates"


@pytest.mark.parametrize("text", ["   \n  ", "Short."], ids=["blank", "one-word"])
def test_engine_add_refuses_what_ingest_refuses(engine: Engine, text: str) -> None:
    report = engine.add([Article(id="", text=text, title="Nothing here")])
    assert (report.new, report.failed) == (0, 1)
    assert isinstance(report.errors[0], ExtractionError)
    assert engine.store.count_articles() == 0


def test_engine_add_and_ingest_agree_on_url_identity(
    engine: Engine, write: Write, record: Record, news: dict[str, Any]
) -> None:
    engine.ingest(write("a.jsonl", [record("bridge")]))
    url = news["bridge"]["url"].replace("https://www.", "https://WWW.") + "/"
    report = engine.add([Article(id="", text=news["bridge"]["text"], url=url)])
    assert (report.new, report.known) == (0, 1)


def test_engine_reads_stories_events_articles_and_reasons(
    engine: Engine, write: Write, record: Record
) -> None:
    engine.ingest(write("feed.jsonl", corpus(record)))
    stories = engine.stories()
    assert stories and all(story.kind == "storyline" for story in stories)
    dated = [story.last_published for story in stories if story.last_published]
    assert dated == sorted(dated, reverse=True)
    assert len(engine.stories(limit=2)) == 2
    events = engine.events()
    assert all(event.kind == "event" for event in events)
    for story in stories:
        assert engine.story(story.id, views=False) == story
        assert set(story.events) <= {event.id for event in events}
    article = next(engine.articles())
    assert engine.article(article.id) == article
    assert [a.id for a in engine.articles([article.id])] == [article.id]
    assert [d.kind for d in engine.why(article.id)] == ["event", "storyline"]


@pytest.mark.parametrize("call", ["story", "article", "why"])
def test_engine_unknown_id_is_not_found(engine: Engine, call: str) -> None:
    with pytest.raises(NotFoundError, match="'nope'"):
        getattr(engine, call)("nope")


def test_engine_export_yields_articles_then_stories(
    engine: Engine, write: Write, record: Record
) -> None:
    engine.ingest(write("feed.jsonl", corpus(record)))
    articles = list(engine.export())
    assert [a["id"] for a in articles] == ids_in(engine)
    assert all(a["published"].endswith("Z") for a in articles)
    stories = list(engine.export(stories=True))
    kinds = [s["kind"] for s in stories]
    assert kinds == sorted(kinds, key=["storyline", "event"].index)
    assert kinds.count("storyline") == len(engine.stories())
    assert kinds.count("event") == len(engine.events())
    json.dumps(articles + stories)


def test_engine_progress_reports_bytes(engine: Engine, write: Write, text_file: TextFile) -> None:
    a = write("a.txt", text_file("bridge"))
    b = write("b.txt", text_file("rates"))
    calls: list[tuple[int, int | None]] = []
    engine.ingest([a, b], progress=lambda done, total: calls.append((done, total)))
    total = a.stat().st_size + b.stat().st_size
    assert calls[-1] == (total, total)
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)


def test_engine_uses_config_db_when_no_path_is_given(tmp_path: Path) -> None:
    with Engine(config=Config(db=str(tmp_path / "from-config.db"))) as engine:
        assert Path(engine.store.path) == tmp_path / "from-config.db"


# -- bounded memory ---------------------------------------------------------------------------

#: Runs in a fresh interpreter so that the peak measures only this ingest. A small warm-up
#: ingest first loads everything loaded lazily, so that what is measured is how memory
#: grows with the input, not what a process needs to start. On Linux the peak is of the
#: process's own (anonymous) memory, sampled: pages of the store file that SQLite maps
#: count in RSS but are the kernel's page cache, reclaimable, not memory the ingest holds.
MEASURE = textwrap.dedent(
    """
    import json, resource, sys, threading, time
    from pathlib import Path
    from storyline import Config, Engine

    STATUS = Path("/proc/self/status")
    highest = [0]

    def private():
        for line in STATUS.read_text().splitlines():
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) * 1024
        return 0

    def sample():
        while True:
            highest[0] = max(highest[0], private())
            time.sleep(0.02)

    if STATUS.exists():
        threading.Thread(target=sample, daemon=True).start()

    def peak():
        if STATUS.exists():
            highest[0] = max(highest[0], private())
            return highest[0]
        scale = 1 if sys.platform == "darwin" else 1024
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale

    warm_up, inputs, db, batch_size, stages = sys.argv[1:6]
    config = Config(batch_size=int(batch_size))
    engine = Engine(db, config=config, stages=None if stages == "default" else [])
    engine.ingest(warm_up)
    peaks = [peak()]
    reports = []
    for path in inputs.split(","):
        # the views of the stories touched are computed after the ingest, holding one
        # story's articles at a time: memory that grows with the largest story, not
        # with the input, so left out here
        reports.append(engine.ingest(path, refresh=False).to_dict())
        peaks.append(peak())
    engine.close()
    print(json.dumps({"peaks": peaks, "reports": reports}))
    """
)


def measure(
    warm_up: Path, inputs: list[Path], db: Path, batch_size: int, stages: str
) -> dict[str, Any]:
    command = [sys.executable, "-c", MEASURE, str(warm_up), ",".join(map(str, inputs))]
    done = subprocess.run(
        [*command, str(db), str(batch_size), stages],
        capture_output=True,
        text=True,
        check=False,
        timeout=1800,
    )
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))


@pytest.mark.slow
def test_engine_ingests_100_mb_of_jsonl_in_bounded_memory(
    big_jsonl: Path, tmp_path: Path, write: Write, record: Record
) -> None:
    """Reading, extraction, copy detection, clustering and the store, over 100 MB.

    The NLP stages are left out (``stages=[]``): at their cost per article 20,000 articles
    take the better part of an hour; their memory is checked on a smaller stream below.
    """
    size = big_jsonl.stat().st_size
    assert size > 90_000_000
    warm_up = write("warm-up.jsonl", corpus(record))
    result = measure(warm_up, [big_jsonl], tmp_path / "big.db", 64, "none")
    [report] = result["reports"]
    assert (report["new"], report["failed"]) == (20_000, 0)
    growth = (result["peaks"][1] - result["peaks"][0]) / 1e6
    # the copy index's page cache fills up to its fixed size as the store grows
    allowed = 60 + COPY_INDEX_CACHE_MB * 1.05
    assert growth < allowed, f"peak memory grew by {growth:.0f} MB ingesting {size / 1e6:.0f} MB"
    with Engine(tmp_path / "big.db", config=Config(), stages=[]) as engine:
        assert engine.store.count_articles() == 20_000 + len(KEYS)


@pytest.mark.slow
def test_engine_default_stages_memory_does_not_grow_with_the_input(
    tmp_path: Path, write: Write, record: Record, news_stream: Callable[..., int]
) -> None:
    """With every default stage, the peak after 16 batches is the peak after 2."""
    stream = tmp_path / "stream.jsonl"
    news_stream(stream, records=144)
    lines = stream.read_text(encoding="utf-8").splitlines(keepends=True)
    first = write("first.jsonl", "".join(lines[:16]))
    rest = write("rest.jsonl", "".join(lines[16:]))
    warm_up = write("warm-up.jsonl", corpus(record))
    result = measure(warm_up, [first, rest], tmp_path / "nlp.db", 8, "default")
    assert [r["new"] for r in result["reports"]] == [16, 128]
    _, after_two, after_eighteen = result["peaks"]
    growth = (after_eighteen - after_two) / 1e6
    assert growth < 30, f"peak memory grew by {growth:.0f} MB over 16 more batches"


# -- re-clustering --------------------------------------------------------------------

EXAMPLE = Path(__file__).resolve().parents[1] / "storyline" / "data" / "example.jsonl"


def test_engine_recluster_with_the_same_settings_moves_nothing(db_path: Path) -> None:
    with Engine(db_path, config=Config()) as engine:
        engine.ingest(EXAMPLE)
        before = engine.store.placements()
        report = engine.recluster()
        assert report.articles == len(before)
        assert report.moved_events == [] and report.moved_storylines == []
        assert report.events_after == report.events_before
        assert engine.store.placements() == before
        reasons = [a.reason for a in engine.why(before[0][0])]
        assert any(reason.startswith("recluster: ") for reason in reasons)


def test_engine_recluster_reports_what_a_stricter_threshold_moves(db_path: Path) -> None:
    with Engine(db_path, config=Config()) as engine:
        engine.ingest(EXAMPLE)
        before = engine.store.placements()
    with Engine(db_path, config=Config(event_threshold=0.99)) as strict:
        preview = strict.recluster(dry_run=True)
        assert preview.moved_events and preview.events_after > preview.events_before
        assert strict.store.placements() == before, "a dry run changes nothing"
        report = strict.recluster()
        assert report.moved_events == preview.moved_events
        after = {article: event for article, event, _ in strict.store.placements()}
        for article, old, new in report.moved_events:
            assert after[article] == new != old
        # the store stays consistent: every event an article names exists
        events = {story.id for story in strict.events()}
        assert set(after.values()) <= events
