"""The layers of the code, as docs/architecture.md draws them, checked by tools."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_import_contracts_hold():
    """Blueprints, commands and tasks above services, above models; no cycles (.importlinter)."""
    lint = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_no_service_or_model_reads_the_request():
    """Services get plain values; the request, its session and its globals stay in the views."""
    web_only = {"request", "session", "g", "flash", "redirect", "url_for", "abort"}
    offenders = []
    for path in sorted((ROOT / "eventsvc").glob("services/**/*.py")) + sorted((ROOT / "eventsvc").glob("models/*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "flask":
                offenders += [f"{path.relative_to(ROOT)}: {alias.name}" for alias in node.names
                              if alias.name in web_only]
    assert offenders == []
