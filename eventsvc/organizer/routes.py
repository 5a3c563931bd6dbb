"""The organizer blueprint: every page needs a logged-in organizer, except the login page itself.

The views live in one module per area (``views_*.py``), each registering on :data:`bp`.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, g, redirect, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _, pgettext
from flask_login import current_user

from ..services.local_time import format_moment
from ..models import OrganizerRole
from ..services.access import event_ids_of, may_see
from ..services.events import find_event
from ..services.two_factor import has_second_factor

bp = Blueprint("organizer", __name__)

#: Endpoints an anonymous visitor may reach (the door's service worker holds nothing private,
#: and a browser fetches it without asking anyone to log in; the password reset and the login's
#: passkey step come before any session).
PUBLIC_ENDPOINTS = {"organizer.login", "organizer.door_service_worker", "organizer.password_reset",
                    "organizer.password_reset_link", "organizer.login_passkey_options", "organizer.login_passkey"}
#: All that a ``checkin`` account may reach: its events (as links to check-in), check-in and the
#: door, its own account and its API tokens (of the ``checkin`` scope: no more than its door reaches).
CHECKIN_ENDPOINTS = PUBLIC_ENDPOINTS | {"organizer.logout", "organizer.index", "organizer.events",
                                        "organizer.checkin_page", "organizer.door", "organizer.door_manifest",
                                        "organizer.tokens", "organizer.revoke_token",
                                        "organizer.account", "organizer.change_password",
                                        "organizer.logout_everywhere", "organizer.two_factor_page",
                                        "organizer.totp_begin", "organizer.totp_enrol", "organizer.totp_confirm",
                                        "organizer.totp_disable", "organizer.passkey_options",
                                        "organizer.passkey_add", "organizer.passkey_delete"}
#: What an account without a second factor may reach while ``ORGANIZER_REQUIRE_2FA`` is on.
ENROLMENT_ENDPOINTS = PUBLIC_ENDPOINTS | {"organizer.logout", "organizer.two_factor_page", "organizer.totp_begin",
                                         "organizer.totp_enrol", "organizer.totp_confirm",
                                         "organizer.passkey_options", "organizer.passkey_add"}
#: Pages for admins only: new events (and copies), invitations to every follow-up subscriber, and
#: the accounts with their roles and grants.
ADMIN_ENDPOINTS = {"organizer.new_event", "organizer.copy_event", "organizer.invite_event", "organizer.accounts",
                   "organizer.set_role", "organizer.grant_event", "organizer.revoke_grant",
                   "organizer.webhook_endpoints", "organizer.webhook_log", "organizer.switch_webhook",
                   "organizer.delete_webhook"}


def _has_nul(values) -> bool:
    return any("\x00" in value for value in values if isinstance(value, str))


@bp.before_request
def refuse_nul_characters():
    """A NUL character in a URL or a form is never meant, and PostgreSQL refuses it in any
    query: answer 400 here rather than fail deep in a query with a 500."""
    if (_has_nul((request.view_args or {}).values()) or _has_nul(request.args.values())
            or (request.method == "POST" and _has_nul(request.form.values()))):
        abort(400)
    return None


@bp.before_request
def require_login():
    """Send anyone not logged in to the login page (checked before any view runs)."""
    if request.endpoint in PUBLIC_ENDPOINTS or current_user.is_authenticated:
        return None
    if g.get("account_disabled"):
        flash(_("This account is disabled. Please ask an administrator."), "error")
    else:
        flash(_("Please log in to see the organizer pages."), "info")
    # Back to the page asked for after login (a GET only: a form post cannot be replayed).
    target = None
    if request.method == "GET":
        target = request.path + (f"?{request.query_string.decode()}" if request.query_string else "")
    return redirect(url_for("organizer.login", next=target))


@bp.before_request
def require_second_factor():
    """With ``ORGANIZER_REQUIRE_2FA`` every account sets up a second factor before anything else."""
    if (not current_app.config["ORGANIZER_REQUIRE_2FA"] or request.endpoint in ENROLMENT_ENDPOINTS
            or not current_user.is_authenticated or has_second_factor(current_user)):
        return None
    flash(_("Every organizer account needs a second factor now. Please set one up to go on."), "info")
    return redirect(url_for("organizer.two_factor_page"))


@bp.before_request
def check_access():
    """A page or an event outside the account's role and grants is a 404, as an unknown one.

    Every route with a ``<slug>`` is checked here, so that no view can forget it.
    """
    if request.endpoint in PUBLIC_ENDPOINTS or not current_user.is_authenticated:
        return None
    role = current_user.role
    if role == OrganizerRole.CHECKIN and request.endpoint not in CHECKIN_ENDPOINTS:
        abort(404)
    if role != OrganizerRole.ADMIN and request.endpoint in ADMIN_ENDPOINTS:
        abort(404)
    g.event_ids = event_ids_of(current_user)
    slug = (request.view_args or {}).get("slug")
    if slug is not None:
        event = find_event(slug)
        if event is None or not may_see(g.event_ids, event):
            abort(404)
    return None


def visible_event_ids() -> set[int] | None:
    """The events the logged-in account may work on (``None``: every event)."""
    return g.event_ids


@bp.context_processor
def organizer_helpers() -> dict:
    """Helpers for the organizer templates (only this blueprint's pages see them)."""
    locale = get_locale()
    return {"local_time": local_time, "lang": locale.language if locale else "en",
            "status_names": status_names(), "registration_status_names": registration_status_names(),
            "kind_names": kind_names(),
            "language_words": language_words(), "role_names": role_names()}


def status_names() -> dict[str, str]:
    """Words for the statuses of events, registrations and mails, in the reader's language."""
    return {
        "draft": _("draft"), "published": _("published"), "cancelled": _("cancelled"),
        "confirmed": _("confirmed"), "waitlisted": _("waiting list"),
        "queued": _("queued"), "sending": _("sending"), "sent": _("sent"), "failed": _("failed"),
        "bounced": _("bounced"),
    }


def registration_status_names() -> dict[str, str]:
    """Words for a registration's status: a registration is cancelled by its registrant
    (German "storniert"), an event by its organizers ("abgesagt")."""
    return dict(status_names(), cancelled=pgettext("registration status", "cancelled"))


def kind_names() -> dict[str, str]:
    """What each kind of mail is called, in the reader's language."""
    return {
        "confirmation": _("Registration confirmation"), "already_registered": _("Already registered"),
        "waitlisted": _("Waiting-list notice"), "promoted": _("Seat from the waiting list"),
        "cancelled": _("Cancellation"), "reminder": _("Reminder"), "report": _("Report link"),
        "event_changed": _("Change notice"), "event_cancelled": _("Event cancellation"),
        "thank_you": _("Thank-you after the event"), "missed_you": _("Missed-you after the event"),
    }


def language_words() -> dict[str, str]:
    """The registrants' languages named in the reader's language (英文, Englisch)."""
    return {"en": _("English"), "zh": _("Chinese"), "de": _("German")}


def role_names() -> dict[str, str]:
    """Words for the account roles, in the reader's language."""
    return {"admin": _("admin: every event"), "organizer": _("organizer: the granted events"),
            "checkin": _("check-in: only the check-in page of the granted events")}


def scope_names() -> dict[str, str]:
    """What an API token may do, in the reader's language (the words of the tokens page)."""
    return {"read": pgettext("token scope", "read"), "write": pgettext("token scope", "write"),
            "checkin": pgettext("token scope", "check-in")}


def local_time(value, zone, fmt: str | None = None) -> str:
    """A stored UTC time shown in ``zone`` (an event's zone): date, minutes and the zone,
    written the reader's way (``14.03.2030, 18:00 (deutsche Zeit)``). ``fmt`` is accepted from
    older templates and ignored: the organizer area writes every time one way."""
    return format_moment(value, str(zone))


@bp.after_request
def no_store(response):
    """Attendee data must not linger in shared caches or the browser's back button history."""
    response.headers.setdefault("Cache-Control", "no-store")
    return response
