"""The admin's audit (CONTRACT.md `GET /api/v1/audit`): every admin change is an entry (who, when,
what, old and new), newest first, for the admin only, append-only and hash-chained like the
sheets' history so that `flask verify-audit` finds an entry changed behind the app's back."""
import os

import pytest
import sqlalchemy as sa

from kaohe_flow.audit.admin import record_change
from kaohe_flow.audit.chain import AppendOnlyError, verify_chains
from kaohe_flow.audit.models import AuditEntry
from kaohe_flow.extensions import db
from kaohe_flow.org.models import User
from kaohe_flow.uow import operation

POSTGRES = os.environ.get("KAOHE_TEST_DB") == "postgresql"


def admin():
    return db.session.scalar(db.select(User).filter_by(username="admin"))


def write(count=3):
    """`count` entries in one operation, committed together."""
    for n in range(count):
        record_change(admin(), "unit_changed", f"unit:2019/u{n}", {"gate_unit": "bgs"}, {"gate_unit": f"u{n}"})
    db.session.commit()


def test_the_audit_lists_entries_newest_first_with_the_contracts_keys(app, api):
    with app.app_context():
        write(3)
        record_change(None, "year_opened", "year:2019", None, {"created": 19})
        db.session.commit()
    r = api.as_("admin").get("/api/v1/audit")
    assert r.status_code == 200
    items = r.get_json()["items"]
    assert [i["object"] for i in items] == ["year:2019", "unit:2019/u2", "unit:2019/u1", "unit:2019/u0"]
    first = items[1]
    assert set(first) == {"at", "who", "action", "object", "old", "new"}
    assert first["who"] == "admin" and first["action"] == "unit_changed"
    assert first["old"] == {"gate_unit": "bgs"} and first["new"] == {"gate_unit": "u2"}
    assert first["at"].endswith("+08:00")
    assert items[0]["who"] == "system" and items[0]["old"] is None


def test_the_audit_filters_by_action_and_limit(app, api):
    with app.app_context():
        write(3)
        record_change(admin(), "year_created", "year:2019", None, {"copy_from": 2018})
        db.session.commit()
    items = api.as_("admin").get("/api/v1/audit?action=year_created").get_json()["items"]
    assert [i["action"] for i in items] == ["year_created"]
    assert len(api.as_("admin").get("/api/v1/audit?limit=2").get_json()["items"]) == 2
    for bad in ("action=nonsense", "limit=0", "limit=x"):
        assert api.as_("admin").get(f"/api/v1/audit?{bad}").status_code == 400


@pytest.mark.parametrize("who", ["bgs", "bgs.staff", "leader1", "director"])
def test_only_the_admin_reads_the_audit(app, api, who):
    assert api.as_(who).get("/api/v1/audit").status_code == 403
    page = app.test_client()
    page.post("/login", data={"username": who, "password": "demo12345"})
    assert page.get("/admin/audit").status_code == 403


def test_the_audit_page_shows_entries_in_chinese(app):
    with app.app_context():
        write(1)
        record_change(admin(), "settings_changed", "settings:2019", {"bonus_cap": None}, {"bonus_cap": "3"})
        db.session.commit()
    page = app.test_client()
    page.post("/login", data={"username": "admin", "password": "demo12345"})
    text = page.get("/admin/audit").get_data(as_text=True)
    assert "审计日志" in text and "修改单位" in text and "修改年度设置" in text and "unit:2019/u0" in text
    text = page.get("/admin/audit?action=settings_changed").get_data(as_text=True)
    assert "修改年度设置" in text and "unit:2019/u0" not in text


def test_an_entry_stands_or_falls_with_the_operation_that_wrote_it(app):
    @operation
    def refused_change():
        record_change(admin(), "item_changed", "item:2019/team", {"standard": "3"}, {"standard": "4"})
        raise RuntimeError("refused")

    with app.app_context():
        with pytest.raises(RuntimeError):
            refused_change()
        assert db.session.scalar(db.select(sa.func.count()).select_from(AuditEntry)) == 0
        write(2)
        assert db.session.scalar(db.select(sa.func.count()).select_from(AuditEntry)) == 2


def test_audit_entries_cannot_be_changed_or_deleted_through_the_app(app):
    with app.app_context():
        write(1)
        entry = db.session.scalar(db.select(AuditEntry))
        entry.new = {"gate_unit": "forged"}
        with pytest.raises(AppendOnlyError):
            db.session.commit()
        db.session.rollback()
        db.session.delete(db.session.scalar(db.select(AuditEntry)))
        with pytest.raises(AppendOnlyError):
            db.session.commit()
        db.session.rollback()


def test_verify_audit_covers_the_audit_table_and_names_a_changed_entry(app):
    with app.app_context():
        write(4)
        result = verify_chains()
        assert result.ok
        assert {c.table: c.entries for c in result.chains}["audit"] == 4
        target = db.session.scalars(db.select(AuditEntry.id).order_by(AuditEntry.id)).all()[2]
        with db.engine.connect() as conn:
            trans = conn.begin()
            if POSTGRES:
                conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
            conn.execute(sa.update(AuditEntry.__table__).where(AuditEntry.__table__.c.id == target)
                         .values(username="somebody"))
            result = verify_chains(conn)
            trans.rollback()
        assert not result.ok
        problem = result.first_problem
        assert (problem.table, problem.entry_id, problem.kind) == ("audit", target, "changed")


@pytest.mark.skipif(not POSTGRES, reason="the trigger is PostgreSQL's")
def test_postgresql_refuses_update_and_delete_on_the_audit(app):
    with app.app_context():
        write(1)
        for statement in ("UPDATE audit SET username = 'x'", "DELETE FROM audit"):
            with db.engine.connect() as conn, pytest.raises(sa.exc.DBAPIError):
                conn.exec_driver_sql(statement)
