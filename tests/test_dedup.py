"""Copies and near-duplicates: every copy kind, bad inputs, groups, boilerplate, the store."""

from __future__ import annotations

import json
import random
import re
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from storyline.config import Config
from storyline.dedup import Deduplicator, InMemoryCopyIndex, tokenise
from storyline.engine import Engine
from storyline.errors import ConfigError, StoreError
from storyline.extract import clean_text
from storyline.model import Article
from storyline.store import SqliteCopyIndex, Store
from storyline.text import text_hash, words

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(__file__).resolve().parents[2] / "shared"

WATER_MAIN = "\n\n".join(
    (
        "A 36-inch water main burst beneath Harmon Street in downtown Lakeport early "
        "Tuesday, flooding a dozen basements, buckling two blocks of pavement and forcing "
        "the city to order a boil-water notice for about 41,000 residents on the east side.",
        "Crews from the Lakeport Water Authority shut the main at 4:15 a.m., roughly two "
        "hours after a night-shift baker reported water bubbling through the sidewalk "
        "outside his shop. By sunrise the intersection of Harmon and Fifth had turned into a "
        "shallow brown lake.",
        "“We lost pressure across the whole eastern grid in a matter of minutes,” said "
        "Dolores Akintola, the authority’s operations director. “Until our lab confirms the "
        "water is clean, people should boil it for at least one minute before drinking it or "
        "using it to brush their teeth.”",
        "The notice covers every address east of the Calder River, including Saint Brendan’s "
        "Hospital, which switched to bottled water and postponed eleven elective surgeries. "
        "Four elementary schools in the district will stay closed on Wednesday.",
        "The pipe that failed was installed in 1931 and had been flagged as high risk in a "
        "2022 inspection report, according to records reviewed by the council. Repairing it "
        "had been scheduled for next spring as part of a $180 million replacement program.",
        "Council member Rafael Osei said the break showed the city could no longer wait. “We "
        "have known for years that these pipes were living on borrowed time,” he said. "
        "“Today the bill came due, and residents are the ones paying it.”",
        "The authority expects to restore full pressure by Thursday evening. Results from "
        "the first round of water samples are due Wednesday afternoon, and the boil-water "
        "notice will remain in place until two consecutive rounds come back clean.",
        "Residents can check whether their address is affected on the authority’s website or "
        "by calling its emergency line. Bottled water is being handed out at the Eastside "
        "Community Center on Maple Avenue until 9 p.m.",
    )
)

#: the same event reported independently: shares a quote and the facts, not the text
WATER_MAIN_OTHER_REPORT = "\n\n".join(
    (
        "Thousands of east-side households in Lakeport were told to boil their tap water on "
        "Tuesday after an aging water main gave way under Harmon Street, sending a torrent "
        "through downtown before dawn.",
        "The break, discovered shortly after 2 a.m., left several blocks under water and "
        "knocked out pressure across much of the east side, officials said. Water Authority "
        "crews needed about two hours to isolate the 1931-era pipe.",
        "Operations director Dolores Akintola urged residents to take the notice seriously. "
        "“Until our lab confirms the water is clean, people should boil it for at least one "
        "minute before drinking it or using it to brush their teeth,” she said at a morning "
        "briefing.",
        "Saint Brendan’s Hospital postponed a number of planned operations, and the school "
        "district announced that four east-side schools would not open Wednesday.",
        "Critics on the council pointed to a 2022 inspection that rated the pipe among the "
        "city’s most vulnerable. The replacement of the line had been pushed back to next "
        "year because of budget constraints.",
        "Officials said it could take until Thursday to bring the system back to normal. "
        "Free bottled water is available at the Eastside Community Center.",
    )
)

#: a paraphrase sentence by sentence, as a rewrite desk produces from wire copy
WATER_MAIN_REWRITTEN = "\n\n".join(
    (
        "A 36-inch water main ruptured under Harmon Street in downtown Lakeport early on "
        "Tuesday, flooding about a dozen basements, buckling two blocks of road and "
        "prompting the city to issue a boil-water notice to some 41,000 east-side residents.",
        "Lakeport Water Authority crews closed the main at 4:15 a.m., about two hours after "
        "a baker working the night shift saw water bubbling up through the sidewalk in front "
        "of his shop. By dawn, the corner of Harmon and Fifth looked like a shallow brown "
        "lake.",
        "“We lost pressure across the whole eastern grid within minutes,” operations "
        "director Dolores Akintola said. “Until our lab confirms the water is clean, people "
        "should boil it for at least a minute before drinking it or brushing their teeth "
        "with it.”",
        "Every address east of the Calder River is covered by the notice, Saint Brendan’s "
        "Hospital among them; it has switched to bottled water and put off eleven elective "
        "operations. Four of the district's elementary schools will remain closed Wednesday.",
        "Installed in 1931, the failed pipe had been rated high risk in a 2022 inspection, "
        "council records show. Its repair had been planned for next spring within a $180 "
        "million replacement program.",
        "According to council member Rafael Osei, the break proved the city could not wait "
        "any longer. “For years we have known these pipes were living on borrowed time,” he "
        "said. “Today the bill came due and residents are paying it.”",
        "Full pressure should be back by Thursday evening, the authority said. The first "
        "water sample results are expected Wednesday afternoon, and the notice stays until "
        "two rounds in a row come back clean.",
        "Residents can find out whether their address is affected on the authority’s website "
        "or by phoning its emergency line. Bottled water is handed out at the Eastside "
        "Community Center on Maple Avenue until 9 p.m.",
    )
)

SYNONYMS = {
    "burst": "ruptured",
    "forcing": "prompting",
    "shut": "closed",
    "roughly": "about",
    "installed": "laid",
    "scheduled": "planned",
    "expects": "hopes",
    "due": "expected",
}

GERMAN = "\n\n".join(
    (
        "Im Zentrum von Lakeport ist am Dienstagmorgen eine Hauptwasserleitung unter der "
        "Harmon Street geplatzt. Dutzende Keller liefen voll, zwei Straßenzüge wurden "
        "aufgerissen, und die Stadt forderte rund 41.000 Anwohner im Osten auf, ihr "
        "Leitungswasser abzukochen.",
        "Die Wasserbehörde sperrte die Leitung gegen Viertel nach vier, etwa zwei Stunden "
        "nachdem ein Bäcker Wasser auf dem Gehweg vor seiner Backstube bemerkt hatte. Bei "
        "Sonnenaufgang stand die Kreuzung knietief unter Wasser.",
        "„Bis unser Labor bestätigt, dass das Wasser sauber ist, sollten die Menschen es "
        "mindestens eine Minute lang abkochen“, sagte die Betriebsleiterin Dolores Akintola. "
        "Die Leitung stammt aus dem Jahr 1931 und galt seit einer Prüfung im Jahr 2022 als "
        "besonders gefährdet.",
        "Das Krankenhaus Saint Brendan stellte auf Flaschenwasser um und verschob elf "
        "geplante Operationen. Vier Grundschulen bleiben am Mittwoch geschlossen, und die "
        "Behörde rechnet erst am Donnerstagabend mit vollem Wasserdruck.",
    )
)

RUSSIAN = "\n\n".join(
    (
        "Во вторник рано утром в центре Лейкпорта под улицей Хармон прорвало магистральный "
        "водопровод. Вода затопила десятки подвалов, асфальт вспучился на двух кварталах, и "
        "власти призвали около сорока одной тысячи жителей восточных районов кипятить воду "
        "из-под крана.",
        "Аварийные бригады перекрыли трубу примерно через два часа после того, как пекарь из "
        "ночной смены заметил воду, пробивающуюся сквозь тротуар у его пекарни. К рассвету "
        "перекрёсток превратился в мелкое бурое озеро.",
        "«Пока наша лаборатория не подтвердит, что вода чистая, её нужно кипятить не меньше "
        "минуты», — сказала директор по эксплуатации Долорес Акинтола. Трубу проложили в "
        "1931 году, и ещё в 2022 году инспекция признала её аварийной.",
        "Больница Святого Брендана перешла на бутилированную воду и отложила одиннадцать "
        "плановых операций. Четыре начальные школы в среду не откроются, а полное давление в "
        "сети обещают восстановить к вечеру четверга.",
    )
)

CHINESE = "\n\n".join(
    (
        "湖港市周二凌晨一条老旧的供水主管道在哈蒙街下方破裂，市中心十几栋楼的地下室被淹，"
        "两个街区的路面隆起，东区约四万一千名居民被要求将自来水煮沸后再饮用。",
        "供水局的抢修人员在凌晨四点十五分关闭了这条管道，大约两个小时之前，一位上夜班的面"
        "包师发现店门外的人行道上不断冒出水来。到日出时，哈蒙街和第五街的路口已经变成了一"
        "片浅浅的褐色水塘。",
        "供水局运营主管表示，在实验室确认水质安全之前，居民应将水煮沸至少一分钟再饮用或刷"
        "牙。破裂的管道铺设于一九三一年，早在二零二二年的检查中就被列为高风险管道。",
        "圣布伦丹医院已改用瓶装水，并推迟了十一台择期手术。东区四所小学周三停课。当局预计"
        "周四晚上恢复全部水压，在连续两轮水样检测合格之前，煮沸饮用水的通知将继续有效。",
    )
)

CHINESE_UNRELATED = "\n\n".join(
    (
        "一家新开的书店本周末在老城区开业，店主说希望为附近的学生和上班族提供一个安静的阅读空间。",
        "书店的二楼设有咖啡角和儿童绘本区，每周六下午还会举办故事会和作者见面会。开业当天"
        "，许多居民排队购买签名书籍，附近的面包店也推出了限量版的纪念饼干。",
        "店主表示，书店的选书以本地历史、自然科学和翻译文学为主，未来还计划邀请本地作家举"
        "办系列讲座，并与周边学校合作开展阅读推广活动，让更多孩子爱上读书。",
    )
)

MIXED = "\n\n".join(
    (
        "東京 — Hoshino Robotics said on Monday that it will build a new assembly plant in "
        "Kumamoto, 熊本県の新工場では約二百人を雇用する予定だ。 "
        "The company, best known for warehouse robots, expects production to start in 2027.",
        "同社の広報担当者は「九州には優秀な技術者が多い」と述べた。 "
        "Analysts said the move reflects a wider shift of "
        "electronics manufacturing back to Japan, 円安と補助金が追い風になっている。",
        "The plant will cost about 30 billion yen, and the prefecture has offered land near "
        "the airport. 地元の商工会議所は新たな雇用を歓迎している。 "
        "Москва и Сеул также рассматриваются как рынки сбыта, the spokesperson added.",
    )
)

#: four independent articles of one outlet, each with the outlet's footer
LEDGER_FOOTER = "The Valley Ledger is owned by Ridgeback Media and serves five river counties."
LEDGER_STORIES = [
    "The Fairmont public library reopened on Saturday after a two-year renovation that added a "
    "children's wing, a recording studio and solar panels on the roof. Librarian Amira Castell "
    "said more than 600 people came through the doors in the first hour, and the new maker space "
    "was fully booked for the month before noon.",
    "Road crews will close the Old Mill bridge for three weeks starting Monday so that its deck "
    "can be resurfaced and its railings replaced. Drivers heading to Brookfield are asked to use "
    "the county road through Pine Hollow, which adds about ten minutes, the transport department "
    "said in a statement on Thursday.",
    "The Riverside Rangers came from two goals down to beat Ashford 3-2 on Sunday, with teenage "
    "striker Noah Lindqvist scoring twice in the last ten minutes. The win lifts the Rangers to "
    "third place in the regional league with four matches left to play this season.",
    "Forecasters expect the first frost of the autumn across the valley on Wednesday night, with "
    "temperatures dropping to two degrees below zero in low-lying areas. Gardeners are advised to "
    "cover tender plants and bring potted herbs indoors before sunset on Wednesday evening.",
]


# -- helpers ----------------------------------------------------------------------------


def when(day: int, hour: int = 8) -> datetime:
    return datetime(2025, 3, day, hour, tzinfo=UTC)


TUESDAY = when(4)


def article(
    article_id: str,
    text: str,
    outlet: str | None = "Lakeport Daily",
    published: datetime | None = TUESDAY,
    title: str = "Water main breaks in Lakeport",
) -> Article:
    """An article with a URL of its own (the engine takes identical texts without one
    for the same article)."""
    site = re.sub(r"\W+", "-", (outlet or "unknown").casefold())
    return Article(
        id=article_id,
        text=clean_text(text),
        title=title,
        url=f"https://{site}.example/{article_id}",
        outlet=outlet,
        published=published,
    )


def paragraphs(text: str) -> list[str]:
    return text.split("\n\n")


def deduplicator(**settings: Any) -> Deduplicator:
    return Deduplicator(Config(**settings), InMemoryCopyIndex())


def run(stage: Deduplicator, *articles: Article) -> list[Article]:
    return [stage(a) for a in articles]


def original_and(copy_text: str, **copy: Any) -> tuple[Article, Article]:
    stage = deduplicator()
    original = article("original", WATER_MAIN, published=when(4, 6))
    options = {"outlet": "Aggregator", "published": when(4, 9), **copy}
    duplicate = article("copy", copy_text, **options)
    run(stage, original, duplicate)
    return original, duplicate


def light_rewrite(text: str, seed: int = 7) -> str:
    """Swap a few words for synonyms, drop one sentence, add one."""
    rng = random.Random(seed)
    for word, other in SYNONYMS.items():
        text = re.sub(rf"\b{word}\b", other, text, count=1)
    sentences = re.split(r"(?<=[.”])\s+(?=[A-Z“])", text)
    sentences.pop(rng.randrange(1, len(sentences)))
    sentences.insert(3, "The authority did not say how much the repairs would cost.")
    return " ".join(sentences)


def noisy(text: str, seed: int = 3, rate: float = 0.04) -> str:
    """Typos and OCR slips: swapped, dropped, doubled letters, rn for m, 1 for l."""
    rng = random.Random(seed)

    def damage(match: re.Match[str]) -> str:
        word = match.group()
        if len(word) < 4 or rng.random() > rate:
            return word
        at = rng.randrange(1, len(word) - 1)
        return rng.choice(
            [
                word[: at - 1] + word[at] + word[at - 1] + word[at + 1 :],
                word[:at] + word[at + 1 :],
                word[:at] + word[at] + word[at:],
                word.replace("m", "rn", 1).replace("l", "1", 1),
            ]
        )

    return re.sub(r"[A-Za-z]+", damage, text)


# -- every copy kind --------------------------------------------------------------------


def test_dedup_verbatim_copy_is_exact_and_points_to_the_earlier_article() -> None:
    original, copy = original_and(WATER_MAIN)
    assert original.copy_of is None
    assert copy.copy_of is not None
    assert (copy.copy_of.original, copy.copy_of.kind, copy.copy_of.similarity) == (
        "original",
        "exact",
        1.0,
    )


def test_dedup_new_headline_over_the_same_text_is_exact() -> None:
    _, copy = original_and(WATER_MAIN, title="BREAKING: Lakeport under boil-water notice")
    assert copy.copy_of is not None and copy.copy_of.kind == "exact"


def test_dedup_boilerplate_added_is_a_near_copy_of_similarity_one() -> None:
    scraped = (
        "Share this article\n\n" + WATER_MAIN + "\n\nSign up for our newsletter to get the "
        "top stories in your inbox every morning.\n\nSource: Read Full Article"
    )
    _, copy = original_and(scraped)
    assert copy.copy_of is not None
    assert (copy.copy_of.original, copy.copy_of.kind) == ("original", "near")
    assert copy.copy_of.similarity == 1.0  # the added lines are recognised as boilerplate


def test_dedup_boilerplate_removed_is_a_near_copy() -> None:
    stage = deduplicator()
    footer = "\n\nFollow the Lakeport Daily on Twitter and Facebook.\n\nAdvertisement"
    original = article("original", WATER_MAIN + footer, published=when(4, 6))
    copy = article("copy", WATER_MAIN, outlet="Aggregator", published=when(4, 9))
    run(stage, original, copy)
    assert copy.copy_of is not None and copy.copy_of.original == "original"
    assert copy.copy_of.kind in {"near", "exact"}


@pytest.mark.parametrize("share", [0.3, 0.5, 0.7])
def test_dedup_truncated_teaser_is_contained(share: float) -> None:
    tokens = WATER_MAIN.split(" ")
    teaser = " ".join(tokens[: int(len(tokens) * share)]) + " …\n\nRead more"
    _, copy = original_and(teaser)
    assert copy.copy_of is not None
    assert copy.copy_of.original == "original"
    assert copy.copy_of.kind == "contained"
    assert copy.copy_of.similarity >= 0.95


def test_dedup_paragraphs_reordered_or_dropped_are_near_copies() -> None:
    parts = paragraphs(WATER_MAIN)
    reordered = "\n\n".join([parts[0], parts[3], parts[1], parts[2], *parts[4:]])
    dropped = "\n\n".join(parts[:4] + parts[5:7])
    for text in (reordered, dropped):
        _, copy = original_and(text)
        assert copy.copy_of is not None and copy.copy_of.original == "original"
        assert copy.copy_of.kind in {"near", "contained"}


def test_dedup_light_rewrite_is_linked() -> None:
    _, copy = original_and(light_rewrite(WATER_MAIN))
    assert copy.copy_of is not None and copy.copy_of.original == "original"
    assert copy.copy_of.kind == "near"


def test_dedup_paraphrase_sentence_by_sentence_is_a_rewrite() -> None:
    _, copy = original_and(WATER_MAIN_REWRITTEN)
    assert copy.copy_of is not None and copy.copy_of.original == "original"
    assert copy.copy_of.kind == "rewrite"
    assert copy.copy_of.similarity >= 0.6


def test_dedup_typos_and_ocr_noise_are_near_copies() -> None:
    _, copy = original_and(noisy(WATER_MAIN))
    assert copy.copy_of is not None and copy.copy_of.original == "original"
    assert copy.copy_of.kind == "near"


def test_dedup_independent_report_of_the_same_event_is_not_a_copy() -> None:
    _, other = original_and(WATER_MAIN_OTHER_REPORT)
    assert other.copy_of is None


# -- bad inputs ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["", "   ", "Breaking.", "Water main burst", "Boil your water now."]
)
def test_dedup_empty_or_very_short_texts_never_link(text: str) -> None:
    stage = deduplicator()
    first, second = article("a", text), article("b", text, outlet="Other")
    long = article("long", WATER_MAIN, published=when(5))
    run(stage, first, second, long)
    assert [first.copy_of, second.copy_of, long.copy_of] == [None, None, None]


def test_dedup_one_repeated_word_becomes_nobodys_original() -> None:
    stage = deduplicator()
    spam = article("spam", " ".join(["water"] * 400), published=when(1))
    other_spam = article("spam2", " ".join(["water"] * 250), published=when(2))
    real = article("real", WATER_MAIN, published=when(4))
    teaser = article("teaser", " ".join(WATER_MAIN.split()[:60]), published=when(5))
    run(stage, spam, other_spam, real, teaser)
    assert spam.copy_of is None and other_spam.copy_of is None and real.copy_of is None
    assert teaser.copy_of is not None and teaser.copy_of.original == "real"


@pytest.mark.parametrize("text", [GERMAN, RUSSIAN, CHINESE, MIXED])
def test_dedup_non_english_and_mixed_script_copies_are_found(text: str) -> None:
    stage = deduplicator()
    original = article("original", text, outlet="A", published=when(4, 6))
    parts = paragraphs(text)
    scraped = article("scraped", "\n\n".join(parts[:-1]) + "\n\nAdvertisement", "B", when(4, 8))
    exact = article("exact", text, outlet="C", published=when(4, 9))
    unrelated = article("unrelated", CHINESE_UNRELATED, outlet="D", published=when(4, 10))
    run(stage, original, scraped, exact, unrelated)
    assert scraped.copy_of is not None and scraped.copy_of.original == "original"
    assert exact.copy_of is not None and exact.copy_of.kind == "exact"
    assert unrelated.copy_of is None


def test_dedup_tokens_are_the_words_of_storyline_text() -> None:
    samples = [
        WATER_MAIN,
        GERMAN,
        RUSSIAN,
        "naïve café don't l'été ΑΘΗΝΑ 2016 snake_case 3.5% İstanbul straße ﬁne ＡＢＣ",
    ]
    for sample in samples:
        expected = [tokenise(word).hashes[0] for word in words(sample)]
        assert tokenise(sample).hashes.tolist() == [int(h) for h in expected]
    assert tokenise("Water WATER water").hashes.tolist() == [tokenise("water").hashes[0]] * 3
    # scripts written without spaces: every letter is a token
    assert len(tokenise("東京都は晴れ")) == 6


def test_dedup_tokens_skip_normalising_only_when_nfkc_changes_nothing() -> None:
    """Texts are normalised only when NFKC can change their words; the words are
    always those of the normalised text, whatever characters meet."""
    import unicodedata

    from storyline.dedup.sketch import _words

    pieces = [
        "a", "É", "e", "\u0301", "\u0308", "\u00a0", "…", "’", "'", "—", "\n", " ",
        "ﬁ", "Ａ", "²", "3", "ß", "İ", "가", "\u1100", "\u1161", "\u11a8", "東", "は",
        "\u2009", "\u3000", "\uff07", "\u0385", "\U0001d400", "\U000e0101", "x",
    ]  # fmt: skip
    rng = random.Random(7)
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 12)))
        tokens = tokenise(text)
        normalised = _words(unicodedata.normalize("NFKC", text))
        assert tokens.hashes.tolist() == normalised[0].tolist(), repr(text)
        assert tokens.line.tolist() == normalised[1].tolist(), repr(text)
        assert tokens.numeric.tolist() == normalised[2].tolist(), repr(text)


def test_dedup_compiled_tokeniser_gives_the_numpy_tokens(monkeypatch: pytest.MonkeyPatch) -> None:
    """The compiled tokeniser and the numpy one agree on every kind of character, one
    text at a time and in batches, so stores written by either are the same."""
    from storyline.dedup import sketch

    assert sketch.compiled is not None, "storyline.dedup._tokens was not built"
    pieces = [
        "a", "Z", "É", "e", "\u0301", "\u00a0", "…", "’", "'", "—", "\n", " ", "ﬁ", "Ａ",
        "²", "3", "٣", "ß", "İ", "가", "東", "は", "ก", "\u2009", "\uff07", "_", "-",
        "\U0001d400", "\U000e0101", "\U0010fffd", "\ud800", "x", "don't", "l’été",
    ]  # fmt: skip
    rng = random.Random(5)
    texts = ["", "'", "'a'", "a'", "'a", "a''b", "\n\n", WATER_MAIN, GERMAN, RUSSIAN]
    # marks and composable halves at line edges: a text is normalised line by line
    texts += ["e\n\u0301", "\u1100\n\u1161x", "ﬁ\n\u0301é\n\u00a0", "A\u0308\n" * 3]
    texts += ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 30))) for _ in range(3000)]
    compiled = [sketch.tokenise(text) for text in texts]
    batch = sketch.tokenise_many(texts)
    monkeypatch.setattr(sketch, "compiled", None)
    for number, text in enumerate(texts):
        expected = sketch.tokenise(text)
        for got in (compiled[number], batch.doc(number)):
            assert got.hashes.tolist() == expected.hashes.tolist(), repr(text)
            assert got.line.tolist() == expected.line.tolist(), repr(text)
            assert got.numeric.tolist() == expected.numeric.tolist(), repr(text)
            assert got.lines == expected.lines, repr(text)


# -- groups and originals ---------------------------------------------------------------


def test_dedup_copy_of_a_copy_points_to_the_group_original() -> None:
    stage = deduplicator()
    original = article("original", WATER_MAIN, published=when(4, 6))
    scraped = article("scraped", WATER_MAIN + "\n\nSource: Read Full Article", "B", when(4, 8))
    teaser = article("teaser", " ".join(scraped.text.split()[:120]), "C", when(4, 9))
    noisy_copy = article("noisy", noisy(scraped.text), "D", when(4, 10))
    run(stage, original, scraped, teaser, noisy_copy)
    assert {a.copy_of.original for a in (scraped, teaser, noisy_copy) if a.copy_of} == {"original"}
    assert teaser.copy_of is not None and teaser.copy_of.kind == "contained"


def test_dedup_earlier_published_late_arrival_becomes_the_original() -> None:
    index = InMemoryCopyIndex()
    stage = Deduplicator(Config(), index)
    first_seen = article("first-seen", WATER_MAIN, "Aggregator", when(4, 10))
    teaser = article("teaser", " ".join(WATER_MAIN.split()[:90]), "Teasers", when(4, 11))
    wire = article("wire", WATER_MAIN, "Wire", when(4, 6))  # arrives last, published first
    run(stage, first_seen, teaser, wire)
    assert wire.copy_of is None
    assert index.links["first-seen"].original == "wire"
    assert index.links["first-seen"].kind == "exact"
    assert index.links["teaser"].original == "wire"
    assert index.links["teaser"].kind == "contained"  # keeps its own evidence
    logged = stage.drain()
    repointed = {a.article for a in logged if a.kind == "copy" and "re-pointed" in a.reason}
    assert repointed == {"first-seen", "teaser"}
    assert any(a.article == "wire" and "original of 2 copies" in a.reason for a in logged)


def test_dedup_longest_undated_is_the_original_and_dated_beats_undated() -> None:
    stage = deduplicator()
    short = article("short", " ".join(WATER_MAIN.split()[:150]), "A", None)
    full = article("full", WATER_MAIN, "B", None)
    run(stage, short, full)
    assert full.copy_of is None and stage.index.docs([1])[0].root_id == "full"  # type: ignore[attr-defined]

    stage = deduplicator()
    undated = article("undated", WATER_MAIN, "A", None)
    dated = article("dated", " ".join(WATER_MAIN.split()[:150]), "B", when(9))
    run(stage, undated, dated)
    assert undated.copy_of is None  # the stage re-pointed it: look at the index
    assert stage.index.links["undated"].original == "dated"  # type: ignore[attr-defined]


def test_dedup_same_timestamp_prefers_the_longer_text() -> None:
    stage = deduplicator()
    teaser = article("teaser", " ".join(WATER_MAIN.split()[:100]), "A", when(4, 6))
    full = article("full", WATER_MAIN, "B", when(4, 6))
    run(stage, teaser, full)
    assert full.copy_of is None
    assert stage.index.links["teaser"].original == "full"  # type: ignore[attr-defined]


# -- boilerplate ----------------------------------------------------------------------------


def test_dedup_boilerplate_of_an_outlet_is_learned_after_a_few_articles() -> None:
    stage = deduplicator()
    stories = [
        article(f"ledger-{n}", text + "\n\n" + LEDGER_FOOTER, "The Valley Ledger", when(n + 1))
        for n, text in enumerate(LEDGER_STORIES)
    ]
    footer_spans = []
    for story in stories:
        spans = stage.boilerplate_spans(story)
        footer_spans.append([story.text[a:b] for a, b in spans])
        stage(story)
    assert footer_spans[0] == [] and footer_spans[1] == []
    assert footer_spans[2] == [LEDGER_FOOTER] and footer_spans[3] == [LEDGER_FOOTER]
    # once learned, it holds for the outlet's earlier articles too, and not for other outlets
    assert stage.boilerplate_spans(stories[0], indexed=True) == [
        (len(stories[0].text) - len(LEDGER_FOOTER), len(stories[0].text))
    ]
    elsewhere = article("other", LEDGER_STORIES[0] + "\n\n" + LEDGER_FOOTER, "Other Paper")
    assert stage.boilerplate_spans(elsewhere) == []


def test_dedup_cached_body_changes_exactly_when_one_of_its_lines_becomes_boilerplate() -> None:
    stage = deduplicator(dedup_boilerplate_articles=4)  # a line seen in 3 others is boilerplate
    stories = [
        article(f"ledger-{n}", text + "\n\n" + LEDGER_FOOTER, "The Valley Ledger", when(n + 1))
        for n, text in enumerate(LEDGER_STORIES)
    ]
    run(stage, stories[0])
    first = stage.index.docs([1])[0]
    held = stage._body_of(first)
    assert held.text.endswith(LEDGER_FOOTER)
    run(stage, stories[1])  # the footer counted twice: not yet boilerplate
    assert stage._body_of(first) is held
    run(stage, stories[2])  # three times: the footer is dropped from the cached body too
    now = stage._body_of(first)
    assert now is not held and not now.text.endswith(LEDGER_FOOTER)
    fresh = stage._body(stories[0].text, stories[0].outlet)[1]
    assert now.text == fresh.text and np.array_equal(now.shingles, fresh.shingles)
    run(stage, stories[3])  # counted more often still: the body stays as it is
    assert stage._body_of(first) is now


def test_dedup_generic_boilerplate_is_recognised_from_the_first_article() -> None:
    lines = [
        "Share this article",
        "Photo: Jane Morrow / Lakeport Daily",
        "Sign up for our newsletter to get the top stories in your inbox every morning.",
        "Advertisement",
        "Source: Read Full Article",
        "Follow us on Twitter for the latest updates",
        "© 2025 Lakeport Daily. All rights reserved.",
        "This article originally appeared on The Harbor Report.",
    ]
    text = "\n\n".join([lines[0], lines[1], WATER_MAIN, *lines[2:]])
    story = article("story", text)
    found = {story.text[a:b] for a, b in deduplicator().boilerplate_spans(story)}
    assert found == set(lines)


def test_dedup_copies_of_one_outlet_do_not_teach_their_content_as_boilerplate() -> None:
    stage = deduplicator()
    first = article("first", WATER_MAIN, "Wire", when(4, 6))
    copies = [article(f"copy{n}", WATER_MAIN, "Wire", when(4, 7 + n)) for n in range(4)]
    run(stage, first, *copies)
    assert stage.boilerplate_spans(copies[-1], indexed=True) == []


# -- the engine and the store ----------------------------------------------------------------


def test_dedup_store_migration_adds_the_copy_index(store: Store) -> None:
    assert store.schema_version >= 2
    tables = {row[0] for row in store.db.execute("SELECT name FROM sqlite_master")}
    assert {"dedup_docs", "dedup_bands", "dedup_anchors", "dedup_lines"} <= tables


def test_dedup_engine_links_copies_and_counts_independent_reports(tmp_path: Path) -> None:
    with Engine(tmp_path / "news.db", config=Config()) as engine:
        report = engine.add(
            [
                article("wire", WATER_MAIN, "Wire Service", when(4, 6)),
                article("daily", WATER_MAIN, "Lakeport Daily", when(4, 7)),
                article("teaser", " ".join(WATER_MAIN.split()[:90]), "Aggregator", when(4, 8)),
                article("other", WATER_MAIN_OTHER_REPORT, "Harbor Report", when(4, 9)),
            ]
        )
        assert report.copies == 2
        wire = engine.article("wire")
        assert engine.article("daily").event == wire.event  # a copy joins its original's event
        assert engine.article("teaser").event == wire.event
        story = engine.story(wire.event or "")
        members = list(engine.articles(story.articles))
        groups = {a.copy_of.original if a.copy_of else a.id for a in members}
        assert story.copies == 2 and story.independent_reports == len(groups)
        rows = {
            (r.copy, r.copy_outlet, r.original, r.original_outlet, r.kind)
            for r in engine.republications(story.id)
        }
        assert rows == {
            ("daily", "Lakeport Daily", "wire", "Wire Service", "exact"),
            ("teaser", "Aggregator", "wire", "Wire Service", "contained"),
        }
        exported = story.to_dict()
        assert exported["copies"] == 2 and len(exported["republications"]) == 2
        why = [a for a in engine.why("teaser") if a.kind == "copy"]
        assert why and why[0].target == "wire" and "contained copy of wire" in why[0].reason


def test_dedup_engine_finds_copies_after_the_store_is_reopened(tmp_path: Path) -> None:
    path = tmp_path / "news.db"
    with Engine(path, config=Config()) as engine:
        engine.add([article("wire", WATER_MAIN, "Wire Service", when(4, 6))])
    with Engine(path, config=Config()) as engine:
        engine.add(
            [
                article("exact", WATER_MAIN, "Daily", when(4, 8)),
                article("noisy", noisy(WATER_MAIN), "Scanner", when(4, 9)),
                article("other", WATER_MAIN_OTHER_REPORT, "Harbor Report", when(4, 9)),
            ]
        )
        links = {a.id: a.copy_of for a in engine.articles()}
    assert links["exact"] is not None and links["exact"].original == "wire"
    assert links["exact"].kind == "exact"
    assert links["noisy"] is not None and links["noisy"].original == "wire"
    assert links["wire"] is None and links["other"] is None


def test_dedup_engine_rollback_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "news.db"
    batch = [
        article("wire", WATER_MAIN, "Wire Service", when(4, 6)),
        article("copy", WATER_MAIN + "\n\nShare this:", "Aggregator", when(4, 7)),
        article("late", WATER_MAIN, "Daily", when(4, 5)),
    ]
    original_insert = Store.insert_article

    def failing(self: Store, item: Article, identity: str, digest: str) -> None:
        if item.id == "late":
            raise KeyboardInterrupt
        original_insert(self, item, identity, digest)

    with Engine(path, config=Config()) as engine:
        monkeypatch.setattr(Store, "insert_article", failing)
        with pytest.raises(KeyboardInterrupt):
            engine.add([Article.from_dict(a.to_dict()) for a in batch])
        monkeypatch.setattr(Store, "insert_article", original_insert)
        counts = [
            engine.store.db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("articles", "dedup_docs", "dedup_bands", "dedup_anchors", "dedup_lines")
        ]
        assert counts == [0, 0, 0, 0, 0]
        assert engine._deduplicator is None  # its memory is not trusted after a rollback
        engine.add([Article.from_dict(a.to_dict()) for a in batch[:2]])
        assert engine.article("copy").copy_of is not None
        assert engine.article("copy").copy_of.original == "wire"  # type: ignore[union-attr]


def test_dedup_store_refuses_other_sketch_settings(tmp_path: Path) -> None:
    path = tmp_path / "news.db"
    with Engine(path, config=Config()) as engine:
        engine.add([article("wire", WATER_MAIN)])
    with Store(path) as store, pytest.raises(StoreError, match="shingle_words"):
        Deduplicator(Config(dedup_shingle_words=5), SqliteCopyIndex(store))


def test_dedup_settings_are_checked() -> None:
    with pytest.raises(ConfigError, match="multiple"):
        deduplicator(dedup_num_perm=100, dedup_bands=32)
    with pytest.raises(ConfigError, match="near_threshold"):
        deduplicator(dedup_near_threshold=1.5)


def test_dedup_sqlite_and_memory_indexes_link_the_same(tmp_path: Path) -> None:
    texts = [
        ("a", WATER_MAIN, when(4, 6)),
        ("b", WATER_MAIN_OTHER_REPORT, when(4, 7)),
        ("c", light_rewrite(WATER_MAIN), when(4, 8)),
        ("d", " ".join(WATER_MAIN.split()[:100]), when(4, 3)),
        ("e", noisy(WATER_MAIN_OTHER_REPORT), when(4, 9)),
    ]
    memory = InMemoryCopyIndex()
    in_memory = Deduplicator(Config(), memory)
    with Store(tmp_path / "s.db") as store:
        stored = Deduplicator(Config(), SqliteCopyIndex(store))
        for name, text, stamp in texts:
            in_memory(article(name, text, published=stamp))
            with store.atomic():
                item = stored(article(name, text, published=stamp))
                store.insert_article(item, name, name)
        rows = store.db.execute("SELECT id, copy_of FROM articles").fetchall()
    from_store = {row[0]: json.loads(row[1]) for row in rows if row[1]}
    assert from_store == {key: link.to_dict() for key, link in memory.links.items()}
    assert from_store["e"]["original"] == "b" and from_store["a"]["original"] == "d"


# -- shared material and the labelled example ----------------------------------------------


@pytest.mark.shared
def test_dedup_shared_seeds_are_independent_reports(tmp_path: Path) -> None:
    seeds = SHARED / "seeds"
    if not seeds.is_dir():
        pytest.skip(f"needs the shared material at {SHARED} (put the shared/ folder there)")
    with Engine(tmp_path / "seeds.db", config=Config()) as engine:
        report = engine.ingest(seeds)
        assert report.new == 3
        assert [a.copy_of for a in engine.articles()] == [None, None, None]


EXAMPLE = ROOT / "storyline" / "data" / "example.jsonl"
EXAMPLE_GOLD = ROOT / "tests" / "data" / "example_gold.json"


@pytest.mark.skipif(
    not (EXAMPLE.is_file() and EXAMPLE_GOLD.is_file()), reason="labelled example not present"
)
def test_dedup_example_corpus_links_exactly_the_labelled_copies(tmp_path: Path) -> None:
    gold = json.loads(EXAMPLE_GOLD.read_text(encoding="utf-8"))
    expected = {copy["article"]: copy["original"] for copy in gold["copies"]}
    with Engine(tmp_path / "example.db", config=Config()) as engine:
        engine.ingest(EXAMPLE)
        found = {a.id: a.copy_of.original for a in engine.articles() if a.copy_of}
    assert found == expected


def test_dedup_cost_does_not_scan_the_store(tmp_path: Path) -> None:
    """Lookups are indexed: the query plans of the copy index never scan a table."""
    with Store(tmp_path / "plan.db") as store:
        index = SqliteCopyIndex(store)
        plans = [
            "SELECT doc FROM (SELECT doc FROM dedup_bands WHERE key = 1 LIMIT 16)",
            "SELECT doc FROM (SELECT doc FROM dedup_anchors WHERE key = 1 LIMIT 16)",
            "SELECT key, articles FROM dedup_lines WHERE key IN (1, 2)",
            "SELECT d.doc FROM articles a JOIN dedup_docs d ON d.article = a.id "
            "WHERE a.text_hash = 'x'",
            "SELECT d.doc FROM dedup_docs d JOIN dedup_docs r ON r.doc = d.root "
            "WHERE d.doc IN (1, 2)",
            "SELECT doc FROM dedup_docs WHERE root = 3",
        ]
        for query in plans:
            plan = " ".join(row[-1] for row in store.db.execute(f"EXPLAIN QUERY PLAN {query}"))
            assert "SCAN" not in plan.replace("SCAN CONSTANT ROW", ""), (query, plan)
        del index


def test_dedup_timestamps_of_copies_do_not_matter_beyond_their_order() -> None:
    stage = deduplicator()
    base = when(4, 6)
    texts = [WATER_MAIN, WATER_MAIN + "\n\nAdvertisement", " ".join(WATER_MAIN.split()[:200])]
    made = [article(f"n{k}", t, "X", base + timedelta(minutes=k)) for k, t in enumerate(texts)]
    run(stage, *made)
    assert [a.copy_of.original if a.copy_of else None for a in made] == [None, "n0", "n0"]


def test_dedup_sqlite_rows_are_written_inside_the_callers_transaction(tmp_path: Path) -> None:
    with Store(tmp_path / "tx.db") as store:
        stage = Deduplicator(Config(), SqliteCopyIndex(store))
        with pytest.raises(RuntimeError), store.atomic():
            stage(article("a", WATER_MAIN))
            raise RuntimeError
        assert store.db.execute("SELECT count(*) FROM dedup_docs").fetchone()[0] == 0
        other = sqlite3.connect(tmp_path / "tx.db")
        assert other.execute("SELECT count(*) FROM dedup_bands").fetchone()[0] == 0
        other.close()


# -- batches: analysed at once, linked one by one ------------------------------------------


def stream() -> list[tuple[str, str, str | None, datetime | None]]:
    """Every kind of copy and of bad input, in an order that puts copies in the same
    batch as their original (before and after it) and an outlet's footer learned
    within one batch."""
    parts = paragraphs(WATER_MAIN)
    items: list[tuple[str, str, str | None, datetime | None]] = [
        ("water", WATER_MAIN, "Lakeport Daily", when(4, 6)),
        ("other-report", WATER_MAIN_OTHER_REPORT, "Lakeport Daily", when(4, 7)),
        ("scraped", WATER_MAIN + "\n\nSource: Read Full Article", "Aggregator", when(4, 8)),
        # published before the original it arrives after: the group is re-pointed to it
        ("teaser-early", " ".join(WATER_MAIN.split()[:90]), "Early Wire", when(4, 5)),
        ("rewrite", WATER_MAIN_REWRITTEN, "Rewriter", when(4, 9)),
        ("noisy", noisy(WATER_MAIN), "OCR Weekly", None),
        ("dropped", "\n\n".join(parts[:2] + parts[4:]), "Trimmer", when(4, 10)),
        ("empty", "", "Nothing", when(4, 11)),
        ("spaces", "   \n\n  ", "Nothing", when(4, 11)),
        ("spam", " ".join(["water"] * 300), "Spam", when(4, 1)),
        ("spam-again", " ".join(["water"] * 300), "Spam", when(4, 2)),
        ("german", GERMAN, "A", when(4, 6)),
        ("german-copy", GERMAN + "\n\nAdvertisement", "B", when(4, 12)),
        ("russian", RUSSIAN, "A", when(4, 6)),
        ("russian-exact", RUSSIAN, "C", when(4, 13)),
        ("chinese", CHINESE, "A", when(4, 6)),
        ("chinese-teaser", "\n\n".join(paragraphs(CHINESE)[:-1]), "D", when(4, 14)),
        ("chinese-other", CHINESE_UNRELATED, "D", when(4, 15)),
        ("mixed", MIXED, "E", None),
    ]
    for n, text in enumerate(LEDGER_STORIES):
        items.append(
            (f"ledger-{n}", text + "\n\n" + LEDGER_FOOTER, "The Valley Ledger", when(n + 1))
        )
    return items


def links_of(articles: list[Article]) -> dict[str, dict[str, Any] | None]:
    return {a.id: a.copy_of.to_dict() if a.copy_of else None for a in articles}


def in_batches(stage: Deduplicator, articles: list[Article], size: int) -> None:
    for start in range(0, len(articles), size):
        chunk = articles[start : start + size]
        stage.prepare(chunk)
        for item in chunk:
            stage(item)


@pytest.mark.parametrize("size", [2, 5, 64])
def test_dedup_batches_link_as_one_article_at_a_time(size: int) -> None:
    alone = [article(*item) for item in stream()]
    one_by_one = deduplicator()
    run(one_by_one, *alone)
    batched = [article(*item) for item in stream()]
    stage = deduplicator()
    in_batches(stage, batched, size)
    assert links_of(batched) == links_of(alone)
    assert [a.reason for a in stage.drain()] == [a.reason for a in one_by_one.drain()]
    mine, theirs = stage.index, one_by_one.index
    assert isinstance(mine, InMemoryCopyIndex) and isinstance(theirs, InMemoryCopyIndex)
    assert mine.links == theirs.links  # re-pointed links included
    # the same keys indexed, and the same outlet lines counted (boilerplate learned
    # from the batch's own earlier articles: the Ledger's footer)
    assert mine._bands == theirs._bands and mine._anchors == theirs._anchors
    assert mine._lines == theirs._lines
    ledger = article("ledger-new", LEDGER_STORIES[0] + "\n\n" + LEDGER_FOOTER, "The Valley Ledger")
    assert stage.boilerplate_spans(ledger) == one_by_one.boilerplate_spans(ledger) != []
    linked = {key: link.original for key, link in mine.links.items()}
    # copies in the batch of their original, and a re-point to an earlier arrival
    assert linked["water"] == linked["scraped"] == linked["noisy"] == "teaser-early"
    assert linked["russian-exact"] == "russian" and linked["chinese-teaser"] == "chinese"
    assert not {"empty", "spaces", "spam", "spam-again", "other-report"} & set(linked)


def test_dedup_batch_analysis_is_the_analysis_of_each_text_alone() -> None:
    stage = deduplicator()
    articles = [article(*item) for item in stream()]
    stage.prepare(articles)
    for item in articles:
        prepared = stage._pending[id(item)]
        alone = stage.analyse(item.text, item.outlet)
        got = prepared.analysis
        assert got.bands == alone.bands and got.anchors == alone.anchors, item.id
        assert got.body.text == alone.body.text and got.body.length == alone.body.length
        assert got.body.shingles.tolist() == alone.body.shingles.tolist(), item.id
        assert got.lines.boilerplate.tolist() == alone.lines.boilerplate.tolist(), item.id
        tokens = tokenise(item.text)
        assert prepared.tokens.hashes.tolist() == tokens.hashes.tolist()
        assert prepared.tokens.line.tolist() == tokens.line.tolist()


@pytest.mark.parametrize(("joined", "compiled"), [(1 << 16, True), (1 << 16, False), (40, False)])
def test_dedup_tokenising_a_batch_gives_each_texts_tokens(
    joined: int, compiled: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tokenised as one or (by numpy, texts longer than a pass holds) in several passes."""
    from storyline.dedup import sketch
    from storyline.dedup.sketch import tokenise_many

    monkeypatch.setattr(sketch, "JOINED_CHARACTERS", joined)
    if not compiled:
        monkeypatch.setattr(sketch, "compiled", None)
    pieces = ["a", "É", "e\u0301", "\u00a0", "’", "'", "\n", " ", "ﬁ", "Ａ", "3", "東", "は", "x"]
    rng = random.Random(11)
    texts = ["", "\n", WATER_MAIN, CHINESE, MIXED]
    texts += ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 15))) for _ in range(400)]
    batch = tokenise_many(texts)
    assert len(batch) == len(texts)
    for number, text in enumerate(texts):
        mine, alone = batch.doc(number), tokenise(text)
        assert mine.hashes.tolist() == alone.hashes.tolist(), repr(text)
        assert mine.line.tolist() == alone.line.tolist(), repr(text)
        assert mine.numeric.tolist() == alone.numeric.tolist(), repr(text)
        assert mine.lines == alone.lines, repr(text)


def test_dedup_an_article_left_out_of_its_batch_or_changed_is_analysed_alone() -> None:
    stage = deduplicator()
    original = article("original", WATER_MAIN, published=when(4, 6))
    copy = article("copy", WATER_MAIN + "\n\nAdvertisement", "B", when(4, 8))
    stage.prepare([original, copy])
    stage(original)
    copy.text = " ".join(WATER_MAIN.split()[:120])  # a teaser now, not what was prepared
    stage(copy)
    assert copy.copy_of is not None and copy.copy_of.kind == "contained"
    late = article("late", WATER_MAIN, "C", when(4, 9))  # never prepared
    stage(late)
    assert late.copy_of is not None and late.copy_of.kind == "exact"


def test_dedup_sqlite_batches_link_the_same_with_one_lookup_per_batch(tmp_path: Path) -> None:
    alone = [article(*item) for item in stream()]
    run(deduplicator(), *alone)
    batched = [article(*item) for item in stream()]
    with Store(tmp_path / "b.db") as store:
        stage = Deduplicator(Config(), SqliteCopyIndex(store))
        statements: list[str] = []
        store.db.set_trace_callback(statements.append)
        for start in range(0, len(batched), 8):
            chunk = batched[start : start + 8]
            with store.atomic():
                stage.prepare(chunk)
                for item in chunk:
                    stage(item)
                    store.insert_article(item, item.id, text_hash(item.text))
        store.db.set_trace_callback(None)
    assert links_of(batched) == links_of(alone)
    batches = -(-len(batched) // 8)
    band_reads = [s for s in statements if "FROM dedup_bands WHERE key" in s]
    # one read per batch; an article analysed again alone reads its own keys
    assert batches <= len(band_reads) < batches + 4


def test_dedup_pipe_analyses_in_batches_and_links_the_same() -> None:
    alone = [article(*item) for item in stream()]
    run(deduplicator(), *alone)
    stage = deduplicator()
    stage.prepare([])  # an empty batch is nothing to analyse
    piped = list(stage.pipe([article(*item) for item in stream()], batch_size=3))
    assert links_of(piped) == links_of(alone)
    assert list(stage.pipe([])) == []


def varied_texts(seed: int, count: int) -> list[str]:
    """Texts of every shape a batch meets: boilerplate lines, empty texts and lines,
    texts shorter than a shingle, one word repeated, numbers, function words,
    scripts without spaces, and pieces of the stage's own articles."""
    rng = random.Random(seed)
    vocabulary = (
        "the of and a in water main burst street city der die und в и на "
        "2016 41,000 3.5 東 京 都 は 晴 れ ก ข Москва Сеул naïve don't l’été ＡＢＣ"
    ).split()
    boilerplate_lines = [
        "Advertisement",
        "Source: Read Full Article",
        "Share this:",
        "Sign up for our newsletter to get the news in your inbox",
        "© 2024 The Valley Ledger",
        LEDGER_FOOTER,
        "Updated 10:42",
    ]
    whole = [WATER_MAIN, GERMAN, RUSSIAN, CHINESE, MIXED, *LEDGER_STORIES]
    texts = ["", "\n", "water", "water main", " ".join(["water"] * 40), "  \n\n  "]
    while len(texts) < count:
        lines = []
        for _ in range(rng.randint(0, 8)):
            kind = rng.random()
            if kind < 0.25:
                lines.append(rng.choice(boilerplate_lines))
            elif kind < 0.35:
                lines.append("")
            elif kind < 0.5:
                lines.append(rng.choice(paragraphs(rng.choice(whole))))
            else:
                size = rng.choice([1, 2, 3, 5, 12, 40])
                lines.append(" ".join(rng.choice(vocabulary) for _ in range(size)))
        texts.append("\n".join(lines))
    return texts


def lines_owners(texts: list[str]) -> list[int]:
    """The number of the text of each line of a batch of texts."""
    return [number for number, text in enumerate(texts) for _ in text.split("\n")]


def test_dedup_batch_steps_give_each_texts_own_values(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every step of a batch's analysis against the one-text function it stands for, on
    varied texts, with outlet line counts that make some lines boilerplate."""
    from storyline.dedup import batch, boilerplate, sketch

    settings = deduplicator().settings
    size, max_words = settings.shingle_words, settings.boilerplate_max_words
    texts = varied_texts(3, 300)
    outlets = [random.Random(n).choice([None, "A", "The Valley Ledger"]) for n in range(len(texts))]
    tokens = sketch.tokenise_many(texts)
    lines = batch.fingerprint_batch(tokens, outlets, max_words)
    spans = batch.LineSpans.of(texts, tokens.line_starts)
    raw = [line for text in texts for line in text.split("\n")]
    assert len(spans.starts) == len(raw)
    assert [
        texts[owner][a:b]
        for owner, a, b in zip(lines_owners(texts), spans.starts, spans.ends, strict=True)
    ] == raw
    generic = batch.generic_batch(texts, spans, lines)
    alone = [
        boilerplate.fingerprint_lines(sketch.tokenise(t), o, max_words)
        for t, o in zip(texts, outlets, strict=True)
    ]
    # every other outlet line counted often enough to be boilerplate
    counts = {
        key: 3 for mine in alone if mine.keys.size for key in sketch.to_signed(mine.keys)[::2]
    }
    decided = []
    for number, (text, mine) in enumerate(zip(texts, alone, strict=True)):
        got = lines.of(number, np.zeros(lines.at.size, dtype=np.bool_))
        for field in ("index", "hashes", "words", "keys", "short", "boilerplate"):
            assert getattr(got, field).tolist() == getattr(mine, field).tolist(), (field, text)
        found = boilerplate.generic_lines(text, mine)
        low, high = lines.bounds[number], lines.bounds[number + 1]
        assert generic[low:high].tolist() == found.tolist(), repr(text)
        decided.append(boilerplate.decide(text, mine, counts, 2, found).boilerplate)
    marked = np.concatenate(decided) if decided else np.zeros(0, dtype=np.bool_)
    assert marked.any() and not marked.all()
    bodies = batch.bodies_batch(tokens, lines, marked, size)
    body_texts = batch._body_texts(texts, spans, tokens, lines, marked)
    for number, text in enumerate(texts):
        gone = set(alone[number].index[decided[number]].tolist())
        kept = [line for at, line in enumerate(text.split("\n")) if at not in gone]
        assert body_texts[number] == "\n".join(kept), repr(text)
    words_alone = []
    for number, text in enumerate(texts):
        mine = sketch.tokenise(text)
        dropped = np.zeros(mine.lines, dtype=np.bool_)
        dropped[alone[number].index[decided[number]]] = True
        words = mine.hashes[~dropped[mine.line]]
        words_alone.append((words, mine.numeric[~dropped[mine.line]]))
        start, end = int(bodies.starts[number]), int(bodies.starts[number + 1])
        assert bodies.words[start:end].tolist() == words.tolist(), repr(text)
        expected = sketch.distinct(sketch.shingle(words, size))
        assert bodies.shingles(number).tolist() == expected.tolist(), repr(text)
    rate, limit = settings.anchor_rate, settings.anchors
    compiled = batch.anchors_batch(bodies, rate, limit)
    monkeypatch.setattr(sketch, "compiled", None)
    assert batch.anchors_batch(bodies, rate, limit) == compiled
    assert batch.LineSpans.of(texts, tokens.line_starts) == spans
    picked, starts = compiled
    for number, (words, numeric) in enumerate(words_alone):
        ordered = sketch.shingle(words, size)
        expected = sketch.anchors(ordered, words, numeric, size, rate, limit)
        got = picked[starts[number] : starts[number + 1]]
        assert got == sketch.to_signed(expected), repr(texts[number])
    sets = [bodies.shingles(number) for number in range(len(texts))]
    keys = batch.band_keys_batch(bodies.sets, bodies.set_starts, 64, 16, 7)
    for number, mine in enumerate(sets):
        if mine.size:
            expected = sketch.band_keys(sketch.signature(mine, 64, 7), 16)
            assert keys[number].tolist() == expected.tolist()


@pytest.mark.parametrize("size", [1, 2, 4, 5])
def test_dedup_compiled_anchors_are_the_numpy_anchors(size: int) -> None:
    """The compiled pick of a batch's anchors against :func:`sketch.anchors` of each
    body: bodies of every length (none, shorter than a shingle), shingles repeated,
    function words and numbers, every rate and limit."""
    from storyline.dedup import sketch

    assert sketch.compiled is not None, "storyline.dedup._tokens was not built"
    rng = random.Random(size)
    stops = sketch.tokenise("the of and der und в и на a").hashes.tolist()
    plain = sketch.tokenise("water main street city lake pipe crew 東 京").hashes.tolist()
    for _ in range(200):
        lengths = [rng.choice([0, 1, size - 1, size, 30, 200]) for _ in range(rng.randint(1, 6))]
        words = np.array([rng.choice(stops + plain) for _ in range(sum(lengths))], dtype=np.uint64)
        numeric = np.array([rng.random() < 0.1 for _ in range(words.size)], dtype=np.bool_)
        starts = np.zeros(len(lengths) + 1, dtype=np.intp)
        np.cumsum(lengths, out=starts[1:])
        ordered = sketch.shingle(words, size)
        rate, limit = rng.choice([0, 1, 2, 8]), rng.choice([0, 1, 3, 16])
        picked, counts = sketch.anchors_many(ordered, words, numeric, starts, size, rate, limit)
        got = picked.tolist()
        cut = np.concatenate([[0], np.cumsum(counts)]).tolist()
        for body in range(len(lengths)):
            low, end = int(starts[body]), int(starts[body + 1])
            mine = sketch.shingle(words[low:end], size)
            expected = sketch.anchors(mine, words[low:end], numeric[low:end], size, rate, limit)
            assert got[cut[body] : cut[body + 1]] == expected.tolist()


def test_dedup_distinct_shingles_of_each_window_of_a_batch() -> None:
    """Each body's distinct shingles found for the whole batch at once are those of
    the body alone: windows empty, of one value, past the end, touching or apart,
    their values repeated within and across them."""
    from storyline.dedup.batch import _distinct_windows
    from storyline.dedup.sketch import distinct

    rng = random.Random(2)
    for _ in range(500):
        values = np.array([rng.randint(0, 6) for _ in range(rng.randint(0, 40))], dtype=np.uint64)
        cuts = sorted(rng.randint(0, values.size + 3) for _ in range(2 * rng.randint(1, 5)))
        lows, highs = np.array(cuts[::2], dtype=np.intp), np.array(cuts[1::2], dtype=np.intp)
        sets, starts = _distinct_windows(values, lows, highs)
        assert starts[-1] == sets.size
        for number, (low, high) in enumerate(zip(lows.tolist(), highs.tolist(), strict=True)):
            mine = sets[starts[number] : starts[number + 1]]
            assert mine.tolist() == distinct(values[low:high]).tolist(), (values, low, high)


def test_dedup_compiled_shingles_and_line_fingerprints_are_the_numpy_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from storyline.dedup import sketch

    assert sketch.compiled is not None, "storyline.dedup._tokens was not built"
    texts = varied_texts(5, 200)
    batch = sketch.tokenise_many(texts)
    tokens = [batch.doc(number) for number in range(len(texts))] + [batch.tokens]
    sizes = [0, 1, 2, 4, 5, 50]
    compiled = [
        ([sketch.shingle(t.hashes, size) for size in sizes], sketch.line_hashes(t)) for t in tokens
    ]
    monkeypatch.setattr(sketch, "compiled", None)
    for mine, (shingles, lines) in zip(tokens, compiled, strict=True):
        for size, got in zip(sizes, shingles, strict=True):
            assert got.tolist() == sketch.shingle(mine.hashes, size).tolist(), size
        for got, expected in zip(lines, sketch.line_hashes(mine), strict=True):
            assert got.tolist() == expected.tolist()


def test_dedup_compiled_overlap_is_the_numpy_overlap(monkeypatch: pytest.MonkeyPatch) -> None:
    """Shingle sets of every size and overlap (none, some, one inside the other, equal)."""
    from storyline.dedup import sketch

    assert sketch.compiled is not None, "storyline.dedup._tokens was not built"
    rng = random.Random(4)
    pairs = []
    for _ in range(2000):
        pool = [rng.getrandbits(64) for _ in range(rng.choice([1, 2, 10, 300]))]
        left = sketch.distinct(np.array(rng.sample(pool, rng.randint(0, len(pool))), np.uint64))
        right = sketch.distinct(np.array(rng.sample(pool, rng.randint(0, len(pool))), np.uint64))
        pairs.append((left, right))
    pairs.append((pairs[-1][0], pairs[-1][0]))
    compiled = [sketch.compare(left, right) for left, right in pairs]
    monkeypatch.setattr(sketch, "compiled", None)
    assert compiled == [sketch.compare(left, right) for left, right in pairs]
