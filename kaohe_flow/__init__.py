"""考核流 — the bureau's annual target-management assessment (目标管理考核)."""
from pathlib import Path

from flask import Flask
from werkzeug.routing import BaseConverter, IntegerConverter

from .config import finish_config, load_config
from .extensions import csrf, db, login_manager, migrate

ROOT = Path(__file__).resolve().parent.parent
MAX_ID = 2**31 - 1  # the largest id a PostgreSQL integer column holds


class IdConverter(IntegerConverter):
    """A record id: any run of ASCII digits, with or without a minus.

    The rule matches whatever the number, so the request is authenticated (401 first) and then
    answered 404 by the lookup like any id that names no record. Refusing a number here instead
    would let Werkzeug try the other rules of the path and answer 404 before 401, or 405. A
    number no record can have (0, negative, past a PostgreSQL integer) becomes 0, which no row
    has: the database is never asked about a number it cannot hold."""

    regex = r"-?[0-9]+"  # not \d: int() would read other scripts' digits as a number
    lowest, highest = 1, MAX_ID

    def to_python(self, value: str) -> int:
        if len(value) > 12:  # int() refuses thousands of digits; none of these can be an id
            return 0
        number = int(value)
        return number if self.lowest <= number <= self.highest else 0

    def to_url(self, value) -> str:
        return str(int(value))


class YearConverter(IdConverter):
    """A year in a path: like an id, any number matches and one no year can be (0, > 9999) is 404."""

    highest = 9999


class UsernameConverter(BaseConverter):
    """A username in a path: any segment but `import`, so that /users/import is only the import
    (POST) and answers 405 with `Allow: POST` to anything else."""

    regex = r"(?!import(?![^/]))[^/]+"


def create_app(test_config: dict | None = None) -> Flask:
    """The app factory: settings, extensions, blueprints, CLI and error pages."""
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.from_mapping(load_config(Path(app.instance_path)))
    if test_config:
        app.config.update(test_config)
    # KAOHE_ENV=production refuses to start with the demo password (tests ask for the check).
    app.config.setdefault("DEMO_PASSWORD_CHECK", not app.config.get("TESTING"))
    finish_config(app.config)

    # Import models so that metadata (and Alembic) know every table.
    from .audit import models as _audit  # noqa: F401
    from .bonus import models as _bonus  # noqa: F401
    from .jobs import models as _jobs  # noqa: F401
    from .ledger import models as _ledger  # noqa: F401
    from .trackers import calendar_models as _calendar  # noqa: F401
    from .trackers import oa_models as _oa  # noqa: F401
    from .org import models as _org  # noqa: F401
    from .notify import models as _notify  # noqa: F401
    from .rhythm import models as _rhythm  # noqa: F401
    from .rhythm import deadline_models as _deadlines  # noqa: F401
    from .scheme import models as _scheme  # noqa: F401
    from .scheme import snapshot as _snapshot  # noqa: F401  (its flush hook bumps the version)
    from . import dataversion as _dataversion  # noqa: F401  (every committed write moves it on)
    from . import sqlite_wal as _sqlite_wal  # noqa: F401  (the embedded database's write-ahead log)
    from .security import models as _security  # noqa: F401
    from .sheets import models as _sheets  # noqa: F401
    from .trackers import info_models as _info  # noqa: F401

    app.url_map.converters["id"] = IdConverter
    app.url_map.converters["year"] = YearConverter
    app.url_map.converters["username"] = UsernameConverter
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    login_manager.init_app(app)
    csrf.init_app(app)

    from . import api, cli, security, web

    app.register_blueprint(web.bp)
    app.register_blueprint(api.bp)
    csrf.exempt(api.bp)  # the API authenticates with bearer tokens, not cookies
    cli.init_app(app)
    web.init_app(app)
    security.init_app(app)

    from .org.service import refuse_demo_passwords_in_production

    refuse_demo_passwords_in_production(app)
    return app
