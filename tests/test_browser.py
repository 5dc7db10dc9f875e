"""The web app in a real browser: Debian's chromium driven by playwright, over uvicorn on
loopback. Screenshots go to artifacts/screenshots/."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from storyline.config import Config
from storyline.engine import Engine

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "artifacts" / "screenshots"
EXAMPLE = ROOT / "storyline" / "data" / "example.jsonl"
SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason=f"needs Debian's chromium at {CHROMIUM}: apt-get install -y chromium "
    "(make system-test-deps installs it)",
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    import uvicorn

    from storyline.web import create_app

    folder = tmp_path_factory.mktemp("browser")
    xss = folder / "xss.jsonl"
    record = {
        "id": "xss-article",
        "outlet": "Evil Outlet",
        "published": "2026-03-20T10:00:00Z",
        "title": f"Harbour gala {SCRIPT} ends early {IMG}",
        "text": (
            f"The harbour gala ended early on Friday when organisers {SCRIPT} cancelled the "
            f"fireworks because of strong winds over the water {IMG} near the old pier.\n\n"
            "Organisers said the fireworks would be held next weekend instead."
        ),
    }
    xss.write_text(json.dumps(record) + "\n", encoding="utf-8")
    db = folder / "browser.db"
    with Engine(db, config=Config()) as engine:
        engine.ingest([EXAMPLE, xss] + ([SEEDS] if SEEDS.is_dir() else []))
        seeds = [a for a in engine.articles() if a.path and "seeds" in a.path]
        storyline = seeds[0].storyline if seeds else engine.stories()[0].id
    port = free_port()
    config = uvicorn.Config(
        create_app(db, config=Config()), host="127.0.0.1", port=port, log_level="warning"
    )
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not uv.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield {"url": f"http://127.0.0.1:{port}", "storyline": storyline, "seeds": bool(seeds)}
    finally:
        uv.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        opened = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield opened
        finally:
            opened.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    # phone width, and no JavaScript needed: the pages must work without it
    context = browser.new_context(viewport={"width": 390, "height": 844}, java_script_enabled=False)
    opened = context.new_page()
    yield opened
    context.close()


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_browser_reader_journey(server: dict[str, Any], page: Any) -> None:
    base = server["url"]
    page.goto(base + "/")
    assert page.locator("h1").inner_text() == "Stories"
    shot(page, "01-home")

    page.locator(f'a[href="/stories/{server["storyline"]}"]').first.click()
    page.wait_for_url(f"**/stories/{server['storyline']}")
    citations = page.locator("#summary a.cite")
    assert 3 <= citations.count() <= 5
    shot(page, "02-story")

    sentence = citations.first.inner_text()
    citations.first.click()
    page.wait_for_url("**/articles/**")
    cited = page.locator("mark#cited")
    assert cited.count() == 1 and cited.inner_text() == sentence
    shot(page, "03-article-cited")

    words = "push out a part of your brain" if server["seeds"] else "take full responsibility"
    page.fill("#q", f'"{words}"')
    page.locator("form.search button").click()
    page.wait_for_url("**/search?q=*")
    quotes = page.locator("#quotes li")
    assert quotes.count() >= 1
    assert page.locator("#quotes mark").count() >= 1
    shot(page, "04-search-quote")

    speaker = quotes.first.locator("p.meta a").first
    name = speaker.inner_text()
    speaker.click()
    page.wait_for_url("**/entities/**")
    assert page.locator("h1").inner_text() == name
    assert page.locator("#storylines li").count() >= 1
    shot(page, "05-entity")


def test_browser_search_error_is_shown(server: dict[str, Any], page: Any) -> None:
    response = page.goto(server["url"] + "/search?q=%22unclosed")
    assert response is not None and response.status == 400
    assert "cannot search" in page.locator(".error").inner_text()
    shot(page, "06-search-error")


def test_browser_xss_payload_shows_as_text_and_never_runs(
    server: dict[str, Any], browser: Any
) -> None:
    context = browser.new_context(viewport={"width": 1024, "height": 800})  # scripts allowed
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    try:
        for path in ("/articles/xss-article", "/search?q=gala", "/"):
            page.goto(server["url"] + path)
            page.wait_for_load_state("load")
        page.goto(server["url"] + "/articles/xss-article")
        assert SCRIPT in page.locator("h1").inner_text()
        assert IMG in page.locator(".text").inner_text()
        assert page.locator("main img").count() == 0
        assert page.locator("main script").count() == 0
        shot(page, "07-xss-as-text")
        page.wait_for_timeout(300)
        assert dialogs == []
    finally:
        context.close()
