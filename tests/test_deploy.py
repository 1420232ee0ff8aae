"""deploy/ is consistent with the app (issue 11, item 6): the processes it starts exist, the
environment it sets is what the app reads, nginx lets through what the app accepts and tells it
the scheme and the client; and, on PostgreSQL, the backup script's dump restores with the
restore script into a fresh database that verify-audit vouches for."""
import ast
import os
import re
import shutil
import subprocess
import tomllib
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.test import Client

from conftest import make_app
from kaohe_flow.audit.chain import verify_chains
from kaohe_flow.extensions import db

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
UNITS = sorted((DEPLOY / "systemd").glob("*.service"))
NGINX = (DEPLOY / "nginx" / "kaohe-flow.conf").read_text(encoding="utf-8")
ENV_EXAMPLE = DEPLOY / "kaohe-flow.env.example"


def variables_the_app_reads() -> set[str]:
    names = set()
    for path in (ROOT / "kaohe_flow").rglob("*.py"):
        names |= set(re.findall(r"""environ(?:\.get\(|\[)\s*["']([A-Z0-9_]+)["']""", path.read_text(encoding="utf-8")))
    return names


def example_variables() -> dict[str, str]:
    """KEY=value lines of the env example, the commented optional ones included."""
    found = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        match = re.match(r"#?\s*([A-Z][A-Z0-9_]*)=(\S*)", line)
        if match:
            found[match[1]] = match[2]
    return found


def test_the_entry_point_every_process_names_exists():
    module = ast.parse((ROOT / "wsgi.py").read_text(encoding="utf-8"))
    assigned = {t.id for node in module.body if isinstance(node, ast.Assign) for t in node.targets}
    assert "app" in assigned  # gunicorn wsgi:app
    web = (DEPLOY / "systemd" / "kaohe-flow.service").read_text(encoding="utf-8")
    procfile = (DEPLOY / "Procfile").read_text(encoding="utf-8")
    assert re.search(r"\.venv/bin/gunicorn\b[^\n]*(\\\n[^\n]*)*\bwsgi:app", web)
    assert re.search(r"^web: gunicorn .*\bwsgi:app$", procfile, re.M)
    assert re.search(r"^worker: flask --app wsgi worker$", procfile, re.M)
    worker = (DEPLOY / "systemd" / "kaohe-flow-worker.service").read_text(encoding="utf-8")
    assert "ExecStart=/opt/kaohe-flow/.venv/bin/flask --app wsgi worker" in worker


def test_every_flask_command_the_units_run_is_one_the_app_has():
    app = make_app("sqlite://")
    for path in [*UNITS, DEPLOY / "Procfile"]:
        for command in re.findall(r"flask --app wsgi ([a-z][a-z-]*)", path.read_text(encoding="utf-8")):
            assert command in app.cli.commands or command == "db", (path.name, command)


def test_gunicorn_is_a_dependency_of_the_app():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert any(re.match(r"gunicorn\b", dep) for dep in project["dependencies"])


def test_the_env_example_names_only_what_the_app_reads_and_what_production_needs():
    example = example_variables()
    unknown = set(example) - variables_the_app_reads()
    assert not unknown, f"the env example names variables the app never reads: {sorted(unknown)}"
    for name in ("DATABASE_URL", "SECRET_KEY", "KAOHE_ENV", "REDIS_URL", "PROXY_HOPS", "SMTP_HOST"):
        assert name in example
    assert example["KAOHE_ENV"] == "production" and example["PROXY_HOPS"] == "1"
    assert example["DATABASE_URL"].startswith("postgresql+psycopg://")


def test_every_unit_reads_the_one_env_file_and_runs_as_the_app_user():
    for unit in UNITS:
        text = unit.read_text(encoding="utf-8")
        assert "EnvironmentFile=/etc/kaohe-flow/kaohe-flow.env" in text, unit.name
        assert "User=kaohe" in text, unit.name
    for timer in (DEPLOY / "systemd").glob("*.timer"):
        assert (DEPLOY / "systemd" / timer.name.replace(".timer", ".service")).exists()


def test_nginx_forwards_to_gunicorn_and_lets_the_apps_uploads_through():
    web = (DEPLOY / "systemd" / "kaohe-flow.service").read_text(encoding="utf-8")
    bind = re.search(r"--bind (\S+)", web)[1]
    assert re.search(rf"server {re.escape(bind)};", NGINX)
    limit = re.search(r"client_max_body_size (\d+)m;", NGINX)
    app = make_app("sqlite://")
    assert int(limit[1]) * 1024 * 1024 > app.config["MAX_CONTENT_LENGTH"]  # the app answers too-large itself
    assert "return 301 https://$host$request_uri;" in NGINX
    for header in ("X-Forwarded-For $proxy_add_x_forwarded_for", "X-Forwarded-Proto $scheme", "Host $host"):
        assert f"proxy_set_header {header};" in NGINX
    gzip_types = re.search(r"gzip_types ([^;]+);", NGINX)[1].split()
    assert {"text/css", "application/javascript", "application/json"} <= set(gzip_types)
    assert re.search(r"listen 443 ssl", NGINX) and "ssl_certificate_key" in NGINX


def test_the_app_honours_the_proxy_headers_nginx_sets():
    app = make_app("sqlite://", PROXY_HOPS=1)
    fix = app.wsgi_app
    assert isinstance(fix, ProxyFix)
    seen = {}

    def inner(environ, start_response):
        seen.update(scheme=environ["wsgi.url_scheme"], client=environ["REMOTE_ADDR"])
        start_response("204 No Content", [])
        return []

    fix.app = inner  # this app only: what ProxyFix hands on to Flask
    Client(fix).get("/", headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"})
    assert seen == {"scheme": "https", "client": "203.0.113.9"}


def test_the_scripts_are_executable_shell():
    for name in ("backup.sh", "restore.sh"):
        path = DEPLOY / name
        assert os.access(path, os.X_OK), name
        subprocess.run(["sh", "-n", str(path)], check=True)


# ------------------------------------------------------------------ backup and restore (PostgreSQL)

def _postgresql_tools():
    if os.environ.get("KAOHE_TEST_DB") != "postgresql":
        pytest.skip("backup and restore are checked on the PostgreSQL pass (KAOHE_TEST_DB=postgresql)")
    missing = [tool for tool in ("pg_dump", "pg_restore", "psql") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"PostgreSQL client tools not installed: {', '.join(missing)}")


@pytest.fixture
def fresh_database():
    """An empty database beside the test database, dropped afterwards."""
    _postgresql_tools()
    base = sa.make_url(os.environ["TEST_DATABASE_URL"])
    name = f"kaohe_restore_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


TABLES = ("units", "users", "year_units", "schemes", "sheets", "sheet_rows", "history", "audit", "audit_chain_heads")


def _counts(url: str) -> dict:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return {t: conn.scalar(sa.text(f"SELECT count(*) FROM {t}")) for t in TABLES}
    finally:
        engine.dispose()


def test_a_backup_restores_into_a_fresh_database(fresh_database, app, api, tmp_path):
    # Something on a chain to vouch for: the admin makes 2019 (an audit entry).
    assert api.as_("admin").post("/api/v1/years", json={"year": 2019, "copy_from": 2018}).status_code == 201
    source = os.environ["TEST_DATABASE_URL"]
    env = {**os.environ, "DATABASE_URL": source, "BACKUP_DIR": str(tmp_path)}
    done = subprocess.run([str(DEPLOY / "backup.sh")], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    dump = Path(done.stdout.strip())
    assert dump.parent == tmp_path and dump.name.endswith(".dump") and dump.stat().st_size > 0
    assert not list(tmp_path.glob("*.partial"))  # only finished dumps look like backups

    restored = subprocess.run([str(DEPLOY / "restore.sh"), str(dump), fresh_database], capture_output=True, text=True)
    assert restored.returncode == 0, restored.stderr
    assert _counts(fresh_database) == _counts(source)
    other = make_app(fresh_database)
    with other.app_context():
        result = verify_chains()
        assert result.ok and {c.table: c.entries for c in result.chains}["audit"] >= 1
        db.engine.dispose()
    again = subprocess.run([str(DEPLOY / "restore.sh"), str(dump), fresh_database], capture_output=True, text=True)
    assert again.returncode == 1 and "empty" in again.stderr  # never over what is there
