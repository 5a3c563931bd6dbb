"""Editions of the Smart City China report and their downloads."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime, utcnow


class Report(db.Model):
    """One language edition of the report; registrants get a link to every published one."""

    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: en, zh or de; one edition per language.
    language: Mapped[str] = mapped_column(String(5), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    #: Where the file lives; mail links go through our counter, which redirects here.
    url: Mapped[str] = mapped_column(String(1000))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    downloads = relationship("ReportDownload", back_populates="report", lazy="dynamic")


class ReportDownload(db.Model):
    """One click on a report link, for the organizers' counts."""

    __tablename__ = "report_downloads"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    #: The event whose page or mail the link came from, when known.
    event_id: Mapped[int | None] = mapped_column(
        ForeignKey("events.id", ondelete="SET NULL"), index=True
    )
    downloaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    report = relationship("Report", back_populates="downloads")
