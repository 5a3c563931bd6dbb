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

import base64
import io
import re
import secrets
from dataclasses import dataclass
from email import encoders
from email.charset import BASE64, Charset
from email.generator import BytesGenerator
from email.header import Header
from email.message import Message
from email.policy import compat32
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


#: How smtplib flattens a message (CRLF line ends); both ways of building a message use it.
WIRE_POLICY = compat32.clone(linesep="\r\n")


@dataclass
class WireMessage:
    """A message flattened for SMTP (not yet DKIM-signed) and the address it goes to."""

    recipient: str
    data: bytes


def flatten(message: Message) -> bytes:
    """``message`` as it goes over SMTP."""
    buffer = io.BytesIO()
    BytesGenerator(buffer, mangle_from_=False, policy=WIRE_POLICY).flatten(message)
    return buffer.getvalue()


def wire_message(rendered: RenderedMail, message_id: str) -> WireMessage:
    """The message for ``rendered``, built and flattened on its own."""
    return WireMessage(one_line(rendered.to_address), flatten(build_message(rendered, message_id)))


#: Which leaf part of the message holds what (the keys of :meth:`MessageSkeleton.fill`'s bodies).
_LEAVES = {"text/plain": "text", "text/html": "html", "image/png": "qr", "text/calendar": "ics"}


class MessageSkeleton:
    """The MIME message of one audience, built and flattened once, with what differs between
    readers left open: the headers To, Date, Message-ID, List-Unsubscribe and the QR code's
    Content-ID, and the bodies (text, HTML, QR code, calendar file).

    :meth:`fill` writes a reader's headers as the generator writes them (``fold_binary`` of the
    same policy) and their bodies in base64 as ``email.mime`` encodes them (57 bytes a line), so
    a filled skeleton differs from :func:`flatten` of :func:`build_message` only in the MIME
    boundaries, which the generator draws at random anyway.
    """

    def __init__(self, shared: RenderedMail) -> None:
        nonce = secrets.token_hex(8)

        def mark(key: str) -> str:
            return f"@@{nonce}-{key}@@"

        message = build_message(shared, mark("message_id"))
        message.replace_header("To", mark("to"))
        message.replace_header("Date", mark("date"))
        if message["List-Unsubscribe"] is not None:
            message.replace_header("List-Unsubscribe", mark("unsubscribe"))
        for part in message.walk():
            if part.is_multipart():
                continue
            key = _LEAVES[part.get_content_type()]
            part.set_payload(mark(key) + "\n")
            if key == "qr":
                part.replace_header("Content-ID", mark("cid"))
        data = flatten(message)
        pattern = re.compile(rb"^(?:([A-Za-z-]+): )?@@" + nonce.encode() + rb"-(\w+)@@\r\n", re.MULTILINE)
        self._segments: list = []
        position = 0
        for found in pattern.finditer(data):
            self._segments.append(data[position:found.start()])
            header = found.group(1)
            self._segments.append((found.group(2).decode(), header.decode() if header else None))
            position = found.end()
        self._segments.append(data[position:])

    def fill(self, headers: dict[str, str], bodies: dict[str, bytes]) -> bytes:
        """The flattened message with a reader's ``headers`` (``to``, ``date``, ``message_id``,
        ``unsubscribe``, ``cid``: values as :func:`build_message` sets them) and ``bodies``
        (``text``, ``html``, ``qr``, ``ics``: the bytes before the transfer encoding)."""
        out = []
        for segment in self._segments:
            if type(segment) is bytes:
                out.append(segment)
                continue
            key, header = segment
            if header is None:
                out.append(base64.encodebytes(bodies[key]).replace(b"\n", b"\r\n"))
            else:
                out.append(fold_header(header, _header(headers[key])))
        return b"".join(out)


def fold_header(name: str, value: str) -> bytes:
    """``name: value`` and its line end as ``WIRE_POLICY.fold_binary`` writes it.

    A value that is ASCII, fits on the header's line (78 characters with the name) and neither
    starts nor ends with white space comes out of the policy's folding as it went in (it splits
    and joins the value at white space, and drops only a trailing blank): it is written here
    without that work, a quarter of the cost of a reader's headers. Anything else (a long
    value, or non-ASCII) goes through the policy.
    """
    if (value.isascii() and len(name) + 2 + len(value) <= _LINE_LENGTH and value[:1] not in _BLANKS
            and value[-1:] not in _BLANKS):
        return f"{name}: {value}\r\n".encode("ascii")
    return WIRE_POLICY.fold_binary(name, value)


#: What :func:`fold_header` must agree with: the policy's line length and white space.
_LINE_LENGTH = WIRE_POLICY.max_line_length
_BLANKS = (" ", "\t")


def person_headers(rendered_to_name: str, to_address: str, message_id: str, unsubscribe_url: str | None,
                   qr_cid: str | None) -> dict[str, str]:
    """A reader's headers for :meth:`MessageSkeleton.fill`, as :func:`build_message` writes them."""
    return {
        "to": _address(rendered_to_name, to_address),
        "date": format_datetime(utcnow()),
        "message_id": message_id,
        "unsubscribe": f"<{unsubscribe_url}>" if unsubscribe_url else "",
        "cid": f"<{qr_cid}>" if qr_cid else "",
    }
