"""Scans at the door: every scan goes into the event's check-in log, the earliest one wins.

Devices scan online and offline and send their scans in batches (``record_scans``); each scan
carries an id made on the device, so a batch sent twice is stored once. Of all entry scans of a
registration the one with the earliest ``scanned_at`` is its check-in, whenever it arrives: a
late-arriving earlier scan takes the check-in over and the scan it displaced is relabelled
``already_checked_in``, so the log holds exactly one ``checked_in`` per check-in. A batch locks
the rows of its guests (not the event: four doors letting different people in do not wait for
each other); two devices scanning the same guest are served one after the other. On SQLite the
database's write lock serializes every batch. docs/architecture.md, "The door".
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from ..extensions import db
from ..models import CheckinScan, Event, Registration, RegistrationStatus, ScanKind
from ..models.types import utcnow
from .names import full_name
from .transaction import transaction
from .webhooks import emit_registration, listening as webhooks_listening

#: What a scan can come to (an exit scan of a guest who is in: ``exited``).
OUTCOMES = ("checked_in", "already_checked_in", "cancelled", "waitlisted", "not_for_this_event", "unknown")
EXITED = "exited"
UNDONE = "undone"
#: A device's clock may run this far ahead of the server's; a scan later than that is refused.
FUTURE_TOLERANCE = timedelta(minutes=10)
#: The most scans one batch may carry.
MAX_SCANS = 1000
_CODE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_DEADLOCK = "40P01"
#: A device's scan id: a UUID or anything like it.
SCAN_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def extract_code(text: str) -> str:
    """The check-in code from what was typed or scanned: the code itself or a URL holding it
    (as the last path segment or in ``?code=``)."""
    text = (text or "").strip()
    if "/" in text or "?" in text:
        parts = urlsplit(text)
        query_code = parse_qs(parts.query).get("code")
        if query_code:
            return query_code[0].strip()
        segments = [s for s in parts.path.split("/") if s]
        return segments[-1] if segments else ""
    return text


@dataclass(frozen=True)
class Scan:
    """One scan as a device sends it (already checked for shape by the caller)."""

    scan_id: str
    code: str
    scanned_at: datetime
    door: str = ""
    device: str = ""
    offline: bool = False
    exit: bool = False


@dataclass
class ScanResult:
    """What the server made of one scan; ``error`` set means it was refused and not stored.

    ``checked_in_at``, ``door`` and ``name`` are the registration's as the transaction left it
    (plain values, read before the commit: no second query to answer).
    """

    scan_id: str
    outcome: str | None
    registration: Registration | None = None
    error: str | None = None
    checked_in_at: datetime | None = None
    door: str | None = None
    name: str | None = None

    def settle(self) -> None:
        registration = self.registration
        if registration is not None:
            self.checked_in_at = registration.checked_in_at
            self.door = registration.checkin_door if registration.checked_in_at else None
            self.name = full_name(registration.family_name, registration.given_name)


class NotCheckedIn(Exception):
    """An undo of a registration that is not checked in."""


def new_scan_id(prefix: str) -> str:
    """A scan id made by the server (walk-ins, undos, the organizer pages)."""
    return f"{prefix}-{uuid.uuid4().hex}"


def _stored_code(text: str) -> str:
    return extract_code(text)[:100]


def record_scans(event_id: int, scans: list[Scan], organizer_id: int | None = None,
                 now: datetime | None = None) -> list[ScanResult]:
    """Store a batch of scans of one event and answer each, in order. See the module's rule.

    The first try takes the scans for new ones (what a door sends nearly always) and does not
    look for their ids in the log: the log's unique (event, scan id) refuses a scan stored
    before, the transaction rolls back, and the second try looks them up and answers them.
    """
    try:
        return _record_scans(event_id, scans, organizer_id, now, look_up_ids=False)
    except (IntegrityError, OperationalError) as error:
        # A scan id stored before (a retried sync, or a device retrying while its first try was
        # still running): the second try finds it stored and answers it. Or PostgreSQL broke a
        # rare deadlock with a cancellation that promoted a waiting guest this batch had locked:
        # the second try goes through.
        if isinstance(error, OperationalError) and getattr(error.orig, "sqlstate", None) != _DEADLOCK:
            raise
        return _record_scans(event_id, scans, organizer_id, now, look_up_ids=True)


#: The lock of a batch's guests (see :func:`_locked_guests`), built once: a door sends this
#: statement hundreds of times a minute, and only its values change.
_LOCK_GUESTS = (
    select(Registration,
           select(func.max(CheckinScan.scanned_at))
           .where(CheckinScan.registration_id == Registration.id, CheckinScan.kind == ScanKind.UNDO)
           .scalar_subquery(),
           webhooks_listening(bindparam("event_id")))
    .where(Registration.checkin_code.in_(bindparam("codes", expanding=True)))
    .order_by(Registration.id).with_for_update(of=Registration)
    .execution_options(populate_existing=True)
)


def _locked_guests(event_id: int, codes: set[str]) -> tuple[dict[str, Registration], dict[int, datetime], bool]:
    """The registrations of these codes, locked in the order of their ids (two batches never
    wait for each other in a circle), with the time of each one's last undo and whether any
    webhook endpoint listens to the event: one round trip."""
    if not codes:
        return {}, {}, False
    rows = db.session.execute(_LOCK_GUESTS, {"event_id": event_id, "codes": list(codes)}).all()
    by_code = {registration.checkin_code: registration for registration, _undo, _listening in rows}
    undos = {registration.id: undone_at for registration, undone_at, _listening in rows
             if undone_at is not None and registration.event_id == event_id}
    return by_code, undos, any(listens for _registration, _undo, listens in rows)


def _record_scans(event_id: int, scans: list[Scan], organizer_id: int | None,
                  now: datetime | None, look_up_ids: bool) -> list[ScanResult]:
    with transaction():
        event = db.session.get(Event, event_id)
        codes = {scan.scan_id: _stored_code(scan.code) for scan in scans}
        # The other queries come after the lock and see what it waited for.
        by_code, last_undo, listening = _locked_guests(
            event.id, {code for code in codes.values() if _CODE.match(code)})
        now = now or utcnow()
        known: dict[str, CheckinScan] = {}
        # A scan refused as too far ahead is not stored, so the log's constraint cannot tell that
        # its id was sent before: such a batch looks its ids up at once.
        if codes and (look_up_ids or any(scan.scanned_at > now + FUTURE_TOLERANCE for scan in scans)):
            known = {row.scan_id: row for row in db.session.scalars(select(CheckinScan).where(
                CheckinScan.event_id == event.id, CheckinScan.scan_id.in_(list(codes))))}

        results: list[ScanResult] = []
        first_of_id: dict[str, tuple[Scan, ScanResult]] = {}
        new_rows: list[tuple[CheckinScan, ScanResult]] = []
        for scan in scans:
            code = codes[scan.scan_id]
            stored = known.get(scan.scan_id)
            if stored is not None:
                same = stored.code == code
                results.append(_result_of_stored(stored, by_code.get(code)) if same
                               else ScanResult(scan.scan_id, None, error="scan_id_reused"))
                continue
            if scan.scan_id in first_of_id:
                earlier_scan, earlier = first_of_id[scan.scan_id]
                results.append(earlier if codes[earlier_scan.scan_id] == code and earlier.error is None
                               else ScanResult(scan.scan_id, None, error="scan_id_reused"))
                continue
            if scan.scanned_at > now + FUTURE_TOLERANCE:
                result = ScanResult(scan.scan_id, None, error="scanned_in_future")
            else:
                registration = by_code.get(code)
                if registration is not None and registration.event_id != event.id:
                    outcome, registration = "not_for_this_event", None
                elif registration is None:
                    outcome = "unknown"
                elif registration.status == RegistrationStatus.CANCELLED:
                    outcome = "cancelled"
                elif registration.status == RegistrationStatus.WAITLISTED:
                    outcome = "waitlisted"
                elif scan.exit:
                    outcome = EXITED
                else:
                    outcome = "pending"  # decided below, with the other entry scans of the guest
                result = ScanResult(scan.scan_id, outcome, registration)
                row = CheckinScan(event_id=event.id, scan_id=scan.scan_id,
                                  registration_id=registration.id if registration is not None else None,
                                  code=code, kind=ScanKind.EXIT if scan.exit else ScanKind.ENTRY,
                                  scanned_at=scan.scanned_at, received_at=now, door=scan.door[:100],
                                  device=scan.device[:100], offline=scan.offline, outcome=outcome,
                                  organizer_id=organizer_id, reason="")
                new_rows.append((row, result))
            first_of_id[scan.scan_id] = (scan, result)
            results.append(result)

        _decide_entries(new_rows, last_undo, listening)
        db.session.add_all(row for row, _result in new_rows)
        for result in results:
            result.settle()
    return results


def _decide_entries(new_rows: list[tuple[CheckinScan, ScanResult]], last_undo: dict[int, datetime],
                    listening: bool) -> None:
    """Give each guest's new entry scans their outcomes: the earliest of all wins."""
    pending: dict[int, list[tuple[CheckinScan, ScanResult]]] = {}
    newly_in: list[tuple[Registration, datetime]] = []
    for row, result in new_rows:
        if result.outcome == "pending":
            pending.setdefault(result.registration.id, []).append((row, result))
    for entries in pending.values():
        registration = entries[0][1].registration
        undone_at = last_undo.get(registration.id)
        # A scan from before the last undo was made while the (later undone) check-in stood.
        counting = [(row, result) for row, result in entries if undone_at is None or row.scanned_at > undone_at]
        for row, result in entries:
            row.outcome = result.outcome = "already_checked_in"
        if not counting:
            continue
        winner, winner_result = min(counting, key=lambda pair: pair[0].scanned_at)  # first of equals wins
        if registration.checked_in_at is not None and registration.checked_in_at <= winner.scanned_at:
            continue
        if registration.checked_in_at is not None:
            # An earlier scan arrived late: the scan that had let the guest in no longer did.
            db.session.execute(
                update(CheckinScan)
                .where(CheckinScan.registration_id == registration.id, CheckinScan.kind == ScanKind.ENTRY,
                       CheckinScan.outcome == "checked_in")
                .values(outcome="already_checked_in").execution_options(synchronize_session=False))
        if registration.checked_in_at is None:
            newly_in.append((registration, winner.scanned_at))
        winner.outcome = winner_result.outcome = "checked_in"
        registration.checked_in_at = winner.scanned_at
        registration.checkin_door = winner.door or None
    if listening:
        _tell_webhooks(newly_in)


def _tell_webhooks(newly_in: list[tuple[Registration, datetime]]) -> None:
    """The CRM hears of a check-in with the change, or not at all (once per check-in)."""
    with db.session.no_autoflush:
        for registration, when in newly_in:
            emit_registration("registration.checked_in", registration, when)


def _result_of_stored(row: CheckinScan, registration: Registration | None) -> ScanResult:
    """The answer to a scan sent again: what the log says of it now."""
    if row.registration_id is None:
        registration = None
    return ScanResult(row.scan_id, row.outcome, registration)


def undo_checkin(event_id: int, code: str, reason: str, organizer_id: int | None,
                 now: datetime | None = None) -> Registration | None:
    """Take a check-in back (a wrong scan): the guest is no longer checked in, and the log keeps
    an ``undo`` row with the reason and who did it. ``None``: no such code at this event.
    Raises :class:`NotCheckedIn` when the guest was not checked in."""
    code = _stored_code(code)
    with transaction():
        # The guest's row lock, as a batch of scans takes it: an undo and a scan never interleave.
        registration = db.session.scalar(
            select(Registration).where(Registration.checkin_code == code, Registration.event_id == event_id)
            .with_for_update().execution_options(populate_existing=True)) if _CODE.match(code) else None
        now = now or utcnow()
        if registration is None:
            return None
        if registration.checked_in_at is None:
            raise NotCheckedIn(code)
        db.session.add(CheckinScan(event_id=event_id, scan_id=new_scan_id("undo"), registration_id=registration.id,
                                   code=code, kind=ScanKind.UNDO, scanned_at=now, received_at=now,
                                   door=registration.checkin_door or "", device="", offline=False,
                                   outcome=UNDONE, organizer_id=organizer_id, reason=reason))
        registration.checked_in_at = None
        registration.checkin_door = None
    return registration


def scan_log(event: Event) -> list[CheckinScan]:
    """The event's check-in log, in the order the scans happened."""
    return list(db.session.scalars(select(CheckinScan).where(CheckinScan.event_id == event.id)
                                   .order_by(CheckinScan.scanned_at, CheckinScan.id)))
