"""The check-in log: every scan at a door (and every undo), one row each."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .statuses import ScanKind, one_of
from .types import UTCDateTime, utcnow


class CheckinScan(db.Model):
    """One scan as a device saw it, with what the server made of it.

    The device makes the scan id, so a scan sent twice (a retried sync) is stored once. The
    registration keeps the earliest entry scan's time and door; this log keeps every scan, also
    the ones that came too late or were taken back.
    """

    __tablename__ = "checkin_scans"
    __table_args__ = (
        UniqueConstraint("event_id", "scan_id", name="uq_checkin_scans_event_scan"),
        CheckConstraint(one_of("kind", ScanKind), name="kind"),
        Index("ix_checkin_scans_event_scanned", "event_id", "scanned_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    #: The id the device gave the scan (a UUID); the server makes one for walk-ins and undos.
    scan_id: Mapped[str] = mapped_column(String(64))
    #: The registration of this event the code belongs to; empty for an unknown code or another event's.
    registration_id: Mapped[int | None] = mapped_column(
        ForeignKey("registrations.id", ondelete="SET NULL"), index=True)
    #: The code as read (from a URL, the code in it), cut to 100 characters.
    code: Mapped[str] = mapped_column(String(100))
    #: ``entry``, ``exit`` (a device in exit mode) or ``undo`` (a check-in taken back).
    kind: Mapped[str] = mapped_column(String(8), default=ScanKind.ENTRY)
    #: When the device saw the code (its clock); the earliest entry scan wins.
    scanned_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: When the server stored it.
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    door: Mapped[str] = mapped_column(String(100), default="")
    device: Mapped[str] = mapped_column(String(100), default="")
    #: Whether the device decided it without the server (it had no network).
    offline: Mapped[bool] = mapped_column(Boolean, default=False)
    #: What the server made of it (``checked_in``, ``already_checked_in``, … ``exited``, ``undone``).
    outcome: Mapped[str] = mapped_column(String(32))
    #: The account (of the session or the token) that sent it.
    organizer_id: Mapped[int | None] = mapped_column(ForeignKey("organizers.id", ondelete="SET NULL"))
    #: Why a check-in was taken back (undo rows only).
    reason: Mapped[str] = mapped_column(Text, default="")
