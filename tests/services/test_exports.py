"""Attendee exports: columns, byte-order mark, formula neutralisation, CLI."""

import csv
import io

import openpyxl

from eventsvc.services.checkin import check_in
from eventsvc.services.exports import EXPORT_COLUMNS, export_attendees_to_file, iter_csv, write_xlsx
from tests.factories import make_event, make_registration

HOSTILE = {"family_name": "=HYPERLINK(\"http://evil.example\",\"x\")", "given_name": "+1", "organization": "-2+3",
           "job_title": "@SUM(A1)", "email": "tab@example.com"}


def _people(event):
    chinese = make_registration(event, family_name="王", given_name="小明", organization="上海电气", language="zh")
    check_in(event, chinese.checkin_code)
    hostile = make_registration(event, **HOSTILE)
    control = make_registration(event, family_name="\tTab", given_name="\rReturn", organization="Bell\x07Co")
    return chinese, hostile, control


def test_csv_has_bom_the_columns_and_no_live_formulas(app):
    event = make_event(slug="csv-export")
    chinese, hostile, _control = _people(event)
    body = b"".join(iter_csv(event))
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert tuple(rows[0]) == EXPORT_COLUMNS
    by_id = {row[0]: dict(zip(EXPORT_COLUMNS, row)) for row in rows[1:]}
    assert by_id[chinese.public_id]["family_name"] == "王"
    assert by_id[chinese.public_id]["status"] == "confirmed"
    assert by_id[chinese.public_id]["checked_in_at"].endswith(("+01:00", "+02:00"))  # Berlin time
    row = by_id[hostile.public_id]
    assert row["family_name"] == "'" + HOSTILE["family_name"]
    assert (row["given_name"], row["organization"], row["job_title"]) == ("'+1", "'-2+3", "'@SUM(A1)")
    for value in (cell for row in rows[1:] for cell in row):
        assert not value.startswith(("=", "+", "-", "@", "\t", "\r"))


def test_xlsx_cells_are_text_never_formulas(app, tmp_path):
    event = make_event(slug="xlsx-export")
    chinese, hostile, control = _people(event)
    path = tmp_path / "export.xlsx"
    write_xlsx(event, path)
    sheet = openpyxl.load_workbook(path).active
    rows = list(sheet.iter_rows())
    assert tuple(cell.value for cell in rows[0]) == EXPORT_COLUMNS
    by_id = {row[0].value: {c: cell for c, cell in zip(EXPORT_COLUMNS, row)} for row in rows[1:]}
    assert by_id[chinese.public_id]["given_name"].value == "小明"
    hostile_row = by_id[hostile.public_id]
    assert hostile_row["family_name"].value == "'" + HOSTILE["family_name"]
    for row in rows[1:]:
        for cell in row:
            assert cell.data_type in ("s", "n") and cell.data_type != "f"
    assert by_id[control.public_id]["organization"].value == "BellCo"  # control character dropped


def test_cli_export_writes_the_file_with_a_progress_bar(app, tmp_path):
    event = make_event(slug="cli-export")
    _people(event)
    output = tmp_path / "list.csv"
    result = app.test_cli_runner().invoke(args=["attendees", "export", "cli-export", "--format", "csv",
                                                "--output", str(output)])
    assert result.exit_code == 0, result.output
    assert "3 registrations written" in result.output
    assert output.read_bytes().startswith(b"\xef\xbb\xbf")
    missing = app.test_cli_runner().invoke(args=["attendees", "export", "nope"])
    assert missing.exit_code != 0 and "No event" in missing.output


def test_export_to_file_reports_progress_for_xlsx(app, tmp_path):
    event = make_event(slug="progress")
    _people(event)
    updates = []

    class Bar:
        def __init__(self, length, label):
            updates.append(("length", length))

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def update(self, n):
            updates.append(("rows", n))

    count = export_attendees_to_file("progress", "xlsx", tmp_path / "p.xlsx", progress=Bar)
    assert count == 3 and updates == [("length", 3), ("rows", 3)]
    assert openpyxl.load_workbook(tmp_path / "p.xlsx").active.max_row == 4


def test_csv_holds_exactly_the_rows_of_the_export_on_every_database(app):
    """PostgreSQL writes the CSV itself (COPY); its cells must equal the Python rows."""
    event = make_event(slug="same-rows", timezone="Asia/Shanghai")
    _people(event)
    make_registration(event, organization="", job_title="")
    from eventsvc.services.exports import export_rows

    expected = [row for batch in export_rows(event) for row in batch]
    body = b"".join(iter_csv(event)).decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(body)))[1:] == expected
    assert expected[0][8].endswith("+08:00")


SEMICOLON_HOSTILE = {"organization": "Acme;=1+1", "job_title": 'Boss; "=HYPERLINK(""http://evil.example"")',
                     "given_name": "Li;+1;-2;@A1", "family_name": "Wang;\tTab"}


def _pieces_as_german_excel_sees_them(body: bytes) -> list[str]:
    """German Excel opens a comma CSV by splitting each line on ";" and ignoring the commas."""
    pieces = []
    for line in body.decode("utf-8-sig").splitlines():
        for piece in line.split(";"):
            pieces.append(piece.lstrip(' "'))
    return pieces


def test_no_piece_between_semicolons_starts_a_formula_in_german_excel(app):
    event = make_event(slug="semicolons")
    make_registration(event, **SEMICOLON_HOSTILE)
    make_registration(event, organization="Müller; Söhne", job_title="=A1")
    body = b"".join(iter_csv(event))
    pieces = _pieces_as_german_excel_sees_them(body)
    assert len(pieces) > 3  # the line was split
    for piece in pieces:
        assert not piece.startswith(("=", "+", "-", "@", "\t", "\r")), piece
    # A comma-reading program still sees the values, only a quote before each formula start.
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    organizations = {row[EXPORT_COLUMNS.index("organization")] for row in rows[1:]}
    assert organizations == {"Acme;'=1+1", "Müller; Söhne"}
