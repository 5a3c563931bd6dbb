"""The alert rules and the dashboard in deploy/ ask for metrics that /metrics really exports."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from ..monitoring.test_metrics import TOKEN

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
RULES = DEPLOY / "prometheus" / "eventsvc-alerts.yml"
DASHBOARD = DEPLOY / "grafana" / "eventsvc-dashboard.json"
#: Names PromQL knows that are not metrics.
_PROMQL_WORDS = {"max", "min", "sum", "by", "increase", "rate", "histogram_quantile", "le", "endpoint", "relay",
                 "status", "result", "event", "door", "up", "job", "humanizeDuration", "without", "bool"}


@pytest.fixture
def app_overrides():
    return {"METRICS_TOKEN": TOKEN}


def _names_in(expression: str) -> set[str]:
    without_strings = re.sub(r'"[^"]*"', "", expression)
    without_ranges = re.sub(r"\[[^\]]*\]", "", without_strings)
    return {word for word in re.findall(r"\b[a-z_][a-z0-9_]*\b", without_ranges)
            if word.startswith("eventsvc_")}


def _exported(client) -> set[str]:
    text = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).get_data(as_text=True)
    names = set()
    for family in text_string_to_metric_families(text):
        names.update(sample.name for sample in family.samples)
        names.add(family.name + "_total" if family.type == "counter" else family.name)
    return names


def _rule_expressions() -> list[str]:
    rules = yaml.safe_load(RULES.read_text())
    return [rule["expr"] for group in rules["groups"] for rule in group["rules"]]


def test_the_alert_rules_are_valid_and_name_exported_metrics(client):
    client.get("/")  # one request, so the histogram has samples
    exported = _exported(client)
    expressions = _rule_expressions()
    assert len(expressions) >= 5
    used = set().union(*map(_names_in, expressions))
    assert {"eventsvc_outbox_oldest_queued_seconds", "eventsvc_mail_sent_total", "eventsvc_bounces_total"} <= used
    assert used <= exported, used - exported
    if shutil.which("promtool"):
        result = subprocess.run(["promtool", "check", "rules", str(RULES)], capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr


def test_the_dashboard_shows_exported_metrics(client):
    client.get("/")
    exported = _exported(client)
    dashboard = json.loads(DASHBOARD.read_text())
    expressions = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    used = set().union(*map(_names_in, expressions))
    assert "eventsvc_registrations_total" in used and "eventsvc_checkins_total" in used
    assert used <= exported, used - exported
