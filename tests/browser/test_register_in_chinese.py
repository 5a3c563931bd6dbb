"""A visitor switches to Chinese with the switcher and registers, in a real browser on gunicorn."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from eventsvc.extensions import db
from eventsvc.models import Registration
from tests.factories import make_event


@pytest.mark.browser
def test_switch_to_chinese_and_register(app, live_server, page):
    event = make_event(title={"en": "Smart City China in Berlin", "zh": "智慧城市中国·柏林",
                              "de": "Smart City China in Berlin"})
    slug = event.slug
    db.session.rollback()  # hold no transaction while the server works (SQLite: the write lock)

    page.goto(f"{live_server.url}/events/{slug}")
    assert page.locator("h1").inner_text() == "Smart City China in Berlin"
    page.get_by_role("link", name="中文").click()
    assert page.locator("h1").inner_text() == "智慧城市中国·柏林"
    page.get_by_role("link", name="立即报名").click()

    # The form is in Chinese, family name first, language preset to the page's.
    assert page.locator("label[for=family_name]").inner_text() == "姓 *"   # required, marked
    labels = page.locator(".name-row label").all_inner_texts()
    assert labels == ["姓 *", "名 *"]
    assert page.locator("select[name=language]").input_value() == "zh"
    page.fill("input[name=email]", "zhang.wei@example.cn")
    page.fill("input[name=family_name]", "张")
    page.fill("input[name=given_name]", "伟")
    page.fill("input[name=organization]", "上海城市规划设计研究院")
    page.check("input[name=privacy_consent]")
    page.get_by_role("button", name="报名").click()

    page.wait_for_url(f"**/events/{slug}/registered")
    assert page.locator("h1").inner_text() == "请查收邮件"
    assert "智慧城市中国·柏林" in page.locator("main").inner_text()

    registration = db.session.scalar(select(Registration).where(Registration.email == "zhang.wei@example.cn"))
    assert registration is not None
    assert (registration.language, registration.family_name, registration.given_name) == ("zh", "张", "伟")
    assert registration.status == "confirmed" and not registration.marketing_consent
    db.session.rollback()
