"""The shipped deploy/ files at work: Debian's nginx with deploy/nginx/eventsvc.conf in front of
two gunicorn instances started with deploy/gunicorn.conf.py, on PostgreSQL and a Redis of their
own for the shared rate limits; and the systemd units through ``systemd-analyze verify``."""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
from pathlib import Path

import pytest
import requests
import trustme
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from eventsvc.extensions import db
from eventsvc.models import Event, Registration, Report
from eventsvc.services.organizers import create_organizer

from ..factories import make_event, make_registration
from .conftest import DEPLOY, NGINX, Gunicorn, Nginx, csrf_token, site_config

pytestmark = pytest.mark.skipif(not os.path.exists(NGINX), reason="Debian's nginx is not installed")

ROWS = 100_000
TOKEN = "prometheus-scrape-token-4d1c"


@pytest.fixture
def stack(pg_app, private_redis, tmp_path, free_ports):
    """nginx on HTTPS (and HTTP for the redirect) in front of two gunicorns with two workers each."""
    https_port, http_port, web_a, web_b = free_ports(4)
    ca = trustme.CA()
    server_cert = ca.issue_cert("localhost", "127.0.0.1")
    certificate, key, ca_file = tmp_path / "cert.pem", tmp_path / "key.pem", tmp_path / "ca.pem"
    server_cert.private_key_pem.write_to_path(str(key))
    server_cert.cert_chain_pems[0].write_to_path(str(certificate))
    for extra in server_cert.cert_chain_pems[1:]:
        extra.write_to_path(str(certificate), append=True)
    ca.cert_pem.write_to_path(str(ca_file))
    base_url = f"https://localhost:{https_port}"
    env = {**os.environ, "DATABASE_URL": pg_app.config["SQLALCHEMY_DATABASE_URI"], "SECRET_KEY": "n" * 48,
           "BASE_URL": base_url, "EVENTSVC_DOTENV": os.devnull, "EVENTSVC_INSTANCE_PATH": str(tmp_path),
           "CELERY_BROKER_URL": "memory://", "RATELIMIT_STORAGE_URI": private_redis.url, "RATELIMIT_ENABLED": "1",
           "PROXY_FIX_X_FOR": "1", "PROXY_FIX_X_PROTO": "1", "WEB_CONCURRENCY": "2", "LOG_FORMAT": "json",
           "METRICS_TOKEN": TOKEN, "MAIL_PORT": "1", "PYTHONUNBUFFERED": "1"}
    webs = [Gunicorn(env, port, tmp_path / name) for port, name in ((web_a, "a"), (web_b, "b"))]
    nginx = Nginx(tmp_path / "nginx", site_config(https_port, http_port, [web_a, web_b], certificate, key))
    try:
        for web in webs:
            web.start()
        checked = nginx.check()
        assert checked.returncode == 0, checked.stderr
        nginx.start(https_port)
        yield {"url": base_url, "http_port": http_port, "https_port": https_port, "ca": str(ca_file),
               "webs": webs, "nginx": nginx}
    finally:
        nginx.stop()
        for web in webs:
            web.stop()


def _session(stack) -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # REQUESTS_CA_BUNDLE would override the test CA
    session.verify = stack["ca"]
    return session


def _get_from(stack, source: str, path: str, headers: dict | None = None) -> http.client.HTTPResponse:
    """A GET from the loopback address ``source``: another client, as far as nginx can tell."""
    context = ssl.create_default_context(cafile=stack["ca"])
    connection = http.client.HTTPSConnection("localhost", stack["https_port"], context=context,
                                             source_address=(source, 0), timeout=30)
    connection.request("GET", path, headers=headers or {})
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


def test_registration_over_https_and_the_security_headers(stack, pg_app):
    event = make_event(slug="hamburg-launch")
    session = _session(stack)
    form_url = f"{stack['url']}/events/{event.slug}/register?lang=de"
    page = session.get(form_url)
    assert page.status_code == 200
    assert page.headers["Strict-Transport-Security"] == "max-age=31536000"
    answer = session.post(form_url, headers={"Referer": form_url}, allow_redirects=True, data={
        "csrf_token": csrf_token(page.text), "email": "anna.schmidt@example.de", "family_name": "Schmidt",
        "given_name": "Anna", "organization": "Volkswagen", "job_title": "Managerin", "language": "de",
        "privacy_consent": "y", "website": ""})
    assert answer.status_code == 200, answer.text[:2000]
    assert answer.url == f"{stack['url']}/events/{event.slug}/registered"  # still on https
    db.session.rollback()
    assert db.session.scalar(db.select(Registration.email).where(Registration.event_id == event.id)) == \
        "anna.schmidt@example.de"
    # The secure cookie survived the proxy: the app knew the request came over HTTPS.
    assert any(cookie.secure for cookie in session.cookies)

    redirect = requests.get(f"http://127.0.0.1:{stack['http_port']}/events/{event.slug}", allow_redirects=False)
    assert redirect.status_code == 301 and redirect.headers["Location"].startswith("https://")

    too_big = session.post(form_url, data={"email": "x" * (2 * 1024 * 1024)}, headers={"Referer": form_url})
    assert too_big.status_code == 413


def test_http2_is_offered(stack):
    context = ssl.create_default_context(cafile=stack["ca"])
    context.set_alpn_protocols(["h2", "http/1.1"])
    with socket.create_connection(("127.0.0.1", stack["https_port"]), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname="localhost") as tls:
            assert tls.selected_alpn_protocol() == "h2"


def test_static_files_come_from_nginx_with_a_long_lifetime(stack):
    session = _session(stack)
    page = session.get(stack["url"] + "/")
    [css] = [href for href in re.findall(r'href="([^"]+\.css[^"]*)"', page.text)]
    assert "?v=" in css  # a changed file gets a new URL
    response = session.get(stack["url"] + css)
    assert response.status_code == 200
    assert "max-age=31536000" in response.headers["Cache-Control"]
    assert "immutable" in response.headers["Cache-Control"]
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert "Content-Security-Policy" not in response.headers  # nginx answered, not the app
    # The door app's modules import each other without ?v=: asked again each time, never a year old.
    module = session.get(stack["url"] + "/static/door/api.js")
    assert module.status_code == 200 and module.headers["Cache-Control"] == "no-cache"


def test_limits_count_each_real_client_across_both_web_instances(stack, pg_app):
    db.session.add(Report(language="en", title="Smart City China", url="https://www.oav.de/report.pdf"))
    db.session.commit()
    for _ in range(30):  # nginx spreads these over both instances; Redis counts them together
        assert _get_from(stack, "127.0.0.1", "/reports/en").status == 302
    assert _get_from(stack, "127.0.0.1", "/reports/en").status == 429
    # A forged X-Forwarded-For does not make the same client someone else.
    assert _get_from(stack, "127.0.0.1", "/reports/en", {"X-Forwarded-For": "203.0.113.9"}).status == 429
    # Another client behind the same proxy has its own count.
    assert _get_from(stack, "127.0.0.2", "/reports/en").status == 302
    for web in stack["webs"]:
        assert "/reports/en" in web.log_path.read_text()  # both instances took a share


def _bulk_registrations(event_id: int, count: int) -> None:
    """``count`` registrations copied from one made by the service, in one INSERT … SELECT."""
    template = make_registration(db.session.get(Event, event_id))
    columns = [row[0] for row in db.session.execute(text(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'registrations' "
        "AND table_schema = current_schema() AND column_name <> 'id' ORDER BY ordinal_position"))]
    unique = {"public_id": "substr(md5(random()::text || n), 1, 24)", "email": "'bulk' || n || '@example.com'",
              "manage_token": "md5(random()::text || n) || md5(n::text)",
              "unsubscribe_token": "md5(random()::text || n) || md5((n + 1)::text)",
              "checkin_code": "md5(random()::text || n) || md5((n + 2)::text)",
              "given_name": "'Person ' || n"}
    chosen = ", ".join(unique.get(column, f"r.{column}") for column in columns)
    db.session.execute(text(f"INSERT INTO registrations ({', '.join(columns)}) SELECT {chosen} "
                            f"FROM registrations r, generate_series(1, :count) n WHERE r.id = :id"),
                       {"count": count - 1, "id": template.id})
    db.session.commit()


def test_a_100000_row_export_streams_through_nginx(stack, pg_app):
    event = make_event(slug="shanghai-forum")
    _bulk_registrations(event.id, ROWS)
    create_organizer("organizer@oav.de", "a long organizer password")
    session = _session(stack)
    login_url = f"{stack['url']}/organizer/login"
    page = session.get(login_url)
    answer = session.post(login_url, headers={"Referer": login_url}, data={
        "csrf_token": csrf_token(page.text), "email": "organizer@oav.de", "password": "a long organizer password"})
    assert answer.status_code == 200 and "/organizer/login" not in answer.url

    with session.get(f"{stack['url']}/organizer/events/{event.slug}/attendees.csv", stream=True) as export:
        assert export.status_code == 200
        assert export.headers.get("Transfer-Encoding") == "chunked"  # streamed, not buffered whole
        assert "Content-Length" not in export.headers
        lines = sum(chunk.count(b"\n") for chunk in export.iter_content(chunk_size=1 << 16))
    assert lines == ROWS + 1  # the header and every registration


def test_request_figures_of_every_worker_are_summed(stack):
    web = stack["webs"][0]
    for _ in range(12):
        requests.get(f"http://127.0.0.1:{web.port}/healthz", timeout=10)
    for _ in range(4):  # each scrape lands on one of the two workers; each answers with the sum
        scraped = requests.get(f"http://127.0.0.1:{web.port}/metrics", headers={"Authorization": f"Bearer {TOKEN}"},
                               timeout=10)
        counts = {sample.labels.get("endpoint"): sample.value
                  for family in text_string_to_metric_families(scraped.text) for sample in family.samples
                  if sample.name == "eventsvc_http_request_duration_seconds_count"}
        assert counts["healthz"] == 12


def test_the_web_writes_json_lines(stack):
    _session(stack).get(stack["url"] + "/", headers={"X-Request-ID": "client-supplied"})
    for web in stack["webs"]:
        for line in web.log_path.read_text().splitlines():
            if line.strip():
                record = json.loads(line)
                assert {"time", "level", "logger", "message"} <= set(record)


UNITS = ["eventsvc-web.service", "eventsvc-worker.service", "eventsvc-worker@.service", "eventsvc-beat.service",
         "eventsvc-bounces.service"]


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze is not installed")
def test_the_systemd_units_pass_systemd_analyze_verify(tmp_path):
    venv = Path(os.sys.executable).parent.parent
    for name in UNITS:
        unit = (DEPLOY / "systemd" / name).read_text()
        for setting in ("Restart=", "EnvironmentFile=/etc/eventsvc/eventsvc.env", "User=eventsvc",
                        "ProtectSystem=strict", "NoNewPrivileges=yes", "PrivateTmp=yes"):
            assert setting in unit, f"{name} lacks {setting}"
        # verify checks that the programs exist: point them at this machine's virtual environment.
        (tmp_path / name.replace("@.", "@mail.")).write_text(unit.replace("/opt/eventsvc/venv", str(venv)))
    result = subprocess.run(["systemd-analyze", "verify", "--man=no",
                             *(str(path) for path in sorted(tmp_path.glob("*.service")))],
                            capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0 and not result.stderr.strip() and not result.stdout.strip(), \
        result.stdout + result.stderr
