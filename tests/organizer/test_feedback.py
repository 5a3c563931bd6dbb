"""Feedback for organizers: counts and averages on the dashboard, the CSV export (formula-safe,
with a BOM), and no export for check-in accounts."""

from __future__ import annotations


def test_feedback_counts_averages_and_export_for_organizers_never_for_check_in_accounts(app, organizer_client):
    import csv
    import io
    from datetime import timedelta

    from eventsvc.extensions import db
    from eventsvc.models.types import utcnow
    from eventsvc.services.organizers import create_organizer
    from tests.factories import make_event, make_registration
    from tests.public.test_feedback import FEEDBACK

    event = make_event(slug="launch", feedback=FEEDBACK)
    people = [make_registration(event, email=f"p{n}@example.com") for n in range(3)]
    event.starts_at = utcnow() - timedelta(hours=4)
    event.ends_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    client = app.test_client()
    client.post(f"/r/{people[0].manage_token}/feedback", data={"q_overall": "5", "q_topic": "talks",
                                                               "q_comment": "=HYPERLINK(\"x\")"})
    client.post(f"/r/{people[1].manage_token}/feedback", data={"q_overall": "2", "q_topic": "talks"})
    dashboard = organizer_client.get("/organizer/events/launch?lang=en").get_data(as_text=True)
    assert "How was the event overall?" in dashboard and "3.50" in dashboard and "Talks: 2" in dashboard
    export = organizer_client.get("/organizer/events/launch/feedback.csv")
    assert export.status_code == 200 and export.data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(export.data.decode("utf-8-sig"))))
    assert rows[0] == ["registration_id", "q_overall", "q_topic", "q_comment"]
    assert sorted(rows[1:]) == sorted([[people[0].public_id, "5", "talks", "'=HYPERLINK(\"x\")"],
                                       [people[1].public_id, "2", "talks", ""]])
    create_organizer("door@oav.example", "door password 123", "Door", "checkin")
    from flask import g

    g.pop("_login_user", None)  # the test's app context outlives the requests: forget the admin
    door = app.test_client()
    door.post("/organizer/login", data={"email": "door@oav.example", "password": "door password 123"})
    assert door.get("/organizer/events/launch/feedback.csv").status_code == 404
