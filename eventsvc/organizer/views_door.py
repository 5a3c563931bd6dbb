"""The door app: one page per event that scans, searches and checks people in, online or not.

The page itself is a shell: its scripts (``static/door/``) talk to the check-in API with the
organizer's session, keep the event's check-in list on the device and decide scans there when the
network is gone. This module serves the shell, its web app manifest and its service worker. See
docs/architecture.md, "The door".
"""

from __future__ import annotations

from flask import current_app, jsonify, render_template, send_from_directory, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..models import OrganizerRole
from .routes import bp
from .views_attendees import lang_of_page
from .views_events import load_event

#: Roles that may register walk-ins and undo a check-in at the door (a ``checkin`` account only scans).
MANAGING_ROLES = {OrganizerRole.ADMIN, OrganizerRole.ORGANIZER}


def _strings() -> dict[str, str]:
    """What the page's script says, in the reader's language; ``{name}``-style holes are filled there."""
    return {
        "checked_in": _("Welcome"),
        "exited": _("Goodbye: leaving"),
        "inside": _("%(count)s inside now", count="{count}"),
        "per_minute": _("%(count)s scans in the last minute", count="{count}"),
        "already_checked_in": _("Already checked in at %(time)s", time="{time}"),
        "already_checked_in_door": _("Already checked in at %(time)s (door %(door)s)", time="{time}", door="{door}"),
        "cancelled": _("Cancelled: this registration was cancelled."),
        "waitlisted": _("On the waiting list: no seat."),
        "not_for_this_event": _("Not for this event: this code belongs to another event."),
        "unknown": _("Unknown code: no registration has this code."),
        "offline": _("decided on this device (offline)"),
        "later_already": _("At sync: %(name)s had already been checked in at %(time)s (door %(door)s).",
                           name="{name}", time="{time}", door="{door}"),
        "refused": _("The server refused %(count)s scans; check them by hand.", count="{count}"),
        "state_online": _("Online"),
        "state_offline": _("Offline: scans are decided on this device and sent later"),
        "state_logged_out": _("Logged out: log in again to send the scans"),
        "queued": _("%(count)s scans waiting to be sent", count="{count}"),
        "counts": _("%(checked_in)s of %(expected)s checked in", checked_in="{checked_in}", expected="{expected}"),
        "no_door": _("no door named"),
        "camera_off": _("The camera cannot be used here: type or scan the code into the field."),
        "check_in": _("Check in"),
        "undo": _("Undo"),
        "undone": _("Check-in undone: %(name)s", name="{name}"),
        "walk_in_done": _("Registered at the door: %(name)s", name="{name}"),
        "failed": _("That did not work: %(reason)s", reason="{reason}"),
        "no_results": _("Nobody found."),
        "not_checked_in": _("not checked in"),
        "checked_in_at": _("checked in at %(time)s", time="{time}"),
        "logout_unsent": _("%(count)s scans have not reached the server yet and are lost at logout. Log out anyway?",
                           count="{count}"),
    }


@bp.get("/events/<slug>/door")
def door(slug: str):
    """The door app of one event (the ``checkin`` role included)."""
    event = load_event(slug)
    api = f"/api/v1/events/{event.slug}"
    config = {
        "slug": event.slug,
        "account": current_user.id,
        "lang": lang_of_page(),
        "timezone": event.timezone,
        "endsAt": event.ends_at.isoformat(),
        "mayManage": current_user.role in MANAGING_ROLES,
        "urls": {
            "list": f"{api}/checkin-list",
            "checkins": f"{api}/checkins",
            "search": f"{api}/registrations",
            "walkIns": f"{api}/walk-ins",
            "undo": f"{api}/checkins/undo",
            "stats": f"{api}/checkin-stats",
            "worker": url_for("static", filename="door/decoder-worker.js"),
            "serviceWorker": url_for("organizer.door_service_worker"),
            "serviceWorkerScope": url_for("organizer.events") + "/",
        },
        "strings": _strings(),
    }
    return render_template("organizer/door.html", event=event, config=config,
                           may_manage=config["mayManage"])


@bp.get("/events/<slug>/door.webmanifest")
def door_manifest(slug: str):
    """The web app manifest that makes this event's door installable on a phone's home screen."""
    event = load_event(slug)
    lang = lang_of_page()
    door_url = url_for("organizer.door", slug=event.slug)
    response = jsonify({
        "name": _("Door: %(title)s", title=event.text("title", lang)),
        "short_name": _("Door"),
        "lang": {"zh": "zh-Hans"}.get(lang, lang),
        "start_url": door_url,
        "scope": door_url,
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#ffffff",
        "theme_color": "#b3122e",
        "icons": [
            {"src": url_for("static", filename="door/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": url_for("static", filename="door/icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {"src": url_for("static", filename="door/icon-512.png"), "sizes": "512x512", "type": "image/png",
             "purpose": "maskable"},
        ],
    })
    response.mimetype = "application/manifest+json"
    return response


@bp.get("/door-sw.js")
def door_service_worker():
    """The door's service worker, served under /organizer/ so that it may control the event pages
    (a worker controls only what lies under its own path). It holds nothing private: anyone may
    fetch it, and it caches only the door pages and the site's static files."""
    response = send_from_directory(current_app.static_folder, "door/sw.js", mimetype="text/javascript",
                                   max_age=0)
    response.headers["Service-Worker-Allowed"] = url_for("organizer.events") + "/"
    return response
