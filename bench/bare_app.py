"""The yardstick: a bare Flask endpoint that validates the registration fields and inserts a row.

``GET /register`` answers a minimal page with the form's fields as WTForms renders them (no
template engine, no session, no database). ``POST /register`` validates the same fields as the
real registration form, with the same library (WTForms, the address through email-validator),
inserts one row into ``bench_bare_rows`` and answers 201; invalid input is a 422. No CSRF, no
sessions, no ORM, no Babel: what is left is Flask, gunicorn, WTForms, the driver and one
committed INSERT, the floor under any registration. Run as ``gunicorn "bench.bare_app:create_app()"``
with ``DATABASE_URL`` set.
"""

from __future__ import annotations

import os

from flask import Flask, request
from markupsafe import Markup
from sqlalchemy import create_engine, make_url, text
from wtforms import BooleanField, EmailField, Form, SelectField, StringField
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional

CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS bench_bare_rows (
    id BIGSERIAL PRIMARY KEY,
    email VARCHAR(254) NOT NULL,
    family_name VARCHAR(100) NOT NULL,
    given_name VARCHAR(100) NOT NULL,
    organization VARCHAR(200) NOT NULL,
    job_title VARCHAR(200) NOT NULL,
    language VARCHAR(5) NOT NULL,
    privacy_consent BOOLEAN NOT NULL,
    marketing_consent BOOLEAN NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
)
"""

INSERT = text("""
INSERT INTO bench_bare_rows (email, family_name, given_name, organization, job_title, language,
                             privacy_consent, marketing_consent)
VALUES (:email, :family_name, :given_name, :organization, :job_title, :language,
        :privacy_consent, :marketing_consent)
""")


def psycopg_url(url: str):
    """``url`` with psycopg named as its driver, as eventsvc names it; without importing eventsvc,
    so that the floor's process holds nothing of ours (``bench memory`` shows what it holds)."""
    parsed = make_url(url)
    return parsed.set(drivername="postgresql+psycopg") if parsed.get_backend_name() == "postgresql" else parsed


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class BareRegistrationForm(Form):
    """The fields and validators of the registration form, without CSRF or translations."""

    email = EmailField("Email address", filters=[_strip], validators=[
        InputRequired(), Length(max=254), Email(check_deliverability=False)])
    family_name = StringField("Family name", filters=[_strip], validators=[DataRequired(), Length(max=100)])
    given_name = StringField("Given name", filters=[_strip], validators=[DataRequired(), Length(max=100)])
    organization = StringField("Organization", filters=[_strip], validators=[Optional(), Length(max=200)])
    job_title = StringField("Job title", filters=[_strip], validators=[Optional(), Length(max=200)])
    language = SelectField("Language for your mail",
                           choices=[("en", "English"), ("zh", "中文"), ("de", "Deutsch")])
    privacy_consent = BooleanField("I agree to the privacy notice", validators=[DataRequired()])
    marketing_consent = BooleanField("Tell me about follow-up events")


def create_table(database_url: str) -> None:
    """Make the table the endpoint writes to (before the server starts: workers race otherwise)."""
    engine = create_engine(psycopg_url(database_url))
    with engine.begin() as conn:
        conn.execute(text(CREATE_TABLE))
    engine.dispose()


def count_rows(database_url: str) -> int:
    engine = create_engine(psycopg_url(database_url))
    with engine.connect() as conn:
        count = conn.execute(text("SELECT count(*) FROM bench_bare_rows")).scalar_one()
    engine.dispose()
    return count


def create_app() -> Flask:
    """The bare app, on the same pool settings as eventsvc (pre-ping on)."""
    app = Flask(__name__)
    engine = create_engine(psycopg_url(os.environ["DATABASE_URL"]), pool_pre_ping=True)

    @app.get("/register")
    def register_page():
        form = BareRegistrationForm()
        fields = Markup("").join(Markup("<p>{} {}</p>\n").format(field.label, field()) for field in form)
        return Markup('<!doctype html>\n<form method="post">\n{}<button>Register</button></form>\n').format(fields)

    @app.post("/register")
    def register():
        form = BareRegistrationForm(request.form)
        if not form.validate():
            return {"errors": form.errors}, 422
        with engine.begin() as conn:
            conn.execute(INSERT, {
                "email": form.email.data.lower(), "family_name": form.family_name.data,
                "given_name": form.given_name.data, "organization": form.organization.data or "",
                "job_title": form.job_title.data or "", "language": form.language.data,
                "privacy_consent": bool(form.privacy_consent.data),
                "marketing_consent": bool(form.marketing_consent.data),
            })
        return "created\n", 201

    @app.get("/healthz")
    def healthz():
        return "ok\n"

    return app
