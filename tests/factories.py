"""Factory functions for test data; each returns a committed object."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone

from eventsvc.extensions import db
from eventsvc.models import Event
from eventsvc.services.registration import RegistrationData, register

_counter = itertools.count(1)


def make_event(**fields) -> Event:
    """A published event in Berlin three weeks from now, unlimited, mailing in English and Chinese."""
    n = next(_counter)
    starts = fields.pop("starts_at", datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=21))
    values = dict(
        slug=f"event-{n}",
        title={"en": f"Smart City China {n}", "zh": f"智慧城市中国 {n}", "de": f"Smart City China {n}"},
        description={"en": "About China's urban future.", "zh": "关于中国城市的未来。", "de": "Über Chinas urbane Zukunft."},
        venue={"en": "Haus der Wirtschaft, Berlin", "zh": "柏林经济之家", "de": "Haus der Wirtschaft, Berlin"},
        city="Berlin",
        country="DE",
        timezone="Europe/Berlin",
        starts_at=starts,
        ends_at=starts + timedelta(hours=3),
        capacity=None,
        languages=["en", "zh"],
        status="published",
    )
    values.update(fields)
    event = Event(**values)
    db.session.add(event)
    db.session.commit()
    return event


def registration_data(**fields) -> RegistrationData:
    n = next(_counter)
    values = dict(
        email=f"person{n}@example.com", family_name="Wang", given_name="Li",
        organization="Siemens", job_title="Engineer", language="en", privacy_consent=True,
    )
    values.update(fields)
    return RegistrationData(**values)


def make_registration(event: Event, **fields):
    """Register someone through the service, as the form would."""
    return register(event.id, registration_data(**fields)).registration
