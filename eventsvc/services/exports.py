"""Attendee lists as CSV and XLSX, streamed so that 100,000 rows never sit in memory.

Times are ISO 8601 with the UTC offset of the event's zone (``2019-03-14T18:05:00+01:00``): a
spreadsheet user reads the local time of the event, and the offset leaves no doubt about the
instant. Every cell a spreadsheet would take for a formula (starting with ``= + - @``, a tab, a
carriage return or a line feed) is prefixed with a single quote, in both formats: openpyxl
would otherwise store ``=…`` as a live formula.
"""

from __future__ import annotations

import csv
import io
import os
import re
import tempfile
from contextlib import nullcontext
from datetime import datetime
from pathlib import Path
from typing import Callable, Iterator
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from ..extensions import db
from ..models import Event, Registration
from .transaction import end_read

#: The columns of both formats, in this order (docs/architecture.md, "Public surface").
EXPORT_COLUMNS = (
    "registration_id", "status", "family_name", "given_name", "email", "organization",
    "job_title", "language", "registered_at", "checked_in_at", "cancelled_at",
)
FORMATS = ("csv", "xlsx")
MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
#: Rows fetched from the database at a time.
BATCH_SIZE = 2000
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
_CHUNK = 64 * 1024

_SELECTED = (
    Registration.id, Registration.public_id, Registration.status, Registration.family_name,
    Registration.given_name, Registration.email, Registration.organization,
    Registration.job_title, Registration.language, Registration.created_at,
    Registration.checked_in_at, Registration.cancelled_at, Registration.answers,
)


class ExportError(Exception):
    """The export cannot be made as asked (unknown event or format)."""


#: A ";" before what would start a formula (after spaces or quotes): German Excel opens a comma
#: CSV by splitting each line on ";", so ``Acme;=1+1`` would become the cells ``Acme`` and ``=1+1``.
_FORMULA_AFTER_SEMICOLON = re.compile(r';(?=[ "]*[=+\-@\t\r\n])')


def neutralise(value: str) -> str:
    """A cell value no spreadsheet runs as a formula: ``=1+1`` becomes ``'=1+1``.

    Also after each ``;``: ``Acme;=1+1`` becomes ``Acme;'=1+1``, so that no piece between the
    semicolons starts a formula when German Excel splits the line there.
    """
    if not value:
        return value
    if ";" in value:
        value = _FORMULA_AFTER_SEMICOLON.sub(";'", value)
    if value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def _time(value: datetime | None, zone: ZoneInfo) -> str:
    return value.astimezone(zone).replace(microsecond=0).isoformat() if value is not None else ""


def find_event(slug: str) -> Event:
    event = db.session.scalar(select(Event).where(Event.slug == slug))
    if event is None:
        raise ExportError(f"No event has the slug {slug!r}.")
    return event


def count_rows(event: Event) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Registration).where(Registration.event_id == event.id)
    )


def _db_batches(event_id: int) -> Iterator[list]:
    """The event's registrations in registration order, a batch of rows at a time.

    PostgreSQL streams them through one server-side cursor (``yield_per``) in one snapshot. On
    SQLite every transaction holds the database's write lock, so there the rows come in keyset
    pages, each read in its own short transaction, and registrations go on while a long export
    is being downloaded.
    """
    query = select(*_SELECTED).where(Registration.event_id == event_id).order_by(Registration.id)
    if db.session.get_bind().dialect.name == "postgresql":
        result = db.session.execute(query.execution_options(yield_per=BATCH_SIZE))
        try:
            for partition in result.partitions():
                yield partition
        finally:
            result.close()
            end_read()
        return
    last_id = 0
    while True:
        batch = db.session.execute(query.where(Registration.id > last_id).limit(BATCH_SIZE)).all()
        end_read()  # let writers in between batches (SQLite)
        if not batch:
            return
        yield batch
        last_id = batch[-1][0]


def columns_of(event: Event) -> list[str]:
    """:data:`EXPORT_COLUMNS`, then one ``q_<key>`` column per question of the event."""
    return list(EXPORT_COLUMNS) + [f"q_{question['key']}" for question in event.questions or []]


def answer_text(value) -> str:
    """An answer as a cell: the text, the choice key, or the choice keys joined with ``;``."""
    if isinstance(value, list):
        return ";".join(str(item) for item in value)
    return "" if value is None else str(value)


def export_rows(event: Event) -> Iterator[list[list[str]]]:
    """Batches of export rows (lists of strings in :func:`columns_of` order), neutralised."""
    zone = event.zone
    keys = [question["key"] for question in event.questions or []]
    for batch in _db_batches(event.id):
        yield [
            [
                row.public_id, row.status, neutralise(row.family_name), neutralise(row.given_name),
                neutralise(row.email), neutralise(row.organization or ""),
                neutralise(row.job_title or ""), row.language,
                _time(row.created_at, zone), _time(row.checked_in_at, zone), _time(row.cancelled_at, zone),
                *(neutralise(answer_text((row.answers or {}).get(key))) for key in keys),
            ]
            for row in batch
        ]


def iter_csv(event: Event, on_rows: Callable[[int], None] | None = None) -> Iterator[bytes]:
    """The CSV file in chunks: UTF-8 with a byte-order mark (so Excel reads Chinese), commas."""
    header = "\ufeff" + ",".join(columns_of(event)) + "\r\n"
    if db.session.get_bind().dialect.name == "postgresql":
        yield header.encode("utf-8")
        yield from _postgres_csv_rows(event, on_rows)
        return
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write(header)
    for rows in export_rows(event):
        writer.writerows(rows)
        if on_rows:
            on_rows(len(rows))
        if buffer.tell() >= _CHUNK:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def _neutralised_sql(column: str) -> str:
    """SQL for :func:`neutralise`: the same quote before the same first characters."""
    starts = ", ".join(["'='", "'+'", "'-'", "'@'", r"E'\t'", r"E'\r'", r"E'\n'"])
    # The same quote after each ";" before a formula start (the regular expression of Python's).
    column = "regexp_replace(" + column + r""", ';(?=[ "]*[=+\-@\t\r\n])', ';''', 'g')"""
    return f"CASE WHEN left({column}, 1) IN ({starts}) THEN '''' || {column} ELSE {column} END"


def _iso_sql(column: str) -> str:
    """SQL writing a time as ``datetime.isoformat`` does (seconds, offset), in the session zone."""
    return f"""to_char({column}, 'YYYY-MM-DD"T"HH24:MI:SSTZH:TZM')"""


def _postgres_csv_rows(event: Event, on_rows: Callable[[int], None] | None) -> Iterator[bytes]:
    r"""The rows as PostgreSQL's own ``COPY … TO STDOUT (FORMAT csv)`` writes them.

    The same columns, neutralisation and times as :func:`export_rows`, computed by the database:
    Python only passes the bytes on, which keeps the export within a small factor of
    ``psql \copy`` (see bench/export.py). Times are formatted in the event's zone, set for this
    transaction only. PostgreSQL ends lines with LF and quotes empty strings; CSV readers and
    spreadsheets read both the same.
    """
    texts = [_neutralised_sql(c) for c in ("family_name", "given_name", "email",
                                           "coalesce(organization, '')", "coalesce(job_title, '')")]
    times = [_iso_sql(c) for c in ("created_at", "checked_in_at", "cancelled_at")]
    # Question keys are plain identifiers (checked when the event was saved): safe in the SQL.
    # An answer is text or a list of choice keys, whatever the question's type is today (an
    # organizer may have changed it since): both come out as answer_text writes them.
    answers = [_neutralised_sql(
        f"coalesce(CASE jsonb_typeof(answers->'{q['key']}') WHEN 'array' THEN (SELECT string_agg(value, ';') "
        f"FROM jsonb_array_elements_text(answers->'{q['key']}')) ELSE answers->>'{q['key']}' END, '')")
        for q in event.questions or []]
    query = (
        f"COPY (SELECT public_id, status, {', '.join(texts)}, language, {', '.join(times + answers)} "
        f"FROM registrations WHERE event_id = {int(event.id)} ORDER BY id) TO STDOUT (FORMAT csv)"
    )
    connection = db.session.connection().connection.driver_connection
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('TimeZone', %s, true)", (event.timezone,))
            with cursor.copy(query) as copy:
                pending: list[bytes] = []
                size = 0
                for data in copy:
                    pending.append(bytes(data))
                    size += len(data)
                    if size >= _CHUNK:
                        chunk = b"".join(pending)
                        if on_rows:  # a progress figure: a quoted field may hold a line break
                            on_rows(chunk.count(b"\n"))
                        yield chunk
                        pending, size = [], 0
                chunk = b"".join(pending)
                if on_rows and chunk:
                    on_rows(chunk.count(b"\n"))
                yield chunk
    finally:
        end_read()  # also ends the transaction-local time zone


def write_xlsx(event: Event, target, on_rows: Callable[[int], None] | None = None) -> None:
    """Write the XLSX file to ``target`` (a path or a binary file) in openpyxl's write-only mode."""
    # Imported here, not at the top: openpyxl costs every web, worker and command process about
    # 15 MB, and only an XLSX export needs it (docs/architecture.md, "Decisions worth knowing").
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    def _xlsx_text(value: str) -> str | None:
        # XML cannot hold most control characters (openpyxl would raise on them); an empty cell
        # is left empty rather than holding an empty string.
        return ILLEGAL_CHARACTERS_RE.sub("", value) or None

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title="Attendees")
    sheet.append(columns_of(event))
    for rows in export_rows(event):
        for row in rows:
            # The neutralised values never start with "=", so openpyxl stores them as text.
            sheet.append([_xlsx_text(value) for value in row])
        if on_rows:
            on_rows(len(rows))
    workbook.save(target)


def iter_xlsx(event: Event) -> Iterator[bytes]:
    """The XLSX file in chunks: written to a temporary file (unlinked at once), then read back."""
    with tempfile.TemporaryFile(prefix="eventsvc-export-", suffix=".xlsx") as handle:
        write_xlsx(event, handle)
        handle.seek(0)
        while chunk := handle.read(_CHUNK):
            yield chunk


def export_filename(event: Event, fmt: str, what: str = "attendees") -> str:
    """``<slug>-attendees.csv`` (or ``-badges.pdf``), with anything but plain letters, digits, dots
    and hyphens replaced (the name goes into a Content-Disposition header)."""
    return re.sub(r"[^A-Za-z0-9.-]", "_", event.slug) + f"-{what}.{fmt}"


def export_attendees_to_file(slug: str, fmt: str, path: str | os.PathLike,
                             progress: Callable | None = None) -> int:
    """Write the attendee list of the event ``slug`` to ``path``; returns the number of rows.

    ``progress`` is ``click.progressbar`` or alike: called as ``progress(length=n, label=…)`` and
    used as a context manager whose ``update(k)`` is called as rows are written. The file appears
    only when complete (written beside it, then renamed).
    """
    if fmt not in FORMATS:
        raise ExportError(f"Unknown format {fmt!r}; choose csv or xlsx.")
    event = find_event(slug)
    total = count_rows(event)
    path = Path(path)
    partial = path.with_name(path.name + ".part")
    bar_context = progress(length=total, label=f"Exporting {slug}") if progress else nullcontext()
    try:
        with bar_context as bar:
            on_rows = bar.update if bar is not None else None
            if fmt == "csv":
                with open(partial, "wb") as handle:
                    for chunk in iter_csv(event, on_rows):
                        handle.write(chunk)
            else:
                write_xlsx(event, partial, on_rows)
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return total
