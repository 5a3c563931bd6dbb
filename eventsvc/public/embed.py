"""The registration form on other sites: ``/events/<slug>/embed`` in an iframe that ``/embed.js``
puts on the page, and framed only by ``EMBED_ORIGINS`` (eventsvc/security.py).

The same form, rules and limits as ``/events/<slug>/register``; what differs is that the page
sets and needs no cookie (eventsvc/embed_guard.py: a signed token in the form and the Origin
check stand in for the session's CSRF token), and that it answers a registration in place
instead of redirecting to a page that would read the session.
"""

from __future__ import annotations

from flask import current_app, g, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from .. import embed_guard, proof_of_work
from ..web_extensions import csrf
from ..forms import limit_registrations, registration_form_for
from ..services.registration import EventFull, RegistrationClosed, register, seats_left
from .routes import _visible_event, bp


@bp.route("/events/<slug>/embed", methods=["GET", "POST"], endpoint="embed")
@csrf.exempt  # no cookie reaches a third-party iframe: embed_guard checks the form instead
@limit_registrations
def embed_view(slug: str):
    """The event's essentials and its form, compact; a registration is answered on the spot."""
    event = _visible_event(slug)
    language = str(get_locale() or "en")
    g.pop("chosen_language", None)  # the language goes in every link here, not in a cookie
    parent = embed_guard.parent_origin(request.args.get("parent"))
    form = registration_form_for(event)(language=language, meta={"csrf": False})
    challenge = proof_of_work.required()
    context = dict(event=event, form=form, challenge=challenge, parent=parent, full=False,
                   seats=seats_left(event), is_open=event.registration_open(),
                   action=url_for("public.embed", slug=slug, lang=language, parent=parent))

    def page(status: int = 200):
        return render_template("public/embed.html", token=embed_guard.new_token(slug), **context), status

    if request.method == "GET" or not event.registration_open():
        return page(200 if request.method == "GET" else 409)
    if not embed_guard.request_origin_allowed():
        form.form_errors.append(_("This form may only be sent from this site or a site that shows it."))
        return page(403)
    if not embed_guard.token_valid(request.form.get(embed_guard.TOKEN_FIELD), slug):
        form.form_errors.append(_("The form was open for too long. Please send it again."))
        return page(400)
    if form.is_bot():
        return render_template("public/embed_done.html", event=event, parent=parent, email=None)
    if not form.validate():
        return page(422)
    if challenge and not proof_of_work.accept(form.altcha.data):
        form.form_errors.append(_("Please wait until your browser has finished the check below "
                                  "(a second or two), then send the form again."))
        return page(422)
    proof_of_work.count_attempt()
    try:
        register(event.id, form.registration_data())
    except RegistrationClosed:
        context["is_open"] = False
        return page(409)
    except EventFull:
        form.form_errors.append(_("Sorry, this event is full."))
        context["full"] = True
        return page(409)
    return render_template("public/embed_done.html", event=event, parent=parent, email=form.email.data.strip())


@bp.get("/embed.js")
def embed_script():
    """The loader other sites include: it puts the iframe after its own script tag."""
    response = current_app.send_static_file("embed.js")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response
