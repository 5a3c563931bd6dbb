"""Error reports to Sentry (or a compatible service such as GlitchTip) with ``SENTRY_DSN``; off
when it is empty. Reports carry no personal data (``send_default_pii`` off: no cookies, no form
fields, no addresses of visitors)."""

from __future__ import annotations

from flask import Flask

from .settings import SettingError


def check_dsn(value: str) -> str:
    """The DSN as given, or :class:`SettingError` naming ``SENTRY_DSN``."""
    value = (value or "").strip()
    if not value:
        return ""
    from sentry_sdk.utils import BadDsn, Dsn

    try:
        Dsn(value)
    except BadDsn as error:
        raise SettingError(f"SENTRY_DSN: {error}; copy the DSN from the project's settings in Sentry "
                           f"(https://KEY@HOST/PROJECT_ID)") from None
    return value


def init_app(app: Flask) -> None:
    dsn = check_dsn(app.config.get("SENTRY_DSN", ""))
    app.config["SENTRY_DSN"] = dsn
    if not dsn:
        return
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.flask import FlaskIntegration

    sentry_sdk.init(dsn=dsn, integrations=[FlaskIntegration(), CeleryIntegration()], send_default_pii=False,
                    environment=app.config.get("SENTRY_ENVIRONMENT") or "production")
