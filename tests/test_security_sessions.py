"""Safe on the network (issue 8): sign-in throttling, server-side sessions, security headers,
cookies, security events and the SQLite file's mode."""
import logging
import os
import re
import stat
import time
from datetime import timedelta
from pathlib import Path

import limits.storage.memory
import pytest

from conftest import make_app
from kaohe_flow.extensions import db
from kaohe_flow.org import service as org_service
from kaohe_flow.org.models import ApiToken, User, UserSession
from kaohe_flow.security import throttle
from kaohe_flow.security.models import SecurityEvent
from kaohe_flow.timeutil import as_utc, utcnow

PASSWORD = "demo12345"
TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def login(client, username, password=PASSWORD):
    return client.post("/login", data={"username": username, "password": password})


def token_call(client, username, password=PASSWORD):
    return client.post("/api/v1/tokens", json={"username": username, "password": password})


def session_cookie(client) -> str:
    cookie = client.get_cookie("session")
    return cookie.value if cookie is not None else ""


def user(name) -> User:
    return db.session.scalar(db.select(User).filter_by(username=name))


@pytest.fixture
def other_app(db_url, app):
    """Another app on the seeded database with some settings changed: other_app(KAOHE_ENV=...)."""
    made = []

    def build(**extra):
        made.append(make_app(db_url, **extra))
        return made[-1]

    yield build
    for each in made:
        with each.app_context():
            db.session.remove()
            db.engine.dispose()


class Clock:
    """time.time() moved forward at will, for the throttle's storage and its Retry-After."""

    def __init__(self):
        self.offset = 0.0

    def time(self):
        return time.time() + self.offset


@pytest.fixture
def clock(monkeypatch):
    fake = Clock()
    monkeypatch.setattr(limits.storage.memory, "time", fake)
    monkeypatch.setattr(throttle, "time", fake)
    return fake


# ---------------------------------------------------------------- throttling


def test_five_wrong_passwords_lock_the_page_sign_in_even_for_the_right_password(client):
    for _ in range(5):
        r = login(client, "bgs", "wrong")
        assert r.status_code == 200 and "用户名或密码错误" in r.get_data(as_text=True)
    r = login(client, "bgs")
    assert r.status_code == 429
    assert 840 <= int(r.headers["Retry-After"]) <= 900
    page = r.get_data(as_text=True)
    assert "请 15 分钟后再试" in page
    assert client.get("/inbox").status_code == 302  # not signed in


def test_five_wrong_passwords_lock_the_token_endpoint_even_for_the_right_password(client):
    for _ in range(5):
        assert token_call(client, "bgs", "wrong").status_code == 401
    r = token_call(client, "bgs")
    assert r.status_code == 429
    assert r.get_json()["error"]["code"] == "too_many_attempts"
    assert 840 <= int(r.headers["Retry-After"]) <= 900
    assert token_call(client, "rjk").status_code == 201  # another name is not locked


def test_page_and_api_failures_count_together(client):
    for _ in range(3):
        login(client, "bgs", "wrong")
    for _ in range(2):
        token_call(client, "bgs", "wrong")
    assert login(client, "bgs").status_code == 429
    assert token_call(client, "bgs").status_code == 429


def test_an_unknown_username_is_locked_like_a_known_one(client):
    for _ in range(5):
        token_call(client, "nobody", "wrong")
    assert token_call(client, "nobody", "wrong").status_code == 429


def test_the_lock_ends_when_the_window_has_passed(client, clock):
    for _ in range(5):
        token_call(client, "bgs", "wrong")
    assert token_call(client, "bgs").status_code == 429
    clock.offset = 14 * 60
    r = login(client, "bgs")
    assert r.status_code == 429 and int(r.headers["Retry-After"]) <= 60
    clock.offset = 15 * 60 + 1
    assert token_call(client, "bgs").status_code == 201
    assert login(client, "bgs").status_code == 302


def test_the_numbers_are_settings(other_app):
    app = other_app(LOGIN_MAX_FAILURES=2, LOGIN_FAILURE_WINDOW_SECONDS=60)
    client = app.test_client()
    token_call(client, "bgs", "wrong")
    token_call(client, "bgs", "wrong")
    r = token_call(client, "bgs")
    assert r.status_code == 429 and int(r.headers["Retry-After"]) <= 60


def test_reset_forgets_the_counts(app, client):
    for _ in range(5):
        token_call(client, "bgs", "wrong")
    with app.app_context():
        throttle.reset()
    assert token_call(client, "bgs").status_code == 201


# ---------------------------------------------------------------- sessions


def test_a_cookie_copied_before_sign_out_no_longer_opens_the_inbox(app, client):
    assert login(client, "bgs").status_code == 302
    copied = session_cookie(client)
    assert client.post("/logout").status_code == 302
    thief = app.test_client()
    thief.set_cookie("session", copied)
    r = thief.get("/inbox")
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    with app.app_context():
        assert db.session.scalars(db.select(UserSession.ended_at)).all() != [None]


def test_sign_in_issues_a_new_session_and_drops_what_the_cookie_held(app, client):
    with client.session_transaction() as planted:
        planted["planted"] = "by someone else"
    assert login(client, "bgs").status_code == 302
    first = session_cookie(client)
    with client.session_transaction() as current:
        assert "planted" not in current and current["sid"]
    assert login(client, "bgs").status_code == 302
    second = session_cookie(client)
    assert first != second
    assert client.get("/inbox").status_code == 200
    old = app.test_client()
    old.set_cookie("session", first)
    assert old.get("/inbox").status_code == 302  # signing in again ended this browser's old session


def test_no_remember_me_cookie_is_set(client):
    r = login(client, "bgs")
    assert "remember_token" not in " ".join(r.headers.getlist("Set-Cookie"))


def test_a_cookie_naming_a_user_without_a_server_session_opens_nothing(app, client):
    """Cookies from before server-side sessions (or a remember-me login) carry no open session."""
    with app.app_context():
        bgs_id = user("bgs").id
    with client.session_transaction() as s:
        s["_user_id"] = str(bgs_id)
        s["_fresh"] = True
    assert client.get("/inbox").status_code == 302


def _age_sessions(app, **delta):
    with app.app_context():
        for row in db.session.scalars(db.select(UserSession)):
            if "idle" in delta:
                row.last_seen_at = utcnow() - delta["idle"]
            if "age" in delta:
                row.created_at = utcnow() - delta["age"]
        db.session.commit()


def test_a_session_ends_after_30_idle_minutes(app, client):
    login(client, "bgs")
    _age_sessions(app, idle=timedelta(minutes=29))
    assert client.get("/inbox").status_code == 200  # and the request counts as activity
    with app.app_context():
        row = db.session.scalar(db.select(UserSession))
        assert utcnow() - as_utc(row.last_seen_at) < timedelta(minutes=1)
    _age_sessions(app, idle=timedelta(minutes=31))
    assert client.get("/inbox").status_code == 302
    with app.app_context():
        assert db.session.scalar(db.select(UserSession)).ended_at is not None


def test_a_session_ends_after_12_hours_however_active(app, client):
    login(client, "bgs")
    _age_sessions(app, age=timedelta(hours=11, minutes=59))
    assert client.get("/inbox").status_code == 200
    _age_sessions(app, age=timedelta(hours=12, minutes=1))
    assert client.get("/inbox").status_code == 302


def test_deactivating_a_user_ends_their_sessions_and_tokens(app, client, api):
    login(client, "bgs")
    token = api.token("bgs")
    with app.app_context():
        org_service.set_active(user("admin"), user("bgs"), False)
    assert client.get("/inbox").status_code == 302
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    with app.app_context():
        bgs = user("bgs")
        assert all(r.ended_at for r in db.session.scalars(db.select(UserSession).filter_by(user_id=bgs.id)))
        assert all(t.revoked_at for t in db.session.scalars(db.select(ApiToken).filter_by(user_id=bgs.id)))
        # active again: the old session and token stay ended
        org_service.set_active(user("admin"), user("bgs"), True)
    assert client.get("/inbox").status_code == 302
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_a_new_password_ends_every_session_and_token(app, client, api):
    login(client, "bgs")
    token = api.token("bgs")
    with app.app_context():
        org_service.set_password(user("bgs"), user("bgs"), "a new long password")
        org_service.set_password(user("admin"), user("rjk"), "another long password")
        kinds = [(e.kind, e.username) for e in db.session.scalars(db.select(SecurityEvent))]
    assert ("password_changed", "bgs") in kinds and ("password_reset", "rjk") in kinds
    assert client.get("/inbox").status_code == 302
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert login(client, "bgs", "a new long password").status_code == 302


# ---------------------------------------------------------------- headers and cookies


def _assert_security_headers(r):
    csp = r.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-eval" not in csp
    assert "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["X-Frame-Options"] == "DENY"
    assert r.headers["Referrer-Policy"] in ("same-origin", "strict-origin-when-cross-origin")


def test_security_headers_on_pages_the_api_and_error_pages(client, api):
    login_page = client.get("/login")
    _assert_security_headers(login_page)
    assert "no-store" not in login_page.headers.get("Cache-Control", "")
    _assert_security_headers(client.get("/no-such-page"))
    _assert_security_headers(client.get("/api/v1/me"))  # 401
    me = api.as_("bgs").get("/api/v1/me")
    _assert_security_headers(me)
    assert me.headers["Cache-Control"] == "no-store"
    login(client, "bgs")
    inbox = client.get("/inbox")
    _assert_security_headers(inbox)
    assert inbox.headers["Cache-Control"] == "no-store"
    _assert_security_headers(client.get("/sheets/999999"))  # 404 while signed in
    assert "Strict-Transport-Security" not in inbox.headers  # development: no TLS promised


def test_cookies_are_httponly_and_lax_and_not_secure_outside_production(client):
    cookie = login(client, "bgs").headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_production_sends_secure_cookies_and_hsts(other_app):
    client = other_app(KAOHE_ENV="production").test_client()
    r = login(client, "bgs")
    cookie = r.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert r.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "Strict-Transport-Security" in client.get("/api/v1/openapi.json").headers


def test_no_template_has_an_inline_script_or_event_handler():
    """The CSP allows scripts from the app's own files only."""
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)", text, re.I), path
        assert not re.search(r"\son[a-z]+\s*=", text, re.I), path
        assert "javascript:" not in text.lower(), path


# ---------------------------------------------------------------- security events


def _events(app):
    with app.app_context():
        return [(e.kind, e.username) for e in db.session.scalars(db.select(SecurityEvent).order_by(SecurityEvent.id))]


def test_sign_ins_sign_outs_tokens_and_lockouts_are_security_events(app, client, caplog):
    caplog.set_level(logging.INFO, logger="kaohe_flow.security")
    login(client, "bgs")
    client.post("/logout")
    for _ in range(5):
        login(client, "rjk", "wrong")
    login(client, "rjk")
    token = token_call(client, "szc").get_json()["token"]
    client.delete("/api/v1/tokens/current", headers={"Authorization": f"Bearer {token}"})
    seen = _events(app)
    assert seen[:2] == [("login_ok", "bgs"), ("logout", "bgs")]
    assert seen.count(("login_failed", "rjk")) == 5
    assert seen.count(("locked", "rjk")) == 2  # when the lock began, and the refused attempt
    assert seen[-2:] == [("token_issued", "szc"), ("token_revoked", "szc")]
    lines = [r.getMessage() for r in caplog.records if r.name == "kaohe_flow.security"]
    assert any(line.startswith("security_event kind=login_failed") and 'username="rjk"' in line for line in lines)


def test_every_403_is_a_security_event_though_the_request_rolls_back(app, api, sheet_id):
    r = api.as_("director").put(f"/api/v1/sheets/{sheet_id('bgs')}/items/team",
                                json={"self_score": "2", "self_reason": "", "version": 1})
    assert r.status_code == 403
    assert ("forbidden", "director") in _events(app)


def test_the_admin_reads_security_events_newest_first(app, client, api):
    for _ in range(2):
        token_call(client, "nobody", "wrong")
    login(client, "bgs")
    r = api.as_("admin").get("/api/v1/security-events")
    assert r.status_code == 200
    items = r.get_json()["items"]
    assert set(items[0]) >= {"at", "kind", "username", "ip"}
    assert [i["kind"] for i in items[:4]] == ["token_issued", "login_ok", "login_failed", "login_failed"]
    assert items[1]["username"] == "bgs" and items[1]["ip"] == "127.0.0.1"
    failed = api.as_("admin").get("/api/v1/security-events?kind=login_failed&limit=1").get_json()["items"]
    assert [(i["kind"], i["username"]) for i in failed] == [("login_failed", "nobody")]
    for bad in ("?limit=0", "?limit=1001", "?limit=x", "?kind=nope"):
        assert api.as_("admin").get("/api/v1/security-events" + bad).status_code == 400


def test_only_the_admin_reads_security_events(app, client, api):
    assert client.get("/api/v1/security-events").status_code == 401
    assert api.as_("bgs").get("/api/v1/security-events").status_code == 403
    assert api.as_("director").get("/api/v1/security-events").status_code == 403
    login(client, "bgs")
    assert client.get("/admin/security-events").status_code == 403
    assert "安全事件" not in client.get("/inbox").get_data(as_text=True)
    admin = app.test_client()
    login(admin, "admin")
    page = admin.get("/admin/security-events")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "越权访问（403）" in text and "登录成功" in text
    assert "/admin/security-events" in admin.get("/inbox").get_data(as_text=True)


# ---------------------------------------------------------------- the SQLite file


def test_the_sqlite_file_and_its_write_ahead_log_are_created_readable_by_their_owner_only(tmp_path):
    """The embedded file runs with a write-ahead log (kaohe_flow/sqlite_wal.py): the log and its
    index hold the same data as the file, and take the file's mode."""
    path = tmp_path / "fresh" / "kaohe.db"
    logs = [path.with_name(path.name + suffix) for suffix in ("-wal", "-shm")]
    old = os.umask(0o022)
    try:
        app = make_app("sqlite:///" + str(path))
        with app.app_context():
            db.create_all()
            with db.engine.connect() as conn:
                assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
                assert [stat.S_IMODE(log.stat().st_mode) for log in logs] == [0o600, 0o600]
            db.engine.dispose()
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_an_existing_world_readable_sqlite_file_is_made_private(tmp_path):
    path = tmp_path / "kaohe.db"
    path.write_bytes(b"")
    path.chmod(0o644)
    make_app("sqlite:///" + str(path))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
