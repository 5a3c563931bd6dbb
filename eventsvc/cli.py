"""``flask`` commands: thin, each calls a service."""

from __future__ import annotations

import json
import mailbox
import sys
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from .services import access, doctor
from .services.aftercare import FollowUpError, send_follow_up
from .services.badges import BadgeFontMissing, write_badges
from .services.events import SEED_FILE, EventImportError, find_event, import_events, load_events_file
from .services.exports import ExportError, export_attendees_to_file
from .services.follow_up import invite
from .services.mailing.bounces import import_bounces
from .services.organizers import (DEFAULT_TOKEN_DAYS, OrganizerError, create_api_token, create_organizer,
                                  default_scope, find_organizer, set_disabled)
from .services.privacy import purge
from .services.reminders import run_due
from .services.reports import ReportError, publish_report, seed_edition


def init_app(app: Flask) -> None:
    for group in (events_cli, organizers_cli, reports_cli, reminders_cli, attendees_cli, mail_cli, privacy_cli):
        app.cli.add_command(group)
    app.cli.add_command(doctor_command)


events_cli = AppGroup("events", help="Import and seed events.")
organizers_cli = AppGroup("organizers", help="Manage organizer accounts and API tokens.")
reports_cli = AppGroup("reports", help="Publish report editions.")
reminders_cli = AppGroup("reminders", help="Send the reminders that are due.")
attendees_cli = AppGroup("attendees", help="Export attendee lists.")
privacy_cli = AppGroup("privacy", help="Keep the privacy notice's promises.")
mail_cli = AppGroup("mail", help="Mail delivery: bounces.")
bounces_cli = AppGroup("bounces", help="Read returned mail (bounces).")
mail_cli.add_command(bounces_cli)


def _import(path: str) -> None:
    try:
        result = import_events(load_events_file(path))
    except EventImportError as error:
        raise click.ClickException(f"{path}: nothing was imported.\n{error}") from error
    click.echo(f"{len(result.created)} created, {len(result.updated)} updated, {len(result.unchanged)} unchanged.")


@events_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
def import_command(file: str) -> None:
    """Create or update events from a YAML or JSON FILE (matched by slug)."""
    _import(file)


@events_cli.command("invite")
@click.argument("slug")
def invite_command(slug: str) -> None:
    """Invite every address with a confirmed consent to the event SLUG (once per address)."""
    event = find_event(slug)
    if event is None:
        raise click.ClickException(f"No event has the slug {slug!r}.")
    click.echo(f"{invite(event.id)} invitations queued.")


@events_cli.command("follow-up")
@click.argument("slug")
def follow_up_command(slug: str) -> None:
    """Thank the attendees of the ended event SLUG and send the report to who missed it (once each)."""
    event = find_event(slug)
    if event is None:
        raise click.ClickException(f"No event has the slug {slug!r}.")
    try:
        result = send_follow_up(event.id)
    except FollowUpError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"{result.thanked} thank-you and {result.missed} missed-you mails queued.")


@events_cli.command("seed")
def seed_command() -> None:
    """Load the bundled Smart City China events and the English edition of the report."""
    _import(str(SEED_FILE))
    if seed_edition():
        click.echo("Added the English edition of the report (change its address with `reports publish`).")


@organizers_cli.command("create")
@click.argument("email")
@click.option("--name", default="", help="The organizer's name, shown on the pages.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--role", type=click.Choice(["admin", "organizer", "checkin"]), default="admin", show_default=True,
              help="admin: every event; organizer: the events granted to it; checkin: only their check-in page.")
def create_organizer_command(email: str, name: str, password_stdin: bool, role: str) -> None:
    """Create an organizer account that logs in with EMAIL."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        organizer = create_organizer(email, password, name, role)
    except OrganizerError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Organizer {organizer.email} created ({organizer.role}).")


@organizers_cli.command("disable")
@click.argument("email")
def disable_command(email: str) -> None:
    """Disable the account EMAIL: its sessions and API tokens stop working at once."""
    try:
        organizer = set_disabled(email, True)
    except OrganizerError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"{organizer.email} is disabled; its sessions have ended and its API tokens are refused.")


@organizers_cli.command("enable")
@click.argument("email")
def enable_command(email: str) -> None:
    """Enable the account EMAIL again (it logs in afresh; its unexpired API tokens work again)."""
    try:
        organizer = set_disabled(email, False)
    except OrganizerError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"{organizer.email} is enabled.")


def _account_and_event(email: str, slug: str):
    organizer = find_organizer(email)
    if organizer is None:
        raise click.ClickException(f"No organizer has the address {email}.")
    event = find_event(slug)
    if event is None:
        raise click.ClickException(f"No event has the slug {slug}.")
    return organizer, event


@organizers_cli.command("grant")
@click.argument("email")
@click.argument("slug")
def grant_command(email: str, slug: str) -> None:
    """Let the organizer EMAIL work on the event SLUG (admins see every event anyway)."""
    organizer, event = _account_and_event(email, slug)
    new = access.grant(organizer, event)
    click.echo(f"{organizer.email} {'may now work on' if new else 'already works on'} {event.slug}.")


@organizers_cli.command("revoke")
@click.argument("email")
@click.argument("slug")
def revoke_command(email: str, slug: str) -> None:
    """Take the event SLUG away from the organizer EMAIL."""
    organizer, event = _account_and_event(email, slug)
    had = access.revoke(organizer, event)
    click.echo(f"{organizer.email} {'no longer works on' if had else 'had no grant for'} {event.slug}.")


@organizers_cli.command("token")
@click.argument("email")
@click.option("--name", default="API", help="What the token is for.")
@click.option("--event", "slug", default=None, help="Narrow the token to this event's slug.")
@click.option("--days", default=DEFAULT_TOKEN_DAYS, show_default=True, help="Days until the token expires.")
@click.option("--scope", type=click.Choice(["read", "write", "checkin"]), default=None,
              help="read: the API's reading routes; write: also its writes; checkin: only the door's "
                   "routes (the one scope of a checkin account, and its default).")
def create_token_command(email: str, name: str, slug: str | None, days: int, scope: str | None) -> None:
    """Create an API token for the organizer EMAIL and print it (it is shown only once)."""
    event = None
    if slug is not None:
        event = find_event(slug)
        if event is None:
            raise click.ClickException(f"No event has the slug {slug}.")
    try:
        _token, secret = create_api_token(email, name, event, days,
                                          scope=scope or default_scope(find_organizer(email)))
    except OrganizerError as error:
        raise click.ClickException(str(error)) from error
    click.echo(secret)


@reports_cli.command("publish")
@click.option("--language", required=True, type=click.Choice(["en", "zh", "de"]))
@click.option("--url", required=True, help="Where the report file can be downloaded.")
@click.option("--title", default=None, help="The edition's title (default: the report's title in that language).")
def publish_report_command(language: str, url: str, title: str | None) -> None:
    """Publish a report edition; every registrant who wants it gets the link."""
    try:
        result = publish_report(language, url, title)
    except ReportError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Published the {language} edition; {result.mails_queued} mails queued.")


@reminders_cli.command("run")
def run_reminders_command() -> None:
    """Queue every reminder and event-change notice that is due (safe to run any number of times)."""
    click.echo(f"{run_due()} mails queued.")


@attendees_cli.command("badges")
@click.argument("slug")
@click.option("--output", type=click.Path(dir_okay=False, writable=True), required=True, help="The PDF file to write.")
@click.option("--layout", type=click.Choice(["sheet", "badge"]), default="sheet", show_default=True,
              help="sheet: 8 badges per A4 label sheet; badge: one per page, for badge printers.")
def badges_command(slug: str, output: str, layout: str) -> None:
    """Print name badges of the confirmed attendees of the event SLUG."""
    event = find_event(slug)
    if event is None:
        raise click.ClickException(f"No event has the slug {slug!r}.")
    try:
        count = write_badges(event, output, layout)
    except BadgeFontMissing as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"{count} badges written to {output}.")


@attendees_cli.command("export")
@click.argument("slug")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), default="csv", show_default=True)
@click.option("--output", type=click.Path(dir_okay=False, writable=True), default=None,
              help="File to write (default: SLUG.csv or SLUG.xlsx).")
def export_attendees_command(slug: str, fmt: str, output: str | None) -> None:
    """Export the attendee list of the event SLUG."""
    path = Path(output or f"{slug}.{fmt}")
    try:
        count = export_attendees_to_file(slug, fmt, path, progress=click.progressbar)
    except ExportError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"{count} registrations written to {path}.")


@bounces_cli.command("import")
@click.argument("path", type=click.Path(exists=True))
def import_bounces_command(path: str) -> None:
    """Read the returned mail in PATH (a Maildir folder or an mbox file)."""
    try:
        counts = import_bounces(path)
    except (OSError, mailbox.Error) as error:
        raise click.ClickException(f"{path}: cannot read it as a Maildir or an mbox file: {error}") from error
    click.echo(f"{counts['bounced']} hard bounces recorded, {counts['not_a_hard_bounce']} delays or "
               f"replies left alone, {counts['ignored']} not about our mail."
               + (f" {counts['erased']} about erased registrations dropped." if counts.get("erased") else ""))


@privacy_cli.command("purge")
@click.option("--ended-before", "days", type=click.IntRange(min=0), required=True,
              help="Anonymise registrations of events that ended more than DAYS days ago.")
def purge_command(days: int) -> None:
    """Anonymise old registrations and delete their mail (beat does this daily)."""
    result = purge(days)
    click.echo(f"{result.registrations} registrations anonymised, {result.mails} mails deleted.")


_MARKS = {doctor.OK: "ok", doctor.WARNING: "warning", doctor.ERROR: "ERROR", doctor.SKIPPED: "skipped"}


@click.command("doctor")
@click.option("--json", "as_json", is_flag=True, help='Print {"ok": …, "checks": [{"name", "status", "message"}, …]}.')
def doctor_command(as_json: bool) -> None:
    """Check the settings, the database, the broker, the relays and DKIM; exit 1 if anything is wrong.

    Sends no mail and changes nothing.
    """
    checks = doctor.run_checks()
    ok = doctor.healthy(checks)
    if as_json:
        click.echo(json.dumps({"ok": ok, "checks": [check.as_dict() for check in checks]}, ensure_ascii=False))
    else:
        for check in checks:
            click.echo(f"[{_MARKS[check.status]:>7}] {check.name}: {check.message}")
        click.echo("All is well." if ok else "Something is wrong: fix what ERROR says, then run flask doctor again.")
    sys.exit(0 if ok else 1)
