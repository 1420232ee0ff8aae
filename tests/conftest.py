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
from snapshot import Snapshot

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
    if db.engine.dialect.name == "postgresql":
        # Whatever an older or newer checkout left here goes too (tables the models no longer
        # name would keep drop_all from dropping the ones they reference).
        with db.engine.begin() as conn:
            conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    else:
        db.drop_all()
    db.create_all()
    seed_all()
    db.session.commit()
    if with_demo:
        load_demo(DATA_DIR / "demo.yaml")
        sheet_service.open_year(YEAR)


# A seeded database is built once per run and restored before every test (a snapshot of its
# rows, written back in one transaction: ~20 ms against ~1 s for a rebuild). Worlds that
# several tests share (the role × route matrix, the reports' year) are snapshots too.
_SNAPSHOTS: dict[str, Snapshot] = {}


def restore_seed():
    """Inside an app context: the database exactly as seeded (2018 data, demo accounts, drafts)."""
    _wait_for_jobs()
    if "seed" not in _SNAPSHOTS:
        reset_database()
        _SNAPSHOTS["seed"] = Snapshot.take(db.engine)
    else:
        db.session.remove()
        _SNAPSHOTS["seed"].restore(db.engine)
    reset_process_state()


def restore_world(name: str, build):
    """Inside an app context, after `restore_seed`: the named world, built by `build()` the
    first time and restored from its snapshot afterwards. Answers what `build` answered."""
    if name not in _SNAPSHOTS:
        extra = build()
        db.session.remove()
        _SNAPSHOTS[name] = Snapshot.take(db.engine, extra)
    else:
        db.session.remove()
        _SNAPSHOTS[name].restore(db.engine)
        reset_process_state()
    return _SNAPSHOTS[name].extra


def _wait_for_jobs():
    """A job the app ran in a thread of its own (no queue: kaohe_flow.jobs) must not still write
    while the next test restores the database."""
    try:
        from kaohe_flow.jobs.service import wait_inline
    except ImportError:
        return
    wait_inline()


def reset_process_state():
    """State a test run keeps outside the database (the sign-in throttle's counters, the scheme's
    snapshots: a restored database may carry the same version with other rows)."""
    try:
        from kaohe_flow.scheme import snapshot
    except ImportError:
        pass
    else:
        snapshot.forget_all()
    from kaohe_flow import pagecache

    pagecache.forget_all()  # pages kept under a data version the restore may hand out again
    try:
        from kaohe_flow.security import throttle
    except ImportError:
        return
    reset = getattr(throttle, "reset", None)
    if reset is not None:
        reset()


@pytest.fixture(scope="session")
def _shared_app(db_url):
    """One app (and one engine) for the run: creating an app costs more than restoring a world."""
    app = make_app(db_url)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def app(_shared_app):
    """The app on the seeded database; a test's changes to its settings end with the test."""
    settings = dict(_shared_app.config)
    with _shared_app.app_context():
        restore_seed()
    yield _shared_app
    with _shared_app.app_context():
        db.session.remove()
    _shared_app.config.clear()
    _shared_app.config.update(settings)


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
