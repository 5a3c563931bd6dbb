"""Every page a visitor or an organizer meets, at phone width in three languages: axe-core finds
nothing serious, the Chinese pages leave no English interface text untranslated, and a screenshot
of each Chinese and German page is kept for a person to look at.

Screenshots go to ``test-artifacts/screenshots/`` (or ``$SCREENSHOT_DIR``), which git ignores.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from eventsvc.extensions import db
from eventsvc.i18n import DOMAINS
from eventsvc.services.organizers import create_organizer
from tests.factories import make_event, make_registration

pytestmark = pytest.mark.browser

PASSWORD = "a long organizer password"
PHONE = {"width": 390, "height": 844}
SCREENSHOTS = Path(os.environ.get("SCREENSHOT_DIR", Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"))
TRANSLATIONS = Path(__file__).resolve().parents[2] / "eventsvc" / "translations"
LOCALES = {"en": "en-GB", "zh": "zh-CN", "de": "de-DE"}


def _english_interface_texts() -> set[str]:
    """Every English text of the catalogs that Chinese writes differently (so "OAV" or "CSV",
    the same in both, do not count)."""
    texts = set()
    for domain in DOMAINS:
        with open(TRANSLATIONS / "zh" / "LC_MESSAGES" / f"{domain}.po", "rb") as po:
            for message in read_po(po):
                key = message.id if isinstance(message.id, str) else message.id[0]
                string = message.string if isinstance(message.string, str) else (message.string or [""])[0]
                if key and string != key:
                    # Placeholders split a text into the parts a reader would see.
                    for part in re.split(r"%\(\w+\)[sd]|%[sd]|<[^>]+>", key):
                        part = part.strip(" .,:;·()“”\"'|-–")
                        if len(part) >= 4 and re.search(r"[A-Za-z]{3}", part):
                            texts.add(part)
    return texts


#: The visible text of the page in elements whose language is Chinese (the language switcher's
#: "English" and "Deutsch" are marked lang="en" and lang="de" and rightly stay as they are), less
#: what is data rather than interface: form contents, postal addresses, codes.
VISIBLE_CHINESE_TEXT = """() => {
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const parts = [];
  while (walker.nextNode()) {
    const node = walker.currentNode, element = node.parentElement;
    if (!element || !node.textContent.trim()) continue;
    if (element.closest('textarea, address, code')) continue;   // what people entered, postal lines
    const lang = (element.closest('[lang]') || document.documentElement).getAttribute('lang') || '';
    if (!lang.startsWith('zh')) continue;
    if (!element.getClientRects().length || getComputedStyle(element).visibility === 'hidden') continue;
    parts.push(node.textContent.trim());
  }
  const labels = [...document.querySelectorAll('[aria-label], [placeholder], [title], input[type=submit]')]
    .filter(e => (e.closest('[lang]') || document.documentElement).getAttribute('lang').startsWith('zh'))
    .map(e => [e.getAttribute('aria-label'), e.getAttribute('placeholder'), e.getAttribute('title')].join(' '));
  return parts.concat(labels).join('\\n');
}"""


@pytest.fixture
def site(pg_app, start_live_server):
    """A published event with a registrant, a past event, an organizer; gunicorn serving them."""
    from datetime import datetime, timedelta, timezone

    event = make_event(slug="hamburg-look", city="Hamburg", country="DE", timezone="Europe/Berlin",
                       title={"en": "Smart City China in Hamburg", "zh": "智慧城市中国·汉堡",
                              "de": "Smart City China in Hamburg"},
                       venue={"en": "Chamber of Commerce\nAdolphsplatz 1\n20457 Hamburg",
                              "zh": "汉堡商会\n阿道夫广场1号\n20457 汉堡",
                              "de": "Handelskammer Hamburg\nAdolphsplatz 1\n20457 Hamburg"},
                       description={"en": "The report's launch.", "zh": "报告发布活动。", "de": "Vorstellung des Berichts."},
                       capacity=100, questions=[
                           {"key": "dinner", "type": "choice", "required": True,
                            "label": {"en": "Dinner", "zh": "晚宴", "de": "Abendessen"},
                            "choices": [{"key": "yes", "label": {"en": "Yes", "zh": "参加", "de": "Ja"}},
                                        {"key": "no", "label": {"en": "No", "zh": "不参加", "de": "Nein"}}]},
                           {"key": "topics", "type": "multiple", "label": {"en": "Topics", "zh": "议题", "de": "Themen"},
                            "choices": [{"key": "mobility", "label": {"en": "Mobility", "zh": "交通", "de": "Mobilität"}}]},
                           {"key": "note", "type": "text", "label": {"en": "Anything else?", "zh": "其他说明", "de": "Sonst noch etwas?"}}])
    past_start = datetime.now(timezone.utc) - timedelta(days=30)
    make_event(slug="past-look", city="Beijing", country="CN", timezone="Asia/Shanghai",
               title={"en": "Past event in Beijing", "zh": "北京往期活动", "de": "Vergangene Veranstaltung in Peking"},
               starts_at=past_start, ends_at=past_start + timedelta(hours=3))
    registration = make_registration(event, language="zh", family_name="王", given_name="丽",
                                     email="wang.li@example.cn")
    create_organizer("look@oav.example", PASSWORD, "Look Team")
    token, slug = registration.manage_token, event.slug
    db.session.rollback()
    server = start_live_server(pg_app.config["SQLALCHEMY_DATABASE_URI"], workers=2)
    return server, slug, token


def _pages(server, slug, token):
    """(name, url, what to do once there) for every page the issue names."""
    def submit_empty(page):
        page.click("form button[type=submit]")
        page.wait_for_selector(".notice-error")

    def preview_message(page):
        for language, text in (("en", "The entrance has moved"), ("zh", "入口已变更")):
            page.fill(f"input[name=subject_{language}]", text)
            page.fill(f"textarea[name=body_{language}]", text)
        page.click("form.stack button.secondary")  # Preview
        page.wait_for_selector("iframe.mail-preview")

    def start_totp(page):
        page.click("form[action$='/two-factor/totp'] button[type=submit]")
        page.wait_for_selector("#otpauth-uri")

    return [
        ("event-list", "/", None),
        ("event", f"/events/{slug}", None),
        ("register-with-errors", f"/events/{slug}/register", submit_empty),
        ("registrant", f"/r/{token}", None),
        ("imprint", "/imprint", None),
        ("privacy", "/privacy", None),
        ("organizer-events", "/organizer/events", None),
        ("organizer-dashboard", f"/organizer/events/{slug}", None),
        ("organizer-attendees", f"/organizer/events/{slug}/attendees", None),
        ("organizer-event-form", f"/organizer/events/{slug}/edit", None),
        ("organizer-checkin", f"/organizer/events/{slug}/checkin", None),
        ("organizer-mail-log", "/organizer/mail", None),
        ("organizer-messages", f"/organizer/events/{slug}/messages", preview_message),
        ("organizer-follow-up", f"/organizer/events/{slug}/follow-up", None),
        ("organizer-account", "/organizer/account", None),
        ("organizer-two-factor", "/organizer/account/two-factor", None),
        ("organizer-totp-enrol", "/organizer/account/two-factor", start_totp),
        ("organizer-password-reset", "/organizer/password-reset", None),
        ("organizer-tokens", "/organizer/tokens", None),
        ("organizer-webhooks", "/organizer/webhooks", None),
    ]


def _log_in(page, server):
    page.goto(f"{server.url}/organizer/login")
    page.fill("input[name=email]", "look@oav.example")
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(f"{server.url}/organizer/events")


@pytest.mark.parametrize("language", ["zh", "de", "en"])
def test_every_page_passes_axe_and_chinese_pages_are_all_chinese(site, browser, language):
    from axe_playwright_python.sync_playwright import Axe

    server, slug, token = site
    context = browser.new_context(viewport=PHONE, locale=LOCALES[language], device_scale_factor=2)
    context.set_default_timeout(15_000)
    page = context.new_page()
    axe, english = Axe(), _english_interface_texts()
    problems, untranslated, too_wide = [], [], []
    try:
        page.goto(f"{server.url}/?lang={language}")      # the cookie keeps the language
        for name, url, act in _pages(server, slug, token):
            if name.startswith("organizer") and "/organizer/" not in page.url:
                _log_in(page, server)
            page.goto(server.url + url)
            if act:
                act(page)
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > PHONE["width"]:  # the page scrolls sideways: something sticks out at phone width
                too_wide.append(f"{name}: {width} px")
            results = axe.run(page)
            for violation in results.response["violations"]:
                if violation["impact"] in ("serious", "critical"):
                    targets = [node["target"] for node in violation["nodes"]][:3]
                    problems.append(f"{name}: {violation['id']} ({violation['impact']}) {targets}")
            if language in ("zh", "de"):
                SCREENSHOTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(SCREENSHOTS / f"{language}-{name}.png"), full_page=True)
            if language == "zh":
                visible = page.evaluate(VISIBLE_CHINESE_TEXT)
                for text in english:
                    if re.search(r"(?<![A-Za-z])" + re.escape(text) + r"(?![A-Za-z])", visible):
                        untranslated.append(f"{name}: {text!r}")
    finally:
        context.close()
    assert problems == []
    assert untranslated == []
    assert too_wide == []


def test_the_registrant_page_prints_on_one_page(site, browser):
    server, slug, token = site
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    try:
        page.goto(f"{server.url}/r/{token}")
        pdf = page.pdf(format="A4")
    finally:
        context.close()
    assert len(re.findall(rb"/Type\s*/Page(?!s)", pdf)) == 1
