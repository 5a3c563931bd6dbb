"""gunicorn settings for eventsvc's web service (``gunicorn -c deploy/gunicorn.conf.py``).

Read by the systemd unit ``eventsvc-web.service``; every value can be changed in the environment
file (/etc/eventsvc/eventsvc.env) without editing this file.
"""

import multiprocessing
import os
import shutil
from pathlib import Path

wsgi_app = "eventsvc:create_app()"
#: nginx on the same host talks to this address; several hosts: bind to the private network.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
#: Processes per host; `flask doctor` reads the same variable to insist on shared rate limits.
workers = int(os.environ.get("WEB_CONCURRENCY", min(2 * multiprocessing.cpu_count() + 1, 8)))
#: An XLSX export of a very large list takes its time; nginx's proxy_read_timeout is the same.
timeout = 120
graceful_timeout = 30
keepalive = 5
#: Only nginx on this host may say who the client was (the app's PROXY_FIX_* settings count it).
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
#: gunicorn 25+ keeps a control socket at one shared path; the service does not use it.
control_socket_disable = True
accesslog = "-"
#: Registrants' and organizers' private tokens become *** in the access log (eventsvc/access_log.py).
logger_class = "eventsvc.access_log.MaskingLogger"
errorlog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s" request_id=%({x-request-id}i)s'

# Request figures of every worker, summed at /metrics: prometheus_client's multiprocess mode
# needs the directory set before it is imported (the workers import the app after this file
# ran), emptied at start, and each exited worker marked dead.
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", os.environ.get("RUNTIME_DIRECTORY", "/run/eventsvc") + "/prometheus")


def on_starting(server):
    directory = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True, exist_ok=True)


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


if os.environ.get("LOG_FORMAT", "text").strip().lower() == "json":
    # gunicorn's own lines (start, worker exits, access) as the app's JSON lines.
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "eventsvc.monitoring.logs.JsonFormatter"}},
        "filters": {"request_id": {"()": "eventsvc.monitoring.logs.RequestIdFilter"}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json", "filters": ["request_id"],
                                "stream": "ext://sys.stderr"}},
        "root": {"level": "INFO", "handlers": ["stderr"]},
        "loggers": {"gunicorn.error": {"level": "INFO", "handlers": [], "propagate": True},
                    "gunicorn.access": {"level": "INFO", "handlers": [], "propagate": True}},
    }
