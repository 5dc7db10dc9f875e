"""The Spark job: the engine's stages over inputs too large for one machine.

    storyline spark crawl/*.warc.gz --output out/ --master local[2]
    spark-submit --master yarn storyline/spark/__main__.py s3a://bucket/news/ --output s3a://...

1. inputs are read file by file (:mod:`.io`) and extracted with :func:`extract`;
   repeated identities keep their first occurrence, an id used by two identities
   keeps the first and counts the other as failed (as the engine does);
2. the NLP stages run per partition through the engine's :class:`Pipeline`,
   spaCy loaded once per Python worker and fed in batches of ``batch_size``;
3. copies are found across the whole input (:mod:`.dedup`);
4. events and storylines come from the engine's clusterer per window (:mod:`.windows`);
5. every story's views (summary, timeline, contradictions...) are computed with
   :func:`storyline.views.story_views`, and four Parquet tables are written:
   ``articles``, ``stories``, ``assignments`` and ``errors``.

A record that cannot become an article is counted and written to ``errors`` with
its origin and reason; the job goes on and ends with a non-zero status.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from itertools import islice
from typing import TYPE_CHECKING, Any

from ..config import Config
from ..errors import ConfigError, ExtractionError, StorylineError
from ..extract import Extracted
from ..model import Article, Assignment, CopyLink, Story
from ..pipeline import Pipeline, default_stages
from ..views import story_views
from . import io
from .dedup import DedupInput, find_copies
from .windows import cluster_windows, light

if TYPE_CHECKING:
    from pyspark import RDD
    from pyspark.sql import SparkSession

#: errors listed in the report (all of them are in the ``errors`` table)
REPORTED_ERRORS = 20
_PIPELINES: dict[Config, Pipeline] = {}
_KIND_ORDER = {"copy": 0, "event": 1, "storyline": 2}


@dataclass(slots=True)
class JobReport:
    """What one run did; ``ok`` is False when any record failed."""

    read: int = 0
    articles: int = 0
    known: int = 0
    failed: int = 0
    copies: int = 0
    events: int = 0
    storylines: int = 0
    #: rounds of boilerplate exclusions copy detection took, and whether they settled
    copy_rounds: int = 0
    copy_rounds_settled: bool = True
    errors: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.failed == 0

    def summary(self) -> str:
        return (
            f"read {self.read}, articles {self.articles}, repeated {self.known}, "
            f"failed {self.failed} (malformed or unusable records, skipped); "
            f"copies {self.copies} ({self.copy_rounds} rounds"
            + (
                ""
                if self.copy_rounds_settled
                else ", stopped before settling: copy groups may differ from a single-machine run"
            )
            + f"), events {self.events}, storylines {self.storylines}"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "read": self.read,
            "articles": self.articles,
            "known": self.known,
            "failed": self.failed,
            "copies": self.copies,
            "events": self.events,
            "storylines": self.storylines,
            "copy_rounds": self.copy_rounds,
            "copy_rounds_settled": self.copy_rounds_settled,
            "errors": self.errors,
            "seconds": self.seconds,
        }


@dataclass(frozen=True, slots=True)
class JobSettings:
    inputs: tuple[str, ...]
    output: str
    config: Config = field(default_factory=Config)
    #: length of a clustering window; longer windows stitch less, shorter ones spread more
    window_days: float = 7.0
    #: shuffle partitions; None: twice Spark's default parallelism
    partitions: int | None = None
    #: local input files are read in parts of about this many bytes, one task each
    split_bytes: int = io.SPLIT_BYTES


def session(master: str | None, conf: dict[str, str]) -> SparkSession:
    """A SparkSession; the master comes from ``spark-submit`` when not given here."""
    from pyspark.sql import SparkSession

    # executors of a local run use this interpreter, which has storyline installed
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.appName("storyline")
    if master:
        builder = builder.master(master)
    for key, value in conf.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


def run(spark: SparkSession, settings: JobSettings) -> JobReport:
    """Run the job over ``settings.inputs`` and write its tables under ``settings.output``."""
    sc = spark.sparkContext
    config = settings.config
    partitions = settings.partitions or max(2, sc.defaultParallelism * 2)
    report = JobReport()
    started = time.perf_counter()

    items = read_inputs(spark, settings.inputs, config, settings.split_bytes).persist()
    report.read = items.count()
    ok = items.filter(lambda item: item.extracted is not None)
    first = ok.map(lambda item: (_extracted(item).identity, item)).reduceByKey(_earlier, partitions)
    unique = first.values().cache()
    report.known = ok.count() - unique.count()
    by_id = unique.map(lambda item: (_extracted(item).article.id, item)).groupByKey(partitions)
    checked = by_id.flatMap(lambda group: _one_per_id(group[1]))
    enriched = checked.repartition(partitions).mapPartitions(lambda part: enrich(part, config))
    enriched = enriched.persist()
    failed = items.filter(lambda item: item.error is not None).union(
        enriched.filter(lambda item: item.error is not None)
    )
    prepared = enriched.filter(lambda item: item.extracted is not None).map(_extracted)
    keyed = prepared.map(lambda e: (e.article.id, e)).persist()
    report.articles = keyed.count()
    report.seconds["extract_nlp"] = round(time.perf_counter() - started, 2)

    step = time.perf_counter()
    docs = keyed.values().map(_dedup_input)
    links, copy_log, rounds = find_copies(sc, docs, config, partitions)
    report.copy_rounds, report.copy_rounds_settled = rounds.taken, rounds.settled
    linked = keyed.leftOuterJoin(links, partitions).mapValues(_with_link).persist()
    report.copies = linked.filter(lambda kv: kv[1].article.copy_of is not None).count()
    report.seconds["dedup"] = round(time.perf_counter() - step, 2)

    step = time.perf_counter()
    articles = linked.values().map(lambda e: light(e.article))
    placed, cluster_log = cluster_windows(sc, articles, config, settings.window_days, partitions)
    final = linked.join(placed, partitions).mapValues(_with_place).values().persist()
    report.events = final.map(lambda e: e.article.event).distinct().count()
    report.storylines = final.map(lambda e: e.article.storyline).distinct().count()
    report.seconds["cluster"] = round(time.perf_counter() - step, 2)

    step = time.perf_counter()
    write_tables(spark, settings.output, final, copy_log.union(cluster_log), failed, partitions)
    report.seconds["views_write"] = round(time.perf_counter() - step, 2)
    errors = failed.map(lambda item: item.error).collect()
    errors.sort(key=lambda error: str(error))
    report.failed = len(errors)
    report.errors = [str(error) for error in errors[:REPORTED_ERRORS]]
    report.seconds["total"] = round(time.perf_counter() - started, 2)
    return report


def read_inputs(
    spark: SparkSession, inputs: Sequence[str], config: Config, split_bytes: int = io.SPLIT_BYTES
) -> RDD[io.Item]:
    """Every input's records as items (articles or errors), in one RDD.

    Local files are planned into parts (one task per file finds the record
    boundaries), then every part is one task; other paths are one task per file.
    """
    sc = spark.sparkContext
    if not inputs:
        raise ConfigError("no inputs given")
    parts: list[RDD[io.Item]] = []
    local: list[tuple[int, str]] = []
    for number, path in enumerate(inputs):
        if io.is_parquet(path):
            rows = spark.read.parquet(path).rdd.zipWithIndex()
            parts.append(rows.map(partial(_parquet_item, number, path, config=config)))
        elif io.is_local(path) and (files := io.local_files(path)):
            local.extend((number, file) for file in files)
        else:
            files_read = sc.binaryFiles(path)
            parts.append(files_read.flatMap(partial(_read_file, number, config=config)))
    if local:
        planned = sc.parallelize(local, len(local)).flatMap(
            lambda item: io.plan_file(item[0], item[1], split_bytes)
        )
        splits = planned.collect()
        parts.append(
            sc.parallelize(splits, len(splits)).flatMap(partial(io.read_split, config=config))
        )
    return sc.union(parts)


def _read_file(number: int, file: tuple[str, bytes], config: Config) -> Iterator[io.Item]:
    return io.read_file(number, file[0], file[1], config)


def _parquet_item(number: int, path: str, indexed: tuple[Any, int], config: Config) -> io.Item:
    from ..sources import RawDocument

    row, index = indexed
    origin = f"{path}#row{index + 1}"
    record = io.parquet_record(row.asDict(recursive=True))
    document = RawDocument(origin, "record", record, path)
    return io.extract_item((number, path, index + 1), document, config)


def _extracted(item: io.Item) -> Extracted:
    assert item.extracted is not None
    return item.extracted


def _error_row(item: io.Item) -> dict[str, Any]:
    assert item.error is not None
    return {"origin": item.error.origin, "reason": item.error.reason}


def _earlier(left: io.Item, right: io.Item) -> io.Item:
    return left if left.order <= right.order else right


def _one_per_id(items: Iterable[io.Item]) -> Iterator[io.Item]:
    """The first article with an id; any later one with another identity is an error."""
    ordered = sorted(items, key=lambda item: item.order)
    yield ordered[0]
    for item in ordered[1:]:
        assert item.extracted is not None
        reason = f"id {item.extracted.article.id!r} is used by another article"
        yield io.Item(item.order, error=ExtractionError(item.extracted.origin, reason))


def pipeline(config: Config) -> Pipeline:
    """The NLP pipeline of this Python worker, built (spaCy loaded) on first use."""
    found = _PIPELINES.get(config)
    if found is None:
        found = _PIPELINES[config] = Pipeline(default_stages(config))
    return found


def enrich(items: Iterable[io.Item], config: Config) -> Iterator[io.Item]:
    """Run the NLP stages over a partition in batches; an article a stage fails on is an error."""
    stages = pipeline(config)
    iterator = iter(items)
    while batch := list(islice(iterator, config.batch_size)):
        try:
            articles = [_extracted(item).article for item in batch]
            done = list(stages.pipe(articles, config.batch_size))
        except Exception:  # find the article at fault, keep the rest
            yield from (_enrich_one(stages, item) for item in batch)
            continue
        for item, article in zip(batch, done, strict=True):
            article.doc = None
            _extracted(item).article = article
            yield item


def _enrich_one(stages: Pipeline, item: io.Item) -> io.Item:
    assert item.extracted is not None
    try:
        article = stages(item.extracted.article)
    except Exception as error:
        reason = f"language stages failed: {error!r}"
        return io.Item(item.order, error=ExtractionError(item.extracted.origin, reason))
    article.doc = None
    item.extracted.article = article
    return item


def _dedup_input(extracted: Extracted) -> DedupInput:
    a = extracted.article
    return DedupInput(a.id, a.text, a.outlet, a.published, extracted.text_hash)


def _with_link(joined: tuple[Extracted, CopyLink | None]) -> Extracted:
    extracted, link = joined
    extracted.article.copy_of = link
    return extracted


def _with_place(joined: tuple[Extracted, tuple[str, str]]) -> Extracted:
    extracted, (event, storyline) = joined
    extracted.article.event, extracted.article.storyline = event, storyline
    return extracted


# -- output ---------------------------------------------------------------------------


def write_tables(
    spark: SparkSession,
    output: str,
    final: RDD[Extracted],
    assignments: RDD[Assignment],
    failed: RDD[io.Item],
    partitions: int,
) -> None:
    def table(name: str, rows: RDD[dict[str, Any]], schema: Any) -> None:
        names = schema.fieldNames()
        frame = spark.createDataFrame(rows.map(lambda r: tuple(r.get(n) for n in names)), schema)
        frame.write.mode("overwrite").parquet(f"{output.rstrip('/')}/{name}")

    schemas = _schemas()
    ordered = final.sortBy(lambda e: (_stamp(e.article.published), e.article.id), True, partitions)
    table("articles", ordered.map(io.article_row), schemas["articles"])
    stories = final.flatMap(_story_members).groupByKey(partitions).map(_story)
    table("stories", stories.sortBy(lambda s: (s["kind"], s["id"])), schemas["stories"])
    logged = assignments.sortBy(lambda a: (a.article, _KIND_ORDER.get(a.kind, 3), a.target))
    table("assignments", logged.map(io.assignment_row), schemas["assignments"])
    errors = failed.map(_error_row)
    table("errors", errors.sortBy(lambda e: (e["origin"], e["reason"])), schemas["errors"])


def _stamp(when: datetime | None) -> tuple[bool, float]:
    return (when is None, when.timestamp() if when is not None else 0.0)


def _story_members(extracted: Extracted) -> list[tuple[tuple[str, str], Article]]:
    a = extracted.article
    keys = [("storyline", a.storyline), ("event", a.event)]
    return [((kind, story), a) for kind, story in keys if story]


def _story(group: tuple[tuple[str, str], Iterable[Article]]) -> dict[str, Any]:
    """One event or storyline with its views, as its export dict."""
    (kind, story_id), members = group
    articles = sorted(members, key=lambda a: (_stamp(a.published), a.id))
    dates = [a.published for a in articles if a.published is not None]
    first = articles[0]
    story = Story(
        id=story_id,
        kind=kind,
        title=first.title or " ".join(first.text.split()[:12]),
        articles=[a.id for a in articles],
        first_published=min(dates) if dates else None,
        last_published=max(dates) if dates else None,
    )
    if kind == "storyline":
        events: dict[str, datetime | None] = {}
        for article in articles:
            if article.event and article.event not in events:
                events[article.event] = article.published
        story.events = list(events)
    else:
        story.storyline = first.storyline
    groups = {a.copy_of.original if a.copy_of else a.id for a in articles}
    story.independent_reports = len(groups)
    story.copies = len(articles) - len(groups)
    views = story_views(articles)
    story.summary, story.timeline = views.summary, views.timeline
    story.contradictions, story.agreements = views.contradictions, views.agreements
    story.quotes, story.estimated_dates = views.quotes, views.dates
    data = story.to_dict()
    data.setdefault("events", [])
    data.setdefault("storyline", None)
    return io.story_row(data)


def _schemas() -> dict[str, Any]:
    from pyspark.sql.types import (
        ArrayType,
        BooleanType,
        DoubleType,
        IntegerType,
        StringType,
        StructField,
        StructType,
    )

    def strings(*names: str) -> list[Any]:
        return [StructField(name, StringType(), True) for name in names]

    stories = StructType(
        [
            *strings("id", "kind", "title", "storyline", "first_published", "last_published"),
            StructField("articles", ArrayType(StringType()), False),
            StructField("events", ArrayType(StringType()), False),
            StructField("independent_reports", IntegerType(), True),
            StructField("copies", IntegerType(), True),
            *strings(*io.STORY_JSON_COLUMNS),
        ]
    )
    assignments = StructType(
        [
            *strings("article", "kind", "target"),
            StructField("created", BooleanType(), False),
            StructField("score", DoubleType(), True),
            StructField("runner_up", StringType(), True),
            StructField("runner_up_score", DoubleType(), True),
            *strings("features", "reason"),
        ]
    )
    return {
        "articles": StructType(strings(*io.ARTICLE_COLUMNS)),
        "stories": stories,
        "assignments": assignments,
        "errors": StructType(strings("origin", "reason")),
    }


# -- command line -----------------------------------------------------------------------


def parse_conf(pairs: Iterable[str]) -> dict[str, str]:
    """``key=value`` Spark settings; anything else is a usage error."""
    conf: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--conf {pair!r}: expected key=value")
        conf[key.strip()] = value
    return conf


def submit(
    inputs: Sequence[str],
    output: str,
    *,
    master: str | None = None,
    conf: dict[str, str] | None = None,
    window_days: float = 7.0,
    partitions: int | None = None,
    config: Config | None = None,
    split_bytes: int = io.SPLIT_BYTES,
) -> JobReport:
    """Start (or reuse) a SparkSession and run the job: what both command lines call."""
    spark = session(master, conf or {})
    settings = JobSettings(
        tuple(inputs), output, config or Config.load(), window_days, partitions, split_bytes
    )
    return run(spark, settings)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m storyline.spark`` and ``spark-submit storyline/spark/__main__.py``."""
    parser = argparse.ArgumentParser(prog="storyline-spark", description=__doc__.split("\n")[0])
    parser.add_argument("inputs", nargs="+", metavar="INPUT")
    parser.add_argument("--output", required=True, metavar="DIR")
    parser.add_argument("--master", help="Spark master (default: spark-submit's, else local[*])")
    parser.add_argument("--conf", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--window-days", type=float, default=7.0)
    parser.add_argument("--partitions", type=int)
    parser.add_argument(
        "--split-mb",
        type=float,
        default=io.SPLIT_BYTES / 2**20,
        help="local input files are read in parts of about this size, one task each",
    )
    parser.add_argument("--config", metavar="FILE", help="storyline TOML settings file")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    try:
        report = submit(
            args.inputs,
            args.output,
            master=args.master,
            conf=parse_conf(args.conf),
            window_days=args.window_days,
            partitions=args.partitions,
            split_bytes=max(1, int(args.split_mb * 2**20)),
            config=Config.load(args.config),
        )
    except StorylineError as error:
        print(f"error: {error}", file=sys.stderr)
        return 3
    for message in report.errors:
        print(f"error: {message}", file=sys.stderr)
    print(json.dumps(report.to_dict(), indent=2) if args.json else report.summary())
    return 0 if report.ok else 1


__all__ = ["JobReport", "JobSettings", "main", "run", "session", "submit"]
