"""``flask doctor``: a configuration that works passes, each thing that would fail is named.

The relays are real aiosmtpd servers (plain, with AUTH, with TLS on a certificate of a test CA);
the database is a migrated PostgreSQL or SQLite one, the broker and limit storage Redis, the DKIM
record comes from a small DNS server in the test.
"""

from __future__ import annotations

import base64
import json
import socket
import ssl
import subprocess
import threading

import dns.message
import dns.rcode
import dns.resolver
import dns.rrset
import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from flask_migrate import upgrade

from eventsvc import create_app
from eventsvc.services import doctor

from ..fixtures.database import BASE_OVERRIDES
from ..fixtures.services import free_port

STRONG_KEY = "k3J9-vQ2x_Lm8ZpR4tY7wB1nC6hD0sFgA5eUoIyTqWv"


class _Accept:
    def __init__(self) -> None:
        self.received = 0

    async def handle_DATA(self, server, session, envelope):
        self.received += 1
        return "250 OK"


def _authenticator(server, session, envelope, mechanism, auth_data):
    return AuthResult(success=auth_data.login == b"events" and auth_data.password == b"right password", handled=False)


def _relay(**options) -> tuple[Controller, _Accept]:
    handler = _Accept()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), server_hostname="relay.test",
                            **options)
    controller.start()
    return controller, handler


@pytest.fixture
def plain_relay():
    controller, handler = _relay()
    yield controller, handler
    controller.stop()


@pytest.fixture
def auth_relay():
    controller, handler = _relay(authenticator=_authenticator, auth_require_tls=False)
    yield controller, handler
    controller.stop()


@pytest.fixture
def certificate_authority():
    return trustme.CA()


@pytest.fixture
def tls_relay(certificate_authority):
    """An SMTPS relay (TLS from the first byte) whose certificate the test CA issued to 127.0.0.1."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    certificate_authority.issue_cert("127.0.0.1").configure_cert(context)
    # aiosmtpd counts only STARTTLS as TLS when it offers AUTH; this relay is TLS from the first byte.
    controller, handler = _relay(ssl_context=context, authenticator=_authenticator, auth_require_tls=False)
    yield controller, handler
    controller.stop()


@pytest.fixture
def app_overrides(plain_relay, redis_url, monkeypatch):
    """Everything as a production host would have it, with the plain relay as MAIL_SERVER."""
    monkeypatch.setenv("WEB_CONCURRENCY", "4")
    return {"SECRET_KEY": STRONG_KEY, "BASE_URL": "https://events.example.org", "MAIL_PORT": plain_relay[0].port,
            "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": redis_url,
            "CELERY": {"broker_url": redis_url}}


def _doctor(app, *args):
    result = app.test_cli_runner().invoke(args=["doctor", *args])
    return result


def _checks(app) -> dict[str, dict]:
    result = _doctor(app, "--json")
    report = json.loads(result.output)
    assert report["ok"] == (result.exit_code == 0)
    return {check["name"]: check for check in report["checks"]}


def test_a_working_configuration_passes_and_sends_no_mail(app, plain_relay):
    result = _doctor(app)
    assert result.exit_code == 0, result.output
    assert "ERROR" not in result.output
    assert "All is well." in result.output
    checks = _checks(app)
    for name in ("secret_key", "base_url", "database", "broker", "rate_limits", f"relay 127.0.0.1:{plain_relay[0].port}"):
        assert checks[name]["status"] == "ok", checks[name]
    assert plain_relay[1].received == 0


def test_each_wrong_setting_is_named_with_the_fix(app):
    app.config.update(SECRET_KEY="changeme", BASE_URL="http://events.example.org",
                      RATELIMIT_STORAGE_URI="memory://", CELERY={"broker_url": f"redis://127.0.0.1:{free_port()}/0"},
                      MAIL_PORT=free_port())
    app.extensions["celery"].conf.broker_url = app.config["CELERY"]["broker_url"]
    result = _doctor(app, "--json")
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["ok"] is False
    checks = {check["name"]: check for check in report["checks"]}
    assert set(checks["secret_key"]) == {"name", "status", "message"}
    assert checks["secret_key"]["status"] == "error" and "secrets.token_urlsafe" in checks["secret_key"]["message"]
    assert checks["base_url"]["status"] == "error" and "https://" in checks["base_url"]["message"]
    assert checks["broker"]["status"] == "error" and "CELERY_BROKER_URL" in checks["broker"]["message"]
    assert checks["rate_limits"]["status"] == "error" and "4 web processes" in checks["rate_limits"]["message"]
    [relay] = [check for name, check in checks.items() if name.startswith("relay ")]
    assert relay["status"] == "error" and "cannot be reached" in relay["message"]


def test_a_database_behind_the_release_is_told_to_migrate(app_overrides, tmp_path):
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    old = create_app({**BASE_OVERRIDES, **app_overrides, "SQLALCHEMY_DATABASE_URI": url})
    with old.app_context():
        upgrade(revision="0001")
        check = _checks(old)["database"]
    assert check["status"] == "error"
    assert "at migration 0001" in check["message"] and "db upgrade" in check["message"]


def test_a_relay_login_is_tried_and_a_wrong_password_named(app, auth_relay, plain_relay):
    port = auth_relay[0].port
    app.config["MAIL_ROUTES"] = (f"qq.com=smtp://events:right%20password@127.0.0.1:{port};"
                                 f"163.com=smtp://events:wrong@127.0.0.1:{free_port()}")
    from eventsvc.services.mailing import delivery
    app.extensions["eventsvc.delivery"] = delivery.load(app)
    checks = _checks(app)
    ok = checks[f"relay 127.0.0.1:{port}"]
    assert ok["status"] == "ok" and "login of events accepted" in ok["message"]

    app.config["MAIL_ROUTES"] = f"qq.com=smtp://events:wrong@127.0.0.1:{port}"
    app.extensions["eventsvc.delivery"] = delivery.load(app)
    refused = _checks(app)[f"relay 127.0.0.1:{port}"]
    assert refused["status"] == "error" and "refused the login of events" in refused["message"]
    assert auth_relay[1].received == 0


def test_a_relay_certificate_is_checked(app, tls_relay, certificate_authority, tmp_path):
    port = tls_relay[0].port
    app.config.update(MAIL_PORT=port, MAIL_USE_SSL=True, MAIL_USERNAME="events", MAIL_PASSWORD="right password")
    untrusted = _checks(app)[f"relay 127.0.0.1:{port}"]
    assert untrusted["status"] == "error" and "certificate" in untrusted["message"]
    assert "MAIL_CA_FILE" in untrusted["message"]

    ca_file = tmp_path / "ca.pem"
    certificate_authority.cert_pem.write_to_path(str(ca_file))
    app.config["MAIL_CA_FILE"] = str(ca_file)
    trusted = _checks(app)[f"relay 127.0.0.1:{port}"]
    assert trusted["status"] == "ok", trusted
    assert "over TLS" in trusted["message"]


# DKIM --------------------------------------------------------------------------------------


def _rsa_key(path) -> str:
    """A PKCS#1 key (what dkimpy reads) and its public half as a DKIM p= value."""
    subprocess.run(["openssl", "genrsa", "-traditional", "-out", str(path), "1024"], check=True, capture_output=True)
    der = subprocess.run(["openssl", "rsa", "-in", str(path), "-pubout", "-outform", "der"], check=True,
                         capture_output=True).stdout
    return base64.b64encode(der).decode()


class _DNSServer:
    """Answers TXT queries from ``records`` on a UDP port of 127.0.0.1 (NXDOMAIN for others)."""

    def __init__(self, records: dict[str, str]) -> None:
        self.records = records
        self.failing = False
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                data, peer = self.sock.recvfrom(4096)
            except OSError:
                return
            query = dns.message.from_wire(data)
            response = dns.message.make_response(query)
            name = str(query.question[0].name).rstrip(".")
            text = self.records.get(name)
            if self.failing:
                response.set_rcode(dns.rcode.SERVFAIL)
            elif text is None:
                response.set_rcode(dns.rcode.NXDOMAIN)
            else:
                chunks = " ".join(f'"{text[i:i + 200]}"' for i in range(0, len(text), 200))
                response.answer.append(dns.rrset.from_text(name + ".", 60, "IN", "TXT", chunks))
            self.sock.sendto(response.to_wire(), peer)

    def resolver(self) -> dns.resolver.Resolver:
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = ["127.0.0.1"]
        resolver.port = self.port
        return resolver

    def close(self) -> None:
        self.sock.close()


def test_the_dkim_key_is_compared_with_the_published_record(tmp_path):
    # No database needed: one app on an unused SQLite file.
    app = create_app({**BASE_OVERRIDES, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'unused.sqlite'}"})
    key_file, other_file = tmp_path / "dkim.pem", tmp_path / "other.pem"
    public, other_public = _rsa_key(key_file), _rsa_key(other_file)
    app.config.update(DKIM_DOMAIN="events.example.org", DKIM_SELECTOR="mar2019", DKIM_PRIVATE_KEY_FILE=str(key_file))
    server = _DNSServer({"mar2019._domainkey.events.example.org": f"v=DKIM1; k=rsa; p={public}"})
    with app.app_context():
        _compare_with_dns(server, other_public)


def _compare_with_dns(server: _DNSServer, other_public: str) -> None:
    try:
        [check] = doctor.dkim_checks(server.resolver())
        assert check.status == "ok", check

        server.records["mar2019._domainkey.events.example.org"] = f"v=DKIM1; k=rsa; p={other_public}"
        [check] = doctor.dkim_checks(server.resolver())
        assert check.status == "error" and "does not match" in check.message

        server.records.clear()
        [check] = doctor.dkim_checks(server.resolver())
        assert check.status == "error" and "No DKIM record is published" in check.message
        assert "openssl rsa -in" in check.message

        server.failing = True  # DNS does not answer: the key is readable, the record not compared
        [check] = doctor.dkim_checks(server.resolver())
        assert check.status == "skipped" and "DNS did not answer" in check.message
    finally:
        server.close()
