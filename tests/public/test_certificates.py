"""Certificates of attendance: the text read back with pdftotext in both languages, and the QR
code decoded (pdftoppm, then zxing-cpp) to a verification page that confirms name, event and date."""

from __future__ import annotations

import subprocess
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

import zxingcpp
from PIL import Image

from eventsvc.extensions import db
from eventsvc.models.types import utcnow
from tests.factories import make_event, make_registration


def _pdftotext(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "certificate.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout


def _qr_codes(pdf: bytes, tmp_path) -> list[str]:
    path = tmp_path / "qr.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "150", "-png", str(path), str(tmp_path / "page")], check=True)
    found = []
    for page in sorted(tmp_path.glob("page*.png")):
        found += [result.text for result in zxingcpp.read_barcodes(Image.open(page))]
    return found


def _launch():
    """The Hamburg launch, with a Chinese and a German guest checked in and one who did not come."""
    event = make_event(slug="hamburg-launch", city="Hamburg", languages=["en", "zh"],
                       title={"en": "Smart City China: the launch", "zh": "智慧城市中国报告发布会",
                              "de": "Smart City China: die Vorstellung"})
    li = make_registration(event, email="li@example.cn", family_name="王", given_name="丽", language="zh",
                           organization="上海城市规划设计研究院")
    anna = make_registration(event, email="anna@example.de", family_name="Schmidt", given_name="Anna",
                             language="de")
    away = make_registration(event, email="away@example.com")
    li.checked_in_at = anna.checked_in_at = utcnow()
    start = datetime(2019, 3, 14, 17, 0, tzinfo=timezone.utc)
    event.starts_at, event.ends_at = start, start + timedelta(hours=3)
    db.session.commit()
    return event, li, anna, away


def test_a_guests_certificate_names_them_in_both_languages_and_its_qr_code_verifies_it(app, client, tmp_path):
    event, li, anna, _away = _launch()
    response = client.get(f"/r/{li.manage_token}/certificate.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = _pdftotext(response.data, tmp_path)
    assert "参会证明" in text and "Certificate of attendance" in text
    flat = "".join(text.split())
    assert "兹证明王丽于2019年3月14日在汉堡参加了“智慧城市中国报告发布会”。" in flat
    assert "ThisistocertifythatWangLi" not in flat and "王丽attendedtheevent“SmartCityChina:thelaunch”" in flat
    assert "inHamburgonMarch14,2019" in flat
    assert "德国亚太经济协会" in flat and "German Asia-Pacific Business Association" in text
    assert "上海城市规划设计研究院" not in flat  # the organization the guest works for is not the issuer

    [code] = _qr_codes(response.data, tmp_path)
    assert code.startswith("http://events.test/certificates/") and code in text.replace("\n", "")
    db.session.refresh(li)
    assert code.endswith(li.certificate_id)
    page = client.get(urlsplit(code).path + "?lang=de")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "王丽" in html and "Smart City China: die Vorstellung" in html and "14. März 2019" in html
    assert "li@example.cn" not in html and "上海城市规划设计研究院" not in html

    german = _pdftotext(client.get(f"/r/{anna.manage_token}/certificate.pdf").data, tmp_path)
    assert german.index("Teilnahmebestätigung") < german.index("Certificate of attendance")
    flat = "".join(german.split())
    assert "Anna Schmidt" in german and "HiermitwirdbestätigtdassAnnaSchmidt" in flat.replace(",", "")
    db.session.refresh(anna)
    assert anna.certificate_id != li.certificate_id
    assert client.get("/certificates/not-a-certificate").status_code == 404


def test_no_certificate_before_the_end_or_without_check_in_with_a_page_in_the_readers_language(app, client):
    event, li, _anna, away = _launch()
    refused = client.get(f"/r/{away.manage_token}/certificate.pdf")
    assert refused.status_code == 404
    assert "checked in" in refused.get_data(as_text=True)
    event.ends_at = utcnow() + timedelta(hours=1)
    event.starts_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    early = client.get(f"/r/{li.manage_token}/certificate.pdf")
    assert early.status_code == 404
    assert "活动结束后" in early.get_data(as_text=True)
    db.session.refresh(li)
    assert li.certificate_id is None  # nothing issued, nothing stored


def test_the_registrants_page_links_the_certificate_and_erasure_withdraws_it(app, client):
    _event, li, _anna, _away = _launch()
    page = client.get(f"/r/{li.manage_token}?lang=en").get_data(as_text=True)
    assert f"/r/{li.manage_token}/certificate.pdf" in page
    client.get(f"/r/{li.manage_token}/certificate.pdf")
    db.session.refresh(li)
    verification = f"/certificates/{li.certificate_id}"
    assert client.get(verification).status_code == 200
    client.post(f"/r/{li.manage_token}/erase")
    assert client.get(verification).status_code == 404
