"""The SMTP connection: Flask-Mail's connection, to the relay each mail's route names, with the
timeout and host name Flask-Mail lacks, and DKIM signing.

Flask-Mail 0.10 opens ``smtplib.SMTP`` without a timeout (a silent relay would hang a worker for
ever) and lets smtplib look up this machine's fully qualified name for EHLO, which can take
seconds; and like ``smtplib`` it would take any certificate. :class:`MailConnection` keeps
Flask-Mail's ``Connection`` and fixes all three (TLS is checked with the context of
:mod:`.delivery`, so a relay whose certificate fails gets no login and no mail); it connects to
a :class:`~.delivery.Relay` (``MAIL_SERVER`` or a route of ``MAIL_ROUTES``). A message is
flattened once, signed over those very bytes when DKIM is configured, and sent as they are.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
from dataclasses import dataclass
from email.message import Message
from email.utils import parseaddr
from urllib.parse import urlsplit

from flask import current_app
from flask_mail import Connection

from ...extensions import mail
from .delivery import Relay, settings
from .message import WireMessage, flatten

#: The headers the DKIM signature covers (absent ones too, so nobody can add them later).
DKIM_HEADERS = [b"from", b"to", b"subject", b"date", b"message-id", b"list-unsubscribe",
                b"list-unsubscribe-post"]


class _WireData:
    """``DATA`` for messages that are already bytes with CRLF line ends, as :mod:`smtplib` sends
    them, without its search for lines to dot-stuff when no line starts with a dot.

    ``smtplib.SMTP.data`` runs a regular expression over every message (a twentieth of the
    worker's CPU for a 12 KiB confirmation); ours never start a line with a dot (their bodies are
    base64), and ``bytes.find`` says so ten times faster. A message that has such a line, or is
    a ``str``, goes through ``smtplib`` as before.
    """

    def data(self, msg):
        if not isinstance(msg, bytes) or msg.startswith(b".") or b"\n." in msg:
            return super().data(msg)
        self.putcmd("data")
        code, reply = self.getreply()
        if code != 354:
            raise smtplib.SMTPDataError(code, reply)
        self.send(msg + (b".\r\n" if msg.endswith(b"\r\n") else b"\r\n.\r\n"))
        return self.getreply()


class _SMTP(_WireData, smtplib.SMTP):
    pass


class _SMTP_SSL(_WireData, smtplib.SMTP_SSL):
    pass


class MailConnection(Connection):
    """One SMTP session with one relay for a batch of messages: TLS and login as the relay says."""

    def __init__(self, relay: Relay, timeout: float, local_hostname: str) -> None:
        super().__init__(current_app.extensions["mail"])
        self.relay = relay
        self.timeout = timeout
        self.local_hostname = local_hostname
        self.dkim = settings().dkim
        #: The envelope sender of a mail without VERP, read once for the batch.
        self.default_sender = parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])[1]

    def configure_host(self) -> smtplib.SMTP:
        relay = self.relay
        if relay.ssl:
            host = _SMTP_SSL(relay.host, relay.port, local_hostname=self.local_hostname,
                             timeout=self.timeout, context=settings().tls)
        else:
            host = _SMTP(relay.host, relay.port, local_hostname=self.local_hostname, timeout=self.timeout)
        if relay.starttls:
            try:
                host.starttls(context=settings().tls)
            except BaseException:
                host.close()
                raise
        if relay.username and relay.password:
            host.login(relay.username, relay.password)
        return host

    def __exit__(self, exc_type, exc_value, tb) -> None:
        # QUIT on a connection the server already dropped raises; the batch is over either way.
        if self.host is not None:
            try:
                self.host.quit()
            except (smtplib.SMTPException, OSError):
                self.host.close()

    def send_email(self, message: Message, envelope_sender: str | None = None) -> None:
        """Hand one message to the server; raises what smtplib raises.

        ``envelope_sender`` is where bounces go (VERP); by default the From address.
        """
        recipient = parseaddr(str(message["To"]))[1]
        self.send_wire(WireMessage(recipient, flatten(message)), envelope_sender)

    def send_wire(self, wire: WireMessage, envelope_sender: str | None = None) -> None:
        """Hand one flattened message to the server, DKIM-signed when configured."""
        sender = envelope_sender or self.default_sender
        self.host.sendmail(sender, [wire.recipient], self.signed(wire.data))
        self.num_emails += 1

    def wire_bytes(self, message: Message) -> bytes:
        """The message as it goes over SMTP (CRLF line ends), with its DKIM signature."""
        return self.signed(flatten(message))

    def signed(self, data: bytes) -> bytes:
        """``data`` with its DKIM signature in front, when a key is configured."""
        if self.dkim:
            # Imported only where mail is signed: dkimpy and dnspython cost a process 14 MB.
            import dkim

            selector, domain, key = self.dkim
            data = dkim.sign(data, selector, domain, key, include_headers=DKIM_HEADERS, linesep=b"\r\n") + data
        return data


def open_connection(relay: Relay) -> MailConnection:
    """A connection to ``relay`` (use it as a context manager)."""
    config = current_app.config
    host_name = urlsplit(config["BASE_URL"]).hostname or "localhost"
    _ = mail  # the extension must be initialised on the app; Connection reads its state
    return MailConnection(relay, timeout=config["MAIL_TIMEOUT"], local_hostname=host_name)


@dataclass
class SendFailure:
    """Why a message was not accepted, and whether trying again later can help."""

    reason: str
    permanent: bool
    #: The connection is unusable: the rest of the batch cannot be sent over it either.
    connection_lost: bool = False


def classify_failure(error: BaseException, host: str | None = None) -> SendFailure:
    """Sort an exception from smtplib or the socket into permanent (5xx) or temporary.

    A certificate that fails is temporary: the operator fixes the relay or ``MAIL_CA_FILE`` and
    the mail goes at its next attempt.
    """
    if isinstance(error, ssl.SSLCertVerificationError):
        detail = (error.verify_message or str(error)).rstrip(".")
        return SendFailure(f"certificate verify failed for {host or 'the relay'}: {detail}",
                           permanent=False, connection_lost=True)
    if isinstance(error, ssl.SSLError):
        return SendFailure(f"TLS failed with {host or 'the relay'}: {error.reason or error}",
                           permanent=False, connection_lost=True)
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        code, text = next(iter(error.recipients.values()))
        return SendFailure(_reply(code, text), permanent=500 <= code < 600)
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return SendFailure(f"server disconnected: {error}", permanent=False, connection_lost=True)
    if isinstance(error, smtplib.SMTPResponseException):
        permanent = 500 <= error.smtp_code < 600
        # A 421 (service closing) ends the session; other replies leave it usable.
        return SendFailure(_reply(error.smtp_code, error.smtp_error), permanent=permanent,
                           connection_lost=error.smtp_code == 421)
    if isinstance(error, (socket.timeout, TimeoutError)):
        return SendFailure(f"timeout: {error}", permanent=False, connection_lost=True)
    if isinstance(error, OSError):
        return SendFailure(f"connection failed: {error}", permanent=False, connection_lost=True)
    if isinstance(error, smtplib.SMTPException):
        return SendFailure(f"SMTP error: {error}", permanent=False, connection_lost=True)
    raise error


def _reply(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {' '.join(str(text).split())}"
