"""Load the Spark job's Parquet tables into a SQLite store, so the web app serves them.

    storyline --db news.db import out/

Articles are read in the order the job wrote them (publication order) and
inserted through :class:`Store`, one transaction per ``batch_size`` articles,
and indexed for copy detection with the links the job found, so that a later
``storyline ingest`` into the store finds imported articles as originals.
Within the same transaction the events and storylines those articles belong to
are rebuilt as the engine keeps them (term profiles, sizes, dates, as if the
engine had placed the articles where the job did) and the job's logged reasons
for the batch are written, so a failure leaves whole batches only and a re-run
skips the articles already there. Articles whose identity the store knows are
skipped, as ingest skips them.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .cluster import Clusterer, ClusterState, Profile, _title_of
from .config import Config
from .dedup import Deduplicator
from .errors import SourceError
from .model import Article, Assignment
from .store import SqliteCopyIndex, Store


@dataclass(slots=True)
class ImportReport:
    read: int = 0
    new: int = 0
    known: int = 0

    def summary(self) -> str:
        return f"read {self.read}, new {self.new}, already known {self.known}"


def import_tables(
    directory: str | os.PathLike[str], store: Store, config: Config | None = None
) -> ImportReport:
    """Insert the articles, events, storylines and reasons of a job's output into ``store``."""
    import json

    from .spark.io import row_article

    config = config or Config()
    root = Path(directory)
    for table in ("articles", "assignments"):
        if not (root / table).is_dir():
            raise SourceError(str(root / table), "no such table: is this a storyline spark output?")
    reasons: dict[str, list[Assignment]] = defaultdict(list)
    for row in _rows(root / "assignments"):
        row["features"] = json.loads(row["features"] or "{}")
        assignment = Assignment.from_dict(row)
        reasons[assignment.article].append(assignment)
    report = ImportReport()
    state = ClusterState(capacity=config.active_clusters, loader=store.load_profile)
    clusterer = Clusterer(config, state)
    copies = Deduplicator(config, SqliteCopyIndex(store))
    batch: list[tuple[Article, str, str]] = []
    for row in _rows(root / "articles"):
        report.read += 1
        batch.append((Article.from_dict(row_article(row)), row["identity"], row["text_hash"]))
        if len(batch) >= config.batch_size:
            _write(store, clusterer, copies, batch, reasons, report)
            batch = []
    if batch:
        _write(store, clusterer, copies, batch, reasons, report)
    return report


def _write(
    store: Store,
    clusterer: Clusterer,
    copies: Deduplicator,
    batch: list[tuple[Article, str, str]],
    reasons: dict[str, list[Assignment]],
    report: ImportReport,
) -> None:
    known = store.known_identities(identity for _, identity, _ in batch)
    state = clusterer.state
    with store.atomic():
        for article, identity, digest in batch:
            if identity in known or store.has_article_id(article.id):
                report.known += 1
                continue
            store.insert_article(article, identity, digest)
            copies.index_linked(article, digest)
            vectors = clusterer.vectorise(article)
            event = _profile(state, "event", article.event, article)
            storyline = _profile(state, "storyline", article.storyline, article)
            for profile in (event, storyline):
                if profile is not None:
                    profile.absorb(vectors, article.published)
                    state.add(profile)
            if event is not None and storyline is not None:
                event.storyline = storyline.id
            store.log_assignments(reasons.pop(article.id, []))
            report.new += 1
        store.save_cluster_changes(state)


def _profile(state: ClusterState, kind: str, cluster_id: str | None, first: Article) -> Any:
    """The profile of an event or storyline: active, stored, or new with this article."""
    if cluster_id is None:
        return None
    table = state.events if kind == "event" else state.storylines
    found: Profile | None = table.get(cluster_id)
    if found is None and state.loader is not None:
        found = state.loader(cluster_id)
    if found is None:
        state.seq += 1
        found = Profile(id=cluster_id, kind=kind, title=_title_of(first), seq=state.seq)
    return found


def _rows(table: Path) -> Iterator[dict[str, Any]]:
    import pyarrow.parquet as pq

    files = sorted(p for p in table.rglob("*.parquet"))
    for file in files:
        for batch in pq.ParquetFile(file).iter_batches(batch_size=1024):
            yield from batch.to_pylist()
