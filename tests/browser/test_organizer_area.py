"""The organizer area in a real browser (Playwright with Debian's chromium) against gunicorn."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest

from eventsvc.extensions import db
from eventsvc.services.organizers import create_organizer
from tests.factories import make_event, make_registration

pytestmark = pytest.mark.browser

PASSWORD = "a long organizer password"


def test_organizer_logs_in_edits_in_chinese_downloads_and_checks_in(pg_app, start_live_server, page, tmp_path):
    create_organizer("door@oav.example", PASSWORD, "Door Team")
    event = make_event(slug="beijing-browser", capacity=10)
    guest = make_registration(event, family_name="王", given_name="小明", organization="=1+2")
    make_registration(event, family_name="<script>alert(1)</script>", given_name="X")
    db.session.rollback()  # keep no transaction open while the server works
    server = start_live_server(pg_app.config["SQLALCHEMY_DATABASE_URI"], workers=1)
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    # Every organizer page sends a stranger to the login form; logging in leads on.
    page.goto(f"{server.url}/organizer/events")
    assert "/organizer/login" in page.url
    page.fill("input[name=email]", "door@oav.example")
    page.fill("input[name=password]", "wrong password")
    page.click("button[type=submit]")
    assert "The address or the password is wrong." in page.content()
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server.url}/organizer/events")
    assert "beijing-browser" in page.content()

    # Editing the event in Chinese.
    page.goto(f"{server.url}/organizer/events/beijing-browser/edit?lang=zh")
    assert page.get_by_label("标题（中文）").is_visible()
    page.get_by_label("标题（中文）").fill("智慧城市中国·北京发布会")
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(f"{server.url}/organizer/events/beijing-browser")
    assert "智慧城市中国·北京发布会" in page.locator("h1").inner_text()
    assert "活动已保存。" in page.content()

    # The attendee list shows markup as text and runs none of it.
    page.goto(f"{server.url}/organizer/events/beijing-browser/attendees")
    assert "王小明" in page.locator("table").inner_text()
    assert "<script>alert(1)</script>" in page.locator("table").inner_text()
    assert dialogs == []

    # Both exports download; the formula-like organization is neutralised in each.
    with page.expect_download() as csv_download:
        page.get_by_role("link", name="参会者名单（CSV）").first.click()
    csv_path = tmp_path / "list.csv"
    csv_download.value.save_as(csv_path)
    raw = csv_path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][0] == "registration_id" and len(rows) == 3
    assert {row[5] for row in rows[1:]} >= {"'=1+2"}
    with page.expect_download() as xlsx_download:
        page.get_by_role("link", name="参会者名单（Excel）").first.click()
    xlsx_path = tmp_path / "list.xlsx"
    xlsx_download.value.save_as(xlsx_path)
    sheet = openpyxl.load_workbook(xlsx_path).active
    organizations = {sheet.cell(row=r, column=6).value for r in range(2, sheet.max_row + 1)}
    assert "'=1+2" in organizations

    # Check-in at the door, on a phone-sized screen: once, then "already".
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{server.url}/organizer/events/beijing-browser/checkin")
    page.fill("#checkin-code", guest.checkin_code)
    page.get_by_role("button", name="签到").first.click()
    answer = page.locator("[data-outcome]")
    assert answer.get_attribute("data-outcome") == "checked_in"
    assert "签到成功：王小明" in answer.inner_text()
    page.fill("#checkin-code", guest.checkin_code)
    page.get_by_role("button", name="签到").first.click()
    assert page.locator("[data-outcome]").get_attribute("data-outcome") == "already_checked_in"

    # Logging out ends the session.
    page.get_by_role("button", name="退出登录").click()
    page.goto(f"{server.url}/organizer/events")
    assert "/organizer/login" in page.url
