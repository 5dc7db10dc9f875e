"""Copy groups: which member is the original, and the logged reasons for each link.

Every copy links to its group's original, the earliest published member (an undated
article cannot prove it came first, so dated ones win; then the longest body; then
the first to arrive, see :func:`rank`). A newcomer that wins takes the group over
(:func:`take_over`): the index re-points every member to it, and each changed link
is logged as an ``Assignment`` of kind ``copy``.
"""

from __future__ import annotations

from datetime import datetime

from ..model import Article, Assignment, CopyLink
from .index import CopyIndex, IndexedDoc
from .matching import Verdict


def rank(published: datetime | None, length: int, key: float) -> tuple[bool, float, int, float]:
    """Sort key of a group's members: the smallest is the group's original."""
    stamp = published.timestamp() if published is not None else 0.0
    return (published is None, stamp, -length, key)


def copy_assignment(
    article_id: str, link: CopyLink, features: dict[str, float], matched: str | None
) -> Assignment:
    """The logged reason a copy links to its original (``matched``: the article it matched)."""
    measure = "identical text" if link.kind == "exact" else f"similarity {link.similarity:.3f}"
    via = f" (matched {matched})" if matched and matched != link.original else ""
    return Assignment(
        article=article_id,
        kind="copy",
        target=link.original,
        created=False,
        score=link.similarity,
        features=features,
        reason=f"{link.kind} copy of {link.original}: {measure}{via}",
    )


def take_over(
    index: CopyIndex, article: Article, old: IndexedDoc, key: int, evidence: Verdict
) -> list[Assignment]:
    """``article`` (indexed as ``key``) was published before ``old``, its group's
    original: it becomes the original. The group is re-pointed to it in ``index``;
    returned are the logged reasons, for every article whose link changed and for
    ``article`` itself."""
    link = CopyLink(article.id, evidence.kind, evidence.similarity)
    changed = index.repoint(old.root, key, link)
    when = _date(article.published)
    reason = (
        f"re-pointed to {article.id} (published {when}), which predates "
        f"the former original {old.id} (published {_date(old.published)})"
    )
    logged = [
        Assignment(
            article=article_id,
            kind="copy",
            target=article.id,
            created=False,
            score=evidence.similarity if article_id == old.id else 1.0,
            features=evidence.features() if article_id == old.id else {},
            reason=reason,
        )
        for article_id in changed
    ]
    logged.append(
        Assignment(
            article=article.id,
            kind="copy",
            target=article.id,
            created=True,
            score=evidence.similarity,
            features=evidence.features(),
            reason=(
                f"original of {len(changed)} copies: {evidence.kind} match with "
                f"{old.id}, published {when}, before it ({_date(old.published)})"
            ),
        )
    )
    return logged


def _date(value: datetime | None) -> str:
    return value.isoformat() if value is not None else "undated"
