"""PolNeAR articles as the benchmarks read them: each metadata row with its file's text.

Each benchmark shapes the articles its own way (pages, feed items, a stream); reading
the corpus and saying where to put it when it is missing happens here once.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterator
from pathlib import Path

POLNEAR = Path(__file__).resolve().parents[2] / "shared" / "data" / "polnear"


def polnear_files(root: Path = POLNEAR) -> Iterator[tuple[dict[str, str], str]]:
    """(metadata row, file text) of every PolNeAR article, in the metadata's order."""
    metadata = root / "metadata.tsv"
    if not metadata.is_file():
        sys.exit(f"PolNeAR not found at {root}: put the shared corpora beside the checkout")
    with metadata.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    for row in rows:
        path = root / row["compartment"] / "text" / f"{row['filename']}.txt"
        if path.is_file():
            yield row, path.read_text(encoding="utf-8")
