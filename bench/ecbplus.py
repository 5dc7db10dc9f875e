"""ECB+ documents with their gold events, and the clustering scores used on them.

The corpus (Cybulska & Vossen 2014, Cybulska split) keeps only the annotated
sentences of each article, one token a line. The gold event of a document is its
topic number plus ``ecb`` or ``ecbplus``: ``36_1ecbplus`` belongs to ``36+``.
"""

from __future__ import annotations

import csv
import sys
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared"
ECB_DIR = SHARED / "data" / "ecbplus"


@dataclass(frozen=True, slots=True)
class Document:
    id: str
    gold: str
    title: str
    text: str


def gold_event(doc_id: str) -> str:
    topic, rest = doc_id.split("_", 1)
    return topic + ("+" if rest.endswith("ecbplus") else "-")


def load(split: str, folder: Path = ECB_DIR) -> list[Document]:
    """Documents of ``split`` ("Train" or "Dev") in corpus order."""
    path = folder / f"ECB_{split}_corpus.txt"
    if not path.is_file():
        sys.exit(f"ECB+ not found at {path}: put the shared corpora beside the checkout")
    sentences: dict[str, dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
    with path.open(encoding="utf-8") as handle:
        for row in csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
            if len(row) < 4:
                continue
            sentences[row[0]][int(row[1])].append(row[3])
    documents = []
    for doc_id, by_sentence in sentences.items():
        texts = [_detokenise(by_sentence[k]) for k in sorted(by_sentence)]
        # a first annotated sentence without final punctuation is the headline; which
        # sub-corpus a document comes from is never looked at, it is the gold label
        first = by_sentence.get(0, [])
        headline = len(texts) > 1 and bool(first) and first[-1] not in {".", "!", "?", '"', "'"}
        title = texts[0] if headline else ""
        body = texts[1:] if title else texts
        documents.append(Document(doc_id, gold_event(doc_id), title, "\n\n".join(body)))
    return documents


def _detokenise(tokens: Sequence[str]) -> str:
    text = " ".join(tokens)
    for mark in (" ,", " .", " ;", " :", " 's", " n't", " ?", " !", " )"):
        text = text.replace(mark, mark[1:])
    return text.replace("( ", "(").replace(" - ", "-")


def bcubed(predicted: dict[str, str], gold: dict[str, str]) -> tuple[float, float, float]:
    """B-cubed precision, recall and F1 of a clustering against gold labels."""
    by_predicted: dict[str, set[str]] = defaultdict(set)
    by_gold: dict[str, set[str]] = defaultdict(set)
    for item, label in predicted.items():
        by_predicted[label].add(item)
    for item, label in gold.items():
        by_gold[label].add(item)
    precision = recall = 0.0
    for item in gold:
        cluster = by_predicted[predicted[item]]
        truth = by_gold[gold[item]]
        overlap = len(cluster & truth)
        precision += overlap / len(cluster)
        recall += overlap / len(truth)
    precision, recall = precision / len(gold), recall / len(gold)
    return precision, recall, _f1(precision, recall)


def pairwise(predicted: dict[str, str], gold: dict[str, str]) -> tuple[float, float, float]:
    """Precision, recall and F1 over pairs of items put together."""
    items = sorted(gold)
    together = {(a, b) for a, b in combinations(items, 2) if predicted[a] == predicted[b]}
    truth = {(a, b) for a, b in combinations(items, 2) if gold[a] == gold[b]}
    hits = len(together & truth)
    precision = hits / len(together) if together else 1.0
    recall = hits / len(truth) if truth else 1.0
    return precision, recall, _f1(precision, recall)


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0
