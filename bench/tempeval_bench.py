"""Temporal expressions on TempEval-3 (TBAQ-cleaned): storyline's rules against dateparser.

    python bench/tempeval_bench.py [--data ../shared/data/tempeval3] [--no-baseline]
        [--errors N [--part AQUAINT]]

Scores follow the TempEval-3 entity evaluation (``evaluate_entities.py``):
strict match = same extent, relaxed match = overlapping extent (one-to-one);
P, R and F1 over the gold and system TIMEX3s of all documents of a part;
value accuracy = relaxed matches whose value is exactly the gold value, over
relaxed matches; **value F1 = value accuracy x relaxed F1** (type F1 likewise).
Every document is anchored on its creation time (the DCT TIMEX3).

The rules were first developed on TimeBank; an error analysis of AQUAINT
(docs/times.md) then shaped general rules too, so neither part is held out. Both
parts together give the overall figure. Ages ("52 years old") are
left out of our output because the TimeML guidelines do not annotate them (the
corpus has none).

Baseline in the same run: dateparser's ``search_dates`` with ``RELATIVE_BASE``
set to the DCT; each found string's value is written at the granularity
(``period``) dateparser reports for it, type DATE (TIME when it has a clock time).
Anchor: HeidelTime, best in TempEval-3, value F1 77.6 on the TempEval-3 test set.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from xml.etree import ElementTree

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from storyline.nlp.times import Anchor, find_times

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "tempeval3"
PARTS = ("TimeBank", "AQUAINT")


@dataclass(frozen=True, slots=True)
class Timex:
    start: int
    end: int
    type: str
    value: str
    text: str


@dataclass(slots=True)
class Document:
    name: str
    text: str
    dct: date
    gold: list[Timex]


@dataclass(slots=True)
class Score:
    gold: int = 0
    system: int = 0
    strict: int = 0
    relaxed: int = 0
    value: int = 0
    type: int = 0
    errors: list[tuple[str, Timex, Timex | None]] = field(default_factory=list)

    def f1(self, matched: int) -> float:
        precision = matched / self.system if self.system else 0.0
        recall = matched / self.gold if self.gold else 0.0
        return 2 * precision * recall / (precision + recall) if precision + recall else 0.0

    def row(self) -> dict[str, float]:
        relaxed = self.f1(self.relaxed)
        accuracy = self.value / self.relaxed if self.relaxed else 0.0
        type_accuracy = self.type / self.relaxed if self.relaxed else 0.0
        return {
            "strict P": self.strict / self.system if self.system else 0.0,
            "strict R": self.strict / self.gold if self.gold else 0.0,
            "strict F1": self.f1(self.strict),
            "relaxed P": self.relaxed / self.system if self.system else 0.0,
            "relaxed R": self.relaxed / self.gold if self.gold else 0.0,
            "relaxed F1": relaxed,
            "value acc": accuracy,
            "value F1": accuracy * relaxed,
            "type F1": type_accuracy * relaxed,
        }


def load(folder: Path) -> list[Document]:
    """TimeML files of one part: plain text of ``<TEXT>``, gold TIMEX3 spans and the DCT."""
    documents = []
    for path in sorted(folder.glob("*.tml")):
        root = ElementTree.parse(path).getroot()
        dct_node = root.find(".//DCT/TIMEX3")
        if dct_node is None:
            continue
        dct = date.fromisoformat(dct_node.attrib["value"][:10])
        text_node = root.find("TEXT")
        if text_node is None:
            continue
        pieces: list[str] = [text_node.text or ""]
        gold: list[Timex] = []
        offset = len(pieces[0])
        for child in text_node:
            inner = "".join(child.itertext())
            if child.tag == "TIMEX3":
                gold.append(
                    Timex(
                        offset,
                        offset + len(inner),
                        child.attrib["type"],
                        child.attrib["value"],
                        inner,
                    )
                )
            pieces.append(inner)
            offset += len(inner)
            pieces.append(child.tail or "")
            offset += len(child.tail or "")
        documents.append(Document(path.stem, "".join(pieces), dct, gold))
    return documents


def ours(document: Document) -> list[Timex]:
    return [
        Timex(t.start, t.end, t.type, t.value, t.text)
        for t in find_times(document.text, Anchor(document.dct))
        if not t.age
    ]


def dateparser_baseline(document: Document) -> list[Timex]:
    """dateparser's search_dates anchored on the DCT, values at dateparser's own granularity."""
    from dateparser.date import DateDataParser
    from dateparser.search import search_dates

    base = datetime(document.dct.year, document.dct.month, document.dct.day, 12)
    settings = {"RELATIVE_BASE": base, "PREFER_DATES_FROM": "past"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        found = search_dates(document.text, languages=["en"], settings=settings) or []
    parser = DateDataParser(languages=["en"], settings=settings)
    timexes, cursor = [], 0
    for substring, moment in found:
        start = document.text.find(substring, cursor)
        if start < 0:
            continue
        cursor = start + len(substring)
        period = parser.get_date_data(substring).period or "day"
        value = {
            "year": f"{moment.year:04d}",
            "month": f"{moment.year:04d}-{moment.month:02d}",
            "week": moment.strftime("%G-W%V"),
        }.get(period, moment.date().isoformat())
        kind = "DATE"
        if period == "time":
            kind, value = "TIME", moment.strftime("%Y-%m-%dT%H:%M")
        timexes.append(Timex(start, cursor, kind, value, substring))
    return timexes


def score(documents: Sequence[Document], system: Callable[[Document], list[Timex]]) -> Score:
    total = Score()
    for document in documents:
        predicted = system(document)
        total.gold += len(document.gold)
        total.system += len(predicted)
        used: set[int] = set()
        for gold in document.gold:
            best, best_overlap = None, 0
            for index, candidate in enumerate(predicted):
                overlap = min(gold.end, candidate.end) - max(gold.start, candidate.start)
                if index not in used and overlap > best_overlap:
                    best, best_overlap = index, overlap
            if best is None:
                total.errors.append(("missed " + document.name, gold, None))
                continue
            used.add(best)
            match = predicted[best]
            total.relaxed += 1
            total.strict += (match.start, match.end) == (gold.start, gold.end)
            total.type += match.type == gold.type
            if match.value == gold.value:
                total.value += 1
            else:
                total.errors.append((document.name, gold, match))
        for index, candidate in enumerate(predicted):
            if index not in used:
                total.errors.append(("spurious " + document.name, candidate, None))
    return total


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--errors", type=int, default=0, help="print N errors of --part")
    parser.add_argument(
        "--part", choices=[*PARTS, "overall"], default="TimeBank", help="whose errors to print"
    )
    parser.add_argument("--no-baseline", action="store_true", help="skip dateparser (slow)")
    args = parser.parse_args(argv)
    root = args.data / "TBAQ-cleaned"
    if not root.is_dir():
        print(
            f"TempEval-3 data not found: put TBAQ-cleaned/ under {args.data} "
            "(see ../shared/README.md)"
        )
        return 2
    systems: dict[str, Callable[[Document], list[Timex]]] = {"storyline rules": ours}
    if not args.no_baseline:
        systems["dateparser search_dates"] = dateparser_baseline
    columns = [
        "strict F1",
        "relaxed P",
        "relaxed R",
        "relaxed F1",
        "value acc",
        "value F1",
        "type F1",
    ]
    print(f"{'part':<22}{'system':<26}{'gold':>6}{'sys':>6}" + "".join(f"{c:>12}" for c in columns))
    details: dict[tuple[str, str], Score] = {}
    loaded = {part: load(root / part) for part in PARTS}
    loaded["overall"] = [document for part in PARTS for document in loaded[part]]
    for part, documents in loaded.items():
        for name, system in systems.items():
            began = time.perf_counter()
            result = score(documents, system)
            elapsed = time.perf_counter() - began
            details[(part, name)] = result
            row = result.row()
            label = part if part in PARTS else "overall (both)"
            print(
                f"{label:<22}{name:<26}{result.gold:>6}{result.system:>6}"
                + "".join(f"{row[c]:>12.3f}" for c in columns)
                + f"   {elapsed:.1f}s"
            )
    print(
        "\nanchor: HeidelTime (TempEval-3 test set) value F1 0.776, relaxed F1 0.903, "
        "strict F1 0.813"
    )
    if args.errors:
        print(f"\n{args.part} errors (storyline rules): document | gold | system")
        for name, gold, found in details[(args.part, "storyline rules")].errors[: args.errors]:
            shown = f"{found.text!r} {found.type} {found.value}" if found else "-"
            print(f"{name} | {gold.text!r} {gold.type} {gold.value} | {shown}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
