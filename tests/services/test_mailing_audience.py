"""A batch renders each audience once and fills in each reader: the mail must be the one that
rendering it alone gives, part for part, for every shared kind, language pair and kind of name."""

from __future__ import annotations

import base64
import email
import subprocess
from datetime import datetime, timezone
from email.policy import compat32

import dkim
import pytest
import time_machine

from eventsvc.extensions import db
from eventsvc.models import MailKind, Report
from eventsvc.services.mailing import delivery
from eventsvc.services.mailing.audience import SHARED_KINDS, BatchRenderer
from eventsvc.services.mailing.message import WIRE_POLICY, build_message, flatten, fold_header
from eventsvc.services.mailing.outbox import queue_mail
from eventsvc.services.mailing.render import published_reports, render_mail
from eventsvc.services.mailing.smtp import open_connection
from tests.factories import make_event, make_registration

QUESTIONS = [
    {"key": "dinner", "type": "choice", "required": True, "label": {"en": "Dinner", "zh": "晚宴", "de": "Abendessen"},
     "choices": [{"key": "yes", "label": {"en": "Yes", "zh": "参加", "de": "Ja"}},
                 {"key": "no", "label": {"en": "No", "zh": "不参加", "de": "Nein"}}]},
]
EVENTS = {
    "en/zh in Hamburg": dict(city="Hamburg", country="DE", timezone="Europe/Berlin", languages=["en", "zh"],
                             starts_at=datetime(2030, 3, 14, 17, 0, tzinfo=timezone.utc),
                             ends_at=datetime(2030, 3, 14, 20, 0, tzinfo=timezone.utc)),
    "de/zh in Shanghai": dict(city="Shanghai", country="CN", timezone="Asia/Shanghai", languages=["de", "zh"],
                              starts_at=datetime(2030, 5, 20, 6, 0, tzinfo=timezone.utc),
                              ends_at=datetime(2030, 5, 20, 9, 0, tzinfo=timezone.utc), questions=QUESTIONS,
                              title={"en": "Smart <City> & \"China\"", "zh": "智慧城市中国：上海", "de": "Smart City & Co."}),
}
#: Readers of one audience: a Chinese name, a Latin one, and names that look like markup, like a
#: format string, or like the placeholder the shared text carries.
NAMES = [("王", "丽"), ("Schmidt", "Anna-Lena"), ("<b>O'Brien</b>", "Tom & \"Jerry\""),
         ("\ue000deadbeef:name\ue001", "%(name)s {{ name }}")]
#: What each kind needs to be queued as it would be: dedupe key and payload.
QUEUED_AS = {
    MailKind.REMINDER: ("reminder:P1D", None),
    MailKind.REPORT: ("report:zh", {"language": "zh"}),
    MailKind.EVENT_CHANGED: ("event_changed:1", {"before": {"starts_at": "2030-03-13T17:00:00+00:00",
                                                            "ends_at": "2030-03-13T19:00:00+00:00",
                                                            "venue": {"en": "Old hall", "zh": "旧馆"}}}),
    MailKind.MESSAGE: ("message:1", {"subjects": {"en": "Parking", "zh": "停车", "de": "Parken"},
                                     "bodies": {"en": "Park at **gate 3**: <https://example.com/map>\n\n- one\n- two",
                                                "zh": "请在**3号门**停车。", "de": "Parken Sie an **Tor 3**."}}),
}


def _parts(raw: bytes) -> list:
    """Every part of the message: its headers (the MIME boundary left out) and decoded body."""
    message = email.message_from_bytes(raw, policy=compat32)
    parts = []
    for part in message.walk():
        headers = []
        for name, value in part.items():
            if name.lower() == "content-type":
                value = part.get_content_type() + "".join(
                    f";{k}={v}" for k, v in part.get_params()[1:] if k != "boundary")
            headers.append((name, str(value)))
        body = None if part.is_multipart() else part.get_payload(decode=True)
        parts.append((headers, body))
    return parts


def _queue(registrations, kind):
    mails = []
    for registration in registrations:
        if kind == MailKind.CONFIRMATION:
            mails.append(registration.mails.filter_by(kind=kind).one())
            continue
        dedupe_key, payload = QUEUED_AS.get(kind, (str(kind), None))
        mails.append(queue_mail(registration, kind, dedupe_key, payload))
    db.session.commit()
    for mail in mails:
        mail.message_id = f"<outbox-{mail.id}.test@events.test>"
    return mails


@pytest.mark.parametrize("where", list(EVENTS))
@pytest.mark.parametrize("kind", sorted(SHARED_KINDS - {MailKind.WAITLISTED}))
def test_a_batch_gives_every_reader_the_mail_rendering_it_alone_gives(app, kind, where):
    db.session.add(Report(language="zh", title="智慧城市中国：中国城市的未来", url="https://oav.example/zh.pdf"))
    event = make_event(**EVENTS[where])
    readers = [make_registration(event, language=language, family_name=family, given_name=given,
                                 answers={"dinner": "yes"} if event.questions else {})
               for language in ("en", "zh", "de") for family, given in NAMES]
    mails = _queue(readers, kind)

    with time_machine.travel(datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc), tick=False):
        renderer = BatchRenderer(published_reports())
        batch = [renderer.wire(mail).data for mail in mails]
        alone = [flatten(build_message(render_mail(mail), mail.message_id)) for mail in mails]

    assert renderer.audience_count == 3  # one per reader's language, whatever the names
    for mail, new, old in zip(mails, batch, alone):
        assert _parts(new) == _parts(old), (mail.registration.family_name, mail.registration.language)
    assert all(max(len(line) for line in raw.split(b"\r\n")) <= 998 for raw in batch)  # what SMTP allows


def test_the_waiting_list_place_is_each_readers_own(app):
    event = make_event(capacity=1, **EVENTS["en/zh in Hamburg"])
    make_registration(event)
    readers = [make_registration(event, language=language, family_name=family, given_name=given)
               for language in ("en", "zh") for family, given in NAMES[:2]]
    mails = [reader.mails.filter_by(kind=MailKind.WAITLISTED).one() for reader in readers]
    for mail in mails:
        mail.message_id = f"<outbox-{mail.id}.test@events.test>"
    with time_machine.travel(datetime(2030, 1, 2, tzinfo=timezone.utc), tick=False):
        renderer = BatchRenderer(published_reports())
        batch = [renderer.wire(mail).data for mail in mails]
        alone = [flatten(build_message(render_mail(mail), mail.message_id)) for mail in mails]
    for new, old in zip(batch, alone):
        assert _parts(new) == _parts(old)
    texts = [email.message_from_bytes(raw).get_payload()[0].get_payload(decode=True).decode() for raw in batch]
    assert [("Your place in line: %d" % n) in text for n, text in zip((1, 2), texts[:2])] == [True, True]


def test_kinds_outside_the_shared_list_render_each_reader_alone(app):
    event = make_event()
    reader = make_registration(event, given_name="Li")
    [mail] = _queue([reader], MailKind.ALREADY_REGISTERED)
    renderer = BatchRenderer(published_reports())
    with time_machine.travel(datetime(2030, 1, 2, tzinfo=timezone.utc), tick=False):
        assert _parts(renderer.wire(mail).data) == _parts(flatten(build_message(render_mail(mail), mail.message_id)))
    assert renderer.audience_count == 0


def _texts(raw: bytes) -> str:
    """The decoded text parts of a mail, one after the other."""
    return "".join(part.get_payload(decode=True).decode() for part in email.message_from_bytes(raw).walk()
                   if part.get_content_type() == "text/plain")


def test_a_renderer_kept_for_the_next_batch_never_serves_words_older_than_that_batch_read(app):
    event = make_event(**EVENTS["en/zh in Hamburg"])
    readers = [make_registration(event, language="en", family_name=family, given_name=given)
               for family, given in NAMES[:3]]
    confirmations = _queue(readers, MailKind.CONFIRMATION)
    messages = _queue(readers, MailKind.MESSAGE)
    renderer = BatchRenderer(published_reports())

    def check(mail) -> bytes:
        with time_machine.travel(datetime(2030, 1, 2, tzinfo=timezone.utc), tick=False):
            new = renderer.wire(mail).data
            assert _parts(new) == _parts(flatten(build_message(render_mail(mail), mail.message_id)))
        return new

    check(confirmations[0]), check(messages[0])
    assert renderer.audience_count == 2
    # The next batch, nothing changed: the confirmation's audience is kept (each reader still gets
    # their own name and links); the message's words read another row, so they are rendered again.
    renderer.next_batch(published_reports())
    assert renderer.audience_count == 1
    check(confirmations[1]), check(messages[1])
    assert renderer.audience_count == 2

    # The event is edited between two batches: the next batch renders its new words.
    event.title = {**event.title, "en": "Smart City China: the new title"}
    db.session.commit()
    renderer.next_batch(published_reports())
    assert "Smart City China: the new title" in _texts(check(confirmations[2]))
    assert renderer.audience_count == 2
    # An audience the batch did not use is not kept for the next (only the new title's is).
    renderer.next_batch(published_reports())
    assert renderer.audience_count == 1

    # A new report edition: every audience goes.
    db.session.add(Report(language="zh", title="智慧城市中国", url="https://oav.example/zh-new.pdf"))
    db.session.commit()
    renderer.next_batch(published_reports())
    assert renderer.audience_count == 0
    assert "/reports/zh" in _texts(check(confirmations[0]))


def test_a_mail_from_a_batch_is_dkim_signed_and_verifies(app, tmp_path):
    key = tmp_path / "dkim.pem"
    subprocess.run(["openssl", "genrsa", "-out", str(key), "1024"], check=True, capture_output=True)
    public = subprocess.run(["openssl", "rsa", "-in", str(key), "-pubout", "-outform", "DER"],
                            check=True, capture_output=True).stdout
    app.config.update(DKIM_DOMAIN="events.test", DKIM_SELECTOR="s1", DKIM_PRIVATE_KEY_FILE=str(key))
    app.extensions["eventsvc.delivery"] = delivery.load(app)
    event = make_event()
    mails = _queue([make_registration(event, family_name="王", given_name="丽") for _ in range(2)],
                   MailKind.REMINDER)
    renderer = BatchRenderer(published_reports())
    record = b"v=DKIM1; k=rsa; p=" + base64.b64encode(public)
    for mail in mails:
        signed = open_connection(None).signed(renderer.wire(mail).data)
        assert dkim.verify(signed, dnsfunc=lambda name, timeout=5: record)


def _spam_verdict(raw: bytes) -> tuple[str, list[str]]:
    """SpamAssassin's score and rules for a mail (local rules only: no network, no Bayes)."""
    checked = subprocess.run(["spamassassin", "-L", "-t", "--cf=use_bayes 0"], input=raw, check=True,
                             capture_output=True, timeout=120).stdout
    status = " ".join(str(email.message_from_bytes(checked)["X-Spam-Status"]).split())
    score = status.split("score=", 1)[1].split()[0]
    rules = status.split("tests=", 1)[1].split(" autolearn=", 1)[0].replace(" ", "") if "tests=" in status else ""
    return score, sorted(rules.split(","))


@pytest.mark.parametrize("kind", [MailKind.CONFIRMATION, MailKind.REMINDER])
def test_spamassassin_scores_a_batch_mail_as_the_mail_rendered_alone(app, kind):
    event = make_event(**EVENTS["en/zh in Hamburg"])
    readers = [make_registration(event, language="zh", family_name="王", given_name="丽"),
               make_registration(event, language="en", family_name="Schmidt", given_name="Anna-Lena")]
    mails = _queue(readers, kind)
    with time_machine.travel(datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc), tick=False):
        renderer = BatchRenderer(published_reports())
        batch = [renderer.wire(mail).data for mail in mails]
        alone = [flatten(build_message(render_mail(mail), mail.message_id)) for mail in mails]
    for new, old in zip(batch, alone):
        verdict = _spam_verdict(new)
        assert verdict == _spam_verdict(old)
        assert float(verdict[0]) < 5.0, verdict  # well under SpamAssassin's threshold


@pytest.mark.parametrize("value", [
    "", "Mon, 02 Jan 2030 03:04:05 +0000", "<outbox-42.0123456789abcdef@events.test>", "<checkin-42@events.test>",
    "=?utf-8?b?546L5Li9?= <li.wang@example.cn>", "\"O'Brien, Tom\" <tom@example.com>", " leading blank",
    "trailing blank ", "trailing tab\t", "two  blanks\tand a tab", "x" * 72, "x" * 73, "x" * 90,
    "<https://events.test/unsubscribe/" + "A" * 43 + ">", "a; b, c;d,e", "Anna Schmidt <anna@example.com>",
    "王丽 <li@example.cn>", "Zoë <zoe@example.de>",
])
def test_a_readers_header_is_folded_as_the_email_policy_folds_it(value):
    for name in ("To", "Date", "Message-ID", "List-Unsubscribe", "Content-ID"):
        assert fold_header(name, value) == WIRE_POLICY.fold_binary(name, value), (name, value)
