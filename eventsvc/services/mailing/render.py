"""Turning an outbox row into a bilingual message: subject, text, HTML, calendar file, QR code.

Each mail carries two languages: the registrant's first, then the first language of the event's
pair that differs (docs/architecture.md, "Bilingual mail"). Each language's part is rendered from
``templates/email/<kind>.txt`` and ``.html`` under Flask-Babel's ``force_locale``; the layouts put
the parts one after the other. Links are absolute, built from ``BASE_URL`` (there is no request).
"""

from __future__ import annotations

import functools
import struct
import unicodedata
import zlib
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

from markupsafe import Markup

from flask import current_app, render_template
from flask_babel import force_locale, gettext, lazy_gettext as _l
from sqlalchemy import select

from ...extensions import db
from ...models import Event, FollowUpConsent, MailKind, Message, OutboundMail, Registration, Report
from ..calendar import build_ics
from ..local_time import format_when, other_side_zone, zone_label
from ..names import full_name
from ..organization import organization
from ..seats import waitlist_position
from ..series import next_events

#: What each mail is called in its subject; ``{title}`` is the event's title.
SUBJECTS = {
    "confirmation": _l("Registration confirmed: %(title)s"),
    "already_registered": _l("You are already registered: %(title)s"),
    "waitlisted": _l("Waiting list: %(title)s"),
    "promoted": _l("You have a seat: %(title)s"),
    "cancelled": _l("Registration cancelled: %(title)s"),
    "reminder": _l("Reminder: %(title)s"),
    "report": _l("The report is available: %(title)s"),
    "event_changed": _l("Changed: %(title)s"),
    "event_cancelled": _l("Event cancelled: %(title)s"),
    "consent": _l("Please confirm: news of follow-up events"),
    "invitation": _l("Invitation: %(title)s"),
    "erased": _l("Your data is erased: %(title)s"),
    "thank_you": _l("Thank you for coming: %(title)s"),
    "missed_you": _l("Sorry we missed you: %(title)s"),
}
#: Columns one language's subject may take, so that a phone shows it before the second language.
SUBJECT_COLUMNS = 60
#: Mails that put the event in the reader's calendar (or update it there).
ICS_REQUEST_KINDS = {MailKind.CONFIRMATION, MailKind.PROMOTED, MailKind.REMINDER, MailKind.EVENT_CHANGED}
#: Mails that take it out again.
ICS_CANCEL_KINDS = {MailKind.CANCELLED, MailKind.EVENT_CANCELLED}
#: Mails that carry the check-in QR code: the ones that give a seat.
QR_KINDS = {MailKind.CONFIRMATION, MailKind.PROMOTED}
#: Mails a registrant may opt out of (RFC 8058 one-click); the rest are transactional.
UNSUBSCRIBABLE_KINDS = {MailKind.REMINDER, MailKind.REPORT, MailKind.MISSED_YOU}
#: The mails after the event (services/aftercare.py).
FOLLOW_UP_KINDS = {MailKind.THANK_YOU, MailKind.MISSED_YOU}

#: What follows a label ("When: …"): Chinese text takes the full-width colon, with no space.
COLONS = {"zh": "："}


@dataclass
class RenderedMail:
    """Everything the sender needs to build the MIME message."""

    subject: str
    text: str
    html: str
    to_name: str
    to_address: str
    ics: bytes | None = None
    ics_method: str | None = None
    qr_png: bytes | None = None
    qr_cid: str | None = None
    unsubscribe_url: str | None = None
    languages: list[str] = field(default_factory=list)


@functools.cache
def _markdown():
    """CommonMark for organizers' messages, raw HTML off: any HTML in the text shows as text.
    Imported on first use: markdown-it's presets cost a process a quarter of a second of start."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False})


def message_html(text: str) -> Markup:
    """An organizer's text (plain or Markdown) as HTML: paragraphs, lists and links kept."""
    return Markup(_markdown().render(text))


def _in_language(texts: dict, language: str) -> str:
    return texts.get(language) or texts.get("en") or next(iter(texts.values()), "")


def one_line(value: str) -> str:
    """User data bound for a header: every run of whitespace (CR and LF too) becomes one space."""
    return " ".join(str(value).split())


def mail_languages(registration: Registration, event: Event) -> list[str]:
    """The reader's language, then the first of the event's pair that differs from it."""
    first = registration.language
    pair = event.languages or ["en"]
    second = next((language for language in pair if language != first), None)
    return [first, second] if second else [first]


def other_side_time(event: Event, language: str) -> tuple[str, str] | None:
    """``(zone label, time)`` where the reader's side of the report lives, when it differs:
    ``("北京时间", "2030年3月15日星期五 01:00–04:00")``. The label names the zone, so the time
    does not name it again."""
    zone = other_side_zone(language, event.country)
    if zone is None:
        return None
    return zone_label(zone), format_when(event.starts_at, event.ends_at, zone, with_zone=False)


def _links(event: Event) -> dict:
    """The links every reader of a mail about ``event`` shares."""
    base_url = current_app.config["BASE_URL"]
    return {
        "event_url": f"{base_url}/events/{event.slug}",
        "imprint_url": f"{base_url}/imprint",
        "privacy_url": f"{base_url}/privacy",
    }


#: Stands in for every private token when an organizer previews a mail: the preview shows where
#: the links go, never a link that would let its reader act in the registrant's name.
PREVIEW_TOKEN = "preview-link"


def person_fields(mail: OutboundMail, registration: Registration, preview: bool = False) -> dict:
    """What differs between two readers of the same mail about the same event: the
    :data:`PERSON_FIELDS` (their name and private links, the QR code's content id); with
    ``preview``, the links carry :data:`PREVIEW_TOKEN` instead of the registrant's tokens."""
    base_url = current_app.config["BASE_URL"]
    qr_cid = None
    if mail.kind in QR_KINDS:
        host = urlsplit(base_url).hostname or "localhost"
        qr_cid = f"checkin-{mail.id}@{host}"
    return {
        "name": full_name(registration.family_name, registration.given_name),
        "manage_url": f"{base_url}/r/{PREVIEW_TOKEN if preview else registration.manage_token}",
        # A token of its own: List-Unsubscribe is read by mail providers, and this one can only unsubscribe.
        "unsubscribe_url": f"{base_url}/unsubscribe/{PREVIEW_TOKEN if preview else registration.unsubscribe_token}",
        "qr_cid": qr_cid,
    }


#: The template variables that differ from reader to reader of one mail (see
#: :mod:`.audience`): a template may print them, but not test or transform them.
PERSON_FIELDS = ("name", "manage_url", "unsubscribe_url", "qr_cid")


def follow_up_links(mail: OutboundMail, event: Event, base_url: str) -> dict:
    """What the thank-you and missed-you mails show besides the report: the organizer's paragraph,
    whether the thank-you links the feedback form (its link and the certificate's hang off the
    reader's ``manage_url``), and for the missed-you mail the series' next events."""
    return {
        "follow_up_texts": event.follow_up_texts or {},
        "asks_feedback": mail.kind == MailKind.THANK_YOU and bool(event.feedback),
        "next_events": ([(upcoming, f"{base_url}/events/{upcoming.slug}") for upcoming in next_events(event)]
                        if mail.kind == MailKind.MISSED_YOU else []),
    }


def _changes(mail: OutboundMail, event: Event, language: str) -> list[tuple[str, str, str]]:
    """``(what, before, after)`` lines for the "event changed" mail, from its payload."""
    before = (mail.payload or {}).get("before") or {}
    changes = []
    if before.get("starts_at") or before.get("ends_at") or before.get("timezone"):
        old_start = datetime.fromisoformat(before.get("starts_at") or event.starts_at.isoformat())
        old_end = datetime.fromisoformat(before.get("ends_at") or event.ends_at.isoformat())
        old_zone = before.get("timezone") or event.timezone
        old = format_when(old_start, old_end, old_zone)
        new = format_when(event.starts_at, event.ends_at, event.timezone)
        if old != new:
            changes.append((gettext("Date and time"), old, new))
    if "venue" in before:
        old_venue = one_line(_translated(before["venue"], language))
        new_venue = one_line(event.text("venue", language))
        if old_venue != new_venue:
            changes.append((gettext("Venue"), old_venue, new_venue))
    return changes


def _translated(value, language: str) -> str:
    if isinstance(value, dict):
        return value.get(language) or value.get("en") or next(iter(value.values()), "")
    return value or ""


def _width(text: str) -> int:
    """Columns ``text`` takes on a screen: a Chinese character or full-width sign counts two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _short_subject(pattern: str, title: str) -> str:
    """``pattern % title``, the title cut (with "…") so the whole fits SUBJECT_COLUMNS."""
    budget = SUBJECT_COLUMNS - _width(pattern % {"title": ""})
    if _width(title) > budget:
        cut = ""
        for ch in title:
            if _width(cut + ch) > budget - 1:
                break
            cut += ch
        title = cut.rstrip(" ,:;–-—，：") + "…"
    return pattern % {"title": title}


def _section(mail: OutboundMail, reader: Registration, event: Event, language: str,
             extra: dict, name: str) -> tuple[str, str, str]:
    """One language's subject, text and HTML."""
    with force_locale(language):
        title = one_line(event.text("title", language))
        if mail.kind == MailKind.REPORT:
            report = extra.get("report")
            subject_title = one_line(report.title) if report else title
        else:
            subject_title = title
        if mail.kind == MailKind.MESSAGE:
            body = _in_language(extra["message_bodies"], language)
            extra = dict(extra, message_text=body, message_html=message_html(body))
        context = dict(
            extra,
            kind=mail.kind,
            lang=language,
            registration=reader,
            event=event,
            title=title,
            name=name,
            venue_lines=[line for line in event.text("venue", language).splitlines() if line.strip()],
            when=format_when(event.starts_at, event.ends_at, event.timezone),
            colon=COLONS.get(language, ": "),
            organization=organization(language),
            other_time=other_side_time(event, language),
            changes=_changes(mail, event, language) if mail.kind == MailKind.EVENT_CHANGED else [],
        )
        if mail.kind == MailKind.MESSAGE:
            subject = one_line(_in_language(extra["message_subjects"], language))
        else:
            subject = _short_subject(str(SUBJECTS[mail.kind]), subject_title)
        text = render_template(f"email/{mail.kind}.txt", **context)
        html = render_template(f"email/{mail.kind}.html", **context)
    return subject, text, html


def published_reports() -> list[Report]:
    """Every published report edition, oldest first (one query for a whole batch of mail)."""
    return list(db.session.scalars(select(Report).order_by(Report.published_at, Report.id)))


def mail_event(mail: OutboundMail, registration: Registration) -> Event:
    """The event ``mail`` is about: the registration's, or for an invitation the one it invites to."""
    if mail.kind == MailKind.INVITATION:
        return db.session.get(Event, (mail.payload or {})["event_id"])
    return registration.event


@dataclass
class RenderedParts:
    """A mail's words for one reader: what :func:`render_parts` makes."""

    subject: str
    text: str
    html: str
    languages: list[str]
    #: The consent link a consent request carries, or the withdraw-only link of an invitation.
    consent_url: str | None


def render_parts(mail: OutboundMail, reader: Registration, event: Event, reports: list[Report] | None,
                 person: dict, position: int | None = None) -> RenderedParts:
    """Subject, text and HTML of ``mail`` in both languages, for ``reader`` (whose language and
    status it reads) with the :data:`PERSON_FIELDS` in ``person``.

    :mod:`.audience` calls it with a stand-in reader and placeholders for the person's fields,
    :func:`render_mail` with the registration itself.
    """
    languages = mail_languages(reader, event)
    consent_url = withdraw_url = None
    if mail.kind in (MailKind.CONSENT, MailKind.INVITATION):
        consent = db.session.scalar(select(FollowUpConsent).where(FollowUpConsent.email == reader.email))
        if consent is not None and mail.kind == MailKind.CONSENT:
            consent_url = f"{current_app.config['BASE_URL']}/consent/{consent.token}"
        elif consent is not None:  # an invitation: only the link that can do nothing but withdraw
            withdraw_url = f"{current_app.config['BASE_URL']}/unsubscribe/{consent.withdraw_token}"
    if reports is None:
        reports = published_reports()
    base_url = current_app.config["BASE_URL"]
    report_links = [(report, f"{base_url}/reports/{report.language}?event={event.slug}") for report in reports]
    extra = dict(_links(event), manage_url=person["manage_url"], unsubscribe_url=person["unsubscribe_url"],
                 reports=report_links, qr_cid=None, payload=mail.payload or {}, consent_url=consent_url,
                 withdraw_url=withdraw_url)
    if mail.kind == MailKind.WAITLISTED:
        extra["position"] = position
    if mail.kind == MailKind.MESSAGE:
        payload = mail.payload or {}
        if "subjects" in payload:  # a preview: the texts as written, nothing stored yet
            subjects, bodies = payload["subjects"], payload["bodies"]
        else:
            message = db.session.get(Message, payload["message_id"])
            subjects, bodies = message.subjects, message.bodies
        extra["message_subjects"], extra["message_bodies"] = subjects, bodies
    if mail.kind in FOLLOW_UP_KINDS:
        extra.update(follow_up_links(mail, event, base_url))
    if mail.kind == MailKind.REPORT:
        language = (mail.payload or {}).get("language") or mail.dedupe_key.partition(":")[2]
        extra["report"] = db.session.scalar(select(Report).where(Report.language == language))
        extra["report_url"] = f"{base_url}/reports/{language}?event={event.slug}"
    if mail.kind in QR_KINDS:
        extra["qr_cid"] = person["qr_cid"]
    extra["unsubscribable"] = mail.kind in UNSUBSCRIBABLE_KINDS

    # The QR code goes in the reader's own language only: one code per mail.
    sections = [_section(mail, reader, event, language, extra if index == 0 else dict(extra, qr_cid=None),
                         person["name"])
                for index, language in enumerate(languages)]
    subject = " | ".join(dict.fromkeys(subject for subject, _, _ in sections))
    text = render_template("email/layout.txt", sections=[text for _, text, _ in sections], **extra)
    html = render_template(
        "email/layout.html", sections=[(lang, html) for lang, (_, _, html) in zip(languages, sections)],
        subject=subject, **extra,
    )
    return RenderedParts(one_line(subject), text, html, languages, consent_url or withdraw_url)


def ics_method(kind: str) -> str | None:
    """``REQUEST`` or ``CANCEL`` for the kinds that carry a calendar file, else ``None``."""
    if kind in ICS_CANCEL_KINDS:
        return "CANCEL"
    return "REQUEST" if kind in ICS_REQUEST_KINDS else None


def mail_address(mail: OutboundMail, registration: Registration) -> str:
    """Where ``mail`` goes."""
    # After an erasure the row holds no address: its last mail carries it until the purge.
    return (mail.payload or {}).get("to") if mail.kind == MailKind.ERASED else registration.email


def unsubscribe_header_url(mail: OutboundMail, person: dict, consent_url: str | None) -> str | None:
    """The List-Unsubscribe address of ``mail``, if it has one."""
    if mail.kind == MailKind.INVITATION:
        return consent_url  # the invitation's withdraw-only link (see render_parts)
    return person["unsubscribe_url"] if mail.kind in UNSUBSCRIBABLE_KINDS else None


def render_mail(mail: OutboundMail, reports: list[Report] | None = None, preview: bool = False) -> RenderedMail:
    """Render ``mail`` for its registrant in both languages of the event's pair.

    ``reports`` saves the query for the published report editions when a batch is rendered.
    A batch renders through :mod:`.audience` instead, which gives the same mail. ``preview`` (an
    organizer's preview) puts :data:`PREVIEW_TOKEN` in place of the registrant's private links
    and check-in code.
    """
    registration = mail.registration
    event = mail_event(mail, registration)
    person = person_fields(mail, registration, preview)
    position = waitlist_position(registration) if mail.kind == MailKind.WAITLISTED else None
    parts = render_parts(mail, registration, event, reports, person, position)
    method = ics_method(mail.kind)
    ics = build_ics(event, registration, parts.languages[0], method) if method else None
    return RenderedMail(
        subject=parts.subject, text=parts.text, html=parts.html,
        to_name=person["name"], to_address=mail_address(mail, registration),
        ics=ics, ics_method=method,
        qr_png=qr_png(PREVIEW_TOKEN if preview else registration.checkin_code) if mail.kind in QR_KINDS else None,
        qr_cid=person["qr_cid"],
        unsubscribe_url=unsubscribe_header_url(mail, person, parts.consent_url),
        languages=parts.languages,
    )


#: A row of the QR matrix as zxing-cpp draws it (a byte a module, 0 dark, 255 light) as the
#: digits of its bits (1 light).
_MODULE_BITS = bytes.maketrans(b"\x00\xff", b"01")


@functools.cache
def _spread(scale: int) -> list[bytes]:
    """For each byte of eight modules (1 light, the first module the highest bit), the ``scale``
    bytes of its pixels: each module ``scale`` pixels wide."""
    table = []
    for value in range(256):
        bits = "".join(("1" if value >> (7 - index) & 1 else "0") * scale for index in range(8))
        table.append(int(bits, 2).to_bytes(scale, "big"))
    return table


def qr_png(code: str, scale: int = 4, border: int = 2) -> bytes:
    """The check-in code as a black-and-white PNG of about 150 pixels square.

    zxing-cpp makes the QR matrix (error correction M; it scores the eight masks in C++, where
    segno's pure Python took two thirds of the time of rendering a whole confirmation even with
    the mask fixed). The PNG is packed here as one bit per pixel: each row of modules, with its
    light border, becomes a number whose bytes are widened ``scale`` times through a table, so
    no Python loop runs per module (the unused bits at the end of a row are 0).
    """
    import zxingcpp  # only where a QR code is drawn

    image = zxingcpp.create_barcode(code, zxingcpp.BarcodeFormat.QRCode, ec_level="M").to_image(
        scale=1, add_quiet_zones=False)
    size = image.shape[1]
    matrix = bytes(memoryview(image)).translate(_MODULE_BITS).decode("ascii")
    modules = size + 2 * border
    width = modules * scale
    row_bytes = (width + 7) // 8
    spread = _spread(scale)
    edge, pad = "1" * border, "0" * (-modules % 8)
    packed_bytes = (modules + len(pad)) // 8

    def scanline(row: str) -> bytes:
        packed = int(edge + row + edge + pad, 2).to_bytes(packed_bytes, "big")
        return b"\x00" + b"".join([spread[byte] for byte in packed])[:row_bytes]  # filter type 0, then pixels

    blank = scanline("1" * size)
    rows = [blank] * (border * scale)
    for start in range(0, len(matrix), size):
        rows += [scanline(matrix[start:start + size])] * scale
    rows += [blank] * (border * scale)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, width, 1, 0, 0, 0, 0)  # 1-bit greyscale
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"".join(rows), 6))
            + chunk(b"IEND", b""))
