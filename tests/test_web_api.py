"""The JSON API's declared shapes and the paging of every list, pages and API alike."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel
from test_web import build_db

from storyline.config import Config
from storyline.engine import Engine
from storyline.model import Article
from storyline.web import content, create_app, schemas

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

#: each API path and the model its answers must parse as
MODELS: dict[str, type[BaseModel]] = {
    "/api/stories": schemas.StoryList,
    "/api/stories/{story_id}": schemas.StoryDetail,
    "/api/stories/{story_id}/timeline": schemas.StoryTimeline,
    "/api/stories/{story_id}/quotes": schemas.StoryQuotes,
    "/api/stories/{story_id}/republications": schemas.StoryRepublications,
    "/api/stories/{story_id}/estimated_dates": schemas.StoryDates,
    "/api/articles/{article_id}": schemas.ArticleDetail,
    "/api/entities/{name}": schemas.EntityDetail,
    "/api/search": schemas.SearchResults,
    "/api/quotes": schemas.QuoteList,
}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, dict[str, Any]]]:
    path = tmp_path_factory.mktemp("api") / "api.db"
    ids = build_db(path)
    with TestClient(create_app(path, config=Config())) as client:
        yield client, ids


@pytest.fixture
def db(site: tuple[TestClient, dict[str, Any]]) -> Path:
    return Path(site[0].app.state.db)  # type: ignore[attr-defined]


@pytest.fixture
def client(site: tuple[TestClient, dict[str, Any]]) -> TestClient:
    return site[0]


@pytest.fixture
def ids(site: tuple[TestClient, dict[str, Any]]) -> dict[str, Any]:
    return site[1]


def get_json(client: TestClient, url: str) -> Any:
    response = client.get(url)
    assert response.status_code == 200, (url, response.text[:300])
    return response.json()


def test_web_api_openapi_names_a_model_for_every_endpoint(client: TestClient) -> None:
    document = get_json(client, "/api/openapi.json")
    assert set(document["paths"]) == set(MODELS)
    components = document["components"]["schemas"]
    for path, model in MODELS.items():
        answer = document["paths"][path]["get"]["responses"]["200"]
        schema = answer["content"]["application/json"]["schema"]
        assert schema == {"$ref": f"#/components/schemas/{model.__name__}"}, path
        declared = components[model.__name__]
        assert declared["additionalProperties"] is False
        assert set(declared["properties"]) == set(model.model_fields), path


def test_web_api_real_answers_parse_as_their_models(
    client: TestClient, ids: dict[str, Any]
) -> None:
    document = get_json(client, "/api/openapi.json")
    components = document["components"]["schemas"]
    urls = [("/api/stories", "/api/stories?limit=100")]
    urls += [("/api/stories/{story_id}", f"/api/stories/{s}") for s in ids["storylines"]]
    urls += [("/api/stories/{story_id}", f"/api/stories/{s}") for s in ids["events"]]
    for name in content.SECTIONS:
        urls += [
            (f"/api/stories/{{story_id}}/{name}", f"/api/stories/{s}/{name}")
            for s in ids["storylines"]
        ]
    urls += [("/api/articles/{article_id}", f"/api/articles/{quote(a)}") for a in ids["articles"]]
    urls += [
        ("/api/entities/{name}", "/api/entities/Priya%20Halvorsen"),
        ("/api/search", "/api/search?q=Halvorsen"),
        ("/api/search", "/api/search?q=bridge%20OR%20mayor&limit=3&offset=1"),
        ("/api/quotes", "/api/quotes?speaker=Halvorsen"),
    ]
    for path, url in urls:
        data = get_json(client, url)
        MODELS[path].model_validate(data)
        # every key sent is one the published schema declares, at the top level and below
        assert set(data) <= set(components[MODELS[path].__name__]["properties"]), url


def test_web_api_models_refuse_undeclared_fields() -> None:
    with pytest.raises(ValueError, match="extra"):
        schemas.Page.model_validate(
            {"limit": 1, "offset": 0, "total": 1, "next": None, "previous": None, "more": 1}
        )


def follow(client: TestClient, url: str, key: str, page_key: str = "page") -> list[Any]:
    """Every item of a paged list, following ``next`` links; checks ``previous`` on the way."""
    items: list[Any] = []
    seen_urls = set()
    next_url: str | None = url
    while next_url is not None:
        assert next_url not in seen_urls
        seen_urls.add(next_url)
        data = get_json(client, next_url)
        page = data[page_key]
        assert (page["previous"] is None) == (page["offset"] == 0)
        assert len(data[key]) <= page["limit"]
        items.extend(data[key])
        next_url = page["next"]
    return items


def test_web_api_stories_page_through_every_storyline(
    client: TestClient, ids: dict[str, Any]
) -> None:
    stories = follow(client, "/api/stories?limit=3", "storylines")
    assert [s["id"] for s in stories] == [
        s["id"] for s in get_json(client, "/api/stories?limit=100")["storylines"]
    ]
    assert sorted(s["id"] for s in stories) == sorted(ids["storylines"])
    second = get_json(client, "/api/stories?limit=3&offset=3")
    assert second["page"]["previous"] == "/api/stories?limit=3&offset=0"
    assert second["page"]["total"] == len(ids["storylines"])
    days = [(s["last_published"] or "")[:10] for s in stories]
    assert days == sorted(days, reverse=True)


def test_web_api_story_articles_are_paged(client: TestClient, ids: dict[str, Any]) -> None:
    whole = max(
        (get_json(client, f"/api/stories/{s}?limit=100") for s in ids["storylines"]),
        key=lambda story: len(story["articles"]),
    )
    assert len(whole["articles"]) >= 3
    paged = follow(client, f"/api/stories/{whole['id']}?limit=2", "articles", "articles_page")
    assert [a["id"] for a in paged] == [a["id"] for a in whole["articles"]]
    page = get_json(client, f"/api/stories/{whole['id']}?limit=2")["articles_page"]
    assert page["total"] == len(whole["articles"]) and page["next"]
    html = client.get(f"/stories/{whole['id']}?limit=2").text
    assert 'rel="next"' in html and f"/stories/{whole['id']}?limit=2&amp;offset=2" in html
    last = client.get(f"/stories/{whole['id']}?limit=2&offset=2").text
    assert 'rel="prev"' in last


def stored(db: Path, story_id: str) -> dict[str, Any]:
    with Engine(db, config=Config(), stages=[]) as engine:
        return engine.story_document(story_id)


@pytest.mark.parametrize("section", content.SECTIONS)
def test_web_api_story_sections_show_the_best_and_page_through_the_rest(
    site: tuple[TestClient, dict[str, Any]], db: Path, section: str
) -> None:
    client, ids = site
    longest = max(ids["storylines"], key=lambda s: len(stored(db, s)[section]))
    whole = stored(db, longest)[section]
    answer = get_json(client, f"/api/stories/{longest}")
    shown = answer["sections"][section]
    assert shown["total"] == len(whole)
    assert shown["shown"] == len(answer[section]) == min(len(whole), content.SECTION_SHOWN)
    assert shown["href"] == f"/api/stories/{longest}/{section}"
    # the ones shown keep their order; where chosen, nothing left out has more sources
    positions = [whole.index(as_stored(item, whole)) for item in answer[section]]
    assert positions == sorted(positions)
    weight = content.SECTION_WEIGHTS.get(section)
    if weight is None:
        assert positions == list(range(len(positions)))
    else:
        left_out = [item for at, item in enumerate(whole) if at not in positions]
        fewest = min(len(item[weight]) for item in answer[section])
        assert all(len(item[weight]) <= fewest for item in left_out)
    paged = follow(client, f"{shown['href']}?limit=7", section)
    assert [as_stored(item, whole) for item in paged] == whole


def as_stored(item: dict[str, Any], stored: list[dict[str, Any]]) -> dict[str, Any]:
    """An answer's item without the keys the API's models add (with their defaults)."""
    keys = {key for each in stored for key in each}
    return {key: value for key, value in item.items() if key in keys}


def test_web_api_story_sections_on_the_example_are_longer_than_a_page(
    site: tuple[TestClient, dict[str, Any]], db: Path
) -> None:
    # the example corpus holds a storyline whose timeline is cut on its page
    client, ids = site
    story_id = max(ids["storylines"], key=lambda s: len(stored(db, s)["timeline"]))
    whole = stored(db, story_id)["timeline"]
    assert len(whole) > content.SECTION_SHOWN
    page = client.get(f"/stories/{story_id}").text
    assert f'href="/stories/{story_id}/timeline">All {len(whole)}</a>' in page
    first = client.get(f"/stories/{story_id}/timeline?limit=10").text
    assert first.count("<li><strong>") == 10 and 'rel="next"' in first
    assert f'<a href="/stories/{story_id}">' in first
    last = client.get(f"/stories/{story_id}/timeline?limit=10&offset=20").text
    assert last.count("<li><strong>") == len(whole) - 20 and 'rel="prev"' in last
    assert client.get(f"/stories/{story_id}/nothing").status_code == 400  # not a section
    assert client.get(f"/api/stories/{story_id}/nothing").status_code == 404  # no such route
    assert client.get("/stories/nope/timeline").status_code == 404
    assert client.get("/api/stories/nope/quotes").status_code == 404


def test_web_story_highlights_keep_the_most_sourced_in_their_order() -> None:
    items = [{"n": n, "sources": ["x"] * size} for n, size in enumerate([1, 3, 2, 3, 1])]
    assert [i["n"] for i in content.highlights(items, "sources", 2)] == [1, 3]
    assert [i["n"] for i in content.highlights(items, "sources", 3)] == [1, 2, 3]
    assert [i["n"] for i in content.highlights(items, None, 2)] == [0, 1]
    assert content.highlights(items, "sources", 5) == items


def test_web_api_search_pages(client: TestClient) -> None:
    first = get_json(client, "/api/search?q=the&limit=2")
    assert len(first["articles"]) == 2 and first["page"]["next"]
    second = get_json(client, first["page"]["next"])
    assert {h["article"] for h in first["articles"]}.isdisjoint(
        h["article"] for h in second["articles"]
    )
    everything = follow(client, "/api/search?q=the&limit=7", "articles")
    assert len(everything) == len({h["article"] for h in everything})
    # a hit carries a snippet of its article, not the whole text
    assert all(h["body"] == "" and 0 < len(h["snippet"]["text"]) < 400 for h in everything)
    html = client.get("/search?q=the&limit=2").text
    assert 'rel="next" href="/search?q=the&amp;limit=2&amp;offset=2"' in html


def test_web_api_search_has_no_next_page_when_a_page_holds_the_last_match(
    client: TestClient,
) -> None:
    kinds = ("articles", "quotes", "entities")
    total = max(len(follow(client, "/api/search?q=the&limit=100", kind)) for kind in kinds)
    exact = get_json(client, f"/api/search?q=the&limit={total}")
    assert max(len(exact[kind]) for kind in kinds) == total
    assert exact["page"]["next"] is None
    short = get_json(client, f"/api/search?q=the&limit={total - 1}")
    assert short["page"]["next"]


def test_web_api_entity_lists_are_paged(client: TestClient) -> None:
    whole = get_json(client, "/api/entities/Priya%20Halvorsen?limit=100")
    assert whole["quotes_total"] == len(whole["quotes"]) >= 2
    assert whole["articles_total"] == len(whole["articles"]) >= 2
    assert whole["facts_total"] == len(whole["facts"])
    for key in ("quotes", "articles", "facts", "storylines"):
        paged = follow(client, "/api/entities/Priya%20Halvorsen?limit=1", key)
        assert paged == whole[key], key
    html = client.get("/entities/Priya%20Halvorsen?limit=1").text
    assert 'rel="next"' in html
    said = follow(client, "/api/quotes?speaker=Halvorsen&limit=1", "quotes")
    assert len(said) == get_json(client, "/api/quotes?speaker=Halvorsen")["page"]["total"]


def test_web_home_pages(client: TestClient, ids: dict[str, Any]) -> None:
    first = client.get("/?limit=2").text
    assert 'rel="next" href="/?limit=2&amp;offset=2"' in first and 'rel="prev"' not in first
    seen = set()
    for offset in range(0, len(ids["storylines"]), 2):
        page = client.get(f"/?limit=2&offset={offset}").text
        seen.update(s for s in ids["storylines"] if f'<h2><a href="/stories/{s}">' in page)
    assert seen == set(ids["storylines"])


@pytest.mark.parametrize(
    ("url", "named"),
    [
        ("stories?limit=0", "limit"),
        ("stories?limit=101", "limit"),
        ("stories?offset=-1", "offset"),
        ("stories?limit=many", "limit"),
        ("search?q=bridge&limit=1000", "limit"),
        ("search?q=bridge&offset=-5", "offset"),
        ("quotes?speaker=Halvorsen&limit=0", "limit"),
        ("entities/Priya%20Halvorsen?offset=x", "offset"),
    ],
)
def test_web_paging_bounds_are_checked(client: TestClient, url: str, named: str) -> None:
    api = client.get(f"/api/{url}")
    assert api.status_code == 400
    assert named in api.json()["error"] and "bad request" in api.json()["error"]
    # the home page lists the storylines that /api/stories does; quotes have no page
    page_url = url.replace("stories?", "?") if url.startswith("stories?") else url
    if not url.startswith("quotes"):
        page = client.get(f"/{page_url}")
        assert page.status_code == 400 and named in page.text


def test_web_story_answers_follow_the_store_version(tmp_path: Path) -> None:
    db = tmp_path / "cache.db"
    build_db(db)
    app = create_app(db, config=Config())
    with TestClient(app) as client, Engine(db, config=Config()) as engine:
        story_id = next(a.storyline for a in engine.articles() if a.id == "xss-article")
        assert story_id is not None
        before = get_json(client, f"/api/stories/{story_id}")
        assert get_json(client, f"/api/stories/{story_id}") == before
        version = engine.version()
        report = engine.add(
            [
                Article(
                    id="gala-follow-up",
                    url="https://example.org/gala-follow-up",
                    title="Harbour gala fireworks move to next weekend",
                    text=(
                        "The harbour gala fireworks, cancelled on Friday because of strong "
                        "winds over the water near the old pier, will be held next weekend, "
                        "Mallory Quinn of the Harbour Arts Trust said."
                    ),
                    outlet="Harbour Herald",
                )
            ]
        )
        assert report.new == 1 and engine.version() != version
        assert engine.article("gala-follow-up").storyline == story_id
        after = get_json(client, f"/api/stories/{story_id}")
    assert "gala-follow-up" in {a["id"] for a in after["articles"]}
    assert "gala-follow-up" not in {a["id"] for a in before["articles"]}


def test_web_keeps_the_cycle_collectors_passes_short(tmp_path: Path) -> None:
    """Startup objects are frozen out of the collector's passes, and answering story
    requests leaves rendered bytes behind, not the parsed documents they were cut from."""
    db = tmp_path / "gc.db"
    build_db(db)
    with Engine(db, config=Config(), stages=[]) as engine:
        stories = {s.id for s in engine.stories()}
    app = create_app(db, config=Config())
    gc.unfreeze()
    try:
        with TestClient(app) as client:
            assert gc.get_freeze_count() > 0
            for story_id in stories:
                for path in (f"/stories/{story_id}", f"/api/stories/{story_id}"):
                    assert client.get(path).status_code == 200
            gc.collect()
            kept = [
                o
                for o in gc.get_objects()
                if isinstance(o, dict) and o.get("id") in stories and "timeline" in o
            ]
            assert kept == []
    finally:
        gc.unfreeze()
