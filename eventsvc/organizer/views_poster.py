"""The WeChat poster of an event, for organizers to share in groups and Moments."""

from __future__ import annotations

from flask import Response, flash, g, redirect, request, url_for

from ..i18n import LANGUAGE_NAMES
from ..services import badges
from .routes import bp
from .views_events import load_event


@bp.get("/events/<slug>/poster.png")
def poster_png(slug: str):
    """1080×1920, in ``?lang=zh|de|en`` (default Chinese: WeChat is where it goes)."""
    from ..services import poster  # Pillow and segno: only in a process that draws a picture

    event = load_event(slug)
    language = request.args.get("lang") if request.args.get("lang") in LANGUAGE_NAMES else "zh"
    g.pop("chosen_language", None)  # the poster's language, not the organizer's pages'
    try:
        image = poster.poster_png(event, language)
    except badges.BadgeFontMissing as error:
        flash(str(error), "error")
        return redirect(url_for("organizer.dashboard", slug=slug))
    return Response(image, mimetype="image/png", headers={
        "Content-Disposition": f'attachment; filename="{event.slug}-poster-{language}.png"'})
