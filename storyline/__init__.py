"""storyline: turn a stream of news articles into events, storylines and stories."""

from .config import Config
from .engine import Engine, IngestReport
from .errors import (
    ConfigError,
    ExtractionError,
    InputError,
    NotFoundError,
    QueryError,
    SourceError,
    StoreError,
    StorylineError,
)
from .model import Article, Assignment, CopyLink, Entity, Fact, Quote, Story, TimeExpr

__all__ = [
    "Article",
    "Assignment",
    "Config",
    "ConfigError",
    "CopyLink",
    "Engine",
    "Entity",
    "ExtractionError",
    "Fact",
    "IngestReport",
    "InputError",
    "NotFoundError",
    "QueryError",
    "Quote",
    "SourceError",
    "StoreError",
    "Story",
    "StorylineError",
    "TimeExpr",
]
