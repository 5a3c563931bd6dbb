"""An organizer writes a message in Chinese in a real browser and previews it as an attendee."""

from __future__ import annotations

import pytest

from eventsvc.extensions import db
from eventsvc.services.organizers import create_organizer
from tests.factories import make_event, make_registration

pytestmark = pytest.mark.browser

PASSWORD = "a long organizer password"


def test_an_organizer_writes_a_message_in_chinese_and_previews_it(pg_app, start_live_server, page):
    create_organizer("ada@oav.example", PASSWORD, "Ada")
    event = make_event(slug="shanghai-browser", languages=["zh", "en"])
    make_registration(event, family_name="王", given_name="丽", language="zh", email="wang@example.cn")
    db.session.rollback()
    server = start_live_server(pg_app.config["SQLALCHEMY_DATABASE_URI"], workers=1)
    page.goto(f"{server.url}/organizer/login?lang=zh")
    page.fill("input[name=email]", "ada@oav.example")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server.url}/organizer/events")

    page.goto(f"{server.url}/organizer/events/shanghai-browser/messages")
    page.get_by_label("主题（中文）").fill("入口已变更")
    page.get_by_label("正文（中文）").fill("请从**北门**进入。")
    page.get_by_label("主题（英文）").fill("The entrance has moved")
    page.get_by_label("正文（英文）").fill("Please use the **north entrance**.")
    page.get_by_role("button", name="预览").click()
    preview = page.frame_locator("iframe.mail-preview")
    assert "北门" in preview.locator("strong").first.inner_text()
    assert "尊敬的" in preview.locator("body").inner_text()
    assert "入口已变更 | The entrance has moved" in page.content()
    page.get_by_role("button", name="发送给 1 人").click()
    page.wait_for_url(f"{server.url}/organizer/events/shanghai-browser/messages")
    assert "消息正在发送给 1 人。" in page.content()
    assert "入口已变更" in page.locator("table").inner_text()
