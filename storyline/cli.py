"""The ``storyline`` command: parses arguments, calls :class:`Engine`, prints results.

Exit status: 0 when everything went well, 1 when some inputs failed (the rest
was ingested), 2 for a usage error, 3 when the store or configuration cannot be
used, 4 when an id asked for does not exist.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import wraps
from typing import Any, TextIO, TypeVar

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from . import render
from .config import Config
from .engine import Engine, IngestReport
from .errors import ConfigError, InputError, NotFoundError, StoreError
from .model import Story, format_datetime
from .net import FeedSpec, Fetcher, PollReport, Watcher, load_feeds
from .net.watch import parse_interval
from .warc import is_warc

F = TypeVar("F", bound=Callable[..., Any])
EXIT_INPUT, EXIT_STORE, EXIT_NOT_FOUND = 1, 3, 4


def handles_errors(command: F) -> F:
    """Turn storyline's errors into a message on stderr and an exit status."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except (StoreError, ConfigError) as error:
            click.echo(f"error: {error}", err=True)
            sys.exit(EXIT_STORE)
        except NotFoundError as error:
            click.echo(f"error: {error}", err=True)
            sys.exit(EXIT_NOT_FOUND)

    return wrapper  # type: ignore[return-value]


@contextmanager
def open_engine(ctx: click.Context) -> Iterator[Engine]:
    options = ctx.obj
    config = Config.load(options["config"], db=options["db"])
    with Engine(config=config) as engine:
        yield engine


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db",
    metavar="PATH",
    envvar="STORYLINE_DB",
    help="SQLite store to use (default: storyline.db, or $STORYLINE_DB).",
)
@click.option(
    "--config",
    "config_path",
    metavar="FILE",
    type=click.Path(dir_okay=False),
    help="TOML settings file (default: ./storyline.toml if present, or $STORYLINE_CONFIG).",
)
@click.version_option(package_name="storyline")
@click.pass_context
def main(ctx: click.Context, db: str | None, config_path: str | None) -> None:
    """Turn a stream of news articles into events, storylines and stories."""
    ctx.obj = {"db": db, "config": config_path}


@main.command()
@click.argument("inputs", nargs=-1, required=True, metavar="PATH...")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option(
    "--allow-private",
    is_flag=True,
    help="Let URLs reach private, loopback and link-local addresses (refused by default).",
)
@click.option(
    "--no-refresh",
    "no_refresh",
    is_flag=True,
    help="Leave the stories' stored views stale (for a bulk load; `storyline refresh` later).",
)
@click.pass_context
@handles_errors
def ingest(
    ctx: click.Context,
    inputs: tuple[str, ...],
    as_json: bool,
    allow_private: bool,
    no_refresh: bool,
) -> None:
    """Ingest text, HTML and JSON Lines files, directories, .gz variants, - for stdin,
    WARC files (.warc, .warc.gz; resumed where an interrupted run stopped) and
    http(s) URLs (fetched politely: robots.txt, rate limits, retries).

    Bad inputs are reported with their file and line and skipped; the exit status is 1
    when any input failed. The stored views of the stories the run touched are
    computed at its end, unless --no-refresh.
    """
    err = Console(stderr=True)

    def on_error(error: InputError) -> None:
        err.print(f"[red]error:[/red] {error}", highlight=False, markup=True, soft_wrap=True)

    urls = [item for item in inputs if item.lower().startswith(("http://", "https://"))]
    warcs = [item for item in inputs if item not in urls and is_warc(item)]
    files = [item for item in inputs if item not in urls and item not in warcs]
    show_progress = err.is_terminal and not as_json
    report = IngestReport()
    with open_engine(ctx) as engine:
        # the views are computed once, after every input, not after each kind
        if files and show_progress:
            with _progress_bar(err) as update:
                report.add(engine.ingest(files, on_error=on_error, progress=update, refresh=False))
        elif files:
            report.add(engine.ingest(files, on_error=on_error, refresh=False))
        for warc in warcs:
            if show_progress:
                with _progress_bar(err) as update:
                    report.add(
                        engine.ingest_warc(warc, on_error=on_error, progress=update, refresh=False)
                    )
            else:
                report.add(engine.ingest_warc(warc, on_error=on_error, refresh=False))
        if urls:
            _warn_without_contact(engine.config, err)
            report.add(
                engine.ingest_urls(
                    urls, allow_private=allow_private, on_error=on_error, refresh=False
                )
            )
        if not no_refresh:
            engine.refresh_views()
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2))
    else:
        click.echo(report.summary())
    if not report.ok:
        sys.exit(EXIT_INPUT)


@contextmanager
def _progress_bar(console: Console) -> Iterator[Callable[[int, int | None], None]]:
    columns = (
        TextColumn("ingesting"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("ingest", total=None)

        def update(done: int, total: int | None) -> None:
            bar.update(task, completed=done, total=total)

        yield update


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option("--limit", type=click.IntRange(min=1), help="Show at most this many storylines.")
@click.pass_context
@handles_errors
def stories(ctx: click.Context, as_json: bool, limit: int | None) -> None:
    """List storylines and their events, newest first."""
    with open_engine(ctx) as engine:
        found = engine.stories(limit)
        events = {story.id: engine.story(story.id) for s in found for story in _events(engine, s)}
    if as_json:
        payload = [
            {**s.to_dict(), "events": [events[e].to_dict() for e in s.events]} for s in found
        ]
        click.echo(json.dumps(payload, indent=2, ensure_ascii=False))
        return
    console = Console()
    if not found:
        console.print("No stories yet: run `storyline ingest PATH` first.")
        return
    table = Table("id", "storyline / event", "articles", "last published", box=None)
    for story in found:
        table.add_row(
            story.id, f"[bold]{story.title}[/bold]", str(len(story.articles)), _date(story)
        )
        for event_id in story.events:
            event = events[event_id]
            table.add_row(event.id, f"  {event.title}", str(len(event.articles)), _date(event))
    console.print(table)


def _events(engine: Engine, storyline: Story) -> list[Story]:
    return [engine.story(event_id) for event_id in storyline.events]


def _date(story: Story) -> str:
    stamp = format_datetime(story.last_published)
    return stamp[:10] if stamp else "undated"


@main.command()
@click.argument("story_id", metavar="ID")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@handles_errors
def show(ctx: click.Context, story_id: str, as_json: bool) -> None:
    """Show one storyline or event: its title, events and articles."""
    with open_engine(ctx) as engine:
        story = engine.story(story_id)
        articles = list(engine.articles(story.articles))
        events = [engine.story(e) for e in story.events]
    if as_json:
        payload = story.to_dict()
        payload["articles"] = [
            {k: v for k, v in a.to_dict().items() if k != "text"} for a in articles
        ]
        click.echo(json.dumps(payload, indent=2, ensure_ascii=False))
        return
    render.story(Console(), story, articles, events)


@main.command()
@click.argument("article_id", metavar="ARTICLE")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@handles_errors
def why(ctx: click.Context, article_id: str, as_json: bool) -> None:
    """Explain why an article went to its event and storyline."""
    with open_engine(ctx) as engine:
        assignments = engine.why(article_id)
    if as_json:
        click.echo(json.dumps([a.to_dict() for a in assignments], indent=2))
        return
    for assignment in assignments:
        features = ", ".join(f"{k} {v:.3f}" for k, v in assignment.features.items())
        click.echo(f"{assignment.kind} {assignment.target}: {assignment.reason}")
        if features:
            click.echo(f"  features of the best candidate: {features}")


@main.command()
@click.argument("feed_urls", nargs=-1, metavar="FEED_URL...")
@click.option(
    "--feeds",
    "feeds_file",
    type=click.Path(dir_okay=False),
    help="TOML file of [[feed]] tables, each with a url and an optional outlet.",
)
@click.option(
    "--every",
    metavar="INTERVAL",
    help="Time between polls: 90s, 10m, 1h (default: the watch_every setting, 10m).",
)
@click.option("--once", is_flag=True, help="Poll every feed once, then exit.")
@click.option(
    "--allow-private",
    is_flag=True,
    help="Let feeds and pages be on private, loopback and link-local addresses.",
)
@click.pass_context
@handles_errors
def watch(
    ctx: click.Context,
    feed_urls: tuple[str, ...],
    feeds_file: str | None,
    every: str | None,
    once: bool,
    allow_private: bool,
) -> None:
    """Poll RSS, Atom and JSON feeds and ingest each new item once, until Ctrl-C.

    A feed that carries only a summary has its article page fetched. Feeds that are
    down or malformed are reported and polled again next time; what was taken is
    kept in the store, so a restarted watch goes on where it stopped.
    """
    feeds = [FeedSpec(url) for url in feed_urls] + (load_feeds(feeds_file) if feeds_file else [])
    if not feeds:
        raise click.UsageError("give at least one FEED_URL or --feeds FILE")
    try:
        interval = parse_interval(every) if every else None
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--every") from None
    err = Console(stderr=True)

    def on_error(error: InputError) -> None:
        err.print(f"[red]error:[/red] {error}", highlight=False, markup=True, soft_wrap=True)

    failed = False

    def on_poll(report: PollReport) -> None:
        nonlocal failed
        failed = failed or any(feed.error or feed.failed for feed in report.feeds)
        click.echo(f"{format_datetime(datetime.now(UTC))} {report.summary()}")

    with open_engine(ctx) as engine:
        _warn_without_contact(engine.config, err)
        with Fetcher(engine.config, allow_private=allow_private) as fetcher:
            watcher = Watcher(engine, fetcher, feeds, on_error=on_error)
            try:
                watcher.run(interval, rounds=1 if once else None, on_poll=on_poll)
            except KeyboardInterrupt:
                click.echo("stopped; the next watch goes on from here", err=True)
    if once and failed:
        sys.exit(EXIT_INPUT)


def _warn_without_contact(config: Config, console: Console) -> None:
    if not config.contact_url:
        console.print(
            "note: set contact_url in storyline.toml so that site owners can reach you; "
            "it is sent in the User-Agent",
            highlight=False,
        )


@main.command()
@click.option("--stories", "stories_only", is_flag=True, help="Export stories, not articles.")
@click.option(
    "-o",
    "--output",
    type=click.File("w", encoding="utf-8"),
    default="-",
    help="File to write (default: stdout).",
)
@click.pass_context
@handles_errors
def export(ctx: click.Context, stories_only: bool, output: TextIO) -> None:
    """Write articles (or stories) as JSON Lines."""
    with open_engine(ctx) as engine:
        for record in engine.export(stories=stories_only):
            output.write(json.dumps(record, ensure_ascii=False) + "\n")


@main.command()
@click.option("--dry-run", is_flag=True, help="Report what would move without changing the store.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_context
@handles_errors
def recluster(ctx: click.Context, dry_run: bool, as_json: bool) -> None:
    """Cluster every stored article again with the current settings; report what moved."""
    with open_engine(ctx) as engine:
        report = engine.recluster(dry_run=dry_run)
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2))
        return
    click.echo(("dry run: " if dry_run else "") + report.summary())
    for article, old, new in report.moved_events:
        click.echo(f"  {article}: event {old} -> {new}")


@main.command()
@click.argument("story_id", metavar="ID")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@handles_errors
def timeline(ctx: click.Context, story_id: str, as_json: bool) -> None:
    """Show a story's dated events and facts in order, each with its source."""
    with open_engine(ctx) as engine:
        story = engine.story(story_id)
    if as_json:
        click.echo(json.dumps(story.timeline, indent=2, ensure_ascii=False))
        return
    render.timeline(Console(), story)


@main.command()
@click.argument("story_id", metavar="[ID]", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@handles_errors
def contradictions(ctx: click.Context, story_id: str | None, as_json: bool) -> None:
    """Facts on which sources disagree, in one story or in every storyline, both sides cited."""
    with open_engine(ctx) as engine:
        found = engine.contradictions(story_id)
    if as_json:
        payload = [{"story": story.id, **contradiction} for story, contradiction in found]
        click.echo(json.dumps(payload, indent=2, ensure_ascii=False))
        return
    console = Console()
    if not found:
        console.print("No contradictions found.")
    for story, contradiction in found:
        console.print(f"in {story.id} {escape(story.title)}", highlight=False)
        render.contradictions(console, [contradiction])


@main.command()
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@handles_errors
def quotes(ctx: click.Context, name: str, as_json: bool) -> None:
    """What NAME said, where and when, and which outlet carried it first."""
    with open_engine(ctx) as engine:
        found = engine.quotes(name)
    if as_json:
        click.echo(json.dumps(found, indent=2, ensure_ascii=False))
        return
    if not found:
        click.echo(f"No quotes attributed to {name}.")
        return
    render.quotes(Console(), found)


@main.command()
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Processes computing at once (one per core is the most that helps).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_context
@handles_errors
def refresh(ctx: click.Context, workers: int, as_json: bool) -> None:
    """Compute the stored views (summary, timeline, quotes, contradictions) of every
    story that has none or stale ones, largest first.

    Ingest, watch, import and recluster do this for the stories they touch; run it once
    after upgrading storyline, or after an interrupted run. Interrupted, it keeps what
    it finished.
    """
    err = Console(stderr=True)
    with open_engine(ctx) as engine:
        if err.is_terminal and not as_json:
            with _count_bar(err, "stories") as update:
                report = engine.refresh_views(progress=update, workers=workers)
        else:
            report = engine.refresh_views(workers=workers)
    click.echo(json.dumps(report.to_dict(), indent=2) if as_json else report.summary())


@contextmanager
def _count_bar(console: Console, what: str) -> Iterator[Callable[[int, int], None]]:
    columns = (TextColumn(f"{what}"), BarColumn(), TextColumn("{task.completed}/{task.total}"))
    with Progress(*columns, TimeRemainingColumn(), console=console, transient=True) as bar:
        task = bar.add_task(what, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="Port."
)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Server processes (one per core serves the most).",
)
@click.pass_context
@handles_errors
def serve(ctx: click.Context, host: str, port: int, workers: int) -> None:
    """Serve the stories as web pages, a JSON API under /api/ and Atom feeds (read-only)."""
    from .web.serving import serve as run

    options = ctx.obj
    config = Config.load(options["config"], db=options["db"])
    with Engine(config=config, stages=[]) as engine:
        stale = len(engine.views.stale())
    if stale:
        click.echo(
            f"note: {stale} stories have no up-to-date stored views; each is computed on its "
            "first view. `storyline refresh` computes them all now.",
            err=True,
        )
    run(config, options["config"], host=host, port=port, workers=workers)


@main.command("spark")
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@click.option("--output", required=True, metavar="DIR", help="Where the Parquet tables go.")
@click.option("--master", help="Spark master, e.g. local[2] or yarn (default: local[*]).")
@click.option("--conf", "conf", multiple=True, metavar="KEY=VALUE", help="A Spark setting.")
@click.option(
    "--window-days", default=7.0, show_default=True, help="Length of a clustering window."
)
@click.option(
    "--split-mb",
    default=64.0,
    show_default=True,
    help="Local input files are read in parts of about this size, one task each.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_context
@handles_errors
def spark(
    ctx: click.Context,
    inputs: tuple[str, ...],
    output: str,
    master: str | None,
    conf: tuple[str, ...],
    window_days: float,
    split_mb: float,
    as_json: bool,
) -> None:
    """Run the pipeline on Apache Spark over WARC, JSON Lines or Parquet inputs.

    Writes Parquet tables (articles, stories, assignments, errors) under DIR;
    malformed records are counted and skipped, and the exit status is then 1.
    """
    from .spark import submit
    from .spark.job import parse_conf

    config = Config.load(ctx.obj["config"])
    report = submit(
        inputs,
        output,
        master=master,
        conf=parse_conf(conf),
        window_days=window_days,
        config=config,
        split_bytes=max(1, int(split_mb * 2**20)),
    )
    for message in report.errors:
        click.echo(f"error: {message}", err=True)
    click.echo(json.dumps(report.to_dict(), indent=2) if as_json else report.summary())
    if not report.ok:
        sys.exit(EXIT_INPUT)


@main.command("import")
@click.argument("directory", metavar="DIR", type=click.Path(file_okay=False))
@click.pass_context
@handles_errors
def import_(ctx: click.Context, directory: str) -> None:
    """Load the Parquet output of `storyline spark` into the store, for `storyline serve`."""
    from .importer import import_tables

    try:
        with open_engine(ctx) as engine:
            report = import_tables(directory, engine.store, engine.config)
            refreshed = engine.refresh_views()
    except InputError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(EXIT_INPUT)
    click.echo(report.summary())
    click.echo(refreshed.summary())
