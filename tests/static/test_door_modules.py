"""The door app's own JavaScript modules (``eventsvc/static/door/``), unit-tested with node's test
runner (``tests/js/``), so that ``make test`` covers them. The browser tests in
``tests/browser/test_door.py`` run the same modules in chromium against the server."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.fixtures.services import IN_CI

ROOT = Path(__file__).resolve().parents[2]


def test_the_door_modules_pass_their_node_tests():
    node = shutil.which("node")
    if node is None:
        if IN_CI:
            pytest.fail("node is required for the door app's module tests (CI=true)")
        pytest.skip("node is not installed")
    run = subprocess.run([node, "--test", "tests/js/"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    summary = "\n".join(line for line in run.stdout.splitlines() if line.startswith(("not ok", "# pass", "# fail")))
    assert run.returncode == 0, f"{summary}\n{run.stdout[-4000:]}\n{run.stderr[-2000:]}"
