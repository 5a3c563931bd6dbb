"""Pages that every visitor sees alike but for a value or two: rendered once, the values filled in.

The registration form of an event is the same page for everyone who opens it in one language:
only the form's CSRF token is the visitor's own. The page after a registration differs only by
the address just typed. The first visitor's page is kept (with the token cut out, or rendered
with a mark where the address goes) under a key that names everything the page is made of: the
path, the event and the time it was last changed, the language, whether the proof-of-work widget
is on it. An edited
event has a new ``updated_at`` and so a new key: an old text is never served. Each process keeps
its own pages (at most :data:`MAX_PAGES`, the least recently used go first); translations change
only with a new process. docs/architecture.md, "The registration path".
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

from flask_wtf.csrf import generate_csrf
from markupsafe import escape

from ..services.kept import Kept

#: How many pages a process keeps: every event × language × with or without the widget, and more.
MAX_PAGES = 512
#: What stands for the token in a kept page: no page holds it otherwise.
_TOKEN_MARK = "\x00csrf-token\x00"


class SharedPages:
    """A process's kept pages, safe to share between a worker's threads."""

    def __init__(self, size: int = MAX_PAGES) -> None:
        self._pages: Kept[str] = Kept(size)

    def page(self, key: Hashable, render: Callable[[], str]) -> str:
        """The page of ``key`` with this visitor's CSRF token; ``render`` makes it on a miss."""
        token = generate_csrf()
        kept = self._pages.get(key)
        if kept is not None:
            return kept.replace(_TOKEN_MARK, token)
        html = render()
        if token in html:  # a page without the token (an error page) is not kept
            self._pages.put(key, html.replace(token, _TOKEN_MARK))
        return html

    def filled(self, key: Hashable, render: Callable[[dict[str, str]], str], values: dict[str, str]) -> str:
        """The page of ``key`` with ``values`` (text, escaped here) in their places.

        On a miss ``render(marks)`` makes the page with ``marks[name]`` where each value goes.
        """
        marks = {name: f"\x00{name}\x00" for name in values}
        html = self._pages.get(key)
        if html is None:
            html = render(marks)
            self._pages.put(key, html)
        for name, value in values.items():
            html = html.replace(marks[name], str(escape(value)))
        return html
