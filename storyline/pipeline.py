"""The stage interface and the pipeline that runs stages in order.

A stage takes an article (or a stream of them) and returns it enriched. It
declares the article fields it ``requires`` and the ones it ``provides``, so a
pipeline can check at construction that every stage's needs are met by the
stages before it. Stages do not touch the store: the same objects run in one
process or inside a Spark partition.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import ClassVar, Protocol, runtime_checkable

from .config import Config
from .model import Article

#: fields extraction fills in before any stage runs
EXTRACTED_FIELDS = ("id", "text", "title", "url", "outlet", "published", "language")


@runtime_checkable
class Stage(Protocol):
    name: ClassVar[str]
    requires: ClassVar[tuple[str, ...]]
    provides: ClassVar[tuple[str, ...]]

    def __call__(self, article: Article) -> Article: ...

    def pipe(self, articles: Iterable[Article], batch_size: int = 64) -> Iterator[Article]: ...


class BaseStage:
    """Default ``pipe`` for stages that work one article at a time."""

    name: ClassVar[str] = "stage"
    requires: ClassVar[tuple[str, ...]] = ()
    provides: ClassVar[tuple[str, ...]] = ()

    def __call__(self, article: Article) -> Article:
        raise NotImplementedError

    def pipe(self, articles: Iterable[Article], batch_size: int = 64) -> Iterator[Article]:
        for article in articles:
            yield self(article)


class PipelineError(ValueError):
    """A stage needs a field no earlier stage provides."""


class Pipeline:
    """Stages in order, checked once for what each needs."""

    def __init__(self, stages: Sequence[Stage]) -> None:
        available = set(EXTRACTED_FIELDS)
        for stage in stages:
            missing = [name for name in stage.requires if name not in available]
            if missing:
                raise PipelineError(f"stage {stage.name!r} requires {missing}, not provided before")
            available.update(stage.provides)
        self.stages = list(stages)

    @property
    def names(self) -> list[str]:
        return [stage.name for stage in self.stages]

    def __call__(self, article: Article) -> Article:
        for stage in self.stages:
            article = stage(article)
        return article

    def pipe(self, articles: Iterable[Article], batch_size: int = 64) -> Iterator[Article]:
        stream: Iterable[Article] = articles
        for stage in self.stages:
            stream = stage.pipe(stream, batch_size=batch_size)
        yield from stream


def default_stages(config: Config) -> list[Stage]:
    """The stateless stages every ingest runs, in order (stateful ones live in the engine)."""
    from .nlp.entities import EntityStage
    from .nlp.facts import FactStage
    from .nlp.parse import Parser
    from .nlp.quotes import QuoteStage
    from .nlp.times import TimeStage

    stages: list[Stage] = [Parser(), EntityStage(), QuoteStage(), TimeStage(), FactStage()]
    return stages


def batched(items: Iterable[Article], size: int) -> Iterator[list[Article]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch
