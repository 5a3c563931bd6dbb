"""The SMTP connection: Flask-Mail's settings, with the timeout and host name it lacks.

Flask-Mail 0.10 opens ``smtplib.SMTP`` without a timeout (a silent relay would hang a worker for
ever) and lets smtplib look up this machine's fully qualified name for EHLO, which can take
seconds. :class:`MailConnection` keeps Flask-Mail's ``Connection`` (and its ``MAIL_*`` settings)
and fixes both. Messages are ``email.message.EmailMessage`` objects, sent as they are.
"""

from __future__ import annotations

import smtplib
import socket
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import parseaddr
from urllib.parse import urlsplit

from flask import current_app
from flask_mail import Connection

from ...extensions import mail


class MailConnection(Connection):
    """One SMTP session for a batch of messages: STARTTLS, SSL and login per ``MAIL_*``."""

    def __init__(self, timeout: float, local_hostname: str) -> None:
        super().__init__(current_app.extensions["mail"])
        self.timeout = timeout
        self.local_hostname = local_hostname

    def configure_host(self) -> smtplib.SMTP:
        state = self.mail
        smtp_class = smtplib.SMTP_SSL if state.use_ssl else smtplib.SMTP
        host = smtp_class(state.server, state.port, local_hostname=self.local_hostname,
                          timeout=self.timeout)
        if state.use_tls:
            host.starttls()
        if state.username and state.password:
            host.login(state.username, state.password)
        return host

    def __exit__(self, exc_type, exc_value, tb) -> None:
        # QUIT on a connection the server already dropped raises; the batch is over either way.
        if self.host is not None:
            try:
                self.host.quit()
            except (smtplib.SMTPException, OSError):
                self.host.close()

    def send_email(self, message: EmailMessage) -> None:
        """Hand one message to the server; raises what smtplib raises."""
        sender = parseaddr(str(message["Sender"] or message["From"]))[1]
        recipient = parseaddr(str(message["To"]))[1]
        self.host.send_message(message, from_addr=sender, to_addrs=[recipient])
        self.num_emails += 1


def open_connection() -> MailConnection:
    """A connection configured from the app's settings (use it as a context manager)."""
    config = current_app.config
    host_name = urlsplit(config["BASE_URL"]).hostname or "localhost"
    _ = mail  # the extension must be initialised on the app; Connection reads its state
    return MailConnection(timeout=config["MAIL_TIMEOUT"], local_hostname=host_name)


@dataclass
class SendFailure:
    """Why a message was not accepted, and whether trying again later can help."""

    reason: str
    permanent: bool
    #: The connection is unusable: the rest of the batch cannot be sent over it either.
    connection_lost: bool = False


def classify_failure(error: BaseException) -> SendFailure:
    """Sort an exception from smtplib or the socket into permanent (5xx) or temporary."""
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
