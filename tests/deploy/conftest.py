"""Debian's nginx with the shipped site in front of gunicorn instances started with the shipped
config: the production set-up on one machine (also used by ``bench cluster``'s code).

``ProductionStack`` writes an nginx main file of its own (prefix, pid, temp paths, logs in a
temporary folder), includes ``deploy/nginx/eventsvc.conf`` with only the certificate, the ports,
the upstream servers and the static folder put in, and runs ``nginx -g 'daemon off;'`` as a
plain process.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from ..fixtures.services import free_port, port_open

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEPLOY = PROJECT_ROOT / "deploy"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
GUNICORN = Path(os.sys.executable).with_name("gunicorn")


def site_config(https_port: int, http_port: int, upstreams: list[int], certificate: Path, key: Path) -> str:
    """The shipped site with the test's ports, certificate, upstreams and static folder."""
    text = (DEPLOY / "nginx" / "eventsvc.conf").read_text()
    replacements = [
        ("listen 443 ssl http2;", f"listen {https_port} ssl http2;"),
        ("listen [::]:443 ssl http2;", ""),
        ("listen 80;", f"listen {http_port};"),
        ("listen [::]:80;", ""),
        ("/etc/letsencrypt/live/events.example.org/fullchain.pem", str(certificate)),
        ("/etc/letsencrypt/live/events.example.org/privkey.pem", str(key)),
        ("/opt/eventsvc/app/eventsvc/static/", f"{PROJECT_ROOT}/eventsvc/static/"),
        ("    server 127.0.0.1:8000;\n", "".join(f"    server 127.0.0.1:{port};\n" for port in upstreams)),
    ]
    for old, new in replacements:
        assert old in text, f"deploy/nginx/eventsvc.conf no longer has {old!r}"
        text = text.replace(old, new)
    return text


class Nginx:
    def __init__(self, directory: Path, site: str) -> None:
        self.directory = directory
        for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi", "logs"):
            (directory / name).mkdir(parents=True, exist_ok=True)
        (directory / "site.conf").write_text(site)
        # As root, nginx's workers would switch to "nobody", who cannot enter a private temporary folder.
        user = "user root;\n" if os.geteuid() == 0 else ""
        (directory / "nginx.conf").write_text(f"""{user}worker_processes 2;
pid {directory}/nginx.pid;
error_log {directory}/logs/error.log warn;
events {{ worker_connections 512; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    access_log {directory}/logs/access.log;
    client_body_temp_path {directory}/body;
    proxy_temp_path {directory}/proxy;
    fastcgi_temp_path {directory}/fastcgi;
    uwsgi_temp_path {directory}/uwsgi;
    scgi_temp_path {directory}/scgi;
    include {directory}/site.conf;
}}
""")
        self.process: subprocess.Popen | None = None

    def check(self) -> subprocess.CompletedProcess:
        return subprocess.run([NGINX, "-t", "-p", str(self.directory), "-c", str(self.directory / "nginx.conf")],
                              capture_output=True, text=True)

    def start(self, port: int) -> "Nginx":
        self.process = subprocess.Popen(
            [NGINX, "-p", str(self.directory), "-c", str(self.directory / "nginx.conf"), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL, stderr=open(self.directory / "logs" / "stderr.log", "wb"),
            start_new_session=True)
        wait_for_port(port, self.process, self.directory / "logs" / "error.log")
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGQUIT)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)


class Gunicorn:
    """``gunicorn -c deploy/gunicorn.conf.py`` as the web unit runs it, on its own port."""

    def __init__(self, env: dict[str, str], port: int, directory: Path) -> None:
        self.port = port
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self.log_path = directory / "gunicorn.log"
        self.env = {**env, "GUNICORN_BIND": f"127.0.0.1:{port}",
                    "PROMETHEUS_MULTIPROC_DIR": str(directory / "prometheus")}
        self.process: subprocess.Popen | None = None

    def start(self) -> "Gunicorn":
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen([str(GUNICORN), "-c", str(DEPLOY / "gunicorn.conf.py")], env=self.env,
                                            cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True)
        wait_for_port(self.port, self.process, self.log_path)
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)


def wait_for_port(port: int, process: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_open("127.0.0.1", port, 0.2):
            return
        if process.poll() is not None:
            break
        time.sleep(0.1)
    text = log.read_text(errors="replace") if log.exists() else ""
    raise RuntimeError(f"nothing listens on {port} (exit {process.poll()}):\n{text[-3000:]}")


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or \
        re.search(r'value="([^"]+)"[^>]*name="csrf_token"', html)
    assert match, "no csrf_token in the page"
    return match.group(1)


@pytest.fixture
def free_ports():
    def take(count: int) -> list[int]:
        ports: list[int] = []
        while len(ports) < count:
            port = free_port()
            if port not in ports:
                ports.append(port)
        return ports
    return take
