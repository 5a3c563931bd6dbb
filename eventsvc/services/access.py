"""Who may see which event: roles and grants of organizer accounts, and API token scope.

An ``admin`` sees every event; an ``organizer`` the events granted to it; a ``checkin`` account
the check-in page of the events granted to it. An API token carries its owner's access, or less
when it is narrowed to one event. Views answer 404 for an event outside it, as for an unknown one.
"""

from __future__ import annotations

from sqlalchemy import delete, select

from ..extensions import db
from ..models import ApiToken, Event, EventGrant, Organizer, OrganizerRole, TokenScope
from .transaction import transaction


class AccessError(Exception):
    """A role or grant cannot be changed as asked (the message says why)."""


def event_ids_of(organizer: Organizer) -> set[int] | None:
    """The ids of the events the organizer may work on; ``None`` means every event (admin)."""
    if organizer.role == OrganizerRole.ADMIN:
        return None
    return set(db.session.scalars(select(EventGrant.event_id).where(EventGrant.organizer_id == organizer.id)))


def token_event_ids(token: ApiToken) -> set[int] | None:
    """What an API token reaches: its owner's events, narrowed to its one event if it has one.

    A ``checkin`` account's token reaches its events only with the ``checkin`` scope (which the
    API keeps to the door's routes); one made before scopes existed reaches nothing.
    """
    if token.organizer.role == OrganizerRole.CHECKIN and token.scope != TokenScope.CHECKIN:
        return set()
    owner = event_ids_of(token.organizer)
    if token.event_id is None:
        return owner
    return {token.event_id} if owner is None or token.event_id in owner else set()


def may_see(event_ids: set[int] | None, event: Event) -> bool:
    return event_ids is None or event.id in event_ids


def set_role(organizer: Organizer, role: str) -> None:
    if role not in set(OrganizerRole):
        raise AccessError(f"{role} is not a role; use admin, organizer or checkin.")
    with transaction():
        organizer.role = role


def grant(organizer: Organizer, event: Event) -> bool:
    """Let the organizer work on the event; returns whether it is new."""
    with transaction():
        exists = db.session.scalar(select(EventGrant.id).where(
            EventGrant.organizer_id == organizer.id, EventGrant.event_id == event.id))
        if exists is not None:
            return False
        db.session.add(EventGrant(organizer_id=organizer.id, event_id=event.id))
    return True


def revoke(organizer: Organizer, event: Event) -> bool:
    """Take the event away from the organizer; returns whether it had been granted."""
    with transaction():
        result = db.session.execute(delete(EventGrant).where(
            EventGrant.organizer_id == organizer.id, EventGrant.event_id == event.id))
    return result.rowcount > 0


def granted_events(organizer: Organizer) -> list[Event]:
    return list(db.session.scalars(
        select(Event).join(EventGrant, EventGrant.event_id == Event.id)
        .where(EventGrant.organizer_id == organizer.id).order_by(Event.starts_at)))


def all_organizers() -> list[Organizer]:
    return list(db.session.scalars(select(Organizer).order_by(Organizer.email)))
