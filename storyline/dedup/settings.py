"""The ``dedup_*`` settings of :class:`~storyline.config.Config`, checked, and what
the keys a copy index stores depend on."""

from __future__ import annotations

from dataclasses import dataclass

from rensa import RMinHash

from ..config import Config
from ..errors import ConfigError

#: bump when tokenising or hashing changes: stored keys are then unusable
SCHEME = 1


@dataclass(frozen=True, slots=True)
class DedupSettings:
    """The ``dedup_*`` settings of :class:`Config`, checked."""

    shingle_words: int = 4
    num_perm: int = 64
    bands: int = 16
    near_threshold: float = 0.5
    containment_threshold: float = 0.8
    min_cover: float = 0.1
    rewrite_pairs: float = 0.2
    rewrite_sentences: float = 0.6
    min_shingles: int = 20
    anchor_rate: int = 8
    anchors: int = 16
    max_candidates: int = 8
    boilerplate_articles: int = 3
    boilerplate_max_words: int = 30
    seed: int = 1

    @classmethod
    def from_config(cls, config: Config) -> DedupSettings:
        settings = cls(
            shingle_words=config.dedup_shingle_words,
            num_perm=config.dedup_num_perm,
            bands=config.dedup_bands,
            near_threshold=config.dedup_near_threshold,
            containment_threshold=config.dedup_containment_threshold,
            min_cover=config.dedup_min_cover,
            rewrite_pairs=config.dedup_rewrite_pairs,
            rewrite_sentences=config.dedup_rewrite_sentences,
            min_shingles=config.dedup_min_shingles,
            anchor_rate=config.dedup_anchor_rate,
            anchors=config.dedup_anchors,
            max_candidates=config.dedup_max_candidates,
            boilerplate_articles=config.dedup_boilerplate_articles,
            boilerplate_max_words=config.dedup_boilerplate_max_words,
        )
        settings.check()
        return settings

    def check(self) -> None:
        if self.shingle_words < 1 or self.num_perm < 1 or self.bands < 1:
            raise ConfigError("dedup_shingle_words, dedup_num_perm, dedup_bands must be >= 1")
        if self.num_perm % self.bands:
            raise ConfigError(
                f"dedup_num_perm ({self.num_perm}) must be a multiple of dedup_bands ({self.bands})"
            )
        names = ("near_threshold", "containment_threshold", "min_cover", "rewrite_pairs")
        for name in (*names, "rewrite_sentences"):
            if not 0 < getattr(self, name) <= 1:
                raise ConfigError(f"dedup_{name} must be in (0, 1]")

    def index_params(self) -> dict[str, int | str]:
        """What stored keys depend on: a store refuses to mix two sets of these."""
        return {
            "scheme": SCHEME,
            "rensa": int(RMinHash.ALGORITHM_VERSION),
            "shingle_words": self.shingle_words,
            "num_perm": self.num_perm,
            "bands": self.bands,
            "anchor_rate": self.anchor_rate,
            "seed": self.seed,
        }
