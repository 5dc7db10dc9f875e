"""The web app through FastAPI's test client: pages, JSON API, Atom feeds, errors,
security headers and escaping, over the bundled example corpus and the seeds."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from storyline import store as store_module
from storyline.config import Config
from storyline.engine import Engine
from storyline.web import create_app
from storyline.web.serving import NoDelayProtocol

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

EXAMPLE = Path(__file__).resolve().parents[1] / "storyline" / "data" / "example.jsonl"
SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
ATOM = "{http://www.w3.org/2005/Atom}"
SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
XSS = {
    "id": "xss-article",
    "url": "https://evil.example/xss",
    "outlet": f"Evil {IMG} Outlet",
    "published": "2026-03-20T10:00:00Z",
    "title": f"Harbour gala {SCRIPT} ends early {IMG}",
    "text": (
        f"The harbour gala ended early on Friday when organisers {SCRIPT} cancelled the "
        f"fireworks because of strong winds over the water {IMG} near the old pier.\n\n"
        f'"{SCRIPT} We could not risk anyone getting hurt tonight," said Mallory Quinn, '
        "who runs the gala for the Harbour Arts Trust. Quinn said the fireworks would be "
        "held next weekend instead if the forecast allowed it."
    ),
}


def build_db(path: Path) -> dict[str, Any]:
    """Ingest the example corpus, the seeds (when present) and the XSS article."""
    import json

    xss = path.parent / "xss.jsonl"
    xss.write_text(json.dumps(XSS) + "\n", encoding="utf-8")
    inputs = [EXAMPLE, xss] + ([SEEDS] if SEEDS.is_dir() else [])
    with Engine(path, config=Config()) as engine:
        report = engine.ingest(inputs)
        assert report.ok, report.errors
        seeds = [a for a in engine.articles() if a.path and "seeds" in a.path]
        return {
            "storylines": [s.id for s in engine.stories()],
            "events": [s.id for s in engine.events()],
            "articles": [a.id for a in engine.articles()],
            "seeds": seeds[0].storyline if seeds else None,
            "seed_articles": [a.id for a in seeds],
        }


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, dict[str, Any]]]:
    path = tmp_path_factory.mktemp("web") / "web.db"
    ids = build_db(path)
    with TestClient(create_app(path, config=Config())) as client:
        yield client, ids


@pytest.fixture
def client(site: tuple[TestClient, dict[str, Any]]) -> TestClient:
    return site[0]


@pytest.fixture
def ids(site: tuple[TestClient, dict[str, Any]]) -> dict[str, Any]:
    return site[1]


def ok(client: TestClient, url: str, kind: str = "text/html") -> Any:
    response = client.get(url)
    assert response.status_code == 200, (url, response.text[:300])
    assert response.headers["content-type"].startswith(kind), url
    return response


def test_web_home_lists_storylines_with_coverage(client: TestClient, ids: dict[str, Any]) -> None:
    page = ok(client, "/").text
    for storyline in ids["storylines"]:
        assert f'href="/stories/{storyline}"' in page
    assert "independent report" in page and "cop" in page
    listing = ok(client, "/api/stories", "application/json").json()["storylines"]
    assert [s["id"] for s in listing] and {s["id"] for s in listing} == set(ids["storylines"])
    days = [(s["last_published"] or "")[:10] for s in listing]
    assert days == sorted(days, reverse=True)
    assert all({"independent_reports", "copies", "events"} <= s.keys() for s in listing)
    assert len(ok(client, "/api/stories?limit=2", "application/json").json()["storylines"]) == 2


def test_web_every_story_page_and_api(client: TestClient, ids: dict[str, Any]) -> None:
    for story_id in ids["storylines"] + ids["events"]:
        page = ok(client, f"/stories/{story_id}").text
        for section in ("summary", "timeline", "quotes", "contradictions", "coverage"):
            assert f'id="{section}"' in page
        data = ok(client, f"/api/stories/{story_id}", "application/json").json()
        assert data["id"] == story_id and data["headline"]
        assert {a["id"] for a in data["articles"]} and "outlets" in data


def test_web_every_article_page_and_api(client: TestClient, ids: dict[str, Any]) -> None:
    for article_id in ids["articles"]:
        page = ok(client, f"/articles/{quote(article_id)}").text
        assert 'id="entities"' in page and 'id="quotes"' in page
        data = ok(client, f"/api/articles/{quote(article_id)}", "application/json").json()
        assert data["id"] == article_id and data["text"]


def test_web_summary_citations_lead_to_their_sentence(
    client: TestClient, ids: dict[str, Any]
) -> None:
    story = ok(client, f"/api/stories/{ids['storylines'][0]}", "application/json").json()
    assert 3 <= len(story["summary"]) <= 5
    page = ok(client, f"/stories/{ids['storylines'][0]}").text
    for sentence in story["summary"]:
        link = (
            f"/articles/{sentence['article']}?start={sentence['start']}&amp;end={sentence['end']}"
        )
        assert link in page
        article = ok(client, link.replace("&amp;", "&")).text
        marked = re.search(r'<mark id="cited">(.*?)</mark>', article, re.DOTALL)
        assert marked is not None
        text = client.get(f"/api/articles/{sentence['article']}").json()["text"]
        assert text[sentence["start"] : sentence["end"]] == sentence["text"]


@pytest.mark.shared
def test_web_seeds_story(client: TestClient, ids: dict[str, Any]) -> None:
    if ids["seeds"] is None:
        pytest.skip(f"needs the seed articles at {SEEDS}")
    data = ok(client, f"/api/stories/{ids['seeds']}", "application/json").json()
    assert len({s["article"] for s in data["summary"]}) >= 2
    assert set(ids["seed_articles"]) <= {a["id"] for a in data["articles"]}
    page = ok(client, f"/stories/{ids['seeds']}").text
    assert "Miles" in page and "Read Full Article" not in page.split('id="summary"')[1][:4000]
    entity = ok(client, "/entities/Chrissy%20Teigen").text
    assert f'href="/stories/{ids["seeds"]}"' in entity and "<blockquote>" in entity
    api = ok(client, "/api/entities/Chrissy%20Teigen", "application/json").json()
    assert api["name"] == "Chrissy Teigen" and api["quotes"] and api["storylines"]
    assert ok(client, "/api/quotes?speaker=Teigen", "application/json").json()["quotes"]


def test_web_entity_page_and_api(client: TestClient) -> None:
    data = ok(client, "/api/entities/Priya%20Halvorsen", "application/json").json()
    assert data["name"] == "Priya Halvorsen" and data["storylines"] and data["articles"]
    assert data["quotes"] and all(q["speaker"] == "Priya Halvorsen" for q in data["quotes"])
    page = ok(client, "/entities/Priya%20Halvorsen").text
    assert "Priya Halvorsen" in page and 'id="facts"' in page and "<blockquote>" in page


def test_web_search_highlights_matches(client: TestClient) -> None:
    page = ok(client, "/search?q=Halvorsen").text
    assert "<mark>Halvorsen</mark>" in page and 'id="quotes"' in page
    data = ok(client, "/api/search?q=Halvorsen", "application/json").json()
    assert set(data) == {"query", "articles", "stories", "quotes", "entities", "page"}
    assert data["articles"] and data["quotes"] and data["entities"] and data["stories"]
    hit = data["articles"][0]
    start, end = hit["snippet"]["matches"][0]
    assert hit["snippet"]["text"][start:end].casefold() == "halvorsen"
    assert "\ue000" not in str(data)
    assert ok(client, "/search").text.count("<mark>") == 0
    assert "Nothing matches" in ok(client, "/search?q=zzzzqqq").text


@pytest.mark.parametrize("query", ['"unclosed', "AND", "(", "nocolumn:word", "a NEAR("])
def test_web_malformed_search_is_a_400(client: TestClient, query: str) -> None:
    page = client.get("/search", params={"q": query})
    assert page.status_code == 400 and 'role="alert"' in page.text
    assert "cannot search" in page.text
    api = client.get("/api/search", params={"q": query})
    assert api.status_code == 400 and "cannot search" in api.json()["error"]
    assert client.get("/feeds/search.atom", params={"q": query}).status_code == 400


def test_web_empty_search_query_is_a_400_in_the_api(client: TestClient) -> None:
    assert client.get("/api/search", params={"q": "  "}).status_code == 400
    assert client.get("/api/search").status_code == 400


@pytest.mark.parametrize(
    "url",
    [
        "/stories/nope",
        "/articles/nope",
        "/entities/Nobody%20Atall",
        "/no/such/page",
        "/feeds/stories/nope.atom",
        "/feeds/entities/Nobody.atom",
    ],
)
def test_web_not_found_pages(client: TestClient, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "Not found" in response.text


@pytest.mark.parametrize(
    "url", ["/api/stories/nope", "/api/articles/nope", "/api/entities/Nobody", "/api/nothing"]
)
def test_web_not_found_json(client: TestClient, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 404
    assert response.json()["status"] == 404 and response.json()["error"]


@pytest.mark.parametrize(
    "url", ["/", "/search?q=x", "/api/stories", "/stories/nope", "/static/style.css"]
)
def test_web_security_headers(client: TestClient, url: str) -> None:
    policy = client.get(url).headers["content-security-policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy
    assert "unsafe-inline" not in policy


def test_web_no_writing_endpoints(client: TestClient) -> None:
    schema = ok(client, "/api/openapi.json", "application/json").json()
    for path, methods in schema["paths"].items():
        assert set(methods) == {"get"}, path
    for url in ("/", "/api/stories", "/search"):
        assert client.post(url).status_code == 405
        assert client.delete(url).status_code == 405


def test_web_openapi_describes_the_api(client: TestClient) -> None:
    paths = ok(client, "/api/openapi.json", "application/json").json()["paths"]
    for path in (
        "/api/stories",
        "/api/stories/{story_id}",
        "/api/articles/{article_id}",
        "/api/entities/{name}",
        "/api/search",
        "/api/quotes",
    ):
        assert path in paths
    assert not any(p.startswith(("/stories", "/feeds")) for p in paths)
    assert client.get("/docs").status_code == 404  # no CDN-loaded documentation page


def test_web_pages_have_no_script_and_one_stylesheet(client: TestClient) -> None:
    page = ok(client, "/").text
    assert "<script" not in page
    assert re.findall(r'<link rel="stylesheet" href="([^"]+)"', page) == ["/static/style.css"]
    assert 'name="viewport"' in page
    assert "http" not in re.sub(r'href="https?://[^"]*"', "", page.split("</head>")[0])
    css = ok(client, "/static/style.css", "text/css").text
    assert "@import" not in css and "url(" not in css


def xss_pages(client: TestClient) -> list[str]:
    article = client.get("/api/articles/xss-article").json()
    return [
        "/",
        "/articles/xss-article",
        "/articles/xss-article?start=0&end=80",
        f"/stories/{article['storyline']}",
        f"/stories/{article['event']}",
        "/search?q=gala",
        "/search?q=" + quote(SCRIPT),
        "/entities/Mallory%20Quinn",
        "/stories/" + quote(SCRIPT),
        "/entities/" + quote(IMG),
    ]


def test_web_xss_payloads_are_escaped_in_pages(client: TestClient) -> None:
    for url in xss_pages(client):
        page = client.get(url).text
        assert "<script>" not in page and "<img" not in page, url
        assert "onerror=alert(1)>" not in page.replace("onerror=alert(1)&gt;", ""), url
    article = client.get("/articles/xss-article").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in article
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in article


def test_web_xss_payloads_stay_data_in_json(client: TestClient) -> None:
    data = client.get("/api/articles/xss-article").json()
    assert SCRIPT in data["title"] and IMG in data["text"]
    response = client.get("/api/articles/xss-article")
    assert response.headers["content-type"].startswith("application/json")


def parse_atom(client: TestClient, url: str) -> ET.Element:
    response = ok(client, url, "application/atom+xml")
    root = ET.fromstring(response.content)
    assert root.tag == f"{ATOM}feed"
    for tag in ("id", "title", "updated", "author"):
        assert root.find(f"{ATOM}{tag}") is not None, tag
    for entry in root.findall(f"{ATOM}entry"):
        for tag in ("id", "title", "updated", "link", "summary"):
            assert entry.find(f"{ATOM}{tag}") is not None, tag
    return root


def test_web_atom_feeds_parse(client: TestClient, ids: dict[str, Any]) -> None:
    for story_id in ids["storylines"]:
        root = parse_atom(client, f"/feeds/stories/{story_id}.atom")
        assert root.findall(f"{ATOM}entry")
    entity = parse_atom(client, "/feeds/entities/Priya%20Halvorsen.atom")
    assert entity.findall(f"{ATOM}entry")
    search = parse_atom(client, "/feeds/search.atom?q=wildfire")
    assert search.findall(f"{ATOM}entry")


def test_web_atom_feeds_hold_the_newest_articles(
    client: TestClient, ids: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from storyline.web import feeds

    monkeypatch.setattr(feeds, "FEED_ENTRIES", 2)
    story = max(
        (client.get(f"/api/stories/{s}?limit=100").json() for s in ids["storylines"]),
        key=lambda found: len(found["articles"]),
    )
    assert len(story["articles"]) > 2
    newest = sorted(story["articles"], key=lambda a: a["published"] or "", reverse=True)[:2]
    root = parse_atom(client, f"/feeds/stories/{story['id']}.atom")
    links = [e.find(f"{ATOM}id").text or "" for e in root.findall(f"{ATOM}entry")]  # type: ignore[union-attr]
    assert [link.rsplit("/", 1)[1] for link in links] == [quote(a["id"], safe="") for a in newest]
    entity = parse_atom(client, "/feeds/entities/Priya%20Halvorsen.atom")
    assert len(entity.findall(f"{ATOM}entry")) == 2


def test_web_atom_feeds_escape_payloads(client: TestClient) -> None:
    storyline = client.get("/api/articles/xss-article").json()["storyline"]
    for url in (
        f"/feeds/stories/{storyline}.atom",
        "/feeds/search.atom?q=gala",
        "/feeds/search.atom?q=" + quote(f'"{SCRIPT}"'),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "<script>" not in response.text and "<img" not in response.text
        root = ET.fromstring(response.content)
        titles = [e.findtext(f"{ATOM}title") for e in root.findall(f"{ATOM}entry")]
        assert any(t and SCRIPT in t and IMG in t for t in titles), url


def test_web_search_index_backfilled_by_migration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, record: Any
) -> None:
    """A store written before the search index gets it filled when it is upgraded."""
    from storyline.model import Article

    path = tmp_path / "old.db"
    with monkeypatch.context() as patch:
        patch.setattr(store_module, "MIGRATIONS", store_module.MIGRATIONS[:2])
        with Engine(path, config=Config()) as engine:
            engine.add([Article.from_dict(record("bridge", id="bridge"))])
    with Engine(path, config=Config(), stages=[]) as engine:
        found = engine.search("Okafor")
    assert [hit["article"] for hit in found["articles"]] == ["bridge"]
    assert found["quotes"] and found["quotes"][0]["name"]
    assert any(entity["name"] == "Helen Okafor" for entity in found["entities"])


def test_web_search_index_follows_ingest(engine: Engine, record: Any) -> None:
    from storyline.model import Article

    assert engine.search("Riverside")["articles"] == []
    engine.add([Article.from_dict(record("football", id="football"))])
    hits = engine.search("Riverside")["articles"]
    assert [hit["article"] for hit in hits] == ["football"]


def test_web_serve_command_starts_uvicorn(cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    seen: dict[str, Any] = {}

    def fake_run(app: Any, host: str, port: int, http: type) -> None:
        seen.update(app=app, host=host, port=port, http=http)

    monkeypatch.setattr(uvicorn, "run", fake_run)
    result = cli("serve", "--port", "8123")
    assert result.exit_code == 0, result.output
    assert seen["host"] == "127.0.0.1" and seen["port"] == 8123
    assert seen["app"].openapi_url == "/api/openapi.json"
    assert seen["http"] is NoDelayProtocol
