"""The MIME message, built with the standard library's ``email.mime`` classes.

Not Flask-Mail's ``Message``: it builds a Message-ID after a host-name lookup, and its import
sets UTF-8 bodies to raw 8-bit for the whole process, so lines over 998 bytes would reach the
server as they are. Here every text part is base64 with an explicit charset object (whatever the
process-wide defaults say; base64 is also the shorter encoding for Chinese text), and every
header value is one line: user data is collapsed with :func:`one_line`, and :func:`_header`
refuses CR or LF whatever the source.

The ``email.mime`` classes (the compat32 policy) keep headers as strings; building the same
message with ``EmailMessage`` parses every header into objects and took three times as long,
which showed in the mail bench.

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
from email import encoders
from email.charset import BASE64, Charset
from email.header import Header
from email.message import Message
from email.mime.base import MIMEBase
from email.mime.image import MIMEImage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime, formataddr, getaddresses
from urllib.parse import urlsplit

from flask import current_app

from ...models.types import utcnow
from .render import RenderedMail, one_line

#: UTF-8 with base64 bodies and base64 encoded words in headers, set here rather than taken
#: from the process-wide registry (which Flask-Mail changes on import).
UTF8 = Charset("utf-8")
UTF8.header_encoding = BASE64
UTF8.body_encoding = BASE64


def new_message_id(mail_id: int) -> str:
    """A Message-ID under the service's own domain, made once per outbox row."""
    host = urlsplit(current_app.config["BASE_URL"]).hostname or "localhost"
    return f"<outbox-{mail_id}.{secrets.token_hex(8)}@{host}>"


def _header(value: str) -> str:
    """A header value that cannot start a new header line."""
    if "\r" in value or "\n" in value:
        raise ValueError(f"line break in a header value: {value!r}")
    return value


def _address(display_name: str, address: str) -> str:
    return _header(formataddr((one_line(display_name), one_line(address)), charset=UTF8))


def build_message(rendered: RenderedMail, message_id: str) -> Message:
    """The message ready for SMTP (``smtplib`` flattens it with CRLF line ends)."""
    body = MIMEMultipart("alternative")
    body.attach(MIMEText(rendered.text, "plain", UTF8))
    html = MIMEText(rendered.html, "html", UTF8)
    if rendered.qr_png:
        related = MIMEMultipart("related")
        related.attach(html)
        image = MIMEImage(rendered.qr_png, "png")
        image["Content-ID"] = _header(f"<{rendered.qr_cid}>")
        image.add_header("Content-Disposition", "inline", filename="checkin-qr.png")
        related.attach(image)
        body.attach(related)
    else:
        body.attach(html)

    if rendered.ics:
        message = MIMEMultipart("mixed")
        message.attach(body)
        calendar = MIMEBase("text", "calendar", method=rendered.ics_method, charset="utf-8")
        calendar.set_payload(rendered.ics)
        encoders.encode_base64(calendar)
        calendar.add_header("Content-Disposition", "attachment", filename="invite.ics")
        message.attach(calendar)
    else:
        message = body

    sender_name, sender_address = getaddresses([current_app.config["MAIL_DEFAULT_SENDER"]])[0]
    message["From"] = _address(sender_name, sender_address)
    message["To"] = _address(rendered.to_name, rendered.to_address)
    message["Subject"] = Header(_header(one_line(rendered.subject)), UTF8)
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = _header(message_id)
    message["Content-Language"] = ", ".join(rendered.languages)
    message["Auto-Submitted"] = "auto-generated"
    if rendered.unsubscribe_url:
        # RFC 8058: mail clients show an unsubscribe button that POSTs to this address.
        message["List-Unsubscribe"] = _header(f"<{rendered.unsubscribe_url}>")
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return message
