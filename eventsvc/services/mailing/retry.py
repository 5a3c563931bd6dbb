"""When a mail that failed for a passing reason is tried again.

Delays double from ``MAIL_RETRY_BASE_SECONDS`` (60 s by default: 1, 2, 4, 8, 16, 30, 30 minutes)
with ±25 % jitter, so that a relay coming back is not hit by every waiting mail at the same
second. With the defaults (8 attempts) the attempts span about an hour and a half; even the
shortest jitter keeps them over an hour.
"""

from __future__ import annotations

import random

#: No single wait is longer than this by default (``MAIL_RETRY_MAX_SECONDS``).
MAX_DELAY_SECONDS = 30 * 60
#: Jitter: each delay is multiplied by a factor drawn from this range.
JITTER = (0.75, 1.25)


def retry_delay(attempts: int, base_seconds: float, rng: random.Random | None = None,
                max_seconds: float = MAX_DELAY_SECONDS) -> float:
    """Seconds to wait after the ``attempts``-th failed attempt (1 for the first failure)."""
    nominal = min(base_seconds * 2 ** max(attempts - 1, 0), max_seconds)
    return nominal * (rng or random).uniform(*JITTER)


def nominal_schedule(max_attempts: int, base_seconds: float) -> list[float]:
    """The delays between attempts without jitter, e.g. for the README or a test."""
    return [min(base_seconds * 2 ** (n - 1), MAX_DELAY_SECONDS) for n in range(1, max_attempts)]
