"""OAV's site shows the registration form: a page on another origin (127.0.0.2) includes
``/embed.js``, in a chromium that blocks third-party cookies, and a registration arrives. A site
not in EMBED_ORIGINS (127.0.0.3) gets no form: the browser refuses to show it."""

from __future__ import annotations

import http.server
import threading
from contextlib import contextmanager
from functools import partial

import pytest
from sqlalchemy import select

from eventsvc.extensions import db
from eventsvc.models import Registration
from tests.factories import make_event
from tests.fixtures.browser import CHROMIUM, CHROMIUM_ARGS, DEFAULT_TIMEOUT_MS


@contextmanager
def site(host: str, tmp_path):
    """A plain web server for ``tmp_path`` on ``host`` (another origin than the app's)."""
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer((host, 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server, f"http://{host}:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def cookie_blocking_browser(browser):
    """Chromium told to block third-party cookies, as Safari does by default.

    Launched from the session's Playwright: a second ``sync_playwright()`` in the same process
    refuses to start while the first one runs.
    """
    blocking = browser.browser_type.launch(
        executable_path=CHROMIUM, headless=True,
        args=[*CHROMIUM_ARGS, "--test-third-party-cookie-phaseout"])
    try:
        yield blocking
    finally:
        blocking.close()


def host_page(tmp_path, app_url: str, slug: str) -> None:
    (tmp_path / "index.html").write_text(
        "<!doctype html><html><head><title>OAV</title></head><body>"
        "<h1>OAV: Smart City China</h1><p>For further information, please register here:</p>"
        f'<script src="{app_url}/embed.js" data-event="{slug}" async></script>'
        "<p id=after>Contact us</p></body></html>", encoding="utf-8")


@pytest.mark.browser
def test_a_visitor_registers_in_the_form_on_another_site(app, start_live_server, cookie_blocking_browser,
                                                          tmp_path):
    event = make_event(title={"en": "Smart City China in Berlin", "zh": "智慧城市中国·柏林", "de": "Smart City China in Berlin"})
    slug = event.slug
    db.session.rollback()  # hold no transaction while the server works (SQLite: the write lock)
    with site("127.0.0.2", tmp_path) as (_, oav), site("127.0.0.3", tmp_path) as (_, stranger):
        server = start_live_server(app.config["SQLALCHEMY_DATABASE_URI"], tls=True,
                                   env={"EMBED_ORIGINS": oav})
        host_page(tmp_path, server.url, slug)
        context = cookie_blocking_browser.new_context(ignore_https_errors=True, locale="zh-CN",
                                                      viewport={"width": 1000, "height": 800})
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        page = context.new_page()
        page.goto(oav + "/")

        # The script put the iframe right after itself, in the visitor's language.
        frame_element = page.locator("script[data-event] + iframe")
        frame_element.wait_for()
        frame = page.frame_locator("iframe")
        assert frame.locator("h1").inner_text() == "智慧城市中国·柏林"
        inner = next(f for f in page.frames if f != page.main_frame)
        # Third-party cookies are blocked here, even secure ones that a first party could set.
        assert inner.evaluate("document.cookie = 'probe=1; SameSite=None; Secure'; document.cookie") == ""

        # The frame is as tall as its form: nothing cut off, no inner scroll bar.
        page.wait_for_function(
            "() => { const f = document.querySelector('iframe');"
            " return f.contentWindow && Math.abs(f.getBoundingClientRect().height - 720) > 1; }")
        content = inner.evaluate("Math.ceil(document.body.getBoundingClientRect().height)")
        assert abs(frame_element.bounding_box()["height"] - content) <= 4

        frame.locator("input[name=email]").fill("zhang.wei@example.cn")
        frame.locator("input[name=family_name]").fill("张")
        frame.locator("input[name=given_name]").fill("伟")
        frame.locator("input[name=privacy_consent]").check()
        frame.get_by_role("button", name="报名").click()
        frame.locator("h1", has_text="请查收邮件").wait_for()
        assert "zhang.wei@example.cn" in frame.locator("main").inner_text()
        assert context.cookies() == []     # nothing was stored for either site

        registration = db.session.scalar(select(Registration).where(Registration.email == "zhang.wei@example.cn"))
        assert registration is not None and registration.language == "zh" and registration.status == "confirmed"
        db.session.rollback()

        # A site that is not in EMBED_ORIGINS: the browser shows no form.
        page.goto(stranger + "/")
        page.locator("script[data-event] + iframe").wait_for()
        page.wait_for_timeout(500)
        refused = next(f for f in page.frames if f != page.main_frame)
        assert refused.locator("form").count() == 0
        assert "智慧城市中国" not in (refused.evaluate("document.body ? document.body.innerText : ''") or "")
        context.close()
