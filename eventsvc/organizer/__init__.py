"""Pages for organizers: login, events, attendees, exports, check-in, mail log,
accounts.

:mod:`.routes` makes the blueprint and the checks every page passes; the views live in one
module per area, and importing them registers them on the blueprint.
"""

from . import (views_account, views_accounts, views_after, views_attendees, views_auth, views_door, views_events,
               views_mail, views_messages, views_password_reset, views_poster, views_two_factor, views_webhooks)
from .routes import bp

__all__ = ["bp", "views_account", "views_accounts", "views_after", "views_attendees", "views_auth", "views_door",
           "views_events", "views_mail", "views_messages", "views_password_reset", "views_poster", "views_two_factor",
           "views_webhooks"]
