"""storyline on Apache Spark: the engine's stages over a crawl too big for one machine.

:func:`submit` runs the job (:mod:`.job`): extraction and NLP per partition,
copy detection across the cluster (:mod:`.dedup`), clustering per time window
stitched across boundaries (:mod:`.windows`), story views, and Parquet tables
out (:mod:`.io`). ``storyline import`` loads those tables into a SQLite store
(:mod:`storyline.importer`). docs/spark.md says how a run relates to a
single-machine one. Needs the ``spark`` extra and Java 17.
"""

from .job import JobReport, JobSettings, main, run, session, submit

__all__ = ["JobReport", "JobSettings", "main", "run", "session", "submit"]
