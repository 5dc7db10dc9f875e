"""Errors storyline raises, and what each one means to a caller.

    StorylineError            anything storyline raises on purpose
    ├── ConfigError           a setting has a value that cannot be used
    ├── InputError            one input (file, line, record) could not become an article;
    │   │                     the rest of the batch goes on
    │   ├── SourceError       the input could not be read at all (missing, unreadable, binary)
    │   │   └── FetchError    a URL could not be fetched: unsafe address, robots.txt, HTTP
    │   │                     status, too large, not HTML; ``permanent`` when retrying is useless
    │   └── ExtractionError   it was read but holds no usable article (no body, empty, bad record)
    ├── StoreError            the database cannot be opened or is of a newer schema
    ├── NotFoundError         an id asked for is not in the store
    └── QueryError            a search query is empty or not valid search syntax

Interfaces handle these at the edge: the CLI prints the message and sets the exit
status, the web app turns them into status codes (404, 400, 503). ``InputError.origin`` names the
input as a user would look for it: ``path``, ``path:line`` or ``<stdin>:line``.
"""

from __future__ import annotations


class StorylineError(Exception):
    """Base class for every error storyline raises on purpose."""


class ConfigError(StorylineError):
    """A configuration value is missing or cannot be cast."""


class InputError(StorylineError):
    """One input could not become an article; carries where and why."""

    def __init__(self, origin: str, reason: str) -> None:
        super().__init__(f"{origin}: {reason}")
        self.origin = origin
        self.reason = reason

    def __reduce__(self) -> tuple[type[InputError], tuple[str, str]]:
        # pickled as its arguments, so errors travel between Spark workers
        return type(self), (self.origin, self.reason)


class SourceError(InputError):
    """The input could not be read: missing, unreadable, binary or too large."""


class FetchError(SourceError):
    """A URL could not be fetched, or what it returned cannot be used.

    ``permanent`` is False for failures a later attempt may get past (a 5xx after
    the retries, a timeout, a dropped connection) and True for the rest (refused
    address, robots.txt, 404, too large, not HTML).
    """

    def __init__(self, origin: str, reason: str, *, permanent: bool = True) -> None:
        super().__init__(origin, reason)
        self.permanent = permanent


class ExtractionError(InputError):
    """The input was read but yields no article: empty, no body, malformed record."""


class StoreError(StorylineError):
    """The store cannot be opened, migrated or written."""


class NotFoundError(StorylineError):
    """No article or story has the id asked for."""


class QueryError(StorylineError):
    """A search query is empty or not valid full-text search syntax."""
