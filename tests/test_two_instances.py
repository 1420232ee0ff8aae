"""Two app servers on one PostgreSQL behave as one (issue 11, 2): two gunicorn instances on
loopback, requests alternating between them — a page session opened on one serves on the other
and ends on both at sign-out, the sign-in throttle counts across them (Redis), and a write with a
stale version is 409 whichever instance took the first one.

PostgreSQL runs only (an embedded SQLite file is one machine's by definition); the throttle part
needs Redis at REDIS_URL (default redis://127.0.0.1:6379/0) and is skipped with a reason without.
"""
import os
import re
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests

from conftest import YEAR

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).with_name("gunicorn")

pytestmark = pytest.mark.skipif(os.environ.get("KAOHE_TEST_DB") != "postgresql",
                                reason="two app servers share a PostgreSQL database (the PostgreSQL pass)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _redis_url() -> str | None:
    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
        return url
    except Exception:  # noqa: BLE001 - any failure means: no Redis here
        return None


def _wait(url: str, proc) -> None:
    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited: {proc.stdout.read().decode(errors='replace')[-2000:]}")
        try:
            requests.get(url + "/login", timeout=10)
            return
        except (requests.ConnectionError, requests.Timeout):
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start")


@pytest.fixture
def two_servers(app):
    """Two gunicorn instances (one worker each) on the seeded test database, with one secret."""
    redis_url = _redis_url()
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "SECRET_KEY": "two-instances-" + uuid.uuid4().hex, "KAOHE_ENV": "development",
           "REDIS_URL": redis_url or ""}
    servers, procs = [], []
    try:
        for _ in range(2):
            port = _free_port()
            proc = subprocess.Popen([str(GUNICORN), "-w", "1", "-b", f"127.0.0.1:{port}", "wsgi:app"],
                                    cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            procs.append(proc)
            servers.append(f"http://127.0.0.1:{port}")
        for url, proc in zip(servers, procs):
            _wait(url, proc)
        yield servers, redis_url
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1)


def test_a_page_session_opened_on_one_serves_on_the_other_and_ends_on_both(two_servers):
    (a, b), _redis = two_servers
    browser = requests.Session()
    form = browser.get(a + "/login").text
    r = browser.post(b + "/login", data={"username": "bgs", "password": "demo12345", "csrf_token": _csrf(form)},
                     allow_redirects=False)
    assert r.status_code == 302  # the form from A, signed in on B
    assert browser.get(a + "/inbox", allow_redirects=False).status_code == 200
    assert browser.get(b + "/inbox", allow_redirects=False).status_code == 200
    token = _csrf(browser.get(a + "/inbox").text)
    kept = dict(browser.cookies)
    assert browser.post(a + "/logout", data={"csrf_token": token}, allow_redirects=False).status_code == 302
    replay = requests.Session()
    replay.cookies.update(kept)  # the old cookie, copied before sign-out
    for server in (a, b):
        assert replay.get(server + "/inbox", allow_redirects=False).status_code == 302


def test_the_sign_in_throttle_counts_across_servers(two_servers):
    (a, b), redis_url = two_servers
    if redis_url is None:
        pytest.skip("no Redis at REDIS_URL: the throttle is shared through Redis only")
    name = "ghost-" + uuid.uuid4().hex[:8]  # a fresh count, whatever ran before on this Redis
    for n in range(5):
        server = (a, b)[n % 2]
        r = requests.post(server + "/api/v1/tokens", json={"username": name, "password": "wrong"})
        assert r.status_code == 401
    for server in (a, b):
        r = requests.post(server + "/api/v1/tokens", json={"username": name, "password": "wrong"})
        assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0


def test_a_stale_version_is_409_whichever_server_took_the_first_write(two_servers):
    (a, b), _redis = two_servers
    token = requests.post(a + "/api/v1/tokens", json={"username": "bgs.staff", "password": "demo12345"}).json()["token"]
    auth = {"Authorization": "Bearer " + token}
    sheets = requests.get(b + f"/api/v1/sheets?year={YEAR}", headers=auth).json()["items"]
    sid = next(s["id"] for s in sheets if s["unit"] == "bgs")
    version = requests.get(a + f"/api/v1/sheets/{sid}", headers=auth).json()["version"]
    body = {"version": version, "self_score": "2", "self_reason": "少一次"}
    first = requests.put(a + f"/api/v1/sheets/{sid}/items/team", json=body, headers=auth)
    assert first.status_code == 200
    second = requests.put(b + f"/api/v1/sheets/{sid}/items/team", json={**body, "self_score": "1"}, headers=auth)
    assert second.status_code == 409 and second.json()["error"]["code"] == "stale_version"
    assert requests.get(b + f"/api/v1/sheets/{sid}", headers=auth).json()["version"] == first.json()["version"]


def test_an_admin_change_to_the_scheme_on_one_server_shows_at_once_on_the_other(two_servers):
    """Each server holds the year's scheme in memory (scheme.snapshot); the version every change
    moves on, in the database both share, tells the other to read it again."""
    (a, b), _redis = two_servers
    token = requests.post(a + "/api/v1/tokens", json={"username": "admin", "password": "demo12345"}).json()["token"]
    auth = {"Authorization": "Bearer " + token}
    assert requests.post(a + "/api/v1/years", json={"year": YEAR + 1, "copy_from": YEAR}, headers=auth).status_code == 201

    def names(server):
        scheme = requests.get(server + f"/api/v1/years/{YEAR + 1}/scheme", headers=auth).json()
        return {i["code"]: i["name"] for i in scheme["items"]}

    held = names(b)  # B holds the new year's scheme now
    assert names(a) == held
    code = next(iter(held))
    r = requests.put(a + f"/api/v1/years/{YEAR + 1}/scheme/items/{code}", json={"name": "两台服务器都看到的名称"},
                     headers=auth)
    assert r.status_code == 200
    assert names(b)[code] == "两台服务器都看到的名称"


def test_a_page_kept_on_one_server_is_drawn_again_after_a_write_on_the_other(two_servers):
    """Each server keeps the busiest pages (kaohe_flow.pagecache) while the data version stands; a
    write through the other server moves it on in the database both share."""
    (a, b), _redis = two_servers
    browser = requests.Session()
    form = browser.get(a + "/login").text
    r = browser.post(a + "/login", data={"username": "bgs", "password": "demo12345", "csrf_token": _csrf(form)},
                     allow_redirects=False)
    assert r.status_code == 302
    token = requests.post(a + "/api/v1/tokens", json={"username": "bgs.staff", "password": "demo12345"}).json()["token"]
    auth = {"Authorization": "Bearer " + token}
    sheets = requests.get(a + f"/api/v1/sheets?year={YEAR}", headers=auth).json()["items"]
    sid = next(s["id"] for s in sheets if s["unit"] == "bgs")
    for _ in range(3):  # drawn, then kept by B
        page = browser.get(b + f"/sheets/{sid}").text
    assert "两台服务器之间的说明" not in page
    version = requests.get(a + f"/api/v1/sheets/{sid}", headers=auth).json()["version"]
    r = requests.put(a + f"/api/v1/sheets/{sid}/items/team", headers=auth,
                     json={"version": version, "self_score": "2", "self_reason": "两台服务器之间的说明"})
    assert r.status_code == 200
    assert "两台服务器之间的说明" in browser.get(b + f"/sheets/{sid}").text
