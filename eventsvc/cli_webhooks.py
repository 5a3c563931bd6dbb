"""``flask webhooks`` commands: thin, each calls :mod:`eventsvc.services.webhooks`."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from .services.events import find_event
from .services.organizers import find_organizer
from .services.webhooks import EVENT_TYPES, WebhookUrlError, add_endpoint, all_endpoints

webhooks_cli = AppGroup("webhooks", help="Endpoints of other systems that hear of registrations and changes.")


@webhooks_cli.command("add")
@click.argument("url")
@click.option("--event", "slug", default=None, help="Only this event's news (default: every event's).")
@click.option("--types", default="", help=f"Comma-separated, of: {', '.join(EVENT_TYPES)} (default: all).")
@click.option("--owner", default=None, help="The organizer mailed when the endpoint is switched off.")
def add_command(url: str, slug: str | None, types: str, owner: str | None) -> None:
    """Add an endpoint and print its signing secret (shown this once)."""
    event = None
    if slug:
        event = find_event(slug)
        if event is None:
            raise click.ClickException(f"No event has the slug {slug!r}.")
    owner_id = None
    if owner:
        account = find_organizer(owner)
        if account is None:
            raise click.ClickException(f"No organizer has the address {owner}.")
        owner_id = account.id
    wanted = [t.strip() for t in types.split(",") if t.strip()]
    try:
        endpoint = add_endpoint(url, event, wanted, owner_id)
    except (WebhookUrlError, ValueError) as error:
        raise click.ClickException(f"{url}: {error}") from error
    click.echo(f"Endpoint {endpoint.id} added for {', '.join(endpoint.types) or 'every type'}"
               f" of {slug or 'every event'}. Its signing secret (shown only now):")
    click.echo(endpoint.secret)


@webhooks_cli.command("list")
def list_command() -> None:
    """Every endpoint: id, on or off, URL, event and types."""
    for endpoint in all_endpoints():
        state = "on" if endpoint.active else f"off ({endpoint.disabled_reason})"
        click.echo(f"{endpoint.id}\t{state}\t{endpoint.url}\t{endpoint.event.slug if endpoint.event else '*'}"
                   f"\t{','.join(endpoint.types) or '*'}")
