"""Verified TLS to every relay: a server whose certificate does not check out gets neither the
relay's password nor a single mail, and the mail waits; ``MAIL_CA_FILE`` trusts a private CA.

Real aiosmtpd servers speaking TLS (``smtps://``) or STARTTLS, with certificates from a CA made
in the test (with the ``openssl`` command): unknown to the system, trusted only when
``MAIL_CA_FILE`` names it.
"""

from __future__ import annotations

import ssl
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from eventsvc import create_app
from eventsvc.extensions import db
from eventsvc.models import OutboundMail
from eventsvc.models.types import utcnow
from eventsvc.services.mailing import delivery, send_from_outbox
from eventsvc.services.mailing.delivery import MailSettingError
from tests.factories import make_event, make_registration
from tests.fixtures.mail import SMTPServer


class PrivateCA:
    """A certificate authority of the test's own, and server certificates it issues."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.cert_path = folder / "ca.pem"
        self._openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=eventsvc test CA",
                      "-keyout", folder / "ca.key", "-out", self.cert_path,
                      "-addext", "basicConstraints=critical,CA:TRUE",
                      "-addext", "keyUsage=critical,keyCertSign,cRLSign")

    @staticmethod
    def _openssl(*args) -> None:
        subprocess.run(["openssl", *map(str, args)], check=True, capture_output=True)

    def issue(self, name: str) -> tuple[Path, Path]:
        """(certificate, key) for the host ``name``."""
        cert, key, csr = (self.folder / f"{name}.{ext}" for ext in ("pem", "key", "csr"))
        extensions = self.folder / f"{name}.ext"
        extensions.write_text(f"subjectAltName=DNS:{name}\nbasicConstraints=CA:FALSE\n"
                              "keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n"
                              "authorityKeyIdentifier=keyid\nsubjectKeyIdentifier=hash\n")
        self._openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={name}", "-keyout", key, "-out", csr)
        self._openssl("x509", "-req", "-in", csr, "-CA", self.cert_path, "-CAkey", self.folder / "ca.key",
                      "-CAcreateserial", "-days", "2", "-out", cert, "-extfile", extensions)
        return cert, key


@pytest.fixture(scope="module")
def private_ca(tmp_path_factory):
    return PrivateCA(tmp_path_factory.mktemp("ca"))


def _tls_server(ca: PrivateCA, name: str, starttls: bool) -> SMTPServer:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*ca.issue(name))
    return SMTPServer(**({"tls_context": context} if starttls else {"ssl_context": context})).start()


@pytest.fixture
def relay_cn(private_ca):
    """A smtps:// relay whose certificate, for ``localhost``, comes from the private CA."""
    server = _tls_server(private_ca, "localhost", starttls=False)
    yield server
    server.stop()


@pytest.fixture
def ca_file(private_ca):
    return str(private_ca.cert_path)


def _use(app, **settings) -> None:
    app.config.update(settings)
    app.extensions["eventsvc.delivery"] = delivery.load(app)


def _drain(now=None) -> None:
    while send_from_outbox(None, now).claimed:
        pass


def _mail(address: str) -> OutboundMail:
    db.session.rollback()
    return db.session.scalar(select(OutboundMail).where(OutboundMail.registration.has(email=address)))


def test_a_relay_with_a_certificate_from_an_unknown_ca_gets_no_login_and_no_mail(app, relay_cn, ca_file):
    _use(app, MAIL_ROUTES=f"qq.com=smtps://relay-user:s3cret@localhost:{relay_cn.port}", MAIL_CA_FILE="")
    make_registration(make_event(), email="wang@qq.com", language="zh")
    _drain()
    assert relay_cn.logins == [] and relay_cn.messages == []
    waiting = _mail("wang@qq.com")
    assert waiting.status == "queued"
    assert "certificate verify failed for localhost" in waiting.last_error
    # The operator adds the relay's CA: the waiting mail goes out at its next attempt.
    _use(app, MAIL_CA_FILE=ca_file)
    _drain(utcnow() + timedelta(hours=1))
    assert relay_cn.logins == [("relay-user", "s3cret")]
    [message] = relay_cn.extract_emails(count=1, to="wang@qq.com")
    assert _mail("wang@qq.com").status == "sent"


def test_starttls_to_mail_server_checks_the_certificate_too(app, private_ca, ca_file):
    server = _tls_server(private_ca, "localhost", starttls=True)
    try:
        _use(app, MAIL_SERVER="localhost", MAIL_PORT=server.port, MAIL_USE_TLS=True,
             MAIL_USERNAME="events", MAIL_PASSWORD="hunter2", MAIL_ROUTES="", MAIL_CA_FILE="")
        make_registration(make_event(), email="anna@example.de", language="de")
        _drain()
        assert server.logins == [] and server.messages == []
        assert "certificate" in _mail("anna@example.de").last_error
        _use(app, MAIL_CA_FILE=ca_file)
        _drain(utcnow() + timedelta(hours=1))
        server.extract_emails(count=1, to="anna@example.de")
        assert server.logins == [("events", "hunter2")]
    finally:
        server.stop()


def test_a_certificate_for_another_host_name_is_refused_even_from_a_trusted_ca(app, private_ca, ca_file):
    impostor = _tls_server(private_ca, "relay-cn.example", starttls=False)
    try:
        _use(app, MAIL_ROUTES=f"163.com=smtps://u:p@localhost:{impostor.port}", MAIL_CA_FILE=ca_file)
        make_registration(make_event(), email="li@163.com", language="zh")
        _drain()
        assert impostor.logins == [] and impostor.messages == []
        mail = _mail("li@163.com")
        assert mail.status == "queued" and "certificate" in mail.last_error
    finally:
        impostor.stop()


def test_an_unusable_mail_ca_file_stops_the_app_naming_the_setting(tmp_path):
    garbage = tmp_path / "not-a-ca.pem"
    garbage.write_text("hello")
    for value in (str(tmp_path / "missing.pem"), str(garbage)):
        with pytest.raises(MailSettingError, match="MAIL_CA_FILE"):
            create_app({"TESTING": True, "MAIL_CA_FILE": value})


def test_a_malformed_route_is_named_without_the_relays_password():
    for value in ("qq.com=smtp://relay-user:s3cret@relay-cn.example:5x7",
                  "qq.com=smtp://relay-user:s3cret@relay-cn.example:587?tls=1",
                  "qq.com=http://relay-user:s3cret@relay-cn.example",
                  "smtp://relay-user:s3cret@relay-cn.example:587"):
        with pytest.raises(MailSettingError) as raised:
            create_app({"TESTING": True, "MAIL_ROUTES": value})
        assert "MAIL_ROUTES entry 1" in str(raised.value) and "s3cret" not in str(raised.value)


def test_the_delivery_settings_never_show_the_dkim_key_or_a_password(app, tmp_path):
    import subprocess

    key = tmp_path / "dkim.pem"
    subprocess.run(["openssl", "genrsa", "-out", str(key), "1024"], check=True, capture_output=True)
    _use(app, DKIM_DOMAIN="events.test", DKIM_SELECTOR="s1", DKIM_PRIVATE_KEY_FILE=str(key),
         MAIL_ROUTES="qq.com=smtps://relay-user:s3cret@relay-cn.example")
    shown = repr(app.extensions["eventsvc.delivery"]) + str(app.extensions["eventsvc.delivery"])
    assert "PRIVATE KEY" not in shown and "s3cret" not in shown and "relay-cn.example" in shown
