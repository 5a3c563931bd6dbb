"""Rendering a batch of mail once per audience, and each reader's copy from it.

A reminder, a report edition or an organizer's message goes to hundreds of people with the same
words: only the name, the private links, the check-in code (and its QR image) and the calendar
file's attendee differ. :class:`BatchRenderer` renders the shared text once per *audience* (kind,
event, language pair, the reader's status and waiting-list place, the mail's payload) with a
placeholder for each of the :data:`~.render.PERSON_FIELDS`, builds the MIME message once
(:class:`~.message.MessageSkeleton`) and the calendar file once
(:class:`~eventsvc.services.calendar.CalendarTemplate`), and fills in each reader's values: into
the text as they are, into the HTML escaped as Jinja would have escaped them, into the headers
and the base64 bodies as :func:`~.message.build_message` writes them. The result is the mail
:func:`~.render.render_mail` makes, part for part (``tests/services/test_mailing_audience.py``
renders every shared kind both ways and compares).

A renderer serves the batches of one run of the send task (:meth:`BatchRenderer.next_batch`
between them), so the words of an audience are rendered once per run, not once per batch; it
keeps only the audiences the batch before used. What it kept can never be older than what a
batch reads: an audience's key holds the event's last change (``updated_at``, which every write
of the event moves, and ``ics_sequence``), the report editions are compared at each batch (any
change drops every audience), and the kinds whose words read other rows (an organizer's message,
the series' next events: :data:`PER_BATCH_KINDS`) are rendered again for each batch, as before.
The catalogs are those the process loaded at start.

How a kind joins: it is listed in :data:`SHARED_KINDS` once its templates use a person only
through the person fields, printed as they are (``{{ name }}``, ``{{ manage_url }}``; no
``{% if name %}``, no filter on them), and it has a row in the equivalence test. A kind not in
the list is rendered for each reader by :func:`~.render.render_mail`, as before. A template that
reads ``registration.<anything personal>`` cannot be shared: the stand-in raises, and the batch
renders that audience mail by mail.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass

from markupsafe import escape

from ...models import MailKind, OutboundMail, Registration
from ..calendar import CalendarTemplate
from ..seats import waitlist_position
from .message import MessageSkeleton, WireMessage, person_headers, wire_message
from .render import (
    PERSON_FIELDS, QR_KINDS, RenderedMail, ics_method, mail_address, mail_event, person_fields, qr_png,
    render_mail, render_parts, unsubscribe_header_url,
)

#: The kinds rendered once per audience (see the module's docstring for how a kind joins).
SHARED_KINDS = frozenset({
    MailKind.CONFIRMATION, MailKind.PROMOTED, MailKind.WAITLISTED, MailKind.CANCELLED,
    MailKind.REMINDER, MailKind.REPORT, MailKind.MESSAGE, MailKind.EVENT_CHANGED,
    MailKind.EVENT_CANCELLED, MailKind.THANK_YOU, MailKind.MISSED_YOU,
})


#: Shared kinds whose words read more than the event and the report editions (the organizer's
#: message; the series' other events): their audiences are rendered again for each batch.
PER_BATCH_KINDS = frozenset({MailKind.MESSAGE, MailKind.MISSED_YOU})


class NotShared(Exception):
    """A template asked for something personal that is not a person field."""


class _Reader:
    """The registration as the shared render sees it: its language and status, nothing personal."""

    def __init__(self, language: str, status: str) -> None:
        self.language = language
        self.status = status

    def __getattr__(self, name: str):
        raise NotShared(name)


@dataclass
class _Audience:
    """What every reader of one audience shares: the texts split at the person fields."""

    subject: str
    text: list[str]
    html: list[str]
    languages: list[str]
    consent_url: str | None
    skeleton: MessageSkeleton
    calendar: CalendarTemplate | None


def _split(rendered: str, pattern: re.Pattern) -> list[str]:
    """``rendered`` cut at the placeholders: text, field, text, field, …, text."""
    return pattern.split(rendered)


def _join(pieces: list[str], values: dict[str, str]) -> str:
    out = pieces[:]
    for index in range(1, len(out), 2):
        out[index] = values[out[index]]
    return "".join(out)


def _editions(reports: list) -> list[tuple]:
    """What the mails print of the report editions, to tell whether any changed."""
    return [(report.id, report.language, report.title, report.url, report.published_at) for report in reports]


class BatchRenderer:
    """Renders the mails of a batch, each audience once. ``reports``: the published editions.

    The next batch of the same run goes through :meth:`next_batch`, which keeps the audiences
    whose words cannot have changed.
    """

    def __init__(self, reports: list) -> None:
        self.reports = reports
        self._editions = _editions(reports)
        self._nonce = secrets.token_hex(8)
        self._pattern = re.compile("\ue000" + self._nonce + r":(\w+)\ue001")
        self._audiences: dict[tuple, _Audience | None] = {}
        #: The audiences this batch has used: only they are kept for the next one, so a run
        #: through many small audiences holds no more than two batches' worth.
        self._used: set[tuple] = set()

    def next_batch(self, reports: list) -> None:
        """Go on with the next batch (``reports``: the editions as that batch read them).

        Another list of editions drops every audience; otherwise those of
        :data:`PER_BATCH_KINDS` go, and those the batch before did not use. An edited event
        needs nothing here: its audiences have another key.
        """
        editions = _editions(reports)
        kept = self._used if editions == self._editions else set()
        self._audiences = {key: audience for key, audience in self._audiences.items()
                           if key in kept and key[0] not in PER_BATCH_KINDS}
        self._used = set()
        self.reports, self._editions = reports, editions

    @property
    def audience_count(self) -> int:
        """How many audiences the renderer holds a shared text for (this batch's, and those kept
        from the batch before)."""
        return sum(1 for audience in self._audiences.values() if audience is not None)

    def wire(self, mail: OutboundMail) -> WireMessage:
        """``mail`` ready for SMTP (before DKIM), as :func:`render_mail` would have made it."""
        registration = mail.registration
        if mail.kind not in SHARED_KINDS:
            return wire_message(render_mail(mail, self.reports), mail.message_id)
        event = mail_event(mail, registration)
        position = waitlist_position(registration) if mail.kind == MailKind.WAITLISTED else None
        key = (mail.kind, event.id, event.updated_at, event.ics_sequence, registration.language,
               registration.status, position, mail.dedupe_key, json.dumps(mail.payload, sort_keys=True, default=str))
        if key not in self._audiences:
            self._audiences[key] = self._render_audience(mail, registration, event, position)
        self._used.add(key)
        audience = self._audiences[key]
        if audience is None:
            return wire_message(render_mail(mail, self.reports), mail.message_id)
        return self._fill(audience, mail, registration)

    def _render_audience(self, mail: OutboundMail, registration: Registration, event, position) -> _Audience | None:
        placeholders = {field: f"\ue000{self._nonce}:{field}\ue001" for field in PERSON_FIELDS}
        reader = _Reader(registration.language, registration.status)
        try:
            parts = render_parts(mail, reader, event, self.reports, placeholders, position)
        except NotShared:
            return None
        if self._pattern.search(parts.subject):
            return None
        method = ics_method(mail.kind)
        shared = RenderedMail(
            subject=parts.subject, text="", html="", to_name="", to_address="",
            ics=b"-" if method else None, ics_method=method,
            qr_png=b"-" if mail.kind in QR_KINDS else None, qr_cid="-",
            unsubscribe_url=unsubscribe_header_url(mail, placeholders, parts.consent_url) and "-",
            languages=parts.languages,
        )
        return _Audience(
            subject=parts.subject,
            text=_split(parts.text, self._pattern),
            html=_split(parts.html, self._pattern),
            languages=parts.languages,
            consent_url=parts.consent_url,
            skeleton=MessageSkeleton(shared),
            calendar=CalendarTemplate(event, parts.languages[0], method) if method else None,
        )

    def _fill(self, audience: _Audience, mail: OutboundMail, registration: Registration) -> WireMessage:
        person = person_fields(mail, registration)
        raw = {field: person[field] or "" for field in PERSON_FIELDS}
        escaped = {field: str(escape(value)) for field, value in raw.items()}
        to_address = mail_address(mail, registration)
        bodies = {
            "text": _join(audience.text, raw).encode("utf-8"),
            "html": _join(audience.html, escaped).encode("utf-8"),
        }
        if mail.kind in QR_KINDS:
            bodies["qr"] = qr_png(registration.checkin_code)
        if audience.calendar is not None:
            bodies["ics"] = audience.calendar.fill(registration.email, person["name"])
        headers = person_headers(person["name"], to_address, mail.message_id,
                                 unsubscribe_header_url(mail, person, audience.consent_url), person["qr_cid"])
        return WireMessage(" ".join(str(to_address).split()), audience.skeleton.fill(headers, bodies))
