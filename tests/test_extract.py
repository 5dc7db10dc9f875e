from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from storyline.errors import ExtractionError
from storyline.extract import Extracted, canonical_url, clean_text, extract
from storyline.sources import RawDocument
from storyline.text import text_hash

PARAGRAPHS = [
    "The Harbour Bridge reopened to traffic on Thursday morning, six weeks after a winter "
    "storm tore away part of its eastern railing and forced engineers to close the crossing "
    "while they checked the steel supports underneath. Commuters who had been taking a forty "
    "minute detour through the industrial district lined up before dawn to be among the first "
    "across, and the city council said the work had finished two days ahead of schedule and "
    "slightly under the emergency budget it approved in January.",
    "Engineers from the regional transport authority spent most of February inspecting the "
    "bridge with divers and drones. They found that the storm surge had loosened bolts on "
    "three of the eastern piers but had not damaged the main span, which was strengthened "
    "during a major renovation ten years ago. The repair crews replaced the railing, tightened "
    "or swapped more than four hundred bolts, and added new sensors that will report vibration "
    "and tilt to the traffic control centre every few seconds from now on.",
    "Local businesses on both sides of the harbour welcomed the reopening. The owner of a "
    "bakery near the northern ramp said her takings had fallen by almost a third while the "
    "bridge was closed, because office workers no longer walked past her shop on their way to "
    "the ferry terminal. Several shopkeepers said they hoped the council would consider "
    "compensation for the weeks of lost trade, although the mayor has so far said only that "
    "the question will be discussed at a meeting next month.",
    "The transport authority said cyclists and pedestrians would be able to use the widened "
    "footpath from Saturday, once painters finish marking the new lanes. It also warned "
    "drivers that a lower speed limit will remain in force on the bridge until the end of "
    "April while the new sensors are calibrated, and that police will be checking speeds at "
    "both ends of the crossing during the morning and evening rush hours.",
]

CANONICAL = "https://www.coastalherald.example/news/2024/03/harbour-bridge-reopens"

PAGE = f"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Harbour bridge reopens after storm repairs | The Coastal Herald</title>
  <meta property="og:site_name" content="The Coastal Herald">
  <meta property="og:title" content="Harbour bridge reopens after storm repairs">
  <meta name="author" content="Maria Lindqvist">
  <meta property="article:published_time" content="2024-03-14T08:30:00+00:00">
  <link rel="canonical" href="{CANONICAL}">
</head>
<body>
  <header><nav><a href="/">Home</a> <a href="/news">News</a> <a href="/sport">Sport</a></nav>
  </header>
  <main>
    <article>
      <h1>Harbour bridge reopens after storm repairs</h1>
      {"".join(f"<p>{p}</p>" for p in PARAGRAPHS)}
    </article>
  </main>
  <footer><p>Copyright 2024 The Coastal Herald. All rights reserved.</p>
  <a href="/privacy">Privacy policy</a></footer>
</body>
</html>
"""

BODY = "The council approved the new harbour budget on Monday after a long debate."


def text_doc(content: str, origin: str = "story.txt") -> RawDocument:
    return RawDocument(origin, "text", content, origin)


def record_doc(record: dict[str, Any], origin: str = "feed.jsonl:1") -> RawDocument:
    return RawDocument(origin, "record", record, origin.rsplit(":", 1)[0])


def html_doc(page: str = PAGE, origin: str = "page.html") -> RawDocument:
    return RawDocument(origin, "html", page, origin)


# -- plain text -----------------------------------------------------------------------


def test_extract_text_first_non_empty_line_is_the_title() -> None:
    result = extract(text_doc("\n\n   Council   approves budget  \n\n" + BODY + "\n"))
    assert result.article.title == "Council approves budget"
    assert result.article.text == BODY
    assert result.article.path == "story.txt"
    assert result.article.language == "en"


def test_extract_text_body_is_cleaned() -> None:
    raw = (
        "Title\r\n\r\n  First line of the body  \r\nsecond line\r\n\r\n\r\n\r\n  Next paragraph.  "
    )
    assert extract(text_doc(raw)).article.text == (
        "First line of the body\nsecond line\n\nNext paragraph."
    )


def test_extract_clean_text_normalises_newlines_and_blank_lines() -> None:
    assert clean_text("\n a \r\n\r\n\r\n b\rc \n \n") == "a\n\nb\nc"


def test_extract_text_with_too_few_words_is_refused() -> None:
    with pytest.raises(ExtractionError) as caught:
        extract(text_doc("A title\n\nToo short."))
    assert caught.value.origin == "story.txt"
    assert "no article text (2 words)" in str(caught.value)


def test_extract_min_words_is_configurable() -> None:
    extract(text_doc("A title\n\nFour words only here."), min_words=4)
    with pytest.raises(ExtractionError):
        extract(text_doc("A title\n\n" + BODY), min_words=50)


def test_extract_text_of_only_blank_lines_is_empty() -> None:
    with pytest.raises(ExtractionError, match="empty file"):
        extract(text_doc("\n  \n\t\n"))


# -- HTML -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def page() -> Extracted:
    return extract(html_doc())


def test_extract_html_title_and_metadata(page: Extracted) -> None:
    article = page.article
    assert article.title == "Harbour bridge reopens after storm repairs"
    assert article.author == "Maria Lindqvist"
    assert article.outlet == "The Coastal Herald"
    assert article.url == CANONICAL
    assert article.language == "en"
    assert article.path == "page.html"
    assert article.published is not None
    assert article.published.date() == datetime(2024, 3, 14, tzinfo=UTC).date()
    assert article.published.tzinfo is not None
    assert article.metadata.get("hostname") == "coastalherald.example"


def test_extract_html_text_is_the_article_without_boilerplate(page: Extracted) -> None:
    text = page.article.text
    for paragraph in PARAGRAPHS:
        assert paragraph in text
    assert text.index(PARAGRAPHS[0]) < text.index(PARAGRAPHS[3])
    for boilerplate in ("Copyright", "Privacy policy", "Sport"):
        assert boilerplate not in text


def test_extract_html_identity_is_its_canonical_url(page: Extracted) -> None:
    assert page.identity == f"url:{CANONICAL}"
    assert page.text_hash == text_hash(page.article.text)
    assert page.article.id.startswith("a") and len(page.article.id) == 16


@pytest.mark.parametrize(
    "markup",
    [
        "<html><head><title>Only a title</title></head><body></body></html>",
        "<html><body><nav><a href='/'>Home</a> <a href='/news'>News</a></nav></body></html>",
    ],
    ids=["empty-body", "navigation-only"],
)
def test_extract_html_without_article_body_is_refused(markup: str) -> None:
    with pytest.raises(ExtractionError) as caught:
        extract(html_doc(markup, "empty.html"))
    assert caught.value.origin == "empty.html"
    assert "no article" in caught.value.reason


# -- JSON Lines records -----------------------------------------------------------------


def test_extract_record_known_fields_fill_the_article_and_others_go_to_metadata() -> None:
    result = extract(
        record_doc(
            {
                "id": "wire-1",
                "url": "https://example.com/budget",
                "outlet": "Example News",
                "title": "  Council  approves budget ",
                "text": BODY,
                "published": "2024-03-10T07:45:00+01:00",
                "author": "Jo Doe",
                "language": "en",
                "section": "local",
                "tags": ["budget", "harbour"],
                "wordcount": 12,
            }
        )
    )
    article = result.article
    assert article.id == "wire-1"
    assert article.url == "https://example.com/budget"
    assert article.outlet == "Example News"
    assert article.title == "Council approves budget"
    assert article.text == BODY
    assert article.published == datetime(2024, 3, 10, 6, 45, tzinfo=UTC)
    assert article.author == "Jo Doe"
    assert article.path == "feed.jsonl"
    assert article.metadata == {"section": "local", "tags": ["budget", "harbour"], "wordcount": 12}
    assert result.identity == "url:https://example.com/budget"


def test_extract_record_html_is_extracted_and_record_fields_win() -> None:
    result = extract(
        record_doc({"html": PAGE, "url": "https://mirror.example/bridge", "title": "Given title"})
    )
    article = result.article
    assert PARAGRAPHS[1] in article.text
    assert article.url == "https://mirror.example/bridge"
    assert article.title == "Given title"
    assert article.outlet == "The Coastal Herald"
    assert article.author == "Maria Lindqvist"
    assert result.identity == "url:https://mirror.example/bridge"


def test_extract_record_prefers_text_over_html() -> None:
    article = extract(record_doc({"text": BODY, "html": PAGE})).article
    assert article.text == BODY


@pytest.mark.parametrize(
    "record",
    [
        {"title": "No body"},
        {"title": "Blank", "text": "   ", "html": ""},
        {"title": "Wrong type", "text": 42},
    ],
)
def test_extract_record_without_text_or_html_is_refused(record: dict[str, Any]) -> None:
    with pytest.raises(ExtractionError) as caught:
        extract(record_doc(record, "feed.jsonl:7"))
    assert str(caught.value) == "feed.jsonl:7: record has neither 'text' nor 'html'"


@pytest.mark.parametrize(
    ("published", "expected"),
    [
        ("2024-03-10", datetime(2024, 3, 10, tzinfo=UTC)),
        ("2024-03-10T07:45:00Z", datetime(2024, 3, 10, 7, 45, tzinfo=UTC)),
        (1710056700, datetime(2024, 3, 10, 7, 45, tzinfo=UTC)),
        (1710056700.0, datetime(2024, 3, 10, 7, 45, tzinfo=UTC)),
    ],
)
def test_extract_record_published_is_iso_8601_or_unix_seconds(
    published: object, expected: datetime
) -> None:
    assert extract(record_doc({"text": BODY, "published": published})).article.published == (
        expected
    )


@pytest.mark.parametrize("published", ["last Tuesday", "July 30, 2019", True, 1e20])
def test_extract_record_unparsed_date_is_kept_in_metadata(published: object) -> None:
    article = extract(record_doc({"text": BODY, "published": published})).article
    assert article.published is None
    assert article.metadata["published_unparsed"] == published


def test_extract_record_numeric_id_becomes_a_string() -> None:
    assert extract(record_doc({"id": 123, "text": BODY})).article.id == "123"


@pytest.mark.parametrize("record_id", [None, ""])
def test_extract_record_without_id_gets_one_from_its_identity(record_id: str | None) -> None:
    result = extract(record_doc({"id": record_id, "text": BODY}))
    again = extract(record_doc({"text": BODY}))
    assert result.article.id == again.article.id
    assert result.article.id.startswith("a")


def test_extract_record_language_wins_over_the_guess() -> None:
    assert extract(record_doc({"text": BODY, "language": "en-GB"})).article.language == "en-GB"


# -- identity -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTPS://WWW.Example.COM/Path/?q=1#top", "https://www.example.com/Path?q=1"),
        ("https://example.com", "https://example.com/"),
        ("  https://example.com/a/b/  ", "https://example.com/a/b"),
    ],
)
def test_extract_canonical_url(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


def test_extract_same_url_is_the_same_identity_whatever_the_text() -> None:
    one = extract(record_doc({"url": "https://Example.com/a/#x", "text": BODY}))
    two = extract(record_doc({"url": "https://example.com/a", "text": BODY + " Updated."}))
    assert one.identity == two.identity == "url:https://example.com/a"
    assert one.article.id == two.article.id
    assert one.text_hash != two.text_hash


def test_extract_without_url_identity_is_the_normalised_text() -> None:
    one = extract(text_doc('Title\n\nThe mayor said: "We will rebuild the bridge." It\'s done.'))
    two = extract(
        text_doc(
            "Other title\n\n  The mayor  said:\n\u201cWe will rebuild the bridge.\u201d  "
            "It\u2019s done.\n"
        )
    )
    assert one.identity == two.identity
    assert one.identity.startswith("text:")
    assert one.article.id == two.article.id


def test_extract_different_texts_are_different_identities() -> None:
    one = extract(text_doc("Title\n\n" + BODY))
    two = extract(text_doc("Title\n\n" + BODY.replace("Monday", "Tuesday")))
    assert one.identity != two.identity
    assert one.article.id != two.article.id
