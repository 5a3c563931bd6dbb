"""The MIME message: built with the standard library's ``EmailMessage``, not Flask-Mail's.

Flask-Mail's ``Message`` builds a Message-ID after a host-name lookup, and its import sets UTF-8
bodies to raw 8-bit; lines over 998 bytes would then reach the server as they are. Here every
text part is quoted-printable and every binary part base64, whatever the process-wide defaults,
and header values are single lines (``EmailMessage`` with ``policy.SMTP`` refuses CR/LF anyway).

Shape::

    multipart/mixed
      multipart/alternative
        text/plain
        multipart/related            (or text/html alone when there is no QR code)
          text/html
          image/png                  the check-in QR code, referenced as cid:…
      text/calendar; method=…        invite.ics
"""

from __future__ import annotations

import secrets
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses
from urllib.parse import urlsplit

from flask import current_app

from ...models.types import utcnow
from .render import RenderedMail, one_line


def new_message_id(mail_id: int) -> str:
    """A Message-ID under the service's own domain, made once per outbox row."""
    host = urlsplit(current_app.config["BASE_URL"]).hostname or "localhost"
    return f"<outbox-{mail_id}.{secrets.token_hex(8)}@{host}>"


def _address(display_name: str, address: str) -> Address:
    return Address(display_name=one_line(display_name), addr_spec=one_line(address))


def build_message(rendered: RenderedMail, message_id: str) -> EmailMessage:
    """The message ready for SMTP."""
    message = EmailMessage(policy=policy.SMTP)
    sender_name, sender_address = getaddresses([current_app.config["MAIL_DEFAULT_SENDER"]])[0]
    message["From"] = _address(sender_name, sender_address)
    message["To"] = _address(rendered.to_name, rendered.to_address)
    message["Subject"] = one_line(rendered.subject)
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = message_id
    message["Content-Language"] = ", ".join(rendered.languages)
    message["Auto-Submitted"] = "auto-generated"
    if rendered.unsubscribe_url:
        # RFC 8058: mail clients show an unsubscribe button that POSTs to this address.
        message["List-Unsubscribe"] = f"<{rendered.unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"

    message.set_content(rendered.text, subtype="plain", charset="utf-8", cte="quoted-printable")
    message.add_alternative(rendered.html, subtype="html", charset="utf-8", cte="quoted-printable")
    if rendered.qr_png:
        html_part = message.get_payload()[1]
        html_part.add_related(rendered.qr_png, maintype="image", subtype="png",
                              cid=f"<{rendered.qr_cid}>", filename="checkin-qr.png",
                              disposition="inline")
    if rendered.ics:
        message.make_mixed()
        message.add_attachment(
            rendered.ics, maintype="text", subtype="calendar", filename="invite.ics",
            params={"method": rendered.ics_method, "charset": "utf-8"},
        )
    return message
