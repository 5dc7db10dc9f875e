"""Settings: an object built from defaults, an optional TOML file and the environment.

Nothing is read at import time. ``Config.load()`` layers, lowest first: the
defaults below, ``storyline.toml`` (or the file named by ``STORYLINE_CONFIG``),
then ``STORYLINE_*`` environment variables (``STORYLINE_DB``,
``STORYLINE_EVENT_THRESHOLD``...). Every value is cast to the field's type and a
value that cannot be cast raises :class:`ConfigError` naming its source.
"""

from __future__ import annotations

import math
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from .errors import ConfigError

DEFAULT_DB = "storyline.db"


@dataclass(frozen=True, slots=True)
class Config:
    db: str = DEFAULT_DB
    #: articles written per transaction while ingesting
    batch_size: int = 64
    #: a single text or HTML file larger than this is refused (bytes)
    max_article_bytes: int = 5_000_000
    #: texts shorter than this many words are not articles
    min_words: int = 5
    #: probability (see cluster.EVENT_MODEL) above which an article joins an event
    event_threshold: float = 0.30
    #: days between an article and an event beyond which they are not compared
    event_window_days: float = 4.0
    #: similarity above which an event joins a storyline
    storyline_threshold: float = 0.18
    #: days between events beyond which they are not linked into one storyline
    storyline_window_days: float = 400.0
    # -- copies and near-duplicates (docs/dedup.md has the measured trade-offs) --
    #: words per shingle; fewer finds more rewritten copies and more false candidates
    #: (changing it, num_perm, bands or anchor_rate needs a new store)
    dedup_shingle_words: int = 4
    #: MinHash signature length (rensa R-MinHash), a multiple of dedup_bands
    dedup_num_perm: int = 64
    #: LSH bands; rows per band = num_perm / bands. More bands find lower Jaccard
    dedup_bands: int = 16
    #: shingle Jaccard from which two bodies are near copies
    dedup_near_threshold: float = 0.5
    #: share of the shorter body's shingles inside the longer one from which it is a copy
    dedup_containment_threshold: float = 0.8
    #: ...provided the shared shingles also make this share of the longer body
    dedup_min_cover: float = 0.1
    #: a rewrite (paraphrased copy) shares word pairs with this Jaccard at least...
    dedup_rewrite_pairs: float = 0.2
    #: ...and this share of the shorter body's sentences has a counterpart in the other
    dedup_rewrite_sentences: float = 0.6
    #: bodies with fewer distinct shingles are never linked (short texts, one word repeated)
    dedup_min_shingles: int = 20
    #: one shingle in this many is an anchor, the sample that finds a text inside another
    dedup_anchor_rate: int = 8
    #: anchors indexed per article, the first ones in reading order
    dedup_anchors: int = 16
    #: candidates verified on their exact shingle sets per article
    dedup_max_candidates: int = 8
    #: a short line recurring in this many of an outlet's articles is boilerplate
    dedup_boilerplate_articles: int = 3
    #: lines of more words than this are never boilerplate
    dedup_boilerplate_max_words: int = 30
    #: events (and storylines) kept in memory for matching; older ones stay in the store
    active_clusters: int = 20_000
    # -- live ingestion: web pages, feeds (storyline/net/) --
    #: where site owners can reach whoever runs storyline; sent in the User-Agent
    contact_url: str = ""
    #: seconds to connect, or to wait for the next bytes, before a request is given up
    fetch_timeout: float = 20.0
    #: a response body larger than this once decompressed is refused (bytes)
    fetch_max_bytes: int = 10_000_000
    #: further attempts after a 429, a 5xx, a timeout or a dropped connection
    fetch_retries: int = 3
    #: seconds before the first retry, doubled for each further one
    fetch_backoff: float = 1.0
    #: the longest Retry-After honoured (seconds); a server asking for more is given up on
    fetch_max_wait: float = 300.0
    #: seconds between the starts of two requests to one host (robots.txt may ask for more)
    host_interval: float = 1.0
    #: requests in flight to one host at most
    host_concurrency: int = 2
    #: redirects followed per request, each hop checked like the first URL
    max_redirects: int = 5
    #: seconds a host's robots.txt is kept before it is fetched again
    robots_ttl: float = 3600.0
    #: seconds between two polls of the feeds by ``storyline watch``
    watch_every: float = 600.0
    #: feeds and pages fetched at the same time while watching
    watch_workers: int = 8
    #: a feed item whose own content has fewer words is a summary: the page is fetched
    feed_full_text_words: int = 100

    @classmethod
    def load(
        cls,
        path: str | os.PathLike[str] | None = None,
        environ: Mapping[str, str] | None = None,
        **overrides: Any,
    ) -> Config:
        """Defaults < config file < environment < explicit overrides (None is ignored)."""
        env = os.environ if environ is None else environ
        config = cls()
        file = path or env.get("STORYLINE_CONFIG")
        if file is None and Path("storyline.toml").is_file():
            file = "storyline.toml"
        if file is not None:
            config = config.merged(_read_toml(Path(file)), source=str(file))
        prefix = "STORYLINE_"
        from_env = {
            name: env[prefix + name.upper()]
            for name in cls.field_names()
            if prefix + name.upper() in env
        }
        config = config.merged(from_env, source="environment")
        return config.merged({k: v for k, v in overrides.items() if v is not None}, "arguments")

    @classmethod
    def field_names(cls) -> list[str]:
        return [f.name for f in fields(cls)]

    def merged(self, values: Mapping[str, Any], source: str) -> Config:
        known = {f.name: f for f in fields(self)}
        changes: dict[str, Any] = {}
        for name, raw in values.items():
            if name not in known:
                raise ConfigError(f"{source}: unknown setting {name!r}")
            changes[name] = _cast(raw, known[name].type, f"{source}: {name}")
        return replace(self, **changes)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except OSError as error:
        raise ConfigError(f"{path}: cannot read configuration: {error.strerror}") from error
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: invalid TOML: {error}") from error
    section = data.get("storyline", data)
    if not isinstance(section, dict):
        raise ConfigError(f"{path}: [storyline] must be a table")
    return section


def _cast(raw: Any, type_name: Any, where: str) -> Any:
    target = {"str": str, "int": int, "float": float}.get(str(type_name), str)
    if target is str:
        return str(raw)
    expected = target.__name__
    if isinstance(raw, bool):
        raise ConfigError(f"{where}: expected {expected}, got {raw!r}")
    try:
        number = float(raw.strip() if isinstance(raw, str) else raw)
    except (TypeError, ValueError):
        raise ConfigError(f"{where}: expected {expected}, got {raw!r}") from None
    if not math.isfinite(number) or (target is int and not number.is_integer()):
        raise ConfigError(f"{where}: expected {expected}, got {raw!r}")
    if number < 0:
        raise ConfigError(f"{where}: must not be negative, got {raw!r}")
    return int(number) if target is int else number
