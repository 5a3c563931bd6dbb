"""What the mails say and how they are built: languages, names, times, headers, MIME."""

from __future__ import annotations

import email
import io
import json
import random
import re
import shutil
import subprocess
from datetime import datetime, timezone
from email import policy
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from eventsvc.extensions import db
from eventsvc.models import MailKind
from eventsvc.services.mailing.outbox import queue_mail
from eventsvc.services.mailing.message import build_message
from eventsvc.services.mailing.render import render_mail
from eventsvc.services.mailing.retry import nominal_schedule, retry_delay
from tests.factories import make_event, make_registration
from tests.fixtures.mail import calendar_part, html_body, text_body
from tests.fixtures.services import IN_CI

HAMBURG = dict(slug="hamburg", city="Hamburg", country="DE", timezone="Europe/Berlin",
               starts_at=datetime(2030, 3, 14, 17, 0, tzinfo=timezone.utc),
               ends_at=datetime(2030, 3, 14, 20, 0, tzinfo=timezone.utc))
SHANGHAI = dict(slug="shanghai", city="Shanghai", country="CN", timezone="Asia/Shanghai",
                starts_at=datetime(2030, 5, 20, 6, 0, tzinfo=timezone.utc),
                ends_at=datetime(2030, 5, 20, 9, 0, tzinfo=timezone.utc),
                languages=["de", "zh"])


def sent_form(registration, kind="confirmation"):
    """The message as the SMTP server would receive it, parsed back."""
    mail = registration.mails.filter_by(kind=kind).one()
    message = build_message(render_mail(mail), "<outbox-1.test@events.test>")
    raw = message.as_bytes(policy=message.policy.clone(linesep="\r\n"))  # as smtplib sends it
    return raw, email.message_from_bytes(raw, policy=policy.default)


@pytest.mark.parametrize("language, first, second", [
    ("en", "Dear Li Wang,", "尊敬的Li Wang："),
    ("zh", "尊敬的Li Wang：", "Dear Li Wang,"),
    ("de", "Guten Tag Li Wang,", "Dear Li Wang,"),
])
def test_the_readers_language_comes_first_then_the_other_of_the_pair(app, language, first, second):
    registration = make_registration(make_event(**HAMBURG), language=language)
    _, message = sent_form(registration)
    body = text_body(message)
    assert first in body and second in body
    assert body.index(first) < body.index(second)
    assert " | " in message["Subject"]


def test_a_chinese_reader_of_a_hamburg_event_also_sees_beijing_time(app):
    registration = make_registration(make_event(**HAMBURG), language="zh", family_name="王", given_name="丽")
    _, message = sent_form(registration)
    body = text_body(message)
    assert "尊敬的王丽：" in body
    assert "2030年3月14日" in body and "18:00–21:00" in body    # Hamburg, CET
    assert "时间：2030年3月14日星期四 18:00–21:00（德国时间）" in body
    assert "北京时间：2030年3月15日星期五 01:00–04:00\n" in body      # Beijing, the next day
    assert "Thursday, March 14, 2030" in body                     # the English half


def test_a_german_reader_of_a_shanghai_event_reads_formal_german_and_german_time(app):
    registration = make_registration(make_event(**SHANGHAI), language="de",
                                     family_name="Schmidt", given_name="Anna")
    _, message = sent_form(registration)
    body = text_body(message)
    assert body.startswith("Guten Tag Anna Schmidt,")
    assert "Ihr Platz ist bestätigt" in body
    assert "Wann: Montag, 20. Mai 2030, 14:00–17:00 Uhr (chinesische Zeit)" in body
    assert "Deutsche Zeit: Montag, 20. Mai 2030, 08:00–11:00 Uhr\n" in body
    assert "尊敬的Anna Schmidt：" in body                           # a Latin name keeps its order in Chinese
    assert message["Subject"].startswith("Anmeldung bestätigt:")


ASCII_NEXT_TO_CHINESE = re.compile(r"[\u4e00-\u9fff][ ]?[:,;()]|[(][\u4e00-\u9fff]")


@pytest.mark.parametrize("kind", ["confirmation", "event_changed"])
def test_chinese_text_takes_full_width_punctuation_and_names_the_zone_once(app, kind):
    event = make_event(**HAMBURG, venue={"en": "Chamber\nAdolphsplatz 1", "zh": "汉堡商会\n阿道夫广场1号"})
    registration = make_registration(event, language="zh", family_name="王", given_name="丽")
    if kind == "event_changed":
        queue_mail(registration, MailKind.EVENT_CHANGED, payload={"before": {"starts_at": "2030-03-14T16:00:00+00:00"}})
        db.session.commit()
    _, message = sent_form(registration, kind)
    chinese = text_body(message).split("-" * 60)[0]
    assert [line for line in chinese.splitlines() if ASCII_NEXT_TO_CHINESE.search(line)] == []
    assert "地点：汉堡商会，阿道夫广场1号" in chinese
    assert "）（" not in chinese and "))" not in chinese
    chinese_html = html_body(message).split("<hr")[0]
    assert "<strong>时间：</strong>2030年3月14日星期四" in chinese_html


def test_names_and_titles_cannot_inject_headers(app):
    event = make_event(title={"en": "Launch\r\nBcc: victim@example.com", "zh": "发布会"})
    registration = make_registration(event, given_name="Eve\r\nBcc: x@example.com", family_name="Smith\n")
    raw, message = sent_form(registration)
    assert message["Bcc"] is None
    assert "Launch Bcc: victim@example.com" in message["Subject"]
    assert "Eve Bcc: x@example.com Smith" in str(message["To"])
    headers = raw.split(b"\r\n\r\n", 1)[0]
    assert b"\nBcc:" not in headers


def test_no_line_is_longer_than_smtp_allows_and_html_is_many_lines(app):
    event = make_event(venue={"en": "Hall " * 400, "zh": "大厅" * 400})
    _, message = sent_form(make_registration(event))
    raw, _ = sent_form(event.registrations.first())
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998
    assert html_body(message).count("\n") > 20


def test_the_confirmation_carries_the_qr_code_inline_and_no_remote_images(app):
    registration = make_registration(make_event())
    _, message = sent_form(registration)
    html = html_body(message)
    [image] = [part for part in message.walk() if part.get_content_type() == "image/png"]
    assert image.get_content().startswith(b"\x89PNG")
    cid = image["Content-ID"].strip("<>")
    assert f'src="cid:{cid}"' in html
    assert "http" not in "".join(part for part in html.split("src=")[1:] if part.startswith('"http'))
    assert "Microsoft YaHei" in html and "PingFang SC" in html


def test_reminders_can_be_unsubscribed_with_one_click_and_confirmations_cannot(app):
    from eventsvc.services.mailing.outbox import queue_mail

    registration = make_registration(make_event())
    queue_mail(registration, "reminder", "reminder:P1D")
    db.session.commit()
    _, reminder = sent_form(registration, "reminder")
    assert reminder["List-Unsubscribe"].strip() == f"<http://events.test/unsubscribe/{registration.unsubscribe_token}>"
    # Mail providers read this header: no token that can cancel or show the registration goes in it.
    assert registration.manage_token not in reminder["List-Unsubscribe"]
    assert reminder["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    _, confirmation = sent_form(registration)
    assert confirmation["List-Unsubscribe"] is None


#: The sentence that says what each kind of mail is about, as a reader of each language reads
#: it (the zh and de texts are those of the mail catalogs).
LEAD_SENTENCES = {
    "confirmation": {"en": "Thank you for registering. Your seat is confirmed.",
                     "zh": "感谢您的报名，您的席位已确认。",
                     "de": "vielen Dank für Ihre Anmeldung. Ihr Platz ist bestätigt."},
    "already_registered": {"en": "This address is already registered for this event.",
                           "zh": "该邮箱地址已报名本活动，无需重复报名。",
                           "de": "diese Adresse ist für diese Veranstaltung bereits angemeldet."},
    "waitlisted": {"en": "The event is fully booked, so you do not have a seat yet.",
                   "zh": "本活动名额已满，您目前尚无席位，已被列入候补名单。",
                   "de": "die Veranstaltung ist ausgebucht, daher haben Sie noch keinen Platz."},
    "promoted": {"en": "Good news: a seat has become free and it is yours.",
                 "zh": "好消息：有席位空出，已为您保留。",
                 "de": "gute Nachrichten: Ein Platz ist frei geworden, und er gehört Ihnen."},
    "cancelled": {"en": "Your registration has been cancelled as you requested.",
                  "zh": "您的报名已按您的要求取消。",
                  "de": "Ihre Anmeldung wurde wie gewünscht storniert."},
    "reminder": {"en": "We look forward to welcoming you soon:",
                 "zh": "我们期待您的光临：",
                 "de": "wir freuen uns, Sie bald begrüßen zu dürfen:"},
    "report": {"en": "A new edition of the report is available:",
               "zh": "报告新版本现已发布：",
               "de": "eine neue Ausgabe der Studie ist erschienen:"},
    "event_changed": {"en": "The details of the event you registered for have changed:",
                      "zh": "您报名的活动信息有所变更：",
                      "de": "bei der Veranstaltung, zu der Sie angemeldet sind, hat sich Folgendes geändert:"},
    "event_cancelled": {"en": "We regret to inform you that this event has been cancelled.",
                        "zh": "很遗憾地通知您，本活动已取消，您的报名随之失效。",
                        "de": "leider müssen wir Ihnen mitteilen, dass diese Veranstaltung abgesagt wurde."},
}
#: How each kind's subject begins in each language; the event's (or report's) title follows.
SUBJECT_OPENINGS = {
    "confirmation": {"en": "Registration confirmed: ", "zh": "报名确认：", "de": "Anmeldung bestätigt: "},
    "already_registered": {"en": "You are already registered: ", "zh": "您已报名：",
                           "de": "Sie sind bereits angemeldet: "},
    "waitlisted": {"en": "Waiting list: ", "zh": "候补名单：", "de": "Warteliste: "},
    "promoted": {"en": "You have a seat: ", "zh": "您已获得席位：", "de": "Ihr Platz ist frei geworden: "},
    "cancelled": {"en": "Registration cancelled: ", "zh": "报名已取消：", "de": "Anmeldung storniert: "},
    "reminder": {"en": "Reminder: ", "zh": "活动提醒：", "de": "Erinnerung: "},
    "report": {"en": "The report is available: ", "zh": "报告已发布：", "de": "Die Studie ist erschienen: "},
    "event_changed": {"en": "Changed: ", "zh": "活动变更：", "de": "Geändert: "},
    "event_cancelled": {"en": "Event cancelled: ", "zh": "活动取消：", "de": "Veranstaltung abgesagt: "},
}
GREETINGS = {"en": "Dear Li Wang,", "zh": "尊敬的Li Wang：", "de": "Guten Tag Li Wang,"}
#: What each kind needs to render as it would be sent: dedupe key and payload.
QUEUED_AS = {
    "reminder": ("reminder:P1D", None),
    "report": ("report:zh", {"language": "zh"}),
    "event_changed": ("event_changed", {"before": {"venue": {"en": "Old hall"}}}),
}
REPORT_TITLE = "智慧城市中国：中国城市的未来"


@pytest.mark.parametrize("kind", list(LEAD_SENTENCES))
@pytest.mark.parametrize("language, pair", [("en", ("en", "zh")), ("zh", ("zh", "en")), ("de", ("de", "en"))],
                         ids=["en", "zh", "de"])
def test_every_kind_is_written_in_the_readers_language_then_the_other(app, kind, language, pair):
    """No language falls back to English: each half says the kind's own words in its language.

    An en/zh event: the English reader gets English then Chinese, the Chinese reader Chinese then
    English, the German reader German then English (and no Chinese).
    """
    from eventsvc.models import Report
    from eventsvc.services.mailing.outbox import queue_mail

    db.session.add(Report(language="zh", title=REPORT_TITLE, url="https://oav.example/zh.pdf"))
    event = make_event()
    registration = make_registration(event, language=language, family_name="Wang", given_name="Li")
    if kind != "confirmation":  # the registration brought its confirmation already
        dedupe_key, payload = QUEUED_AS.get(kind, (kind, None))
        queue_mail(registration, kind, dedupe_key, payload)
        db.session.commit()

    _, message = sent_form(registration, kind)

    first, second = pair
    [absent] = {"en", "zh", "de"} - set(pair)
    title = {lang: REPORT_TITLE if kind == "report" else event.title[lang] for lang in pair}
    assert message["Subject"] == (f"{SUBJECT_OPENINGS[kind][first]}{title[first]} | "
                                  f"{SUBJECT_OPENINGS[kind][second]}{title[second]}")
    for part in (text_body(message), html_body(message)):
        for words in (GREETINGS, LEAD_SENTENCES[kind]):
            assert part.count(words[first]) == 1 and part.count(words[second]) == 1
            assert part.index(words[first]) < part.index(words[second])
            assert words[absent] not in part
        if kind not in {"cancelled", "event_cancelled"}:
            assert f"http://events.test/r/{registration.manage_token}" in part


def test_waitlisted_mail_says_plainly_there_is_no_seat_yet(app):
    event = make_event(capacity=1)
    make_registration(event)
    waiting = make_registration(event, language="de")
    _, message = sent_form(waiting, "waitlisted")
    body = text_body(message)
    assert "noch keinen Platz" in body and "Ihr Platz auf der Warteliste: 1" in body
    assert "do not have a seat yet" in body
    assert calendar_part(message) is None


def test_backoff_doubles_with_jitter_and_spans_more_than_an_hour():
    assert nominal_schedule(8, 60) == [60, 120, 240, 480, 960, 1800, 1800]
    rng = random.Random(1)
    assert sum(0.75 * delay for delay in nominal_schedule(8, 60)) > 3600  # even with the least jitter
    delays = [retry_delay(1, 60, rng) for _ in range(50)]
    assert min(delays) >= 45 and max(delays) <= 75 and len(set(delays)) > 1


#: The door app's own decoder (jsQR, served from static/vendor), run by node on a picture's RGBA
#: pixels: what a phone without BarcodeDetector reads at the door.
JSQR = """
const fs = require("fs");
const root = { exports: {} };
new Function("module", "exports", fs.readFileSync(process.argv[1], "utf8"))(root, root.exports);
const jsQR = root.exports.default || root.exports;
const { width, height } = JSON.parse(process.argv[2]);
const found = jsQR(new Uint8ClampedArray(fs.readFileSync(0)), width, height);
process.stdout.write(found ? found.data : "");
"""


def _jsqr(picture) -> str:
    node = shutil.which("node")
    if node is None:
        if IN_CI:
            pytest.fail("node is required to read the QR code as the door app does (CI=true)")
        pytest.skip("node is not installed")
    rgba = picture.convert("RGBA")
    script = Path(__file__).resolve().parents[2] / "eventsvc/static/vendor/jsqr-1.4.0/jsQR.js"
    return subprocess.run([node, "-e", JSQR, str(script), json.dumps({"width": rgba.width, "height": rgba.height})],
                          input=rgba.tobytes(), capture_output=True, check=True, timeout=60).stdout.decode()


def test_the_qr_code_in_the_confirmation_scans_as_the_check_in_code(app):
    """What the scanners at the door read: zxing-cpp (as a hand scanner's firmware would), and
    jsQR, the door app's decoder, which shares no code with zxing-cpp that drew the code."""
    registration = make_registration(make_event())
    _, message = sent_form(registration)
    [image] = [part for part in message.walk() if part.get_content_type() == "image/png"]
    picture = Image.open(io.BytesIO(image.get_content()))
    assert 120 <= picture.width <= 200 and picture.width == picture.height
    [code] = zxingcpp.read_barcodes(picture)
    assert code.text == registration.checkin_code
    assert _jsqr(picture) == registration.checkin_code


def test_a_mail_carries_the_qr_code_once(app):
    registration = make_registration(make_event(**HAMBURG), language="zh")
    _, message = sent_form(registration)
    html = html_body(message)
    assert html.count('src="cid:') == 1
    assert html.index('src="cid:') < html.index("<hr")          # in the reader's own language


def test_the_subject_puts_the_readers_language_first_and_fits_a_phone(app):
    long_title = {"en": "Smart City China: China's Urban Future – the report's launch in Hamburg with guests",
                  "zh": "智慧城市中国：中国城市的未来——报告在汉堡发布，并邀请多位嘉宾参加圆桌讨论",
                  "de": "Smart City China: Chinas urbane Zukunft – Vorstellung des Berichts in Hamburg mit Gästen"}
    for language, opening in (("zh", "报名确认："), ("de", "Anmeldung bestätigt: "), ("en", "Registration confirmed: ")):
        registration = make_registration(make_event(**dict(HAMBURG, slug=f"long-{language}"), title=long_title),
                                         language=language)
        subject = render_mail(registration.mails.one()).subject
        first = subject.split(" | ")[0]
        assert first.startswith(opening) and first.endswith("…")
        wide = sum(2 if "\u2e80" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef" else 1 for ch in first)
        assert wide <= 60
