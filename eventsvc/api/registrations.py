"""POST /api/v1/events/<slug>/registrations: registering with JSON, same rules as the form.

The body is a JSON object with the form's field names (``email``, ``family_name``,
``given_name``, ``organization``, ``job_title``, ``language``, ``privacy_consent``,
``marketing_consent``); no CSRF token, the same form class validates it.

Answers:

- ``201 {"status": "received"}`` whenever the input is valid and the event takes
  registrations. The registrant learns their seat or place on the waiting list by mail. An
  address that is already registered gets the same answer and a mail with its own link, exactly
  as on the form: the status is deliberately not "confirmed" or "waitlisted", and there is no id
  (an id of the earlier registration, or a new one for a new registration, would tell anyone
  whether this address had registered before). On a full event without a waiting list both get
  ``409 event_full``.
- ``400 {"errors": {"field": ["message", ...]}}`` for invalid input, in the language of
  ``?lang=`` or ``Accept-Language``; ``"_body"`` holds problems with the body as a whole.
- ``404`` for an unknown or draft event; ``409 {"error": "registration_closed" | "event_full"}``.
"""

from __future__ import annotations

from flask import jsonify, request
from flask_babel import get_locale
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from .. import proof_of_work
from ..forms import limit_registrations, registration_form_for
from ..models import EventStatus
from ..services.events import find_event
from ..services.registration import EventFull, RegistrationClosed, register
from .blueprint import bp

#: Fields read from the body; anything else is ignored.
FIELDS = ("email", "family_name", "given_name", "organization", "job_title", "language",
          "privacy_consent", "marketing_consent")
CHECKBOXES = ("privacy_consent", "marketing_consent")


def _formdata(body: dict) -> tuple[MultiDict, dict]:
    """The JSON object as form data, and errors for values that are not plain text or booleans."""
    data, errors = MultiDict(), {}
    for name in FIELDS:
        value = body.get(name)
        if value is None or value is False:
            continue
        if name in CHECKBOXES:
            if value is True or value in ("y", "yes", "true", "on", 1):
                data[name] = "y"
            continue
        if isinstance(value, (dict, list, bool)):
            errors[name] = [_("Please send text.")]
            continue
        data[name] = str(value)
    return data, errors


def _add_answers(data: MultiDict, errors: dict, answers, questions: dict) -> None:
    """``answers: {"dinner": "yes_veg", "topics": ["mobility", "energy"]}`` as the form's
    ``q_<key>`` fields (a list for a multiple choice); unknown keys are ignored like unknown fields."""
    if answers is None:
        return
    if not isinstance(answers, dict):
        errors["answers"] = [_("Please send the answers as an object of question keys.")]
        return
    for name, question in questions.items():
        value = answers.get(question["key"])
        values = value if isinstance(value, list) and question["type"] == "multiple" else [value]
        for item in values:
            if item is None:
                continue
            if not isinstance(item, str):
                errors[name] = [_("Please send text.")]
                break
            data.add(name, item)


@bp.post("/events/<slug>/registrations")
@limit_registrations
def create_registration(slug: str):
    """Register one person for an event from a JSON body.

    The limits are the form's, counted together with it. A client that registered several times
    in a short while must send ``altcha``: a solved challenge from ``GET /challenge``.
    """
    event = find_event(slug)
    if event is None or event.status == EventStatus.DRAFT:
        return jsonify(error="not_found", message=_("There is no such event.")), 404
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return jsonify(errors={"_body": [_("Please send a JSON object with the registration fields.")]}), 400
    formdata, errors = _formdata(body)
    form_class = registration_form_for(event)
    _add_answers(formdata, errors, body.get("answers"), form_class.questions)
    form = form_class(formdata=formdata, meta={"csrf": False}, language=str(get_locale() or "en"))
    if not form.validate() or errors:
        return jsonify(errors={**{k: [str(m) for m in v] for k, v in form.errors.items()}, **errors}), 400
    solution = body.get("altcha")
    if proof_of_work.required() and not proof_of_work.accept(solution if isinstance(solution, str) else None):
        return jsonify(error="challenge_required", message=_(
            "Many registrations came from your address in a short while: please solve the "
            "challenge from GET /api/v1/challenge and send the solution as “altcha”.")), 429
    proof_of_work.count_attempt()
    try:
        register(event.id, form.registration_data())
    except RegistrationClosed:
        return jsonify(error="registration_closed",
                       message=_("Registration for this event is closed.")), 409
    except EventFull:
        return jsonify(error="event_full", message=_("Sorry, this event is full.")), 409
    # Seat or waiting list, new or known: the registrant learns it by mail, nobody else.
    return jsonify(status="received"), 201


@bp.get("/challenge")
def challenge():
    """A proof-of-work challenge (ALTCHA v1: find ``number`` with SHA-256(salt + number) = challenge)."""
    response = jsonify(proof_of_work.new_challenge())
    response.headers["Cache-Control"] = "no-store"
    return response
