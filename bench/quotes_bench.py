"""Direct quotes and their speakers on PolNeAR: storyline's quote stage against textacy.

    python bench/quotes_bench.py [--data ../shared/data/polnear] [--split dev]
                                 [--errors N] [--no-baseline]

**Gold.** PolNeAR annotates attributions (brat ``E`` lines tying a Content, a
Cue and a Source). A gold direct quote is a Content whose first fragment begins
with a double quotation mark (``"``, ``“``, ``”``, ``„``, ``«`` or the doubled
``''`` some wires print); a Content may have several fragments (a quote split by
its attribution, or one paragraph each), given as several offset pairs or as
further ``Content2``, ``Content3`` roles of the same attribution (both are
read). A Content whose offsets start just after its opening mark (``“|We
won.”``, ``'|'We won.''``) is read with the mark, and a closing ``''`` cut to one
``'`` is made whole: both are slips of the annotation tool, not reported speech.
Contents opening with a single mark (``‘``, ``'``: headline style and
scare quotes in these outlets) are not direct quotes here; how many there are
is printed. Its speaker is the attribution's Source span.

**Several annotators.** Some articles were annotated by several people. Their
direct quotes are pooled: quotes of different annotators that overlap by at
least 80% of their tokens are one quote, kept when at least half of the
article's annotators marked it; its span is the one most of them chose (the
first annotator's, alphabetically, on a tie) and every Source they gave counts
as a right speaker.

**Scores.** A quote unit is a gold Content or one predicted quote with the
parts linked to it (``Quote.part_of``), textacy's triples one unit each. Its
span runs from its first to its last fragment. *Exact*: same start and end
(edge whitespace ignored). *Overlap*: at least 80% of the tokens of the longer
of the two are shared; pairs are matched one to one, best overlap first.
*Speaker accuracy*, over the overlap matches whose gold quote has a Source: the
predicted speaker mention overlaps a gold Source, or the predicted name is the
canonical name of an entity inside the Source, or its last word is a word of the
Source ("Caddell" for "longtime Democratic pollster Pat Caddell"). A missing
speaker is wrong. Note that this checks the attribution, not pronoun
resolution: a quote attributed to "he" is right when the gold Source is that
"he" (the tests check resolution on the seed articles).

**Baseline.** textacy's ``extract.triples.direct_quotations`` on the full
``en_core_web_sm`` pipeline (it needs the tagger and the parser); speaker =
its speaker tokens. It raises an error on a text with an odd number of
quotation marks; such articles count as having no quotes (how many is printed).
Anchors from the literature (other test sets): Gender Gap Tracker 83.7 F1 /
86.5% speaker accuracy, Citron 83.2 F1 on PARC 3.0.

The rules were developed on the train split; dev is the reported one.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from storyline.model import Article, Entity, Quote
from storyline.nlp.entities import EntityStage
from storyline.nlp.parse import MODEL, Parser
from storyline.nlp.quotes import QuoteStage

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "polnear"
DOUBLE_MARKS = ('"', "“", "”", "„", "«", "''")
_TOKEN = re.compile(r"\w+")


@dataclass(slots=True)
class Unit:
    """One quote: its fragments, and the speaker (predicted) or Sources (gold)."""

    fragments: list[tuple[int, int]]
    sources: list[tuple[int, int]] = field(default_factory=list)
    speaker: str | None = None
    speaker_span: tuple[int, int] | None = None

    @property
    def span(self) -> tuple[int, int]:
        return self.fragments[0][0], self.fragments[-1][1]

    def tokens(self, text: str) -> set[int]:
        return {m.start() for a, b in self.fragments for m in _TOKEN.finditer(text, a, b)}


@dataclass(slots=True)
class Document:
    name: str
    text: str
    gold: list[Unit]
    single_marked: int = 0


@dataclass(slots=True)
class Tally:
    predicted: int = 0
    gold: int = 0
    exact: int = 0
    overlap: int = 0
    with_source: int = 0
    speaker_right: int = 0
    refused: int = 0
    errors: list[str] = field(default_factory=list)
    #: (predicted, gold, overlap matches) of each article, for the interval
    per_article: list[tuple[int, int, int]] = field(default_factory=list)

    def prf(self, hits: int) -> tuple[float, float, float]:
        p = hits / self.predicted if self.predicted else 0.0
        r = hits / self.gold if self.gold else 0.0
        return p, r, (2 * p * r / (p + r) if p + r else 0.0)

    def f1_interval(self, rounds: int = 2000, seed: int = 0) -> tuple[float, float]:
        """95% interval of F1 at 80% overlap over articles drawn again with replacement:
        how far the figure moves with which articles the split happens to hold."""
        rng = random.Random(seed)
        rows, values = self.per_article, []
        for _ in range(rounds):
            drawn = [rows[rng.randrange(len(rows))] for _ in rows]
            predicted, gold, hits = (sum(column) for column in zip(*drawn, strict=True))
            values.append(2 * hits / (predicted + gold) if predicted + gold else 0.0)
        values.sort()
        return values[int(0.025 * rounds)], values[int(0.975 * rounds) - 1]


# -- gold ------------------------------------------------------------------------


def parse_ann(path: Path) -> list[tuple[list[tuple[int, int]], list[tuple[int, int]]]]:
    """(content fragments, source fragments) of each attribution in one brat file."""
    spans: dict[str, tuple[str, list[tuple[int, int]]]] = {}
    events: list[dict[str, str]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if re.match(r"T\d+\t", line):
            tid, middle = line.split("\t")[:2]
            kind, offsets = middle.split(" ", 1)
            pieces = [tuple(map(int, p.split())) for p in offsets.split(";")]
            spans[tid] = (kind, [(a, b) for a, b in pieces])
        elif re.match(r"E\d+\t", line):
            roles: dict[str, str] = {}
            for arg in line.split("\t", 1)[1].split():
                role, target = arg.split(":", 1)
                roles.setdefault(role, target)
            events.append(roles)
    found = []
    for roles in events:
        content = spans.get(roles.get("Content", ""))
        if content is None:
            continue
        fragments = list(content[1])
        for role in sorted(r for r in roles if re.fullmatch(r"Content\d+", r)):
            more = spans.get(roles[role])  # "Content2": the rest of a split quote
            if more is not None:
                fragments.extend(more[1])
        source = spans.get(roles.get("Source", ""))
        found.append((sorted(fragments), source[1] if source else []))
    return found


def _strip(text: str, a: int, b: int) -> tuple[int, int]:
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    return a, b


def _mark_start(text: str, a: int) -> int:
    """Where a Content starts, its opening double mark included when the annotator's
    offset left it out (``“|Sheldon and I ...``, ``'|'There are ...``)."""
    if text[a : a + 1] == "'" and text[a - 1 : a] == "'":
        return a - 1
    if text[a : a + 1] not in "\"“”„«'‘" and text[a - 1 : a] in '"“”„«':
        return a - 1
    if text[a : a + 1] not in "\"'" and text[a - 2 : a] == "''":
        return a - 2
    return a


def _mark_end(text: str, b: int) -> int:
    """Where a Content ends, a closing ``''`` cut to one ``'`` made whole again."""
    if text[b - 1 : b] == "'" and text[b : b + 1] == "'" and text[b - 2 : b - 1] != "'":
        return b + 1
    return b


def load(data: Path, split: str) -> list[Document]:
    by_article: defaultdict[str, list[Path]] = defaultdict(list)
    for ann in sorted((data / split / "attributions").glob("*.ann")):
        by_article[ann.stem.rsplit("_", 1)[0]].append(ann)
    documents = []
    for name, files in sorted(by_article.items()):
        text = (data / split / "text" / f"{name}.txt").read_text(encoding="utf-8")
        annotators: list[list[Unit]] = []
        single = 0
        for ann in files:
            units, singles = annotator_units(text, ann)
            annotators.append(units)
            single += singles
        documents.append(Document(name, text, _pool(text, annotators), single // len(files)))
    return documents


def annotator_units(text: str, ann: Path) -> tuple[list[Unit], int]:
    """One annotator's direct quotes in ``text``, and how many single-mark Contents."""
    units = []
    single = 0
    for content, source in parse_ann(ann):
        fragments = [_strip(text, a, b) for a, b in content]
        fragments = [f for f in fragments if f[0] < f[1]]
        if not fragments:
            continue
        fragments[0] = (_mark_start(text, fragments[0][0]), fragments[0][1])
        fragments[-1] = (fragments[-1][0], _mark_end(text, fragments[-1][1]))
        head = text[fragments[0][0] : fragments[0][1]]
        if head.startswith(DOUBLE_MARKS):
            units.append(Unit(fragments, sources=list(source)))
        elif head[:1] in "‘'":
            single += 1
    return units, single


def _pool(text: str, annotators: list[list[Unit]]) -> list[Unit]:
    if len(annotators) == 1:
        return annotators[0]
    clusters: list[list[Unit]] = []
    for units in annotators:
        for unit in units:
            for cluster in clusters:
                if overlap(text, cluster[0], unit) >= 0.8:
                    cluster.append(unit)
                    break
            else:
                clusters.append([unit])
    pooled = []
    for cluster in clusters:
        if 2 * len(cluster) < len(annotators):
            continue
        spans = Counter(tuple(u.fragments) for u in cluster)
        best = max(spans.items(), key=lambda item: item[1])[0]
        sources = [s for u in cluster for s in u.sources]
        pooled.append(Unit(list(best), sources=sources))
    return sorted(pooled, key=lambda u: u.span)


# -- scoring ---------------------------------------------------------------------


def overlap(text: str, a: Unit, b: Unit) -> float:
    ta, tb = a.tokens(text), b.tokens(text)
    if not ta or not tb:
        return 1.0 if _strip(text, *a.span) == _strip(text, *b.span) else 0.0
    return len(ta & tb) / max(len(ta), len(tb))


def speaker_right(doc: Document, gold: Unit, pred: Unit, entities: Sequence[Entity]) -> bool:
    if not gold.sources or (pred.speaker_span is None and pred.speaker is None):
        return False
    if pred.speaker_span is not None:
        a, b = pred.speaker_span
        if any(a < e and s < b for s, e in gold.sources):
            return True
    if pred.speaker is None:
        return False
    for s, e in gold.sources:
        inside = [x for x in entities if s <= x.start and x.end <= e]
        if any(x.canonical == pred.speaker for x in inside):
            return True
        words = {w.casefold() for w in _TOKEN.findall(doc.text[s:e])}
        last = _TOKEN.findall(pred.speaker)
        if last and last[-1].casefold() in words and pred.speaker[:1].isupper():
            return True
    return False


def matched_pairs(
    text: str, gold: Sequence[Unit], predicted: Sequence[Unit], at: float = 0.8
) -> list[tuple[int, int]]:
    """(gold, predicted) index pairs matched one to one, best token overlap first,
    each overlapping by at least ``at``."""
    pairs = sorted(
        (
            (overlap(text, g, p), i, j)
            for i, g in enumerate(gold)
            for j, p in enumerate(predicted)
            if g.span[0] < p.span[1] and p.span[0] < g.span[1]
        ),
        reverse=True,
    )
    used_gold: set[int] = set()
    used_pred: set[int] = set()
    matched = []
    for value, i, j in pairs:
        if value >= at and i not in used_gold and j not in used_pred:
            used_gold.add(i)
            used_pred.add(j)
            matched.append((i, j))
    return matched


def score(
    doc: Document, predicted: list[Unit], entities: Sequence[Entity], tally: Tally, errors: int
) -> None:
    text = doc.text
    tally.predicted += len(predicted)
    tally.gold += len(doc.gold)
    gold_spans = {_strip(text, *g.span) for g in doc.gold}
    tally.exact += len({_strip(text, *p.span) for p in predicted} & gold_spans)
    matched = matched_pairs(text, doc.gold, predicted)
    tally.per_article.append((len(predicted), len(doc.gold), len(matched)))
    used_gold = {i for i, _ in matched}
    used_pred = {j for _, j in matched}
    for i, j in matched:
        tally.overlap += 1
        gold, pred = doc.gold[i], predicted[j]
        if gold.sources:
            tally.with_source += 1
            if speaker_right(doc, gold, pred, entities):
                tally.speaker_right += 1
            elif len(tally.errors) < errors:
                source = " | ".join(text[s:e] for s, e in gold.sources)
                said = text[slice(*pred.speaker_span)] if pred.speaker_span else None
                tally.errors.append(
                    f"SPEAKER {doc.name}: {text[slice(*gold.span)][:70]!r} gold={source!r} "
                    f"predicted={pred.speaker!r} at {said!r}"
                )
    if len(tally.errors) < errors:
        for i, gold in enumerate(doc.gold):
            if i not in used_gold:
                a, b = gold.span
                tally.errors.append(f"MISSED {doc.name}: {text[max(0, a - 60) : b + 40]!r}")
        for j, pred in enumerate(predicted):
            if j not in used_pred:
                a, b = pred.span
                tally.errors.append(f"EXTRA {doc.name}: {text[max(0, a - 60) : b + 40]!r}")


def our_units(quotes: Sequence[Quote]) -> list[Unit]:
    units: list[Unit] = []
    index: dict[int, Unit] = {}
    for n, quote in enumerate(quotes):
        speaker = None
        if quote.speaker_start is not None and quote.speaker_end is not None:
            speaker = (quote.speaker_start, quote.speaker_end)
        if quote.part_of is not None and quote.part_of in index:
            index[quote.part_of].fragments.append((quote.start, quote.end))
            continue
        end = quote.content_end if quote.content_end is not None else quote.end
        unit = Unit([(quote.start, end)], speaker=quote.speaker, speaker_span=speaker)
        index[n] = unit
        units.append(unit)
    return units


def run_ours(documents: Sequence[Document], errors: int) -> tuple[Tally, float]:
    articles = [Article(id=d.name, text=d.text, language="en") for d in documents]
    stages = [Parser(), EntityStage(), QuoteStage()]
    tally = Tally()
    began = time.perf_counter()
    stream: Iterable[Article] = articles
    for stage in stages:
        stream = stage.pipe(stream)
    done = list(stream)
    seconds = time.perf_counter() - began
    for doc, article in zip(documents, done, strict=True):
        score(doc, our_units(article.quotes), article.entities, tally, errors)
    return tally, seconds


def run_textacy(documents: Sequence[Document], errors: int) -> tuple[Tally, float] | str:
    try:
        import spacy
        from textacy.extract.triples import direct_quotations
    except ImportError as error:
        return f"textacy is not installed ({error}): pip install textacy==0.13.0"
    nlp = spacy.load(MODEL)
    tally = Tally()
    began = time.perf_counter()
    results = []
    for doc, parsed in zip(documents, nlp.pipe(d.text for d in documents), strict=True):
        units = []
        try:
            triples = list(direct_quotations(parsed))
        except ValueError:  # it refuses texts with an odd number of quotation marks
            tally.refused += 1
            triples = []
        for triple in triples:
            content = triple.content
            speaker = None
            name = None
            if triple.speaker:
                first, last = triple.speaker[0], triple.speaker[-1]
                speaker = (first.idx, last.idx + len(last.text))
                name = doc.text[speaker[0] : speaker[1]]
            fragment = (content.start_char, content.end_char)
            units.append(Unit([fragment], speaker=name, speaker_span=speaker))
        results.append((doc, units))
    seconds = time.perf_counter() - began
    for doc, units in results:
        score(doc, units, [], tally, errors)
    return tally, seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--split", default="dev", help="dev (reported) or train (development)")
    parser.add_argument("--errors", type=int, default=0, help="print up to N errors of ours")
    parser.add_argument("--no-baseline", action="store_true", help="skip textacy")
    args = parser.parse_args(argv)
    if not (args.data / args.split / "attributions").is_dir():
        print(f"PolNeAR not found at {args.data}: put it in ../shared/data/polnear")
        return 2
    documents = load(args.data, args.split)
    gold = sum(len(d.gold) for d in documents)
    single = sum(d.single_marked for d in documents)
    print(
        f"PolNeAR {args.split}: {len(documents)} articles, {gold} gold direct quotes "
        f"({single} single-mark contents not counted)"
    )
    rows: list[tuple[str, Tally, float]] = []
    ours, seconds = run_ours(documents, args.errors)
    rows.append(("storyline quotes", ours, seconds))
    if not args.no_baseline:
        baseline = run_textacy(documents, 0)
        if isinstance(baseline, str):
            print(f"baseline skipped: {baseline}")
        else:
            rows.append(("textacy direct_quotations", baseline[0], baseline[1]))
    header = f"{'system':<28}{'pred':>6}{'P ex':>7}{'R ex':>7}{'F1 ex':>7}"
    print(f"\n{header}{'P 80':>7}{'R 80':>7}{'F1 80':>7}{'spk acc':>9}{'sec':>7}")
    for name, tally, secs in rows:
        exact = "".join(f"{v:>7.3f}" for v in tally.prf(tally.exact))
        loose = "".join(f"{v:>7.3f}" for v in tally.prf(tally.overlap))
        accuracy = tally.speaker_right / tally.with_source if tally.with_source else 0.0
        print(f"{name:<28}{tally.predicted:>6}{exact}{loose}{accuracy:>9.3f}{secs:>7.1f}")
    print(f"\nspeaker accuracy over {ours.with_source} matched quotes with a gold Source (ours)")
    for name, tally, _ in rows:
        low, high = tally.f1_interval()
        print(f"{name}: F1 80 95% interval {low:.3f}-{high:.3f} (articles resampled, seed 0)")
    for name, tally, _ in rows:
        if tally.refused:
            print(f"{name} refused {tally.refused} articles (odd number of quotation marks)")
    for line in ours.errors:
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
