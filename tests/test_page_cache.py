"""A page a process keeps is never older than the database (issue 11, lean reads).

The busiest pages are kept per process and browser session and given again while the data
version is the one they were drawn under, for a few seconds at most. Any committed write to any record —
through a service, a bulk statement, raw SQL, or another app server — moves the version on, so the
next request draws the page again and shows the change."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from conftest import YEAR, make_app
from kaohe_flow import dataversion
from kaohe_flow.extensions import db
from kaohe_flow.org.models import Unit
from kaohe_flow.sheets.models import Sheet, SheetRow
from kaohe_flow import pagecache

PASSWORD = "demo12345"


def _signed_in(app, username="bgs"):
    client = app.test_client()
    assert client.post("/login", data={"username": username, "password": PASSWORD}).status_code == 302
    return client


def _sheet_of(app, code="bgs"):
    with app.app_context():
        return db.session.scalar(sa.select(Sheet.id).join(Unit, Unit.id == Sheet.unit_id)
                                 .where(Unit.code == code, Sheet.year == YEAR))


def _version(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.text("SELECT version FROM cache_versions WHERE name = 'data'")) or 0


def _note_on_a_row(app, sid, note, *, raw=False):
    """A committed change to the reason of the sheet's first row, straight to the database."""
    with app.app_context():
        row = db.session.scalar(sa.select(SheetRow).filter_by(sheet_id=sid).order_by(SheetRow.position).limit(1))
        if raw:
            db.session.execute(sa.text("UPDATE sheet_rows SET self_reason = :n WHERE id = :r"),
                               {"n": note, "r": row.id})
        else:
            row.self_reason = note
        db.session.commit()


@pytest.fixture
def still_clock(monkeypatch):
    """The clock held still: two requests never fall on either side of a span's end."""
    now = pagecache.utcnow()
    monkeypatch.setattr(pagecache, "utcnow", lambda: now)


def _statements(app, call):
    seen = []

    def note(conn, cursor, statement, *args):
        seen.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", note)
    try:
        response = call()
    finally:
        sa.event.remove(engine, "before_cursor_execute", note)
    return response, seen


def test_a_page_read_again_is_given_from_the_process_without_drawing_it(app, still_clock):
    client, sid = _signed_in(app), _sheet_of(app)
    first = client.get(f"/sheets/{sid}")
    again, seen = _statements(app, lambda: client.get(f"/sheets/{sid}"))
    assert again.status_code == 200 and again.data == first.data
    assert again.content_type == first.content_type
    # The session, its user and the data version: nothing of the sheet is read again.
    assert len(seen) <= 4, seen
    assert [s for s in seen if "cache_versions" in s]
    assert not [s for s in seen if "FROM sheets" in s or "FROM sheet_rows" in s]


@pytest.mark.parametrize("raw", [False, True], ids=["through the ORM", "raw SQL"])
def test_any_committed_write_shows_on_the_next_request(app, raw):
    client, sid = _signed_in(app), _sheet_of(app)
    assert "写入之后的说明" not in client.get(f"/sheets/{sid}").get_data(as_text=True)
    before = _version(app)
    _note_on_a_row(app, sid, "写入之后的说明", raw=raw)
    assert _version(app) == before + 1
    assert "写入之后的说明" in client.get(f"/sheets/{sid}").get_data(as_text=True)


def test_a_score_saved_on_the_page_shows_when_the_page_is_read_again(app):
    client, sid = _signed_in(app), _sheet_of(app)
    with app.app_context():
        sheet = db.session.get(Sheet, sid)
        row = next(r for r in sheet.rows if r.self_score is None)
        code, version = row.item.code, sheet.version
    assert 'value="1.25"' not in client.get(f"/sheets/{sid}").get_data(as_text=True)  # kept
    r = client.post(f"/sheets/{sid}/rows", data={"kind": "self", "version": str(version), "code": code,
                                                 f"score-{code}": "1.25", f"reason-{code}": "缓存之后的分值"})
    assert r.status_code == 302
    client.get(f"/sheets/{sid}")  # the page that shows the flash
    page = client.get(f"/sheets/{sid}").get_data(as_text=True)
    assert "缓存之后的分值" in page and "1.25" in page


def test_another_app_server_sees_a_change_made_by_this_one(app, db_url):
    other = make_app(db_url)  # another process: its own kept pages, the same database
    other_client, sid = _signed_in(other), _sheet_of(app)
    assert "别的服务器写的说明" not in other_client.get(f"/sheets/{sid}").get_data(as_text=True)
    _note_on_a_row(app, sid, "别的服务器写的说明")
    assert "别的服务器写的说明" in other_client.get(f"/sheets/{sid}").get_data(as_text=True)
    with other.app_context():
        db.session.remove()


def test_a_rolled_back_write_and_a_sessions_bookkeeping_do_not_move_the_version(app):
    before = _version(app)
    with app.app_context():
        db.session.scalar(sa.select(SheetRow).limit(1)).self_reason = "不会提交的说明"
        db.session.flush()
        db.session.rollback()
    assert _version(app) == before
    _signed_in(app)  # a sign-in writes its session row and the security log
    assert _version(app) == before


def test_a_background_jobs_progress_does_not_drop_the_kept_pages(app):
    before = _version(app)
    with app.app_context():  # as jobs.service.Reporter writes it while a workbook is made
        db.session.execute(sa.text("UPDATE jobs SET progress = 50 WHERE id = -1"))
        db.session.commit()
    assert _version(app) == before


def test_one_readers_page_is_never_given_to_another(app):
    sid = _sheet_of(app)
    bgs, director = _signed_in(app, "bgs"), _signed_in(app, "director")
    mine = bgs.get(f"/sheets/{sid}").data
    theirs = director.get(f"/sheets/{sid}").data
    assert mine != theirs  # each page names who reads it and what they may do
    assert bgs.get(f"/sheets/{sid}").data == mine
    assert director.get(f"/sheets/{sid}").data == theirs


def test_a_waiting_message_is_shown_once_on_a_page_drawn_for_it(app):
    client, sid = _signed_in(app), _sheet_of(app)
    client.get(f"/sheets/{sid}")  # kept
    with client.session_transaction() as session:
        session["_flashes"] = [("success", "刚才的操作已完成")]
    assert "刚才的操作已完成" in client.get(f"/sheets/{sid}").get_data(as_text=True)
    assert "刚才的操作已完成" not in client.get(f"/sheets/{sid}").get_data(as_text=True)


def test_a_page_is_drawn_again_once_its_span_of_the_clock_is_over(app, monkeypatch):
    client, sid = _signed_in(app), _sheet_of(app)
    client.get(f"/sheets/{sid}")
    later = pagecache.utcnow() + timedelta(seconds=app.config["PAGE_CACHE_SECONDS"])
    monkeypatch.setattr(pagecache, "utcnow", lambda: later)
    _, seen = _statements(app, lambda: client.get(f"/sheets/{sid}"))
    assert [s for s in seen if "FROM sheets" in s]


def test_refusals_are_not_kept(app):
    client = _signed_in(app, "bgs")
    assert client.get("/sheets/999999").status_code == 404
    assert client.get("/sheets/999999").status_code == 404
    with app.app_context():
        assert not pagecache._store().pages


def test_the_store_is_bounded(app, monkeypatch, still_clock):
    monkeypatch.setattr(pagecache, "MAX_PAGES", 3)
    client = _signed_in(app, "director")
    for n in range(6):
        assert client.get(f"/sheets?year={YEAR}&page=1&n={n}").status_code == 200
    with app.app_context():
        assert len(pagecache._store().pages) == 3


def test_switched_off_every_page_is_drawn(app):
    app.config["PAGE_CACHE"] = False
    client, sid = _signed_in(app), _sheet_of(app)
    client.get(f"/sheets/{sid}")
    _, seen = _statements(app, lambda: client.get(f"/sheets/{sid}"))
    assert [s for s in seen if "FROM sheets" in s]


def _another_server_writes(note_sid, note):
    """A write committed by another server's connection (its own transaction, its own bump)."""
    from sqlalchemy.orm import Session

    with Session(db.engine) as other:
        other.execute(sa.text("UPDATE sheet_rows SET self_reason = :n WHERE sheet_id = :s"),
                      {"n": note, "s": note_sid})
        other.commit()


def test_a_write_committed_while_the_first_page_is_drawn_shows_on_the_next_request(app, monkeypatch):
    """The page is kept under the version read before it was drawn, not after (the first page of
    a session, which starts its CSRF token while drawn, included)."""
    from kaohe_flow.web import views

    client, sid = _signed_in(app), _sheet_of(app)
    original = views.render_template

    def drawn_then_written(*args, **kwargs):
        html = original(*args, **kwargs)  # drawn from what was stored before the write below
        _another_server_writes(sid, "画完之后才提交的说明")
        return html

    monkeypatch.setattr(views, "render_template", drawn_then_written)
    assert "画完之后才提交的说明" not in client.get(f"/sheets/{sid}").get_data(as_text=True)
    monkeypatch.setattr(views, "render_template", original)
    assert "画完之后才提交的说明" in client.get(f"/sheets/{sid}").get_data(as_text=True)


def test_the_version_is_read_before_the_reader_is_loaded(app, monkeypatch):
    """A change to the reader committed after their row was read is not kept under its version."""
    import kaohe_flow.web as web

    client, sid = _signed_in(app), _sheet_of(app)
    client.get(f"/sheets/{sid}")  # the session's CSRF token started: the next page is kept
    original, renamed = web.user_for_session, []

    def loaded_then_renamed(user_id):
        user = original(user_id)
        if not renamed:
            renamed.append(True)
            from sqlalchemy.orm import Session

            with Session(db.engine) as other:  # another server renames the reader just now
                other.execute(sa.text("UPDATE users SET name = '改过名的办公室主任' WHERE username = 'bgs'"))
                other.commit()
        return user

    monkeypatch.setattr(web, "user_for_session", loaded_then_renamed)
    with app.app_context():
        pagecache.forget_all()
    assert "改过名的办公室主任" not in client.get(f"/sheets/{sid}").get_data(as_text=True)  # the old row
    assert "改过名的办公室主任" in client.get(f"/sheets/{sid}").get_data(as_text=True)


@pytest.mark.parametrize("statement, table", [
    ("INSERT INTO sheets (a) VALUES (1)", "sheets"),
    ('UPDATE "sheet_rows" SET a=1', "sheet_rows"),
    ("DELETE FROM steps WHERE id = 1", "steps"),
    ("INSERT OR REPLACE INTO x(a) VALUES (1)", "x"),
    ('INSERT INTO "user_sessions"(id) VALUES (1)', "user_sessions"),
    ("  update user_sessions set last_seen_at = 1", "user_sessions"),
    ("-- why\n/* and how */ UPDATE sheets SET a = 1", "sheets"),
    ("WITH t AS (SELECT 1) UPDATE sheets SET a = 1", ""),
    ("TRUNCATE sheets", ""),
    ("ALTER TABLE sheets ADD COLUMN b INT", ""),
    ("SELECT * FROM sheets", None),
    ("SELECT * FROM sheets FOR UPDATE", None),
    ("WITH t AS (SELECT 1) SELECT * FROM t", None),
    ("PRAGMA foreign_keys=ON", None),
    ("SAVEPOINT sa_savepoint_1", None),
])
def test_the_written_table_is_read_from_the_statement(statement, table):
    assert dataversion._table_of(statement) == table


def _kept_then_written_outside(app):
    """(client, sheet id): the sheet's page kept, then a row's reason changed by psql or another
    program — the DBAPI's own connection, which no SQLAlchemy event sees."""
    client, sid = _signed_in(app), _sheet_of(app)
    client.get(f"/sheets/{sid}")  # the session's CSRF token started
    client.get(f"/sheets/{sid}")  # kept
    with app.app_context():
        raw = db.engine.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute("UPDATE sheet_rows SET self_reason = 'psql 写入的说明' WHERE sheet_id = %d" % sid)
            raw.commit()
        finally:
            raw.close()
    return client, sid


def test_a_write_made_outside_the_app_shows_once_the_span_is_over(app, monkeypatch):
    """psql or another program writes without our engine: no version moves, so the kept page
    stands for the rest of its span of the clock (PAGE_CACHE_SECONDS), and no longer."""
    client, sid = _kept_then_written_outside(app)
    later = pagecache.utcnow() + timedelta(seconds=app.config["PAGE_CACHE_SECONDS"])
    monkeypatch.setattr(pagecache, "utcnow", lambda: later)
    assert "psql 写入的说明" in client.get(f"/sheets/{sid}").get_data(as_text=True)


# ------------------------------------------------------------------ the API's answers


def test_an_api_answer_given_again_reads_only_the_token_and_the_versions(app, api, still_clock):
    sid = _sheet_of(app)
    first = api.as_("bgs").get(f"/api/v1/sheets/{sid}")
    again, seen = _statements(app, lambda: api.as_("bgs").get(f"/api/v1/sheets/{sid}"))
    assert again.status_code == 200 and again.get_json() == first.get_json()
    assert again.content_type == first.content_type
    assert not [s for s in seen if "FROM sheets" in s or "FROM sheet_rows" in s], seen
    assert len(seen) <= 3, seen


def test_a_write_shows_on_the_next_api_answer(app, api):
    sid = _sheet_of(app)
    api.as_("bgs").get(f"/api/v1/sheets/{sid}")
    version = api.as_("bgs.staff").get(f"/api/v1/sheets/{sid}").get_json()["version"]
    r = api.as_("bgs.staff").put(f"/api/v1/sheets/{sid}/items/team",
                                 json={"version": version, "self_score": "2", "self_reason": "接口写入的说明"})
    assert r.status_code == 200, r.get_json()
    row = next(row for row in api.as_("bgs").get(f"/api/v1/sheets/{sid}").get_json()["items"] if row["code"] == "team")
    assert row["self_reason"] == "接口写入的说明"
    _note_on_a_row(app, sid, "直接写入的说明", raw=True)
    rows = api.as_("bgs").get(f"/api/v1/sheets/{sid}").get_json()["items"]
    assert "直接写入的说明" in [row["self_reason"] for row in rows]


@pytest.mark.parametrize("path", ["/api/v1/sheets/{sid}", "/api/v1/inbox", f"/api/v1/ranking?year={YEAR}",
                                  f"/api/v1/sheets?year={YEAR}", f"/api/v1/years/{YEAR}/progress"])
def test_each_caller_is_given_their_own_api_answer(app, api, path):
    path = path.format(sid=_sheet_of(app))
    callers = ("bgs", "rjk", "director", "leader1")
    kept = {who: api.as_(who).get(path) for who in callers for _ in range(2)}  # drawn, then given again
    app.config["PAGE_CACHE"] = False
    for who in callers:
        drawn = api.as_(who).get(path)
        assert (kept[who].status_code, kept[who].get_json()) == (drawn.status_code, drawn.get_json()), who


def test_refresh_caches_draws_every_page_again_after_a_write_made_outside_the_app(app, still_clock):
    """`flask --app wsgi refresh-caches` after psql: the next request draws the page, without
    waiting for the span of the clock to end."""
    client, sid = _kept_then_written_outside(app)
    assert "psql 写入的说明" not in client.get(f"/sheets/{sid}").get_data(as_text=True)  # still kept
    assert app.test_cli_runner().invoke(args=["refresh-caches"]).exit_code == 0
    assert "psql 写入的说明" in client.get(f"/sheets/{sid}").get_data(as_text=True)
