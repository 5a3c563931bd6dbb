"""Walk-ins: a person registered at the door by an organizer and let in at once."""

from __future__ import annotations

from ..models import Registration, RegistrationStatus
from ..models.types import utcnow
from .door import Scan, new_scan_id, record_scans
from .registration import RegistrationData, register


def walk_in(event_id: int, data: RegistrationData, door: str = "", device: str = "",
            organizer_id: int | None = None) -> tuple[str, Registration]:
    """Register ``data`` as the form would (capacity and waiting list apply, the confirmation mail
    goes; the registration window does not: the guest is at the door) and check them in.

    Returns the outcome (``checked_in``, ``already_checked_in`` when the address was registered
    and in already, ``waitlisted`` or ``cancelled``: no seat) and the registration. Raises
    :class:`~eventsvc.services.registration.EventFull` when the event is full without a waiting
    list, :class:`~eventsvc.services.registration.RegistrationClosed` when it is not published.
    """
    outcome = register(event_id, data, at_the_door=True)
    registration = outcome.registration
    if registration.status != RegistrationStatus.CONFIRMED:
        return str(registration.status), registration
    scan = Scan(new_scan_id("walk-in"), registration.checkin_code, utcnow(), door=door, device=device)
    result = record_scans(event_id, [scan], organizer_id)[0]
    return result.outcome, result.registration
