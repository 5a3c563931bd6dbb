"""``flask`` commands: thin, each calls a service."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup


def init_app(app: Flask) -> None:
    for group in (events_cli, organizers_cli, reports_cli, reminders_cli, attendees_cli):
        app.cli.add_command(group)


events_cli = AppGroup("events", help="Import and seed events.")
organizers_cli = AppGroup("organizers", help="Manage organizer accounts.")
reports_cli = AppGroup("reports", help="Publish report editions.")
reminders_cli = AppGroup("reminders", help="Send the reminders that are due.")
attendees_cli = AppGroup("attendees", help="Export attendee lists.")
