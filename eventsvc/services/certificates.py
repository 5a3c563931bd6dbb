"""Certificates of attendance: an A4 PDF in two languages, and the page that verifies one.

Members of German chambers and Chinese state companies need one for their training records. A
certificate is made for a confirmed registrant who was checked in, once the event has ended. It
is written in the reader's language and the event's other language (the pair of the mail:
:func:`eventsvc.services.mailing.render.mail_languages`), names the person the way they write
their name (:func:`eventsvc.services.names.full_name`), the event, its date and city, and the
organization, and carries a QR code and the URL of its verification page
(``/certificates/<id>``). The id is random and stored per registration when the first
certificate is made: one certificate's id says nothing about another's. The text is set in Noto
Sans CJK, embedded as a subset, like the badges (:mod:`eventsvc.services.badges`).
"""

from __future__ import annotations

import io
import secrets
from collections.abc import Callable
from datetime import datetime

from babel.dates import format_date
from flask import current_app
from flask_babel import force_locale, gettext
from sqlalchemy import select

from ..extensions import db
from ..models import Event, Registration, RegistrationStatus
from ..models.types import utcnow
from .badges import find_font
from .mailing.render import mail_languages, qr_png
from .names import full_name
from .organization import organization
from .transaction import transaction

#: The heading in each language; the German and Chinese words are what offices expect to read.
HEADINGS = {"en": "Certificate of attendance", "de": "Teilnahmebestätigung", "zh": "参会证明"}


class CertificateUnavailable(Exception):
    """No certificate for this registration (yet); ``code`` is ``not_ended`` or ``not_checked_in``."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def _new_id() -> str:
    return secrets.token_urlsafe(16)  # 128 random bits, 22 characters


def check_available(registration: Registration, now: datetime | None = None) -> None:
    """Raise :class:`CertificateUnavailable` unless the registrant came and the event is over."""
    if (registration.status != RegistrationStatus.CONFIRMED or registration.checked_in_at is None
            or registration.erased_at is not None):
        raise CertificateUnavailable("not_checked_in")
    if not registration.event.is_past(now or utcnow()):
        raise CertificateUnavailable("not_ended")


def attendees(event: Event) -> list[Registration]:
    """Everyone a certificate of ``event`` is for: confirmed and checked in, by name."""
    return list(db.session.scalars(select(Registration).where(
        Registration.event_id == event.id, Registration.status == RegistrationStatus.CONFIRMED,
        Registration.checked_in_at.is_not(None), Registration.erased_at.is_(None))
        .order_by(Registration.family_name, Registration.given_name, Registration.id)))


def _issue_ids(registrations: list[Registration]) -> None:
    """Give each registration without one its random certificate id."""
    missing = [registration for registration in registrations if registration.certificate_id is None]
    if not missing:
        return
    with transaction():
        for registration in missing:
            db.session.refresh(registration, with_for_update=True)
            if registration.certificate_id is None:
                registration.certificate_id = _new_id()


def find_certificate(certificate_id: str) -> Registration | None:
    """The registration a verification link names, while its certificate stands."""
    if not certificate_id or len(certificate_id) > 32 or "\x00" in certificate_id:
        return None
    registration = db.session.scalar(select(Registration).where(Registration.certificate_id == certificate_id))
    if registration is None or registration.checked_in_at is None or registration.erased_at is not None:
        return None
    return registration


def event_date(event: Event, language: str) -> str:
    """The day of the event in its own zone, written the reader's way: 2019年3月14日, 14. März 2019."""
    return format_date(event.local_start().date(), "long", locale=language)


def verification_url(registration: Registration) -> str:
    return f"{current_app.config['BASE_URL']}/certificates/{registration.certificate_id}"


def certificate_pdf(registration: Registration, city_name: Callable[[str], str] = str,
                    now: datetime | None = None) -> bytes:
    """The certificate of one registrant; raises :class:`CertificateUnavailable`."""
    check_available(registration, now)
    return certificates_pdf([registration], city_name)


def event_certificates_pdf(event: Event, city_name: Callable[[str], str] = str,
                           now: datetime | None = None) -> tuple[bytes, int]:
    """Every certificate of ``event`` in one PDF, a page each; returns it and how many."""
    if not event.is_past(now or utcnow()):
        raise CertificateUnavailable("not_ended")
    people = attendees(event)
    return certificates_pdf(people, city_name), len(people)


def certificates_pdf(registrations: list[Registration], city_name: Callable[[str], str] = str) -> bytes:
    """A page per registration (ids issued first, so that every QR code leads somewhere)."""
    from fpdf import FPDF  # loaded for a PDF only (see badges.py)

    _issue_ids(registrations)
    font = find_font()
    pdf = FPDF(unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.add_font("cert", fname=font.path, collection_font_number=font.face)
    pdf.set_title("Certificate of attendance")
    for registration in registrations:
        _page(pdf, registration, city_name)
    if not registrations:
        pdf.add_page()
    return bytes(pdf.output())


def _page(pdf, registration: Registration, city_name: Callable[[str], str]) -> None:
    event = registration.event
    languages = mail_languages(registration, event)
    name = full_name(registration.family_name, registration.given_name)
    width = 170.0
    pdf.add_page()
    pdf.set_draw_color(179, 18, 46)
    pdf.set_line_width(0.8)
    pdf.rect(12, 12, 186, 273)
    pdf.set_text_color(90, 90, 90)
    pdf.set_font("cert", size=11)
    pdf.set_xy(20, 24)
    pdf.multi_cell(width, 6, organization(languages[0]).name, align="C")
    pdf.set_text_color(179, 18, 46)
    pdf.set_xy(20, 48)
    pdf.set_font("cert", size=28)
    pdf.multi_cell(width, 13, HEADINGS.get(languages[0], HEADINGS["en"]), align="C")
    for language in languages[1:]:
        pdf.set_font("cert", size=16)
        pdf.set_x(20)
        pdf.multi_cell(width, 9, HEADINGS.get(language, HEADINGS["en"]), align="C")
    pdf.set_text_color(20, 20, 20)
    pdf.set_xy(20, 92)
    pdf.set_font("cert", size=24)
    pdf.multi_cell(width, 12, name, align="C")
    y = max(pdf.get_y() + 12, 118)
    for index, language in enumerate(languages):
        with force_locale(language):
            statement = gettext("This is to certify that %(name)s attended the event “%(title)s” in "
                                "%(city)s on %(date)s.", name=name, title=" ".join(event.text("title", language).split()),
                                city=str(city_name(event.city)), date=event_date(event, language))
        pdf.set_xy(25, y)
        pdf.set_font("cert", size=13 if index == 0 else 11)
        pdf.multi_cell(160, 7 if index == 0 else 6, statement, align="C",
                       wrapmode="CHAR" if language == "zh" else "WORD")
        y = pdf.get_y() + 10
    # The signature of the organization, then the verification code and link.
    pdf.set_xy(25, max(y + 6, 200))
    pdf.set_font("cert", size=11)
    for language in languages:
        with force_locale(language):
            pdf.set_x(25)
            pdf.multi_cell(160, 6, gettext("Issued by %(organization)s", organization=organization(language).name),
                           align="C")
    url = verification_url(registration)
    qr = 32.0
    pdf.image(io.BytesIO(qr_png(url, scale=6)), x=20, y=245, w=qr, h=qr)
    pdf.set_text_color(70, 70, 70)
    pdf.set_font("cert", size=9)
    pdf.set_xy(20 + qr + 4, 250)
    for language in languages:
        with force_locale(language):
            pdf.set_x(20 + qr + 4)
            pdf.multi_cell(130, 5, gettext("Check that this certificate is genuine:"), align="L")
    pdf.set_x(20 + qr + 4)
    pdf.multi_cell(130, 5, url, align="L")
