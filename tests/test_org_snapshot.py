"""Each year's org chart is read once per process and shared across requests (issue 11, lean
reads), yet every change the admin makes to a gate, a leader or a name — and every change to
what the chart shows of a leader's account — is seen at once, by this process and by any other:
each change moves the chart's version on in its own transaction, and every request asks that
version (with the scheme's, in one statement) first."""
import dataclasses

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from conftest import YEAR, make_app
from kaohe_flow.extensions import db
from kaohe_flow.org import chart, snapshot
from kaohe_flow.org.models import Unit, User, YearUnit
from kaohe_flow.scheme import snapshot as scheme_snapshot


def _units(api, year=YEAR):
    found = api.as_("admin").get(f"/api/v1/units?year={year}")
    assert found.status_code == 200, found.get_json()
    return {u["code"]: u for u in found.get_json()["items"]}


def _unit_id(code):
    return db.session.scalar(sa.select(Unit.id).filter_by(code=code))


def _place_row(year, code):
    return db.session.get(YearUnit, (year, _unit_id(code)))


def _version():
    return db.session.scalar(sa.select(scheme_snapshot.CacheVersion.version).filter_by(name=snapshot.NAME)) or 0


def _new_leader(username, name):
    leader = User(username=username, name=name, roles_text="leader", active=True)
    leader.set_password("demo12345", method="pbkdf2:sha256:1000")
    db.session.add(leader)
    return leader


def test_an_admin_change_to_a_gate_a_leader_and_a_name_shows_at_once_though_the_chart_is_held(app, api):
    r = api.as_("admin").post("/api/v1/years", json={"year": YEAR + 1, "copy_from": YEAR})
    assert r.status_code == 201
    before = _units(api, YEAR + 1)["bgs"]  # now held by this process
    assert before["gate_unit"] == "rjk"  # 附件1: 人教科 reviews 办公室
    r = api.as_("admin").put(f"/api/v1/years/{YEAR + 1}/units/bgs",
                             json={"gate_unit": "dwb", "leader": "leader2", "name": "综合办公室"})
    assert r.status_code == 200, r.get_json()
    after = _units(api, YEAR + 1)["bgs"]
    assert (after["gate_unit"], after["leader"], after["name"]) == ("dwb", "leader2", "综合办公室")
    with app.test_request_context():  # and the gate every permission question asks
        assert chart.gate_of(YEAR + 1, _unit_id("bgs")) == _unit_id("dwb")
        assert chart.gate_of(YEAR, _unit_id("bgs")) == _unit_id("rjk")  # last year's sheet keeps its gate


def test_a_leaders_new_name_shows_on_the_next_request(app, client):
    with app.app_context():
        leader_id = _place_row(YEAR, "bgs").leader_id
    assert client.post("/login", data={"username": "admin", "password": "demo12345"}).status_code == 302
    assert client.get(f"/years/{YEAR}").status_code == 200  # the chart is held now
    with app.app_context():  # the account renamed (as the admin's user page would)
        db.session.get(User, leader_id).name = "改名后的分管领导"
        db.session.commit()
    page = client.get(f"/years/{YEAR}").get_data(as_text=True)
    assert "改名后的分管领导" in page


def test_a_deactivated_or_deleted_leader_never_lingers_in_the_held_chart(app):
    with app.app_context():
        leader = _new_leader("leader9", "新来的领导")
        db.session.flush()
        _place_row(YEAR, "bgs").leader_id = leader.id
        db.session.commit()
        leader_id, bgs = leader.id, _unit_id("bgs")
    with app.test_request_context():
        assert chart.leader_of(YEAR, bgs).active
    with app.app_context():
        db.session.get(User, leader_id).active = False
        db.session.commit()
    with app.test_request_context():
        assert chart.leader_of(YEAR, bgs) == snapshot.PersonRef(leader_id, "leader9", "新来的领导", False)
    with app.app_context():
        db.session.delete(db.session.get(User, leader_id))
        db.session.commit()
    with app.test_request_context():
        assert chart.leader_of(YEAR, bgs) is None


def test_a_change_to_what_the_chart_does_not_show_of_a_person_moves_nothing(app):
    with app.app_context():
        before = _version()
        leader = db.session.scalar(sa.select(User).filter_by(username="leader1"))
        leader.set_password("another-password-1", method="pbkdf2:sha256:1000")
        leader.must_change_password = True
        _new_leader("leader8", "还没有分管单位")  # a new account is in no chart yet
        db.session.commit()
        assert _version() == before


def test_another_process_sees_a_change_made_by_this_one(app, api, db_url):
    other = make_app(db_url)  # another app server: its own snapshots, the same database
    other_api = type(api)(other.test_client())
    assert _units(other_api)["bgs"] == _units(api)["bgs"]  # both hold it now
    with app.app_context():  # a change written by this process (as any flush would)
        _place_row(YEAR, "bgs").name = "另一台服务器上改的名称"
        db.session.commit()
    assert _units(other_api)["bgs"]["name"] == "另一台服务器上改的名称"
    with other.app_context():
        db.session.remove()


def test_a_change_by_another_server_reaches_a_request_that_loaded_the_row_before(app):
    with app.test_request_context():
        row = _place_row(YEAR, "bgs")  # loaded before the chart is read
        with Session(db.engine) as elsewhere:
            elsewhere.get(YearUnit, (YEAR, row.unit_id)).name = "别处改的名称"
            elsewhere.commit()
        assert chart.place(YEAR, row.unit_id).name == "别处改的名称"
    with app.test_request_context():  # and every later request of this process
        assert chart.place(YEAR, row.unit_id).name == "别处改的名称"


def test_a_change_rolled_back_never_reaches_the_held_chart(app, api):
    held = _units(api)["bgs"]
    with app.test_request_context():
        row = _place_row(YEAR, "bgs")
        row.name = "未提交的名称"
        row.gate_unit_id = _unit_id("dwb")
        # Inside the change's own transaction the chart reads what the transaction sees...
        assert chart.place(YEAR, row.unit_id).name == "未提交的名称"
        assert chart.gate_of(YEAR, row.unit_id) == _unit_id("dwb")
        db.session.rollback()
        # ...the same request reads the stored chart again after the rollback...
        assert chart.place(YEAR, _unit_id("bgs")).name == held["name"]
    # ...and no later request ever sees it.
    assert _units(api)["bgs"] == held


def test_a_change_not_yet_flushed_is_never_held_for_other_requests(app, api):
    held = _units(api)["bgs"]
    with app.test_request_context():
        _place_row(YEAR, "bgs").name = "从未提交的名称"  # asking the version flushes it
        assert chart.place(YEAR, _unit_id("bgs")).name == "从未提交的名称"
        db.session.rollback()
        other = _place_row(YEAR, "dwb")
        other_key = (other.year, other.unit_id)
    with app.app_context():
        with Session(db.engine) as elsewhere:  # the same version number the rolled back change had
            elsewhere.get(YearUnit, other_key).aliases = ["党办"]
            elsewhere.commit()
    assert _units(api)["bgs"]["name"] == held["name"]


def test_the_held_chart_is_plain_and_frozen(app):
    with app.test_request_context():
        places = chart.chart(YEAR)
        place = places[_unit_id("bgs")]
        with pytest.raises(dataclasses.FrozenInstanceError):
            place.gate_unit_id = None
        assert place.code == place.unit.code == "bgs"
        assert place.gate_unit.code == "rjk" and place.gate_unit_id == place.gate_unit.id
        assert [u.code for u in chart.units_of(YEAR)] == [p.unit.code for p in places.values()]
        assert chart.leader_user(YEAR, place.unit_id) is db.session.get(User, place.leader_id)
        rows = chart.chart_rows(YEAR)  # the writers' rows: the same chart, as ORM rows
        assert list(rows) == list(places) and isinstance(rows[place.unit_id], YearUnit)


def test_a_page_read_twice_reads_the_chart_once_and_asks_both_versions_in_one_statement(app, sheet_id):
    app.config["PAGE_CACHE"] = False  # the pages drawn twice, not given from kept pages
    client = app.test_client()
    assert client.post("/login", data={"username": "rjk", "password": "demo12345"}).status_code == 302
    sid = sheet_id("bgs")
    client.get(f"/sheets/{sid}")
    seen = []

    def note(conn, cursor, statement, *args):
        seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        assert client.get(f"/sheets/{sid}").status_code == 200
        assert client.get(f"/sheets?year={YEAR}").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", note)
    assert not [s for s in seen if "FROM year_units" in s]  # lists join it in SQL; none reads it
    with app.test_request_context(), _counted() as statements:
        assert {"scheme", "org"} <= set(scheme_snapshot.versions())
        assert scheme_snapshot.current_version() and snapshot.current_version()
    assert len(statements) == 1


class _counted:
    def __enter__(self):
        self.seen = []
        event.listen(db.engine, "before_cursor_execute", self._note)
        return self.seen

    def _note(self, conn, cursor, statement, *args):
        self.seen.append(statement)

    def __exit__(self, *exc):
        event.remove(db.engine, "before_cursor_execute", self._note)


def test_a_change_flushed_by_the_charts_own_read_and_rolled_back_is_never_held(app):
    """A place changed but not yet flushed, read while this process holds no chart at the
    version: the read shows the transaction its own change, and nobody else ever sees it."""
    with app.test_request_context():
        bgs = db.session.scalar(sa.select(Unit.id).filter_by(code="bgs"))
        held = chart.place(YEAR, bgs).name
    with app.test_request_context():
        scheme_snapshot.versions()  # every request asks the versions first
        snapshot._store().clear()  # as after any change elsewhere
        db.session.get(YearUnit, (YEAR, bgs)).name = "回滚掉的名称"  # pending, not flushed
        assert chart.place(YEAR, bgs).name == "回滚掉的名称"
        db.session.rollback()
    with app.test_request_context():
        assert chart.place(YEAR, bgs).name == held


def test_the_versions_are_read_without_flushing_inside_no_autoflush(app):
    with app.test_request_context():
        leader = db.session.scalar(sa.select(User).filter_by(username="leader1"))
        with db.session.no_autoflush:
            leader.name = "未保存的名字"
            scheme_snapshot.versions()
            assert leader in db.session.dirty
        db.session.rollback()


def test_a_change_made_behind_the_apps_back_shows_after_refresh_caches(app, api):
    """psql moves no version: the held chart, the held scheme and the kept answers stand until
    `flask --app wsgi refresh-caches` (or a restart), and not a request longer."""
    assert _units(api)["bgs"]["name"] == "办公室"  # held now, and the answer kept
    items = api.as_("admin").get(f"/api/v1/years/{YEAR}/scheme").get_json()["items"]
    assert items[0]["name"] != "改名的考核项目"
    with app.app_context():
        raw = db.engine.raw_connection()  # the DBAPI's own connection: no event of ours sees it
        try:
            cursor = raw.cursor()
            cursor.execute(f"UPDATE year_units SET name = '综合办公室' WHERE year = {YEAR} "
                           f"AND unit_id = {_unit_id('bgs')}")
            cursor.execute(f"UPDATE scheme_items SET name = '改名的考核项目' WHERE code = '{items[0]['code']}'")
            raw.commit()
        finally:
            raw.close()
    assert _units(api)["bgs"]["name"] == "办公室"  # still the held chart
    result = app.test_cli_runner().invoke(args=["refresh-caches"])
    assert result.exit_code == 0, result.output
    assert "已刷新" in result.output
    assert _units(api)["bgs"]["name"] == "综合办公室"
    again = api.as_("admin").get(f"/api/v1/years/{YEAR}/scheme").get_json()["items"]
    assert again[0]["name"] == "改名的考核项目"
