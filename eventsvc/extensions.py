"""Unbound extension objects that every process uses, bound to the app in
:func:`eventsvc.create_app`. Those only a web server uses are in :mod:`eventsvc.web_extensions`."""

from flask_babel import Babel
from flask_mail import Mail
import click
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

#: Constraint names that Alembic can refer to on every database (SQLite batch mode needs them).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base of every model."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = None  # set below: LazyMigrate()
mail = Mail()
babel = Babel()


class LazyMigrate:
    """Flask-Migrate, imported when a migration runs (``flask db …``, the tests' and the
    benchmarks' ``upgrade()``), not by every process: Alembic brings Mako and Pygments, about a
    second of start and 15 MB that a web or mail worker never uses."""

    def init_app(self, app, database, **options) -> None:
        app.extensions["migrate"] = _PendingMigrate(app, database, options)
        app.cli.add_command(_LazyDbGroup(app, name="db", help="Perform database migrations (Alembic)."))


def _load_migrate(app):
    """Initialise Flask-Migrate on ``app`` (once) and return its extension state."""
    state = app.extensions["migrate"]
    if isinstance(state, _PendingMigrate):
        from flask_migrate import Migrate

        Migrate().init_app(app, state.database, **state.options)
        state = app.extensions["migrate"]
    return state


class _PendingMigrate:
    """``app.extensions["migrate"]`` until Flask-Migrate is needed; any use loads it."""

    def __init__(self, app, database, options) -> None:
        self.app, self.database, self.options = app, database, options
        self.directory = options.get("directory", "migrations")

    def __getattr__(self, name):
        return getattr(_load_migrate(self.app), name)


class _LazyDbGroup(click.Group):
    """The ``flask db`` group: Flask-Migrate's own commands, imported when the group is used."""

    def __init__(self, app, **kwargs) -> None:
        super().__init__(**kwargs)
        self._app = app

    def _commands(self) -> click.Group:
        _load_migrate(self._app)
        from flask_migrate.cli import db as db_group

        return db_group

    def make_context(self, info_name, args, parent=None, **extra):
        # From here on click parses and runs Flask-Migrate's own group (its options, its callback).
        return self._commands().make_context(info_name, args, parent=parent, **extra)

    def list_commands(self, ctx):
        return self._commands().list_commands(ctx)

    def get_command(self, ctx, name):
        return self._commands().get_command(ctx, name)


migrate = LazyMigrate()
