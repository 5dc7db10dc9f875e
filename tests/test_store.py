from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

import storyline.store as store_module
from storyline.engine import Engine
from storyline.errors import NotFoundError, StoreError
from storyline.model import Article, CopyLink, Entity, Quote
from storyline.store import MIGRATIONS, Store

LATEST = max(version for version, _, _ in MIGRATIONS)


def make_article(number: int, **changes: object) -> Article:
    article = Article(
        id=f"a{number}",
        text=f"Article number {number} says the council met on Monday to discuss the budget.",
        title=f"Article {number}",
        url=f"https://example.com/{number}",
        published=datetime(2024, 3, number % 28 + 1, 12, tzinfo=UTC),
        language="en",
    )
    for name, value in changes.items():
        setattr(article, name, value)
    return article


def insert(store: Store, *articles: Article) -> None:
    with store.atomic():
        for article in articles:
            store.insert_article(article, f"url:{article.url}", f"hash-{article.id}")


def count(store: Store) -> int:
    return store.count_articles()


# -- schema ---------------------------------------------------------------------------


def test_store_applies_and_records_every_migration(store: Store) -> None:
    rows = store.db.execute("SELECT version, name, applied_at FROM migrations ORDER BY 1")
    recorded = [(row["version"], row["name"]) for row in rows]
    assert recorded == [(version, name) for version, name, _ in MIGRATIONS]
    assert store.schema_version == LATEST
    tables = {
        row[0] for row in store.db.execute("SELECT name FROM sqlite_master WHERE type='table'")
    }
    assert {"migrations", "articles", "clusters", "assignments", "term_stats"} <= tables


def test_store_reopening_applies_nothing(db_path: Path) -> None:
    with Store(db_path) as first:
        insert(first, make_article(1))
        before = first.db.execute("SELECT * FROM migrations ORDER BY version").fetchall()
    with Store(db_path) as again:
        assert again.migrate() == []
        after = again.db.execute("SELECT * FROM migrations ORDER BY version").fetchall()
        assert [tuple(row) for row in after] == [tuple(row) for row in before]
        assert again.article("a1").title == "Article 1"


@pytest.mark.skipif(len(MIGRATIONS) < 2, reason="needs at least two migrations")
def test_store_upgrades_an_older_database_on_open(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as patch:
        patch.setattr(store_module, "MIGRATIONS", MIGRATIONS[:1])
        with Store(db_path) as old:
            assert old.schema_version == MIGRATIONS[0][0]
            insert(old, make_article(1))
    with Store(db_path) as upgraded:
        assert upgraded.schema_version == LATEST
        assert upgraded.article("a1").title == "Article 1"


def test_store_failed_migration_leaves_the_database_as_it_was(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    Store(db_path).close()
    broken = (LATEST + 1, "broken", "CREATE TABLE half (x); INSERT INTO nowhere VALUES (1);")
    monkeypatch.setattr(store_module, "MIGRATIONS", (*MIGRATIONS, broken))
    with pytest.raises(StoreError, match="nowhere"):
        Store(db_path)
    monkeypatch.setattr(store_module, "MIGRATIONS", MIGRATIONS)
    with Store(db_path) as store:
        assert store.schema_version == LATEST
        assert store.db.execute("SELECT name FROM sqlite_master WHERE name='half'").fetchone() is (
            None
        )


def test_store_refuses_a_database_from_a_newer_storyline(db_path: Path) -> None:
    with Store(db_path) as store:
        store.db.execute("INSERT INTO migrations VALUES (?, 'future', '2030-01-01')", (LATEST + 7,))
    with pytest.raises(StoreError) as caught:
        Store(db_path)
    message = str(caught.value)
    assert str(db_path) in message
    assert "newer storyline" in message
    assert f"schema {LATEST + 7} > {LATEST}" in message


@pytest.mark.parametrize(
    "content",
    [b"this is a plain text file, not a database\n" * 100, b"\x89PNG\r\n\x1a\n" + bytes(4096)],
)
def test_store_refuses_a_file_that_is_not_sqlite(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(content)
    with pytest.raises(StoreError, match="not a storyline database") as caught:
        Store(path)
    assert str(path) in str(caught.value)
    assert path.read_bytes() == content


def test_store_refuses_a_path_in_a_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="does not exist"):
        Store(tmp_path / "no" / "such" / "folder" / "x.db")


def test_store_uses_wal_journal_mode(db_path: Path) -> None:
    with Store(db_path) as store:
        assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


# -- transactions ---------------------------------------------------------------------


def test_store_atomic_commits_on_success(db_path: Path) -> None:
    with Store(db_path) as store:
        insert(store, make_article(1), make_article(2))
    with Store(db_path) as store:
        assert count(store) == 2


def test_store_atomic_rolls_back_on_exception(store: Store) -> None:
    insert(store, make_article(1))
    with pytest.raises(RuntimeError, match="boom"), store.atomic():
        store.insert_article(make_article(2), "url:2", "h2")
        store.insert_article(make_article(3), "url:3", "h3")
        raise RuntimeError("boom")
    assert count(store) == 1
    assert not store.db.in_transaction
    insert(store, make_article(4))  # the store is still usable
    assert count(store) == 2


def test_store_atomic_rolls_back_on_keyboard_interrupt(db_path: Path) -> None:
    with Store(db_path) as store:
        with pytest.raises(KeyboardInterrupt), store.atomic():
            store.insert_article(make_article(1), "url:1", "h1")
            raise KeyboardInterrupt
        assert count(store) == 0
        assert not store.db.in_transaction
    with Store(db_path) as store:
        assert count(store) == 0


def test_store_nested_atomic_is_a_savepoint(store: Store) -> None:
    with store.atomic():
        store.insert_article(make_article(1), "url:1", "h1")
        with pytest.raises(ValueError), store.atomic():
            store.insert_article(make_article(2), "url:2", "h2")
            raise ValueError("inner only")
        with store.atomic():
            store.insert_article(make_article(3), "url:3", "h3")
        assert store.db.in_transaction
    assert [a.id for a in store.articles()] == ["a1", "a3"]
    assert not store.db.in_transaction


def test_store_outer_failure_undoes_released_savepoints(store: Store) -> None:
    with pytest.raises(KeyboardInterrupt), store.atomic():
        with store.atomic():
            store.insert_article(make_article(1), "url:1", "h1")
        raise KeyboardInterrupt
    assert count(store) == 0


def test_store_duplicate_identity_fails_inside_the_transaction(store: Store) -> None:
    insert(store, make_article(1))
    with pytest.raises(sqlite3.IntegrityError), store.atomic():
        store.insert_article(make_article(2), "url:https://example.com/1", "h2")
    assert count(store) == 1


# -- articles -------------------------------------------------------------------------


def test_store_article_round_trips_every_field(store: Store) -> None:
    article = make_article(
        1,
        path="/data/1.txt",
        outlet="Example News",
        author="Jo Doe",
        metadata={"section": "local", "tags": ["a", "b"], "caf\u00e9": "Z\u00fcrich"},
        event="e1",
        storyline="s1",
        copy_of=CopyLink(original="a0", kind="syndicated", similarity=0.9),
        entities=[Entity("Helen Okafor", "PERSON", 0, 12, "Helen Okafor")],
        quotes=[Quote("We will rebuild", 20, 35, speaker="Helen Okafor")],
    )
    insert(store, article)
    assert store.article("a1") == article


def test_store_unknown_article_is_not_found(store: Store) -> None:
    with pytest.raises(NotFoundError, match="no article with id 'missing'"):
        store.article("missing")


def test_store_articles_come_in_ingest_order(store: Store) -> None:
    insert(store, make_article(3), make_article(1), make_article(2))
    assert [a.id for a in store.articles()] == ["a3", "a1", "a2"]
    assert [a.id for a in store.articles(["a2", "a3", "nope"])] == ["a3", "a2"]


def test_store_lookups_work_beyond_sqlite_variable_limits(store: Store) -> None:
    articles = [make_article(n) for n in range(1, 1201)]
    insert(store, *articles)
    identities = [f"url:{a.url}" for a in articles] + ["url:unknown"]
    assert store.known_identities(identities) == set(identities[:-1])
    ids = [a.id for a in articles]
    assert [a.id for a in store.articles(ids)] == ids
    assert store.has_article_id("a1200")
    assert not store.has_article_id("a1201")


# -- stories --------------------------------------------------------------------------


def test_store_unknown_story_is_not_found(store: Store) -> None:
    with pytest.raises(NotFoundError, match="no event or storyline with id 'e-nope'"):
        store.story("e-nope")


def test_store_has_no_stories_when_empty(store: Store) -> None:
    assert store.stories() == []
    assert store.stories("storyline") == []


def test_store_runs_a_lower_numbered_migration_added_later(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Work merged from elsewhere may add a migration numbered below one already applied."""
    skipped = MIGRATIONS[-2]
    with monkeypatch.context() as patch:
        patch.setattr(store_module, "MIGRATIONS", (*MIGRATIONS[:-2], MIGRATIONS[-1]))
        Store(db_path).close()
    with Store(db_path) as store:
        versions = [row[0] for row in store.db.execute("SELECT version FROM migrations")]
        assert sorted(versions) == [version for version, _, _ in MIGRATIONS]
        assert skipped[0] in versions


def test_store_story_listings_agree_with_stories(engine: Engine) -> None:
    example = Path(__file__).resolve().parents[1] / "storyline" / "data" / "example.jsonl"
    assert engine.ingest(example).ok
    stories = engine.store.stories()
    listed = engine.store.story_listings([s.id for s in stories])
    assert set(listed) == {s.id for s in stories}
    for story in stories:
        assert listed[story.id]["articles"] == len(story.articles)
        assert listed[story.id]["independent_reports"] == story.independent_reports
        assert listed[story.id]["title"] == story.title
