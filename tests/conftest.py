"""Fixtures in the spirit of flaskr and Indico: a fresh database per test, loaded with the
2018 data and the demo accounts; an `api` helper that signs in as any demo user."""
import os
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from kaohe_flow import create_app
from kaohe_flow.extensions import db
from kaohe_flow.org.service import DEMO_PASSWORD, load_demo
from kaohe_flow.scheme.loader import DATA_DIR, seed_all
from kaohe_flow.sheets import service as sheet_service
from kaohe_flow.sheets.models import Sheet

YEAR = 2018


def database_url(tmp_path_factory) -> str:
    """SQLite by default; PostgreSQL when the Makefile's second pass asks for it."""
    if os.environ.get("KAOHE_TEST_DB") == "postgresql":
        url = os.environ.get("TEST_DATABASE_URL")
        if not url:
            pytest.exit("KAOHE_TEST_DB=postgresql needs TEST_DATABASE_URL", returncode=2)
        return url
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.db")


@pytest.fixture(scope="session")
def db_url(tmp_path_factory):
    return database_url(tmp_path_factory)


def make_app(url: str, **extra):
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": url,
        "WTF_CSRF_ENABLED": False,
        # A cheap KDF keeps the suite fast; production uses scrypt.
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "SERVER_NAME": None,
    }
    config.update(extra)
    return create_app(config)


def reset_database(with_demo: bool = True):
    """Drop and recreate every table (tests only), then load the seed and the demo."""
    db.session.remove()
    db.drop_all()
    db.create_all()
    seed_all()
    db.session.commit()
    if with_demo:
        load_demo(DATA_DIR / "demo.yaml")
        sheet_service.open_year(YEAR)


@pytest.fixture
def app(db_url):
    app = make_app(db_url)
    with app.app_context():
        reset_database()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


class Api:
    """Calls the JSON API as a demo user: `api.as_("bgs").get("/api/v1/me")`."""

    def __init__(self, client):
        self.client = client
        self.tokens = {}

    def token(self, username, password=DEMO_PASSWORD):
        if username not in self.tokens:
            r = self.client.post("/api/v1/tokens", json={"username": username, "password": password})
            assert r.status_code == 201, r.get_json()
            self.tokens[username] = r.get_json()["token"]
        return self.tokens[username]

    def as_(self, username):
        return _As(self, username)


class _As:
    def __init__(self, api, username):
        self.api, self.username = api, username

    def _call(self, method, path, **kw):
        headers = kw.pop("headers", {})
        headers["Authorization"] = "Bearer " + self.api.token(self.username)
        return getattr(self.api.client, method)(path, headers=headers, **kw)

    def get(self, path, **kw):
        return self._call("get", path, **kw)

    def post(self, path, **kw):
        return self._call("post", path, **kw)

    def put(self, path, **kw):
        return self._call("put", path, **kw)

    def delete(self, path, **kw):
        return self._call("delete", path, **kw)


@pytest.fixture
def api(client):
    return Api(client)


@pytest.fixture
def sheet_id(app):
    """The id of a unit's 2018 sheet: sheet_id("bgs")."""

    def find(unit_code):
        with app.app_context():
            return db.session.scalar(
                db.select(Sheet.id).join(Sheet.unit).where(Sheet.year == YEAR).filter_by(code=unit_code)
            )

    return find


@pytest.fixture
def count_queries(app):
    """Count SQL statements inside a block: `with count_queries() as n: ...; n()`."""

    @contextmanager
    def counter():
        seen = []

        def before(conn, cursor, statement, *args):
            seen.append(statement)

        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", before)
        try:
            yield lambda: len(seen)
        finally:
            event.remove(engine, "before_cursor_execute", before)

    return counter
