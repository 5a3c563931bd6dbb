"""How a worker starts: the documented command, with nothing else on its command line, asks no
other worker anything before it takes mail (Mingle waited a second and a half for answers)."""

from __future__ import annotations

import pytest

from tests.fixtures.worker import CeleryWorker, worker_env

pytestmark = pytest.mark.worker


class PlainWorker(CeleryWorker):
    """``celery -A worker worker`` without the flags the other tests add against chatter."""

    def command(self) -> list[str]:
        return [part for part in super().command()
                if part not in ("--without-mingle", "--without-gossip", "--without-heartbeat")]


def test_a_plain_worker_is_ready_without_asking_other_workers(pg_app, smtp_server, redis_broker, tmp_path):
    worker = PlainWorker(worker_env(pg_app, smtp_server.port, redis_broker, tmp_path), redis_broker.queues,
                         tmp_path / "worker.log", concurrency=1)
    assert "--without-mingle" not in worker.command()
    try:
        worker.start()
        log = worker.log_path.read_text()
    finally:
        worker.kill()
    assert " ready." in log
    assert "mingle:" not in log, log
