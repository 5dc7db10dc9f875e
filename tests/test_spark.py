"""The Spark job in local[2] against the single-machine engine on the same articles.

One SparkSession and one job run serve the module: a few hundred articles from
PolNeAR (real text) with generated copies, read from JSON Lines, a WARC.gz file
written here with warcio, and a Parquet file, plus malformed records of each kind.
"""

from __future__ import annotations

import csv
import gzip
import io
import itertools
import json
import pickle
import random
import re
import sqlite3
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import combinations
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from storyline.cluster import (
    ArticleTerms,
    Clusterer,
    ClusterState,
)
from storyline.config import Config
from storyline.engine import Engine
from storyline.importer import import_tables
from storyline.model import Article, Entity
from storyline.spark import JobReport, JobSettings, run, session
from storyline.spark.windows import (
    Placement,
    link_storylines,
    stitch,
    windows_of,
)
from storyline.store import Store

pytestmark = [pytest.mark.shared, pytest.mark.slow]

POLNEAR = Path(__file__).resolve().parents[2] / "shared" / "data" / "polnear"
ORIGINALS = 150
IN_WARC = 20
IN_PARQUET = 30
#: lines of the JSON Lines input that are not articles, and why
BAD_LINES = [
    "{not json",
    json.dumps({"id": "no-text", "title": "A record without a body"}),
    json.dumps(["a", "list"]),
    json.dumps({"id": "too-short", "text": "Three words only."}),
]


def _polnear(root: Path) -> list[dict[str, Any]]:
    with (root / "metadata.tsv").open(encoding="utf-8") as handle:
        rows = sorted(csv.DictReader(handle, delimiter="\t"), key=lambda r: r["filename"])
    records = []
    for row in rows[:: max(1, len(rows) // ORIGINALS)][:ORIGINALS]:
        path = root / row["compartment"] / "text" / f"{row['filename']}.txt"
        title, _, body = path.read_text(encoding="utf-8").partition("\n")
        day = datetime.fromisoformat(row["publication_date"]).replace(tzinfo=UTC)
        records.append(
            {
                "id": row["filename"][:60],
                "outlet": row["publisher"],
                "title": row["title"] or title.strip(),
                "url": f"https://{row['publisher']}.example/{row['filename'][:60]}",
                "published": day + timedelta(hours=9),
                "text": "\n\n".join(p.strip() for p in body.split("\n\n") if p.strip()),
            }
        )
    return records


def _copies(originals: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    rng = random.Random(7)
    for number, source in enumerate(originals):
        kind = ("verbatim", "headline", "truncated", None, None)[number % 5]
        if kind is None:
            continue
        outlet = rng.choice(["wire", "aggregator"])
        copy = dict(source, id=f"{source['id']}~{kind}", outlet=outlet)
        copy["url"] = f"https://{outlet}.example/{copy['id']}"
        copy["published"] = source["published"] + timedelta(hours=rng.randint(1, 30))
        if kind == "headline":
            copy["title"] = "Opinion: " + source["title"]
        elif kind == "truncated":
            paragraphs = source["text"].split("\n\n")
            copy["text"] = "\n\n".join(paragraphs[: max(2, len(paragraphs) * 2 // 3)])
        yield copy


def _html(record: dict[str, Any]) -> bytes:
    paragraphs = "".join(f"<p>{p}</p>" for p in record["text"].split("\n\n"))
    stamp = record["published"].isoformat()
    return (
        f"<!doctype html><html><head><title>{record['title']}</title>"
        f'<meta property="og:site_name" content="{record["outlet"]}">'
        f'<meta property="article:published_time" content="{stamp}"></head>'
        f"<body><article><h1>{record['title']}</h1>{paragraphs}</article></body></html>"
    ).encode()


def _write_warc(path: Path, records: list[dict[str, Any]]) -> None:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    with path.open("wb") as handle:
        writer = WARCWriter(handle, gzip=True)
        for record in records:
            url = f"https://{record['outlet']}.example/{record['id']}"
            headers = StatusAndHeaders(
                "200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1"
            )
            writer.write_record(
                writer.create_warc_record(
                    url, "response", payload=io.BytesIO(_html(record)), http_headers=headers
                )
            )
        # a record that is not an HTML page is passed over, not an error
        writer.write_record(
            writer.create_warc_record(
                "https://x.example/robots.txt",
                "response",
                payload=io.BytesIO(b"User-agent: *"),
                http_headers=StatusAndHeaders(
                    "200 OK", [("Content-Type", "text/plain")], protocol="HTTP/1.1"
                ),
            )
        )


def _jsonable(record: dict[str, Any]) -> dict[str, Any]:
    return {**record, "published": record["published"].isoformat()}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    if not POLNEAR.is_dir():  # as the shared fixture: CI always has it
        pytest.skip(f"needs the PolNeAR corpus at {POLNEAR}")
    folder = tmp_path_factory.mktemp("spark-input")
    originals = _polnear(POLNEAR)
    copies = list(_copies(originals))
    in_warc, in_parquet = originals[:IN_WARC], originals[IN_WARC : IN_WARC + IN_PARQUET]
    in_jsonl = originals[IN_WARC + IN_PARQUET :] + copies
    _write_warc(folder / "crawl.warc.gz", in_warc)
    broken = b"WARC/1.0\r\nWARC-Type: response\r\nContent-Length: 500\r\n\r\nxx"
    (folder / "broken.warc").write_bytes(broken)
    table = pa.Table.from_pylist([_jsonable(r) for r in in_parquet])
    pq.write_table(table, folder / "more.parquet")
    lines = [json.dumps(_jsonable(r)) for r in in_jsonl]
    for position, bad in enumerate(BAD_LINES):
        lines.insert(position * 40 + 5, bad)
    with gzip.open(folder / "news.jsonl.gz", "wt", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    inputs = [folder / "crawl.warc.gz", folder / "news.jsonl.gz", folder / "more.parquet"]
    inputs.append(folder / "broken.warc")
    return {
        "inputs": tuple(str(p) for p in inputs),
        "articles": len(originals) + len(copies),
        "copies": copies,
    }


@pytest.fixture(scope="module")
def spark_run(
    corpus: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[JobReport, Path]]:
    spark = session(
        "local[2]",
        {
            "spark.sql.shuffle.partitions": "2",
            "spark.ui.enabled": "false",
            "spark.driver.memory": "1g",
        },
    )
    output = tmp_path_factory.mktemp("spark-output")
    settings = JobSettings(corpus["inputs"], str(output), Config(), 7.0, partitions=2)
    try:
        yield run(spark, settings), output
    finally:
        spark.stop()


def _table(output: Path, name: str) -> list[dict[str, Any]]:
    return pq.read_table(output / name).to_pylist()


def _groups(pairs: list[tuple[str, str | None]]) -> set[frozenset[str]]:
    members: dict[str, set[str]] = defaultdict(set)
    for article, original in pairs:
        members[original or article].add(article)
    return {frozenset(group) for group in members.values() if len(group) > 1}


def _pairwise_agreement(left: dict[str, str], right: dict[str, str]) -> float:
    ids = sorted(left)
    agree = total = 0
    for a, b in combinations(ids, 2):
        total += 1
        agree += (left[a] == left[b]) == (right[a] == right[b])
    return agree / total


def test_spark_windows_route_the_last_days_to_the_next_window_too() -> None:
    start = datetime(2016, 3, 3, tzinfo=UTC)  # a window boundary for 7-day windows
    early = Article(id="a", text="x", published=start + timedelta(days=1), language="en")
    late = Article(id="b", text="x", published=start + timedelta(days=5), language="en")
    undated = Article(id="c", text="x", language="en")
    number = windows_of(early, 7, 4)[0][1]
    assert windows_of(early, 7, 4) == [("en", number)]
    assert windows_of(late, 7, 4) == [("en", number), ("en", number + 1)]
    assert windows_of(undated, 7, 4) == [("en", None)]


def test_spark_stitching_carries_an_id_across_several_windows() -> None:
    def seen(window: int, article: str, event: str, storyline: str) -> Placement:
        return Placement(("en", window), article, None, event, storyline, False, True)

    names = stitch(
        [
            ((("en", 3), "e-third"), seen(2, "b", "e-second", "s-second")),
            ((("en", 2), "e-second"), seen(1, "a", "e-first", "s-first")),
            ((("en", 2), "s-second"), seen(1, "a", "e-first", "s-first")),
        ]
    )
    assert names[(("en", 3), "e-third")] == "e-first"
    assert names[(("en", 2), "s-second")] == "s-first"


def _annotated(number: int, record: dict[str, Any]) -> Article:
    """An article as the NLP stages leave it: names found on some, the others without."""
    article = Article(
        id=record["id"],
        text=record["text"],
        title=record["title"],
        published=record["published"],
        language="en",
    )
    if number % 3 == 0:
        names = re.finditer(r"\b[A-Z][a-z]+ [A-Z][a-z]+\b", article.text)
        for match in itertools.islice(names, 6):
            name = match.group(0)
            article.entities.append(Entity(name, "PERSON", match.start(), match.end(), name))
    return article


def test_spark_storyline_pass_with_precomputed_terms_matches_per_article() -> None:
    if not POLNEAR.is_dir():
        pytest.skip(f"needs the PolNeAR corpus at {POLNEAR}")
    originals = _polnear(POLNEAR)
    records = sorted(originals + list(_copies(originals)), key=lambda r: (r["published"], r["id"]))
    # small batches and active set: drains, evictions and reloads from the known storylines
    config = Config(batch_size=16, active_clusters=12)
    engine = Clusterer(config, ClusterState(capacity=config.active_clusters))
    events = {}
    for number, record in enumerate(records):
        events[record["id"]] = engine(_annotated(number, record)).event or ""
    articles = [_annotated(number, record) for number, record in enumerate(records)]
    # computed elsewhere and shipped, as the job's partitions do
    inputs = pickle.loads(pickle.dumps([ArticleTerms.of(a) for a in articles]))
    shipped = zip(inputs, [events[a.id] for a in articles], strict=True)
    precomputed = list(link_storylines(shipped, config))
    # whole articles: their terms taken in the pass, as the engine takes them
    before = list(link_storylines([(a, events[a.id]) for a in articles], config))
    placed = [r for r in precomputed if isinstance(r, tuple)]
    assert len(placed) == len(articles)
    assert 5 < len({storyline for _, storyline in placed}) < len(articles)
    assert any(not isinstance(r, tuple) and r.reason.startswith("joined ") for r in precomputed)
    assert precomputed == before


def test_spark_counts_and_skips_malformed_records(
    spark_run: tuple[JobReport, Path], corpus: dict[str, Any]
) -> None:
    report, output = spark_run
    assert report.articles == corpus["articles"]
    assert report.failed == len(BAD_LINES) + 1
    assert not report.ok
    origins = sorted(row["origin"] for row in _table(output, "errors"))
    assert origins[0].endswith("broken.warc record 1")
    lines = sorted(int(origin.rsplit(":", 1)[1]) for origin in origins[1:])
    assert lines == [position * 40 + 6 for position in range(len(BAD_LINES))]
    reasons = " ".join(row["reason"] for row in _table(output, "errors"))
    assert "malformed JSON" in reasons and "neither 'text' nor 'html'" in reasons


def test_spark_reads_warc_and_parquet(spark_run: tuple[JobReport, Path]) -> None:
    _, output = spark_run
    rows = _table(output, "articles")
    from_warc = [row for row in rows if (row["path"] or "").endswith("crawl.warc.gz")]
    assert len(from_warc) == IN_WARC
    assert all(row["published"] and row["outlet"] for row in from_warc)
    assert sum(1 for row in rows if (row["path"] or "").endswith("more.parquet")) == IN_PARQUET
    assert all(json.loads(row["entities"]) for row in rows[:20])


def test_spark_matches_the_engine(spark_run: tuple[JobReport, Path], tmp_path: Path) -> None:
    report, output = spark_run
    assert report.copy_rounds_settled and report.copy_rounds >= 1
    rows = _table(output, "articles")  # publication order, as the job wrote them
    with Engine(tmp_path / "engine.db", config=Config()) as engine:
        engine.add(
            Article(
                id=row["id"],
                text=row["text"],
                title=row["title"],
                url=row["url"],
                outlet=row["outlet"],
                published=datetime.fromisoformat(row["published"].replace("Z", "+00:00")),
            )
            for row in rows
        )
        placed = {a.id: a for a in engine.articles()}
    spark_groups = _groups([(row["id"], row["copy_original"]) for row in rows])
    engine_groups = _groups(
        [(a.id, a.copy_of.original if a.copy_of else None) for a in placed.values()]
    )
    assert len(spark_groups) >= 80
    assert spark_groups == engine_groups
    spark_events = {row["id"]: row["event"] for row in rows}
    engine_events = {a.id: a.event or "" for a in placed.values()}
    assert _pairwise_agreement(spark_events, engine_events) >= 0.98


def test_spark_stories_carry_views_and_reasons(spark_run: tuple[JobReport, Path]) -> None:
    _, output = spark_run
    stories = _table(output, "stories")
    articles = {row["id"]: row for row in _table(output, "articles")}
    storylines = [s for s in stories if s["kind"] == "storyline"]
    assert {s["id"] for s in storylines} == {row["storyline"] for row in articles.values()}
    assert all(json.loads(s["summary"]) for s in storylines)
    assert any(json.loads(s["timeline"]) for s in storylines)
    for story in stories:
        column = "event" if story["kind"] == "event" else "storyline"
        assert all(articles[a][column] == story["id"] for a in story["articles"])
    logged = _table(output, "assignments")
    kinds = {(row["article"], row["kind"]) for row in logged}
    assert all((a, "event") in kinds and (a, "storyline") in kinds for a in articles)
    copies = [row for row in articles.values() if row["copy_original"]]
    assert all((row["id"], "copy") in kinds for row in copies)
    targets = {row["target"] for row in logged if row["kind"] == "event"}
    assert targets == {row["event"] for row in articles.values()}


def test_spark_output_imports_into_a_store(
    spark_run: tuple[JobReport, Path], tmp_path: Path
) -> None:
    _, output = spark_run
    db = tmp_path / "imported.db"
    with Store(db) as store:
        report = import_tables(output, store, Config())
        again = import_tables(output, store, Config())
    rows = _table(output, "articles")
    assert (report.new, again.new, again.known) == (len(rows), 0, len(rows))
    with Engine(db, config=Config()) as engine:
        stories = engine.stories()
        assert {s.id for s in stories} == {row["storyline"] for row in rows}
        copy = next(row for row in rows if row["copy_original"])
        assert engine.article(copy["id"]).copy_of is not None
        story = engine.story(copy["storyline"])
        assert copy["id"] in story.articles and story.summary
        assert [a.kind for a in engine.why(copy["id"])] == ["copy", "event", "storyline"]
    with sqlite3.connect(db) as connection:
        sizes = connection.execute("SELECT sum(size) FROM clusters WHERE kind = 'event'").fetchone()
    assert sizes[0] == len(rows)
    # the imported articles are in the copy index: a later ingest links a copy to them
    source = next(row for row in rows if not row["copy_original"] and len(row["text"]) > 2000)
    with Engine(db, config=Config()) as engine:
        engine.add(
            [
                Article(
                    id="late-copy",
                    text=source["text"],
                    title="Republished: " + (source["title"] or ""),
                    url="https://late.example/copy",
                    outlet="late",
                    published=datetime(2030, 1, 1, tzinfo=UTC),
                )
            ]
        )
        late = engine.article("late-copy")
    assert late.copy_of is not None and late.copy_of.original == source["id"]


def test_spark_cli_runs_the_job_then_imports(
    spark_run: tuple[JobReport, Path], cli: Any, tmp_path: Path
) -> None:
    example = Path(__file__).resolve().parents[1] / "storyline" / "data" / "example.jsonl"
    lines = example.read_text(encoding="utf-8").splitlines()[:6]
    source = tmp_path / "few.jsonl"
    source.write_text("\n".join([*lines, "{broken"]) + "\n", encoding="utf-8")
    output = tmp_path / "out"
    ran = cli("spark", str(source), "--output", str(output), "--master", "local[2]", db=False)
    assert ran.exit_code == 1  # one malformed line, reported and skipped
    assert "articles 6" in ran.output and "failed 1" in ran.output
    assert f"{source}:7: malformed JSON" in ran.output
    imported = cli("import", str(output))
    assert imported.exit_code == 0 and "new 6" in imported.output
    assert cli("stories").exit_code == 0
    with cli.engine() as engine:
        assert len(list(engine.articles())) == 6
    missing = cli("import", str(tmp_path / "nothing"))
    assert missing.exit_code == 1 and "no such table" in missing.output


#: a closing line of one outlet: boilerplate once two earlier articles of it held it
CLOSING = (
    "Our newsroom will keep following this story and bring you every new development "
    "as soon as our reporters confirm it tonight"
)
UNRELATED = (
    "Farmers in the northern valley began the apple harvest two weeks early after a warm "
    "spring, and cooperatives say prices at the regional market have fallen by a third. "
    "Growers blame a glut from abroad and ask the ministry for storage subsidies before "
    "the winter, while buyers from three supermarket chains signed contracts for next year.",
    "The national orchestra announced a season of twelve concerts in smaller towns, with "
    "tickets sold at half the usual price for students and pensioners. Its new conductor "
    "said the tour would open in a converted railway depot and end with a choral work "
    "written by a local composer who died last spring at the age of ninety.",
)


def test_spark_copies_see_boilerplate_as_it_stood(
    spark_run: tuple[JobReport, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A line an outlet repeats later is not boilerplate for its first articles.

    Counted over the whole input the closing line would be boilerplate from the
    start, leaving the first two articles too short to compare; the engine, which
    has seen it once when the copy arrives, links the copy. The job must too.
    """
    from storyline.spark import dedup
    from storyline.spark.dedup import DedupInput, Rounds, find_copies
    from storyline.text import text_hash

    start = datetime(2016, 5, 2, 8, tzinfo=UTC)
    lead = "The council voted on Tuesday to close the old bridge over the river."
    records = [
        ("bridge", f"{lead}\n\n{CLOSING}", start),
        (
            "bridge-copy",
            f"{lead.replace('The', 'The city')}\n\n{CLOSING}",
            start + timedelta(hours=2),
        ),
        ("harvest", f"{UNRELATED[0]}\n\n{CLOSING}", start + timedelta(days=2)),
        ("concerts", f"{UNRELATED[1]}\n\n{CLOSING}", start + timedelta(days=4)),
    ]
    articles = [
        Article(
            id=i, text=text, title=i, outlet="daily", published=when, url=f"https://d.example/{i}"
        )
        for i, text, when in records
    ]
    with Engine(tmp_path / "engine.db", config=Config(), stages=[]) as engine:
        engine.add(articles)
        placed = [(a.id, a.copy_of.original if a.copy_of else None) for a in engine.articles()]
    sc = session("local[2]", {}).sparkContext
    docs = [DedupInput(a.id, a.text, a.outlet, a.published, text_hash(a.text)) for a in articles]
    links, _, rounds = find_copies(sc, sc.parallelize(docs, 2), Config(), 2)
    found = dict(links.mapValues(lambda link: link.original).collect())
    assert _groups(placed) == {frozenset({"bridge", "bridge-copy"})}
    assert _groups([(a.id, found.get(a.id)) for a in articles]) == _groups(placed)
    # the copy's shared closing line is not counted once it is known as a copy: the
    # second round sees other moments than the first, the third the same
    assert rounds == Rounds(2, True)
    monkeypatch.setattr(dedup, "MAX_PASSES", 1)
    _, _, cut = find_copies(sc, sc.parallelize(docs, 2), Config(), 2)
    assert cut == Rounds(1, False)


def _few_records(count: int) -> list[dict[str, Any]]:
    start = datetime(2016, 5, 2, 8, tzinfo=UTC)
    return [
        {
            "id": f"r{number}",
            "outlet": "daily",
            "title": f"Report {number}",
            "published": start + timedelta(hours=number),
            "text": f"Report number {number}. {UNRELATED[number % 2]}",
        }
        for number in range(count)
    ]


def test_spark_splits_local_files_at_record_boundaries(tmp_path: Path) -> None:
    """Parts of a file read the records the whole file holds, numbered as in the file."""
    from storyline.spark import io as spark_io

    records = _few_records(30)
    lines = [json.dumps(_jsonable(r)) for r in records]
    lines[7] = "{broken"
    lines.insert(12, "")
    jsonl = tmp_path / "news.jsonl"
    jsonl.write_text("\n".join(lines) + "\n", encoding="utf-8")
    warc = tmp_path / "crawl.warc.gz"
    _write_warc(warc, records)
    config = Config()
    for path in (jsonl, warc):
        whole = list(spark_io.read_file(0, str(path), path.read_bytes(), config))
        splits = spark_io.plan_file(0, str(path), 2000)
        assert len(splits) > 4
        assert splits[0].start == 0 and splits[-1].end == -1
        assert all(a.end == b.start for a, b in itertools.pairwise(splits))
        parts = [item for split in splits for item in spark_io.read_split(split, config)]

        def seen(items: list[spark_io.Item]) -> list[tuple[Any, ...]]:
            return [
                (
                    item.extracted.article.id if item.extracted else None,
                    str(item.error) if item.error else None,
                )
                for item in items
            ]

        assert seen(parts) == seen(whole)
        orders = [item.order for item in parts]
        assert orders == sorted(orders) and len(set(orders)) == len(orders)
        if path == warc:  # numbered as records of the whole file
            assert orders == [item.order for item in whole]
    errors = [item.error for item in spark_io.read_file(0, str(jsonl), jsonl.read_bytes(), config)]
    assert [str(e).split(": ")[0] for e in errors if e] == [f"{jsonl}:8"]
    gzipped = tmp_path / "news.jsonl.gz"
    gzipped.write_bytes(gzip.compress(jsonl.read_bytes()))
    assert [s.kind for s in spark_io.plan_file(0, str(gzipped), 2000)] == ["file"]
