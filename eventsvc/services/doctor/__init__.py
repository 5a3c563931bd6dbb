"""``flask doctor``: whether a configuration will work before the first registrant finds out.

Each check returns a :class:`Check` whose message says in plain words what is wrong and how to
fix it. Nothing is changed and no mail is sent. A check is ``ok``, ``warning`` (works, but worth
a look: the exit status stays 0), ``error`` (will fail in use: the exit status is 1) or
``skipped`` (nobody to ask, e.g. DNS did not answer).
"""

from __future__ import annotations

from .checks import (ERROR, OK, SKIPPED, WARNING, Check, base_url_check, broker_check, database_check,
                     rate_limit_storage_check, secret_key_check)
from .mail import dkim_checks, relay_checks

__all__ = ["ERROR", "OK", "SKIPPED", "WARNING", "Check", "healthy", "run_checks"]


def run_checks(resolver=None) -> list[Check]:
    """Every check, in the order an administrator fixes things. ``resolver``: a dnspython
    resolver for the DKIM record (the system's by default)."""
    return [secret_key_check(), base_url_check(), database_check(), broker_check(), rate_limit_storage_check(),
            *relay_checks(), *dkim_checks(resolver)]


def healthy(checks: list[Check]) -> bool:
    """False when any check found something that will fail in use."""
    return not any(check.status == ERROR for check in checks)
