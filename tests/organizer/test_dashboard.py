"""The dashboard of an event: counts, the chart drawn on the server, report downloads."""

from datetime import datetime, timedelta, timezone

from eventsvc.extensions import db
from eventsvc.models import Report, ReportDownload
from eventsvc.services.checkin import check_in
from eventsvc.services.dashboard import event_counts, registrations_per_day
from eventsvc.services.registration import cancel
from tests.factories import make_event, make_registration


def test_counts_chart_and_downloads(app, organizer_client):
    event = make_event(slug="dash", capacity=2)
    other = make_event()
    day_one = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)
    from eventsvc.services.registration import register
    from tests.factories import registration_data

    people = [register(event.id, registration_data(), now=day_one + timedelta(days=d)).registration
              for d in (0, 0, 2)]  # two seats, the third waits; nobody on day two
    check_in(event, people[0].checkin_code)
    cancel(people[1].id)  # the waiting one takes the seat
    make_registration(other)
    counts = event_counts(event)
    assert (counts.confirmed, counts.waitlisted, counts.cancelled, counts.checked_in) == (2, 0, 1, 1)
    assert registrations_per_day(event) == [(day_one.date(), 2), (day_one.date() + timedelta(days=1), 0),
                                           (day_one.date() + timedelta(days=2), 1)]

    english = Report(language="en", title="Smart City China", url="https://example.org/en.pdf")
    chinese = Report(language="zh", title="智慧城市中国", url="https://example.org/zh.pdf")
    db.session.add_all([english, chinese])
    db.session.flush()
    db.session.add_all([ReportDownload(report_id=english.id, event_id=event.id) for _ in range(3)]
                       + [ReportDownload(report_id=english.id, event_id=other.id)])
    db.session.commit()

    page = organizer_client.get("/organizer/events/dash").get_data(as_text=True)
    registrations_chart = page.split("<svg", 1)[1].split("</svg>", 1)[0]  # the first chart; arrivals follow
    assert registrations_chart.count("<rect") == 3 and "2026-03-01: 2" in page and "2026-03-03: 1" in page
    assert "<script" not in page.split("<svg", 1)[1].split("</svg>", 1)[0]
    assert "Smart City China (English)</td><td>3</td>" in page and "智慧城市中国 (Chinese)</td><td>0</td>" in page
    chinese_page = organizer_client.get("/organizer/events/dash?lang=zh").get_data(as_text=True)
    assert "已确认" in chinese_page and "每日报名人数" in chinese_page


def test_the_chart_scales_for_one_day_and_for_ninety():
    import re

    from eventsvc.services.dashboard import registrations_chart

    start = datetime(2030, 1, 1).date()
    one_day = registrations_chart([(start, 4)], "chart", width=640)
    [width] = [float(w) for w in re.findall(r'<rect [^>]*width="([\d.]+)"', one_day)]
    assert width <= 40                                  # a bar, not a block across the chart
    ninety = registrations_chart([(start + timedelta(days=d), d % 7) for d in range(90)], "chart", width=640)
    rects = re.findall(r'<rect x="([\d.]+)" [^>]*width="([\d.]+)"', ninety)
    assert len(rects) == 90
    assert all(float(x) + float(w) <= 640 - 10 for x, w in rects) and all(float(w) >= 1 for _, w in rects)
