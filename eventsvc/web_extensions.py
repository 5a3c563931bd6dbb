"""Unbound extension objects that only a web server uses: CSRF protection, the organizers'
sign-in and rate limits. A Celery worker or beat (``create_app(worker=True)``) never imports
this module, nor Flask-WTF, WTForms, Flask-Limiter and Flask-Login with it: about 3.5 MB of each
worker process (docs/architecture.md, "Decisions worth knowing")."""

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf import CSRFProtect

csrf = CSRFProtect()
login_manager = LoginManager()
limiter = Limiter(key_func=get_remote_address)
