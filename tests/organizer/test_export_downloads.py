"""Downloading the attendee list from the organizer pages, in both formats."""

import csv
import io

import openpyxl

from eventsvc.services.exports import EXPORT_COLUMNS
from tests.factories import make_event, make_registration


def test_both_exports_download_as_attachments(app, organizer_client, tmp_path):
    event = make_event(slug="download")
    person = make_registration(event, family_name="=cmd|' /C calc'!A0", given_name="小红")
    csv_response = organizer_client.get("/organizer/events/download/attendees.csv")
    assert csv_response.status_code == 200 and csv_response.mimetype == "text/csv"
    assert csv_response.headers["Content-Disposition"] == 'attachment; filename="download-attendees.csv"'
    assert csv_response.headers["Cache-Control"] == "no-store"
    rows = list(csv.reader(io.StringIO(csv_response.get_data().decode("utf-8-sig"))))
    assert tuple(rows[0]) == EXPORT_COLUMNS
    assert rows[1][:4] == [person.public_id, "confirmed", "'=cmd|' /C calc'!A0", "小红"]

    xlsx_response = organizer_client.get("/organizer/events/download/attendees.xlsx")
    assert xlsx_response.headers["Content-Disposition"] == 'attachment; filename="download-attendees.xlsx"'
    path = tmp_path / "list.xlsx"
    path.write_bytes(xlsx_response.get_data())
    cell = openpyxl.load_workbook(path).active["C2"]
    assert (cell.value, cell.data_type) == ("'=cmd|' /C calc'!A0", "s")
    assert organizer_client.get("/organizer/events/none/attendees.csv").status_code == 404
