"""Live inputs over HTTP: a polite and safe fetcher, web pages, feeds, and watching them.

guard.py    which addresses may be contacted, checked per hop and per connection
client.py   Fetcher: User-Agent, robots.txt, rate limits, retries, redirects, caps
pages.py    a fetched page as an article (trafilatura, like an HTML file)
feeds.py    RSS, Atom and JSON Feed items; the feeds TOML file
watch.py    Watcher: polls feeds, takes each new item once, state in the store
"""

from __future__ import annotations

from .client import HTML_TYPES, Fetcher, FetchResult, user_agent
from .feeds import FeedItem, FeedSpec, load_feeds, parse_feed
from .guard import AddressPolicy
from .pages import fetch_article, page_document
from .watch import FeedPoll, PollReport, Watcher

__all__ = [
    "HTML_TYPES",
    "AddressPolicy",
    "FeedItem",
    "FeedPoll",
    "FeedSpec",
    "FetchResult",
    "Fetcher",
    "PollReport",
    "Watcher",
    "fetch_article",
    "load_feeds",
    "page_document",
    "parse_feed",
    "user_agent",
]
