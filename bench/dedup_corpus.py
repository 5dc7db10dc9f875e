"""Copies of known kinds made from real news: the labelled corpus for bench/dedup_bench.py.

    python bench/dedup_corpus.py [--seed N] [--out corpus.jsonl]

Every PolNeAR article (../shared/data/polnear, 924 US political articles from 7
outlets, 2015-2016) is an original. Each gets 0-3 copies, made by a seeded
generator, of these kinds:

    verbatim             the same text under another outlet
    headline             the same text under a new headline
    boilerplate_added    a scraper's lines added (share prompts, "Source: Read Full Article",
                         tags, newsletter pitches), the same few lines for each scraper
    boilerplate_removed  the original outlet's own footer lines dropped
    truncated            the first 30-70% of the words (a teaser), sometimes "Read more"
    paragraphs           paragraphs reordered, or one or two dropped
    rewrite              light sentence-level edits: synonym swaps, clause reorder,
                         one sentence dropped and one added
    noise                typos and OCR-like errors (swapped, dropped, doubled letters,
                         rn/m, l/1, O/0), words broken across lines

Some copies are made from an earlier copy (a copy of a copy). Three outlets put
a footer under every article, so their originals carry boilerplate of their own.
Copies are published minutes to days after their source; some carry no date and
some the same timestamp. Hard negatives need no generating: PolNeAR has many
articles of the same day on the same campaign.

PolNeAR itself holds a few near-identical pairs (a New York Times article under
its web and print headlines, Washington Post articles filed twice, updates of an
AP live blog). They would be unlabelled copies, so the later article of every
pair whose word 5-gram Jaccard reaches 0.2, or whose 5-grams lie 50% inside the
other's, is left out (found by brute force on plain word sets, independently of
storyline's own method), and the count is printed.

Each output line is an article record (``id``, ``outlet``, ``title``,
``published``, ``text``) plus ``label``: ``group`` (the PolNeAR original),
``kind`` (``original`` or a kind above), ``source`` (the article it was made from).
Records are written in arrival order: by publication time with a day of jitter,
so that some copies arrive before their original.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
import sys
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from storyline.text import words

SHARED = Path(__file__).resolve().parents[2] / "shared"
POLNEAR = SHARED / "data" / "polnear"

KINDS = (
    "verbatim",
    "headline",
    "boilerplate_added",
    "boilerplate_removed",
    "truncated",
    "paragraphs",
    "rewrite",
    "noise",
)

#: footers three outlets put under every article (what "boilerplate_removed" drops)
OUTLET_FOOTERS = {
    "breitbart": [
        "Follow Breitbart News on Twitter and Facebook for the latest on the campaign.",
        "Breitbart News Daily airs on SiriusXM Patriot 125 weekdays from 6 to 9 a.m. Eastern.",
    ],
    "wash-post": [
        "Sign up for The Daily 202, our newsletter on the campaign, delivered every weekday.",
        "Washington Post staff writers contributed to this report.",
    ],
    "huff-post": [
        "HuffPost readers: tell us about your experience with this campaign season.",
        "Editor's note: Donald Trump regularly incites political violence and is a serial liar.",
    ],
}

#: scrapers and the lines each adds to what it copies (a few of them each time)
SCRAPERS = {
    "newsfeed-hub": ["Source: Read Full Article", "Share this:", "Tags: politics, election"],
    "daily-aggregate": [
        "Like this story? Share it with your friends!",
        "This article was originally published on a partner site.",
        "Daily Aggregate brings you the news that matters, every hour.",
    ],
    "politics-now": [
        "Click here to get Politics Now alerts on your phone",
        "Politics Now | Your source for 2016 election coverage",
        "Advertisement",
    ],
    "world-wire-digest": [
        "WORLD WIRE DIGEST",
        "Subscribe to our morning newsletter for the top stories in your inbox.",
        "Photo: file image",
    ],
}
REPUBLISHERS = ("regional-times", "metro-gazette", "the-courier", *SCRAPERS)

SYNONYMS = {
    "said": "stated",
    "says": "states",
    "told": "informed",
    "big": "large",
    "large": "big",
    "small": "little",
    "help": "assist",
    "start": "begin",
    "started": "began",
    "show": "demonstrate",
    "shows": "demonstrates",
    "showed": "demonstrated",
    "people": "individuals",
    "buy": "purchase",
    "try": "attempt",
    "tried": "attempted",
    "need": "require",
    "needs": "requires",
    "many": "numerous",
    "often": "frequently",
    "important": "significant",
    "major": "key",
    "quickly": "rapidly",
    "about": "roughly",
    "because": "since",
    "although": "though",
    "after": "following",
    "announced": "unveiled",
    "criticized": "slammed",
    "candidate": "contender",
    "candidates": "contenders",
    "voters": "electors",
    "win": "secure",
    "won": "secured",
    "lead": "advantage",
    "support": "backing",
    "attack": "assault",
    "attacks": "assaults",
    "called": "labeled",
    "asked": "questioned",
    "believe": "think",
    "believes": "thinks",
    "city": "town",
    "country": "nation",
    "nearly": "almost",
    "almost": "nearly",
    "recent": "latest",
    "month": "weeks",
    "week": "days",
    "also": "too",
    "however": "but",
    "before": "prior to",
    "during": "throughout",
    "against": "versus",
    "plan": "proposal",
    "plans": "proposals",
    "issue": "matter",
    "issues": "matters",
    "job": "position",
}
ADDED_SENTENCES = (
    "The campaign did not immediately respond to a request for comment.",
    "This story has been updated with additional reporting.",
    "Reporters have asked for more details and are awaiting a reply.",
    "The remarks drew a swift reaction on social media.",
    "It was not clear whether the statement would change the race.",
)
OCR = (("rn", "m"), ("m", "rn"), ("l", "1"), ("O", "0"), ("e", "c"), ("i", "l"), ("cl", "d"))
_SENTENCE = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"”’]))\s+(?=[A-Z\"“‘])")


@dataclass(slots=True)
class Doc:
    id: str
    outlet: str
    title: str
    published: datetime | None
    text: str
    group: str
    kind: str
    source: str

    def record(self) -> dict[str, Any]:
        stamp = self.published.isoformat().replace("+00:00", "Z") if self.published else None
        return {
            "id": self.id,
            "outlet": self.outlet,
            "title": self.title,
            "published": stamp,
            "text": self.text,
            "label": {"group": self.group, "kind": self.kind, "source": self.source},
        }


def need_shared() -> None:
    if not POLNEAR.is_dir():
        sys.exit(
            f"needs the PolNeAR corpus at {POLNEAR}: put the shared/ folder beside the "
            "checkout (see shared/README.md)"
        )


def load_polnear(root: Path = POLNEAR) -> list[Doc]:
    """PolNeAR articles as originals: body without the title line, outlet, date, title."""
    meta: dict[str, dict[str, str]] = {}
    with (root / "metadata.tsv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            meta[row["filename"]] = row
    docs = []
    for path in sorted(root.glob("*/text/*.txt")):
        row = meta.get(path.stem)
        if row is None:
            continue
        title, _, body = path.read_text(encoding="utf-8").partition("\n")
        body = re.sub(r"\n\s*\n+", "\n\n", body.strip())
        day = datetime.fromisoformat(row["publication_date"]).replace(tzinfo=UTC)
        docs.append(
            Doc(
                path.stem,
                row["publisher"],
                row.get("title") or title.strip(),
                day,
                body,
                path.stem,
                "original",
                path.stem,
            )
        )
    return docs


def near_identical(docs: list[Doc], jaccard: float = 0.2, contained: float = 0.5) -> set[str]:
    """Ids of the later article of every near-identical pair (plain word 5-gram sets)."""
    grams = []
    for doc in docs:
        tokens = [w.casefold() for w in words(doc.text)]
        grams.append({tuple(tokens[i : i + 5]) for i in range(len(tokens) - 4)})
    postings: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for number, gram_set in enumerate(grams):
        for gram in gram_set:
            postings[gram].append(number)
    drop: set[str] = set()
    for number, gram_set in enumerate(grams):
        shared: dict[int, int] = defaultdict(int)
        for gram in gram_set:
            for other in postings[gram]:
                if other > number:
                    shared[other] += 1
        for other, count in shared.items():
            small = min(len(gram_set), len(grams[other])) or 1
            union = len(gram_set) + len(grams[other]) - count
            if count / union >= jaccard or count / small >= contained:
                first, second = docs[number], docs[other]
                later = (
                    second
                    if (second.published, second.id) >= (first.published, first.id)
                    else first
                )
                drop.add(later.id)
    return drop


# -- copy makers ----------------------------------------------------------------------


def paragraphs(text: str) -> list[str]:
    return [p for p in text.split("\n\n") if p.strip()]


def sentences(paragraph: str) -> list[str]:
    return [s for s in _SENTENCE.split(paragraph) if s.strip()]


def strip_footer(doc: Doc) -> str:
    footer = set(OUTLET_FOOTERS.get(doc.outlet, ()))
    return "\n\n".join(p for p in paragraphs(doc.text) if p not in footer)


def add_boilerplate(rng: random.Random, text: str, scraper: str) -> str:
    lines = rng.sample(SCRAPERS[scraper], k=rng.randint(2, 3))
    head = [line for line in lines if rng.random() < 0.3]
    tail = [line for line in lines if line not in head]
    return "\n\n".join([*head, text, *tail])


def truncate(rng: random.Random, text: str, strength: float = 1.0) -> str:
    tokens = list(re.finditer(r"\S+", text))
    keep = max(1, int(len(tokens) * rng.uniform(0.3 / strength, 0.7)))
    cut = text[: tokens[keep - 1].end()]
    if rng.random() < 0.5:
        cut += " …"
    if rng.random() < 0.3:
        cut += "\n\nRead more"
    return cut


def shuffle_paragraphs(rng: random.Random, text: str) -> str:
    parts = paragraphs(text)
    if len(parts) < 4:
        return truncate(rng, text) if len(parts) < 2 else "\n\n".join(parts[::-1])
    if rng.random() < 0.5:
        for _ in range(rng.randint(1, 3)):
            moved = parts.pop(rng.randrange(len(parts)))
            parts.insert(rng.randrange(len(parts) + 1), moved)
    else:
        for _ in range(rng.randint(1, max(1, min(2, len(parts) // 4)))):
            parts.pop(rng.randrange(1, len(parts)))
    return "\n\n".join(parts)


def rewrite(rng: random.Random, text: str, strength: float = 1.0) -> str:
    """Synonym swaps in about a third of the sentences, some clauses swapped, one
    sentence dropped and one added (``strength`` times as much, up to a swap in
    almost every sentence)."""
    swap, clause = min(0.95, 0.35 * strength), min(0.9, 0.1 * strength)
    out_paragraphs = []
    for paragraph in paragraphs(text):
        out = []
        for sentence in sentences(paragraph):
            if rng.random() < swap:
                sentence = _swap_synonym(rng, sentence)
            if rng.random() < clause:
                sentence = _swap_clauses(sentence)
            out.append(sentence)
        out_paragraphs.append(out)
    for _ in range(max(1, round(strength))):
        flat = [(i, j) for i, p in enumerate(out_paragraphs) for j in range(len(p))]
        if len(flat) > 4:
            i, j = rng.choice(flat)
            out_paragraphs[i].pop(j)
    for _ in range(max(1, round(strength))):
        target = rng.choice([p for p in out_paragraphs if p] or [[]])
        target.insert(rng.randint(0, len(target)), rng.choice(ADDED_SENTENCES))
    return "\n\n".join(" ".join(p) for p in out_paragraphs if p)


def _swap_synonym(rng: random.Random, sentence: str) -> str:
    found = [m for m in re.finditer(r"[A-Za-z]+", sentence) if m.group().lower() in SYNONYMS]
    if not found:
        return sentence
    match = rng.choice(found)
    word = SYNONYMS[match.group().lower()]
    if match.group()[0].isupper():
        word = word[0].upper() + word[1:]
    return sentence[: match.start()] + word + sentence[match.end() :]


def _swap_clauses(sentence: str) -> str:
    body = sentence.rstrip(".!?")
    end = sentence[len(body) :]
    left, sep, right = body.partition(", ")
    if not sep or len(left.split()) < 4 or len(right.split()) < 4 or '"' in body or "“" in body:
        return sentence
    right = right[0].upper() + right[1:]
    left = (
        left[0].lower() + left[1:] if not left.split()[0].istitle() or left[1:2].islower() else left
    )
    return f"{right}, {left}{end or '.'}"


def add_noise(rng: random.Random, text: str, strength: float = 1.0) -> str:
    """About 3% of words damaged (``strength`` times that); some words broken over two
    lines."""
    rate = 0.03 * strength

    def damage(match: re.Match[str]) -> str:
        word = match.group()
        roll = rng.random()
        if roll > rate or len(word) < 3:
            return word
        choice = rng.randrange(5)
        at = rng.randrange(1, len(word) - 1)
        if choice == 0:
            return word[: at - 1] + word[at] + word[at - 1] + word[at + 1 :]
        if choice == 1:
            return word[:at] + word[at + 1 :]
        if choice == 2:
            return word[:at] + word[at] + word[at:]
        if choice == 3:
            for old, new in rng.sample(OCR, len(OCR)):
                if old in word:
                    return word.replace(old, new, 1)
            return word
        return word[:at] + "-\n" + word[at:]

    return re.sub(r"[A-Za-z]+", damage, text)


def new_headline(rng: random.Random, title: str) -> str:
    prefixes = ("BREAKING: ", "WATCH: ", "Report: ", "", "UPDATE: ")
    suffixes = ("", " (VIDEO)", " — here's what we know", " | 2016 Election")
    headline = rng.choice(prefixes) + title + rng.choice(suffixes)
    return headline if headline != title else "Opinion: " + title


def make_copy(
    rng: random.Random, source: Doc, kind: str, number: int, strength: float = 1.0
) -> Doc:
    outlet = rng.choice(REPUBLISHERS)
    text, title = source.text, source.title
    if kind == "headline":
        title = new_headline(rng, title)
    elif kind == "boilerplate_added":
        outlet = rng.choice(tuple(SCRAPERS))
        text = add_boilerplate(rng, text, outlet)
    elif kind == "boilerplate_removed":
        text = strip_footer(source)
    elif kind == "truncated":
        text = truncate(rng, text, strength)
    elif kind == "paragraphs":
        text = shuffle_paragraphs(rng, text)
    elif kind == "rewrite":
        text = rewrite(rng, text, strength)
    elif kind == "noise":
        text = add_noise(rng, text, strength)
    published = _later(rng, source.published)
    return Doc(
        f"{source.group}~{number}", outlet, title, published, text, source.group, kind, source.id
    )


def _later(rng: random.Random, when: datetime | None) -> datetime | None:
    roll = rng.random()
    if when is None or roll < 0.08:
        return None
    if roll < 0.13:
        return when
    return when + timedelta(minutes=rng.randint(5, 3 * 24 * 60))


def generate(
    seed: int, originals: list[Doc] | None = None, strength: float = 1.0
) -> tuple[list[Doc], dict[str, int]]:
    """Originals and their copies in arrival order, and counts of what was done.

    ``strength`` scales the edits of rewrites, noise and truncation (1: as described
    above; 3: a swap in almost every sentence, 9% of words damaged, teasers of 10%)."""
    rng = random.Random(seed)
    docs = originals if originals is not None else load_polnear()
    dropped = near_identical(docs)
    bases = [d for d in docs if d.id not in dropped]
    for doc in bases:
        doc.published = (doc.published or datetime(2016, 1, 1, tzinfo=UTC)) + timedelta(
            minutes=rng.randint(6 * 60, 20 * 60)
        )
        footer = OUTLET_FOOTERS.get(doc.outlet)
        if footer:
            doc.text = doc.text + "\n\n" + "\n\n".join(footer)
    out: list[Doc] = []
    for base in bases:
        out.append(base)
        family = [base]
        for number in range(rng.choice((0, 1, 1, 2, 2, 3))):
            kind = rng.choice(KINDS)
            source = rng.choice(family) if rng.random() < 0.2 else base
            if kind == "boilerplate_removed" and base.outlet not in OUTLET_FOOTERS:
                kind = "verbatim"
            if kind == "boilerplate_removed":
                source = base
            copy = make_copy(rng, source, kind, number + 1, strength)
            family.append(copy)
            out.append(copy)
    far = datetime(2100, 1, 1, tzinfo=UTC)
    jitter = {d.id: timedelta(hours=rng.uniform(-24, 24)) for d in out}
    undated_at = {d.id: rng.choice(bases).published or far for d in out if d.published is None}
    out.sort(key=lambda d: ((d.published or undated_at[d.id]) + jitter[d.id], d.id))
    counts = {
        "polnear": len(docs),
        "left_out_near_identical": len(dropped),
        "originals": len(bases),
        "copies": len(out) - len(bases),
    }
    return out, counts


def write(docs: list[Doc], path: Path) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for doc in docs:
            handle.write(json.dumps(doc.record(), ensure_ascii=False) + "\n")


def read(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            yield json.loads(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=20161108)
    parser.add_argument("--out", type=Path, default=Path("dedup_corpus.jsonl"))
    parser.add_argument(
        "--strength", type=float, default=1.0, help="scale the edits of rewrites, noise, teasers"
    )
    args = parser.parse_args()
    need_shared()
    docs, counts = generate(args.seed, strength=args.strength)
    write(docs, args.out)
    kinds: dict[str, int] = defaultdict(int)
    for doc in docs:
        kinds[doc.kind] += 1
    print(f"seed {args.seed}: {counts}; by kind {dict(sorted(kinds.items()))}; wrote {args.out}")


if __name__ == "__main__":
    main()
