from __future__ import annotations

import gzip
import json
import re
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import click
import pytest

from storyline.cli import main
from storyline.config import Config
from storyline.engine import Engine
from storyline.store import MIGRATIONS, Store

Write = Callable[..., Path]
Record = Callable[..., dict[str, Any]]
TextFile = Callable[[str], str]

SUMMARY = re.compile(
    r"^read (\d+), new (\d+), already known (\d+), failed (\d+); "
    r"events touched (\d+), storylines touched (\d+)$"
)
ARTICLE_FIELDS = {
    "id": str,
    "url": (str, type(None)),
    "path": (str, type(None)),
    "outlet": (str, type(None)),
    "title": str,
    "published": (str, type(None)),
    "language": (str, type(None)),
    "event": str,
    "storyline": str,
    "copy_of": (dict, type(None)),
    "entities": list,
    "quotes": list,
    "times": list,
    "facts": list,
}
STORY_FIELDS = {
    "id": str,
    "kind": str,
    "title": str,
    "articles": list,
    "summary": list,
    "timeline": list,
    "contradictions": list,
}
KEYS = ["bridge", "bridge_other_outlet", "rates", "football", "bridge_inquiry"]


def summary(output: str) -> tuple[int, ...]:
    lines = [line for line in output.splitlines() if SUMMARY.match(line)]
    assert len(lines) == 1, output
    match = SUMMARY.match(lines[0])
    assert match is not None
    return tuple(int(group) for group in match.groups())


def iso_or_none(value: str | None) -> bool:
    if value is None:
        return True
    return datetime.fromisoformat(value.replace("Z", "+00:00")).tzinfo is not None


def check_article(data: dict[str, Any]) -> None:
    for key, kind in ARTICLE_FIELDS.items():
        assert key in data, f"article export lacks {key!r}"
        assert isinstance(data[key], kind), (key, data[key])
    assert iso_or_none(data["published"])
    for entity in data["entities"]:
        assert {"text", "label", "start", "end", "canonical"} <= set(entity)
    for quote in data["quotes"]:
        assert {"text", "start", "end", "speaker"} <= set(quote)
    for time in data["times"]:
        assert {"text", "start", "end", "type", "value"} <= set(time)
    for fact in data["facts"]:
        assert {"entity", "attribute", "value", "start", "end"} <= set(fact)


def check_story(data: dict[str, Any]) -> None:
    for key, kind in STORY_FIELDS.items():
        assert key in data, f"story export lacks {key!r}"
        assert isinstance(data[key], kind), (key, data[key])
    assert data["kind"] in ("event", "storyline")
    if data["kind"] == "storyline":
        assert isinstance(data["events"], list) and data["events"]
    else:
        assert isinstance(data["storyline"], str)
    assert data["articles"]


def jsonl(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@pytest.fixture
def loaded(cli: Any, write: Write, record: Record) -> Any:
    """A database holding the bridge story, its follow-up, and unrelated news."""
    result = cli("ingest", str(write("feed.jsonl", [record(key) for key in KEYS])))
    assert result.exit_code == 0, result.output
    return cli


# -- ingest ---------------------------------------------------------------------------


def test_cli_ingest_prints_the_one_line_summary(cli: Any, write: Write, record: Record) -> None:
    path = write("feed.jsonl", [record(key) for key in KEYS])
    result = cli("ingest", str(path))
    assert result.exit_code == 0
    assert result.stdout.strip().splitlines() == [result.stdout.strip()]
    read, new, known, failed, events, storylines = summary(result.stdout)
    assert (read, new, known, failed) == (5, 5, 0, 0)
    with cli.engine() as engine:
        assert engine.store.count_articles() == 5
        assert events == len(engine.events())
        assert storylines == len(engine.stories())


def test_cli_ingest_stores_the_views_of_what_it_touched_unless_told_not_to(
    cli: Any, write: Write, record: Record
) -> None:
    first = write("first.jsonl", [record(key) for key in KEYS[:3]])
    assert cli("ingest", str(first)).exit_code == 0
    with cli.engine() as engine:
        assert engine.views.stale() == []
    later = write("later.jsonl", [record(key) for key in KEYS[3:]])
    assert cli("ingest", "--no-refresh", str(later)).exit_code == 0
    with cli.engine() as engine:
        assert engine.views.stale() != []
    result = cli("refresh")
    assert result.exit_code == 0, result.output
    with cli.engine() as engine:
        assert engine.views.stale() == []


def test_cli_ingest_again_is_a_no_op(cli: Any, write: Write, record: Record) -> None:
    path = write("feed.jsonl", [record(key) for key in KEYS])
    cli("ingest", str(path))
    with cli.engine() as engine:
        before = [a.to_dict() for a in engine.articles()]
    result = cli("ingest", str(path))
    assert result.exit_code == 0
    assert summary(result.stdout) == (5, 0, 5, 0, 0, 0)
    with cli.engine() as engine:
        assert [a.to_dict() for a in engine.articles()] == before


def test_cli_ingest_json_report(cli: Any, write: Write, record: Record) -> None:
    result = cli("ingest", "--json", str(write("feed.jsonl", [record("bridge")])))
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert (report["read"], report["new"], report["known"], report["failed"]) == (1, 1, 0, 0)
    with cli.engine() as engine:
        [article] = engine.articles()
    assert report["events"] == [article.event]
    assert report["storylines"] == [article.storyline]


def test_cli_ingest_directories_and_gzip(
    cli: Any, write: Write, record: Record, text_file: TextFile, tmp_path: Path
) -> None:
    write("in/a.txt.gz", text_file("bridge"))
    write("in/sub/b.jsonl.gz", [record("rates"), record("football")])
    page = f"<html><body><article><p>{record('wildfire')['text']}</p></article></body></html>"
    write("in/sub/c.html.gz", page)
    result = cli("ingest", str(tmp_path / "in"))
    assert result.exit_code == 0, result.output
    assert summary(result.stdout)[:4] == (4, 4, 0, 0)
    with cli.engine() as engine:
        assert [Path(a.path or "").name for a in engine.articles()] == [
            "a.txt.gz",
            "b.jsonl.gz",
            "b.jsonl.gz",
            "c.html.gz",
        ]


def test_cli_ingest_bad_inputs_exit_1_and_name_each_input(
    cli: Any, write: Write, record: Record, text_file: TextFile, tmp_path: Path
) -> None:
    good = write("good.txt", text_file("bridge"))
    binary = write("photo.txt", b"\x89PNG\r\n\x1a\n" + bytes(100))
    empty = write("empty.txt", "")
    feed = write("feed.jsonl", json.dumps(record("rates")) + "\n{oops\n" + "[1]\n")
    missing = tmp_path / "missing.txt"
    result = cli("ingest", str(good), str(binary), str(empty), str(feed), str(missing))
    assert result.exit_code == 1
    assert summary(result.stdout)[:4] == (7, 2, 0, 5)
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors == [
        f"error: {binary}: binary file, not text",
        f"error: {empty}: empty file",
        f"error: {feed}:2: " + errors[2].split(f"{feed}:2: ", 1)[1],
        f"error: {feed}:3: expected a JSON object, got list",
        f"error: {missing}: no such file or directory",
    ]
    assert "malformed JSON" in errors[2]
    with cli.engine() as engine:
        assert sorted(a.title for a in engine.articles()) == sorted(
            [record("bridge")["title"], record("rates")["title"]]
        )


BAD_INPUTS = {
    "binary": ("photo.txt", b"\x89PNG\r\n\x1a\n" + bytes(300), "binary file"),
    "empty": ("empty.txt", b"", "empty file"),
    "non-article-html": (
        "nav.html",
        b"<html><head><title>Menu</title></head><body></body></html>",
        "no article",
    ),
    "malformed-json": ("feed.jsonl", b'{"text": "half a record\n', "malformed JSON"),
    "json-not-object": ("feed.jsonl", b'["a", "list"]\n', "expected a JSON object"),
    "record-without-body": ("feed.jsonl", b'{"title": "Headline only"}\n', "neither 'text'"),
    "too-large": ("long.txt", b"Long\n\n" + b"word " * 3000, "too large"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_cli_each_bad_input_exits_1_and_the_rest_is_ingested(
    cli: Any, write: Write, text_file: TextFile, record: Record, case: str
) -> None:
    name, content, message = BAD_INPUTS[case]
    bad = write(f"in/{name}", content)
    write("in/a-first.txt", text_file("bridge"))
    write("in/z-last.txt", text_file("rates"))
    config = write("small.toml", "[storyline]\nmax_article_bytes = 10000\n")
    result = cli("--config", str(config), "ingest", str(bad.parent))
    assert result.exit_code == 1
    [error] = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert error.startswith(f"error: {bad}")
    assert message in error
    assert summary(result.stdout)[1:4] == (2, 0, 1)
    with cli.engine() as engine:
        assert sorted(a.title for a in engine.articles()) == sorted(
            record(key)["title"] for key in ("bridge", "rates")
        )


def test_cli_ingest_text_from_stdin(cli: Any, text_file: TextFile, record: Record) -> None:
    result = cli("ingest", "-", input=text_file("wildfire"))
    assert result.exit_code == 0, result.output
    assert summary(result.stdout)[:4] == (1, 1, 0, 0)
    with cli.engine() as engine:
        [article] = engine.articles()
    assert article.title == record("wildfire")["title"]
    assert article.path is None


def test_cli_ingest_stdin_error_is_named_stdin(cli: Any) -> None:
    result = cli("ingest", "-", input=b"\x00\x01binary")
    assert result.exit_code == 1
    assert "error: <stdin>: binary file" in result.stderr


@pytest.mark.parametrize("compress", [False, True], ids=["jsonl", "jsonl.gz"])
def test_cli_ingest_json_lines_from_stdin(cli: Any, record: Record, compress: bool) -> None:
    data = "".join(json.dumps(record(key)) + "\n" for key in ("rates", "football")).encode()
    result = cli("ingest", "-", input=gzip.compress(data) if compress else data)
    assert result.exit_code == 0, result.output
    with cli.engine() as engine:
        assert sorted(a.title for a in engine.articles()) == sorted(
            record(key)["title"] for key in ("rates", "football")
        )


@pytest.mark.parametrize("compress", [False, True], ids=["jsonl", "jsonl.gz"])
def test_cli_ingest_json_lines_from_a_piped_stdin(cli: Any, record: Record, compress: bool) -> None:
    data = "".join(json.dumps(record(key)) + "\n" for key in ("rates", "football")).encode()
    done = subprocess.run(
        [sys.executable, "-m", "storyline", "--db", str(cli.db), "ingest", "-"],
        input=gzip.compress(data) if compress else data,
        capture_output=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert summary(done.stdout.decode())[:4] == (2, 2, 0, 0)
    with cli.engine() as engine:
        assert [a.title for a in engine.articles()] == [
            record("rates")["title"],
            record("football")["title"],
        ]


def test_cli_ingest_needs_a_path(cli: Any) -> None:
    result = cli("ingest")
    assert result.exit_code == 2
    assert "Missing argument" in result.stderr


# -- reading --------------------------------------------------------------------------


def test_cli_stories_lists_storylines_and_events(loaded: Any) -> None:
    result = loaded("stories")
    assert result.exit_code == 0
    with loaded.engine() as engine:
        stories = engine.stories()
        for story in stories:
            assert story.id in result.stdout
            for event in story.events:
                assert event in result.stdout
    assert "Harbour Bridge" in result.stdout


def test_cli_stories_json(loaded: Any) -> None:
    result = loaded("stories", "--json")
    assert result.exit_code == 0
    payload = json.loads(result.stdout)
    with loaded.engine() as engine:
        stories = engine.stories()
        assert [s["id"] for s in payload] == [s.id for s in stories]
        for item, story in zip(payload, stories, strict=True):
            assert item["kind"] == "storyline"
            assert item["articles"] == story.articles
            assert [e["id"] for e in item["events"]] == story.events
            for event in item["events"]:
                assert event["storyline"] == story.id
                assert event["articles"] == engine.story(event["id"]).articles


def test_cli_stories_limit(loaded: Any) -> None:
    payload = json.loads(loaded("stories", "--json", "--limit", "1").stdout)
    assert len(payload) == 1
    assert loaded("stories", "--limit", "0").exit_code == 2


def test_cli_stories_on_an_empty_database(cli: Any) -> None:
    result = cli("stories")
    assert result.exit_code == 0
    assert "No stories yet" in result.stdout
    assert json.loads(cli("stories", "--json").stdout) == []


def test_cli_show_storyline(loaded: Any, record: Record) -> None:
    with loaded.engine() as engine:
        story = next(s for s in engine.stories() if len(s.events) > 1)
        titles = [a.title for a in engine.articles(story.articles)]
    result = loaded("show", story.id)
    assert result.exit_code == 0
    assert story.id in result.stdout
    for event in story.events:
        assert f"event {event}" in result.stdout
    for title in titles:
        assert title[:30] in result.stdout


def test_cli_show_event_names_its_storyline(loaded: Any) -> None:
    with loaded.engine() as engine:
        event = engine.events()[0]
    result = loaded("show", event.id)
    assert result.exit_code == 0
    assert f"part of storyline {event.storyline}" in result.stdout


def test_cli_show_json(loaded: Any) -> None:
    with loaded.engine() as engine:
        story = engine.stories()[0]
        articles = [a.to_dict() for a in engine.articles(story.articles)]
    result = loaded("show", story.id, "--json")
    assert result.exit_code == 0
    payload = json.loads(result.stdout)
    check_story({**payload, "articles": story.articles})
    assert payload["id"] == story.id
    assert payload["events"] == story.events
    assert [a["id"] for a in payload["articles"]] == story.articles
    for shown, article in zip(payload["articles"], articles, strict=True):
        assert "text" not in shown
        check_article(shown)
        assert shown == {k: v for k, v in article.items() if k != "text"}


def test_cli_why_explains_both_decisions(loaded: Any) -> None:
    with loaded.engine() as engine:
        article = list(engine.articles())[1]
        reasons = engine.why(article.id)
    result = loaded("why", article.id)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert f"event {article.event}: {reasons[0].reason}" in lines
    assert f"storyline {article.storyline}: {reasons[1].reason}" in lines
    payload = json.loads(loaded("why", article.id, "--json").stdout)
    assert [item["kind"] for item in payload] == ["event", "storyline"]
    assert [item["target"] for item in payload] == [article.event, article.storyline]


@pytest.mark.parametrize("command", ["show", "why"])
def test_cli_unknown_id_exits_4_with_a_message(loaded: Any, command: str) -> None:
    result = loaded(command, "no-such-id")
    assert result.exit_code == 4
    assert "error:" in result.stderr
    assert "'no-such-id'" in result.stderr
    assert result.stdout == ""


# -- export ---------------------------------------------------------------------------


def test_cli_export_articles_schema(loaded: Any) -> None:
    result = loaded("export")
    assert result.exit_code == 0
    records = jsonl(result.stdout)
    with loaded.engine() as engine:
        assert [r["id"] for r in records] == [a.id for a in engine.articles()]
        stories = {s.id for s in engine.stories()} | {e.id for e in engine.events()}
    assert len(records) == len(KEYS)
    for data in records:
        check_article(data)
        assert data["event"] in stories and data["storyline"] in stories
        assert data["published"].endswith("Z")


def test_cli_export_stories_schema(loaded: Any) -> None:
    result = loaded("export", "--stories")
    assert result.exit_code == 0
    records = jsonl(result.stdout)
    with loaded.engine() as engine:
        expected = [s.id for s in engine.stories()] + [e.id for e in engine.events()]
        assert [r["id"] for r in records] == expected
        for data in records:
            check_story(data)
            assert data["articles"] == engine.story(data["id"]).articles
            assert iso_or_none(data.get("first_published"))
            assert iso_or_none(data.get("last_published"))
    events = {r["id"]: r for r in records if r["kind"] == "event"}
    for storyline in (r for r in records if r["kind"] == "storyline"):
        for event in storyline["events"]:
            assert events[event]["storyline"] == storyline["id"]


def test_cli_export_to_a_file(loaded: Any, tmp_path: Path) -> None:
    out = tmp_path / "out" / "articles.jsonl"
    out.parent.mkdir()
    result = loaded("export", "-o", str(out))
    assert result.exit_code == 0
    assert result.stdout == ""
    assert jsonl(out.read_text(encoding="utf-8")) == jsonl(loaded("export").stdout)
    stories = tmp_path / "stories.jsonl"
    assert loaded("export", "--stories", "--output", str(stories)).exit_code == 0
    assert [r["kind"] for r in jsonl(stories.read_text(encoding="utf-8"))]


def test_cli_export_keeps_non_ascii_text(cli: Any, write: Write, accented: str) -> None:
    cli("ingest", str(write("zurich.txt", accented)))
    [data] = jsonl(cli("export").stdout)
    assert data["title"].startswith("Caf\u00e9 owners in Z\u00fcrich")


# -- options, environment and exit statuses -------------------------------------------


def test_cli_every_command_has_help(cli: Any) -> None:
    result = cli("--help", db=False)
    assert result.exit_code == 0
    assert "Usage:" in result.stdout
    assert isinstance(main, click.Group)
    assert set(main.commands) >= {"ingest", "stories", "show", "why", "export"}
    for name, command in main.commands.items():
        assert command.help and command.help.strip(), f"{name} has no help text"
        assert name in result.stdout
        shown = cli(name, "--help", db=False)
        assert shown.exit_code == 0
        first_words = " ".join(command.help.split()[:4])
        assert first_words in " ".join(shown.stdout.split())
        assert cli(name, "-h", db=False).stdout == shown.stdout


def test_cli_version(cli: Any) -> None:
    result = cli("--version", db=False)
    assert result.exit_code == 0
    assert re.search(r"\d+\.\d+", result.stdout)


def test_cli_storyline_db_environment_variable_is_honoured(
    cli: Any, write: Write, text_file: TextFile, tmp_path: Path
) -> None:
    db = tmp_path / "from-env.db"
    path = write("a.txt", text_file("bridge"))
    result = cli("ingest", str(path), db=False, env={"STORYLINE_DB": str(db)})
    assert result.exit_code == 0
    with Engine(db, config=Config()) as engine:
        assert engine.store.count_articles() == 1
    assert not cli.db.exists()
    assert not (tmp_path / "storyline.db").exists()


def test_cli_db_option_wins_over_the_environment(
    cli: Any, write: Write, text_file: TextFile, tmp_path: Path
) -> None:
    path = write("a.txt", text_file("bridge"))
    result = cli("ingest", str(path), env={"STORYLINE_DB": str(tmp_path / "env.db")})
    assert result.exit_code == 0
    assert not (tmp_path / "env.db").exists()
    with cli.engine() as engine:
        assert engine.store.count_articles() == 1


def test_cli_default_database_is_storyline_db_in_the_working_directory(
    cli: Any, write: Write, text_file: TextFile, tmp_path: Path
) -> None:
    assert cli("ingest", str(write("a.txt", text_file("bridge"))), db=False).exit_code == 0
    assert (tmp_path / "storyline.db").is_file()


@pytest.mark.parametrize("command", [["ingest", "x.txt"], ["stories"], ["export"]])
def test_cli_db_that_is_not_sqlite_exits_3(cli: Any, tmp_path: Path, command: list[str]) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("shopping list: bread, milk, eggs\n" * 200)
    result = cli("--db", str(notes), *command, db=False)
    assert result.exit_code == 3
    assert f"error: {notes}: not a storyline database" in result.stderr
    assert notes.read_text().startswith("shopping list")


def test_cli_db_from_a_newer_storyline_exits_3(cli: Any) -> None:
    newest = max(version for version, _, _ in MIGRATIONS)
    with Store(cli.db) as store:
        store.db.execute("INSERT INTO migrations VALUES (?, 'future', 'later')", (newest + 1,))
    result = cli("stories")
    assert result.exit_code == 3
    assert "newer storyline" in result.stderr


def test_cli_bad_configuration_exits_3_naming_the_source(cli: Any) -> None:
    result = cli("stories", env={"STORYLINE_BATCH_SIZE": "abc"})
    assert result.exit_code == 3
    assert "environment" in result.stderr
    assert "batch_size" in result.stderr


def test_cli_config_file_option(cli: Any, write: Write, text_file: TextFile) -> None:
    config = write("conf.toml", "[storyline]\nmin_words = 1000\n")
    path = write("a.txt", text_file("bridge"))
    result = cli("--config", str(config), "ingest", str(path))
    assert result.exit_code == 1
    assert "no article text" in result.stderr
    missing = cli("--config", str(config) + ".missing", "stories")
    assert missing.exit_code == 3
    assert "cannot read configuration" in missing.stderr


def test_cli_runs_as_a_module(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "storyline", "--help"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        cwd=tmp_path,
    )
    assert done.returncode == 0
    assert "ingest" in done.stdout


def test_cli_recluster_prints_what_moved(cli: Any) -> None:
    example = Path(__file__).resolve().parents[1] / "storyline" / "data" / "example.jsonl"
    assert cli("ingest", str(example)).exit_code == 0
    result = cli("recluster", "--dry-run")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("dry run: 52 articles: events 20 -> 20")


def test_cli_timeline_cell_keeps_the_value_of_a_two_sentence_fact_in_view() -> None:
    from storyline.render import excerpt_ending_at

    text = (
        "So, singer Tomas Berg is twinning hard with his son, Miles, 9 weeks old. His wife "
        "recently shared an Instagram clip of their little guy (who was born on July 21)."
    )
    cell = excerpt_ending_at(text, text.index("July 21") + len("July 21"))
    assert cell.startswith("…") and cell.endswith("born on July 21).")
    assert len(cell) <= 80
    assert (
        excerpt_ending_at("Miles was born in May of 2018.", 29) == "Miles was born in May of 2018."
    )
