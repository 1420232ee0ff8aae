"""A year's settings (issue 7): the readings of DOMAIN.md as data per year, 2018's being the
values the code used to hold; every signed-in user reads them, the admin changes them, and the
trackers, the clock and the bonus cap judge by them."""
from datetime import time
from decimal import Decimal

import pytest
from flow import Flow
from test_bonus import Bonus, to_final
from test_info import imported, info_records, row, unit_row
from test_migrations import empty_database_url  # noqa: F401  (a fixture)
from test_oa import oa_records, push, status_of

from kaohe_flow.extensions import db
from kaohe_flow.scheme.models import YearSettingsRow
from kaohe_flow.scheme.settings import DEFAULTS, settings_for

URL = "/api/v1/years/2018/settings"
TODAY = {
    "office_hours": [["08:30", "12:00"], ["13:30", "17:30"]],
    "oa_no_client_hours": 48,
    "oa_no_client_basis": "working",
    "oa_limits_minutes": {"meeting": 180, "other": 480, "test": 480},
    "oa_no_client_factor": 2,
    "info_yearly_minimum_points": "1",
    "gov_affairs_points": "0",
    "bonus_cap": None,
    "appeal_days": 5,  # issue 9: settings of the year's procedure, read with their defaults
    "due_soon_days": 3,
}


def put(api, payload, who="admin"):
    return api.as_(who).put(URL, json=payload)


def error_of(response):
    body = response.get_json()
    return response.status_code, body["error"]["code"], body["error"]["message"]


def standing(records):
    return [r for r in records if not r.get("withdrawn")]


# ------------------------------------------------------------------------------ 2018 as today


def test_2018s_settings_are_the_values_the_code_used_to_hold(api, app):
    assert api.as_("szc").get(URL).get_json() == TODAY
    with app.app_context():
        s = settings_for(2018)
        assert s.office_hours == ((time(8, 30), time(12)), (time(13, 30), time(17, 30)))
        assert s.info_yearly_minimum_points == Decimal("1") and s.gov_affairs_points == Decimal("0")
        assert dict(s.oa_limits_minutes) == {"meeting": 180, "other": 480, "test": 480}
        assert s.bonus_cap is None and s.stored
        with pytest.raises(AttributeError):
            s.oa_no_client_factor = 3  # frozen


def test_every_signed_in_user_reads_the_settings_and_only_the_admin_changes_them(api, client):
    for who in ("szc", "bgs.staff", "leader1", "director", "rjk"):
        assert api.as_(who).get(URL).status_code == 200
        status, code, _ = error_of(put(api, {"bonus_cap": "3"}, who))
        assert (status, code) == (403, "forbidden")
    assert client.get(URL).status_code == 401
    r = put(api, {"bonus_cap": "3", "oa_limits_minutes": {"meeting": 240}})
    assert r.status_code == 200
    assert r.get_json() == {**TODAY, "bonus_cap": "3", "oa_limits_minutes": {"meeting": 240, "other": 480, "test": 480}}
    assert api.as_("szc").get(URL).get_json()["bonus_cap"] == "3"


def test_an_unknown_year_is_404(api):
    assert api.as_("admin").get("/api/v1/years/2031/settings").status_code == 404
    assert api.as_("admin").put("/api/v1/years/2031/settings", json={"bonus_cap": "1"}).status_code == 404
    assert api.as_("szc").put("/api/v1/years/2031/settings", json={"bonus_cap": "1"}).status_code == 403


@pytest.mark.parametrize("payload, key, fragment", [
    ({"office_hours": [["13:30", "17:30"], ["08:30", "12:00"]]}, "office_hours", "重叠或顺序颠倒"),
    ({"office_hours": [["08:30", "12:00"], ["11:00", "17:30"]]}, "office_hours", "重叠或顺序颠倒"),
    ({"office_hours": [["12:00", "08:30"]]}, "office_hours", "开始时间应早于结束时间"),
    ({"office_hours": [["8.30", "12:00"]]}, "office_hours", "不是“时:分”格式"),
    ({"office_hours": []}, "office_hours", "时段的列表"),
    ({"oa_limits_minutes": {"meeting": -1}}, "oa_limits_minutes", "会议通知（meeting）的时限应为 1 至 100000"),
    ({"oa_limits_minutes": {"memo": 60}}, "oa_limits_minutes", "未知的文件类型 memo"),
    ({"oa_no_client_hours": 0}, "oa_no_client_hours", "应为 1 至 720 之间的整数"),
    ({"oa_no_client_basis": "weekdays"}, "oa_no_client_basis", "working（按工作日计）或 calendar"),
    ({"oa_no_client_factor": True}, "oa_no_client_factor", "应为 1 至 10 之间的整数"),
    ({"info_yearly_minimum_points": "-1"}, "info_yearly_minimum_points", "不能为负数"),
    ({"info_yearly_minimum_points": "0.5"}, "info_yearly_minimum_points", "整数倍"),
    ({"gov_affairs_points": "1"}, "gov_affairs_points", "指定政务信息扣分规则"),
    ({"bonus_cap": "1.234"}, "bonus_cap", "最多两位小数"),
    ({"bonus_cap": "3", "overtime": 1}, "_unknown", "未知的设置项：overtime"),
])
def test_bad_settings_are_422_naming_the_key_and_change_nothing(api, app, payload, key, fragment):
    r = put(api, payload)
    status, code, message = error_of(r)
    assert (status, code) == (422, "invalid_settings") and fragment in message
    if key != "_unknown":
        assert f"（{key}）" in message
    assert api.as_("admin").get(URL).get_json() == TODAY
    with app.app_context():
        from kaohe_flow.audit.models import AuditEntry

        assert db.session.scalar(db.select(db.func.count()).select_from(AuditEntry)) == 0


def test_a_change_is_an_audit_entry_with_the_old_and_new_values_of_the_changed_keys(api, app):
    assert put(api, {"bonus_cap": "2", "oa_no_client_factor": 2}).status_code == 200  # the factor unchanged
    assert put(api, {"bonus_cap": "2"}).status_code == 200  # nothing changes: no entry
    with app.app_context():
        from kaohe_flow.audit.models import AuditEntry

        [entry] = db.session.scalars(db.select(AuditEntry).filter_by(action="settings_changed")).all()
        assert (entry.username, entry.object, entry.old, entry.new) == (
            "admin", "2018年度设置", {"bonus_cap": None}, {"bonus_cap": "2"})


# ------------------------------------------------------------------------------ the code reads them


def test_a_changed_oa_limit_changes_what_the_report_judges_late_and_the_records_follow(api):
    # A meeting notice sent Monday 09:00, signed 13:31: 181 working minutes.
    push(api, [{"username": "rgz", "signed_at": "2018-03-05T13:31:00+08:00"}], sent_at="2018-03-05T09:00:00+08:00")
    assert status_of(api, "rgz")["status"] == "late" and len(standing(oa_records(api))) == 1
    assert put(api, {"oa_limits_minutes": {"meeting": 240}}).status_code == 200
    judged = status_of(api, "rgz")
    assert (judged["status"], judged["limit_minutes"], judged["working_minutes"]) == ("on_time", 240, 181)
    assert standing(oa_records(api)) == []  # withdrawn in the same commit as the change
    client = api.client
    client.post("/login", data={"username": "bgs", "password": "demo12345"})
    assert "会议通知须在 240 个工作分钟内签收" in client.get("/oa?year=2018").get_data(as_text=True)


def test_changed_office_hours_change_the_clock(api, app):
    push(api, [{"username": "szc", "signed_at": "2018-03-05T12:30:00+08:00"}], sent_at="2018-03-05T09:00:00+08:00")
    assert (status_of(api, "szc")["working_minutes"], status_of(api, "szc")["status"]) == (180, "on_time")
    assert put(api, {"office_hours": [["08:00", "18:00"]]}).status_code == 200
    assert (status_of(api, "szc")["working_minutes"], status_of(api, "szc")["status"]) == (210, "late")
    [record] = standing(oa_records(api))
    assert record["unit"] == "szc"
    with app.test_request_context():
        from kaohe_flow.trackers.calendar_models import build_calendar

        assert str(build_calendar(2018).hours) == "08:00-18:00"


def test_the_no_client_hours_their_basis_and_factor_are_settings(api):
    # Sent before the Spring Festival, signed after it: late on the working-day clock.
    push(api, [{"username": "szc", "signed_at": "2018-02-22T10:00:00+08:00"}], sent_at="2018-02-14T09:00:00+08:00")
    assert status_of(api, "szc")["status"] == "late"
    assert put(api, {"oa_no_client_basis": "calendar", "oa_no_client_factor": 3}).status_code == 200
    assert status_of(api, "szc")["status"] == "no_client"
    [record] = standing(oa_records(api))
    assert (record["count"], record["points"]) == (3, "1.5") and "按3倍扣分" in record["note"]
    assert put(api, {"oa_no_client_basis": "working", "oa_no_client_hours": 24}).status_code == 200
    assert status_of(api, "szc")["status"] == "no_client"  # 24 hours are one working day


def test_the_yearly_minimum_costs_what_the_year_says(api):
    rows = [row("档案馆", f"城建档案馆馆藏数字化进展（第{n}条）", f"2018-{n:02d}-15") for n in range(1, 10)]
    imported(api, rows)
    assert unit_row(api, "cjdag")["points"] == "1"
    assert put(api, {"info_yearly_minimum_points": "2"}).status_code == 200
    assert unit_row(api, "cjdag")["points"] == "2"
    [record] = info_records(api, "cjdag")
    assert (record["count"], record["points"]) == (2, "2")
    assert put(api, {"info_yearly_minimum_points": "0"}).status_code == 200
    assert unit_row(api, "cjdag")["points"] == "0" and standing(info_records(api, "cjdag")) == []


def test_the_bonus_cap_comes_from_the_settings(api, sheet_id):
    assert put(api, {"bonus_cap": "1"}).status_code == 200
    to_final(Bonus(api, points="3"), proposed="3")
    assert api.as_("bgs").get(f"/api/v1/sheets/{sheet_id('bgs')}").get_json()["bonus"] == "1"
    assert put(api, {"bonus_cap": None}).status_code == 200
    assert api.as_("bgs").get(f"/api/v1/sheets/{sheet_id('bgs')}").get_json()["bonus"] == "3"


# ------------------------------------------------------------------------------ once the year is opened


def test_the_scheme_shaping_keys_are_409_once_a_sheet_has_left_draft(api, sheet_id):
    flow = Flow(api, sheet_id("bgs"))
    flow.fill_self("bgs")
    flow.ok(flow.act("bgs", "submit"))
    for payload in ({"bonus_cap": "2"}, {"oa_limits_minutes": {"meeting": 240}}, {"oa_no_client_factor": 3},
                    {"oa_no_client_hours": 24}, {"oa_no_client_basis": "calendar"},
                    {"info_yearly_minimum_points": "2"}):
        status, code, message = error_of(put(api, payload))
        assert (status, code) == (409, "year_opened") and "2018年度考核已开始" in message
    assert api.as_("admin").get(URL).get_json() == TODAY
    # Office hours are the bureau's facts, like the calendar; an unchanged shaping key is no change.
    r = put(api, {"office_hours": [["08:30", "12:00"], ["14:00", "18:00"]], "oa_no_client_factor": 2})
    assert r.status_code == 200 and r.get_json()["office_hours"] == [["08:30", "12:00"], ["14:00", "18:00"]]


# ------------------------------------------------------------------------------ the page


def test_the_admins_page_shows_the_labels_saves_and_names_the_faulty_field(app, client):
    client.post("/login", data={"username": "admin", "password": "demo12345"})
    page = client.get("/years/2018/settings").get_data(as_text=True)
    assert "2018年度设置" in page and "办公时间" in page and "特别附加分上限" in page and "08:30-12:00, 13:30-17:30" in page
    assert 'href="/years/2018/settings"' in client.get("/inbox").get_data(as_text=True)
    form = {"office_hours": "08:30-12:00, 13:30-17:30", "oa_limits_minutes.meeting": "240",
            "oa_limits_minutes.other": "480", "oa_limits_minutes.test": "480", "oa_no_client_hours": "48",
            "oa_no_client_basis": "working", "oa_no_client_factor": "2", "info_yearly_minimum_points": "1",
            "gov_affairs_points": "0", "bonus_cap": ""}
    assert client.post("/years/2018/settings", data=form).status_code == 302
    with app.app_context():
        assert db.session.get(YearSettingsRow, 2018).values["oa_limits_minutes"]["meeting"] == 240
    r = client.post("/years/2018/settings", data={**form, "office_hours": "13:30-17:30, 08:30-12:00"})
    page = r.get_data(as_text=True)
    assert r.status_code == 422 and 'id="error-office_hours"' in page and "重叠或顺序颠倒" in page
    assert 'value="13:30-17:30, 08:30-12:00"' in page  # what was typed stays


def test_the_page_says_why_when_the_year_is_opened(api, client, sheet_id):
    flow = Flow(api, sheet_id("bgs"))
    flow.fill_self("bgs")
    flow.ok(flow.act("bgs", "submit"))
    client.post("/login", data={"username": "admin", "password": "demo12345"})
    r = client.post("/years/2018/settings", data={"bonus_cap": "2"})
    assert r.status_code == 409 and "2018年度考核已开始" in r.get_data(as_text=True)


def test_others_read_the_page_without_a_form_to_save(client):
    client.post("/login", data={"username": "szc", "password": "demo12345"})
    page = client.get("/years/2018/settings").get_data(as_text=True)
    assert "办公时间" in page and "保存</button>" not in page and 'href="/years/2018/settings"' not in page
    assert client.post("/years/2018/settings", data={"bonus_cap": "2"}).status_code == 403


# ------------------------------------------------------------------------------ the migration


def test_the_migration_gives_an_existing_2018_its_settings_and_keeps_its_cap(empty_database_url):  # noqa: F811
    """A database at 0007 holding 2018's scheme (with a cap an admin had set) judges the same way
    after 0008: 2018's row holds today's values and that cap; the downgrade puts the cap back."""
    import sqlalchemy as sa
    from conftest import make_app
    from flask_migrate import downgrade, upgrade

    app = make_app(empty_database_url)
    with app.app_context():
        upgrade(revision="0007")
        with db.engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO schemes (year, total, categories, bonus_cap) "
                                 "VALUES (2018, 100, '[]', 2.5)"))
        upgrade()
        # Keys added after 0008 (issue 9) are not written into the row: it reads their defaults.
        assert db.session.get(YearSettingsRow, 2018).values == {
            k: v for k, v in {**TODAY, "bonus_cap": "2.5"}.items() if k not in DEFAULTS}
        assert settings_for(2018).bonus_cap == Decimal("2.5")
        assert settings_for(2018).json() == {**TODAY, "bonus_cap": "2.5"}
        db.session.remove()
        downgrade(revision="0007")
        with db.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT bonus_cap FROM schemes WHERE year = 2018")).scalar() == Decimal("2.5")
        downgrade(revision="base")
        db.engine.dispose()


def test_a_new_year_copies_the_settings_of_another(api, app):
    from kaohe_flow.scheme.settings import copy_settings

    assert put(api, {"bonus_cap": "4"}).status_code == 200
    with app.app_context():
        copy_settings(2018, 2019)
        db.session.commit()
    assert api.as_("szc").get("/api/v1/years/2019/settings").get_json() == {**TODAY, "bonus_cap": "4"}
    assert put(api, {"bonus_cap": None}).status_code == 200
    assert api.as_("szc").get("/api/v1/years/2019/settings").get_json()["bonus_cap"] == "4"  # its own


def test_the_migration_adds_no_settings_to_an_empty_database(empty_database_url):  # noqa: F811
    from conftest import make_app
    from flask_migrate import downgrade, upgrade

    app = make_app(empty_database_url)
    with app.app_context():
        upgrade()
        assert db.session.scalars(db.select(YearSettingsRow)).all() == []
        db.session.remove()
        downgrade(revision="base")
        db.engine.dispose()
