"""Years (issue 7): a new year is made from the last — its org chart, scheme, quotas and
settings copied — edited as the data files are checked, and opened once its items add up to
the scheme's total; 2018's sheets, gates and history never move."""
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade
from flow import Flow
from test_migrations import empty_database_url  # noqa: F401  (a fixture)

from conftest import make_app
from kaohe_flow.extensions import db


def make_2019(api):
    r = api.as_("admin").post("/api/v1/years", json={"year": 2019, "copy_from": 2018})
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def units(api, year=None, who="szc"):
    r = api.as_(who).get("/api/v1/units" + (f"?year={year}" if year else ""))
    assert r.status_code == 200, r.get_json()
    return {u["code"]: u for u in r.get_json()["items"]}


def error(r):
    return r.status_code, r.get_json()["error"]["code"], r.get_json()["error"]["message"]


def put_unit(api, code, year=2019, who="admin", **fields):
    return api.as_(who).put(f"/api/v1/years/{year}/units/{code}", json=fields)


def put_item(api, code, year=2019, who="admin", **fields):
    return api.as_(who).put(f"/api/v1/years/{year}/scheme/items/{code}", json=fields)


def open_(api, year=2019, who="admin"):
    return api.as_(who).post(f"/api/v1/years/{year}/open")


# ------------------------------------------------------------------------------ a new year


def test_2018_is_listed_as_opened_with_its_19_units_and_100_points(api):
    assert api.as_("szc").get("/api/v1/years").get_json()["items"] == [
        {"year": 2018, "opened": True, "units": 19, "total": "100"}]


def test_a_new_year_copies_the_chart_scheme_settings_and_quotas_of_another(api):
    assert make_2019(api) == {"year": 2019, "opened": False, "units": 19, "total": "100"}
    assert units(api, 2019) == units(api, 2018)
    same = lambda y: {k: v for k, v in api.as_("szc").get(f"/api/v1/years/{y}/scheme").get_json().items()
                      if k != "year"}
    assert same(2019) == same(2018)
    assert (api.as_("szc").get("/api/v1/years/2019/settings").get_json()
            == api.as_("szc").get("/api/v1/years/2018/settings").get_json())
    report = api.as_("admin").get("/api/v1/info-report?year=2019")
    assert report.status_code == 200 and len(report.get_json()["units"]) == 19
    assert api.as_("szc").get("/api/v1/sheets?year=2019").get_json()["items"] == []  # no sheets yet


def test_a_year_is_made_once_and_only_by_the_admin(api):
    make_2019(api)
    assert error(api.as_("admin").post("/api/v1/years", json={"year": 2019, "copy_from": 2018}))[:2] == (
        409, "year_exists")
    assert api.as_("szc").post("/api/v1/years", json={"year": 2020, "copy_from": 2018}).status_code == 403
    assert api.as_("admin").post("/api/v1/years", json={"year": 2020, "copy_from": 2017}).status_code == 422
    assert api.as_("admin").post("/api/v1/years", json={"year": "二〇二〇", "copy_from": 2018}).status_code == 422
    assert [y["year"] for y in api.as_("szc").get("/api/v1/years").get_json()["items"]] == [2018, 2019]


# ------------------------------------------------------------------------------ the org chart


def test_moving_a_unit_to_another_gate_changes_that_year_only(api):
    make_2019(api)
    r = put_unit(api, "bgs", gate_unit="szc")
    assert r.status_code == 200 and r.get_json()["gate_unit"] == "szc"
    assert units(api, 2019)["bgs"]["gate_unit"] == "szc"
    assert units(api, 2018)["bgs"]["gate_unit"] == "rjk"
    assert units(api)["bgs"]["gate_unit"] == "rjk"  # without a year: the latest opened (2018)


@pytest.mark.parametrize("fields, says", [
    ({"gate_unit": "bgs"}, "不能扎口考核自己"),
    ({"gate_unit": "nosuch"}, "没有代码为 nosuch 的单位"),
    ({"gate_unit": None}, "必须有扎口科室"),
    ({"leader": "szc"}, "没有启用中的分管领导账号 szc"),
    ({"name": "  "}, "单位名称不能为空"),
    ({"aliases": ["人教科"]}, "已被2019年度的另一个单位使用"),
])
def test_a_bad_org_change_is_refused_by_name_and_changes_nothing(api, fields, says):
    make_2019(api)
    before = units(api, 2019)
    status, code, message = error(put_unit(api, "bgs", **fields))
    assert (status, code) == (422, "invalid_org") and says in message
    assert units(api, 2019) == before


def test_an_opened_years_gates_are_fixed_but_names_and_leaders_may_change(api):
    assert error(put_unit(api, "bgs", year=2018, gate_unit="szc"))[:2] == (409, "year_opened")
    r = put_unit(api, "bgs", year=2018, leader="leader2", aliases=["综合办"])
    assert r.status_code == 200, r.get_json()
    assert units(api, 2018)["bgs"]["leader"] == "leader2"
    assert api.as_("admin").get("/api/v1/deductions?year=2018&unit=综合办").status_code == 200


def test_only_the_admin_changes_a_chart_and_an_unknown_unit_or_year_is_404(api):
    make_2019(api)
    assert put_unit(api, "bgs", who="bgs", name="x").status_code == 403
    assert put_unit(api, "nosuch", name="x").status_code == 404
    assert put_unit(api, "bgs", year=2030, name="x").status_code == 404


# ------------------------------------------------------------------------------ the scheme and opening


def test_changing_two_standards_to_keep_100_lets_the_year_open(api):
    make_2019(api)
    assert put_item(api, "team", standard="3").status_code == 200
    status, code, message = error(open_(api))
    assert (status, code) == (422, "total_mismatch") and "101" in message
    assert api.as_("szc").get("/api/v1/sheets?year=2019").get_json()["items"] == []
    assert put_item(api, "charity", standard=1).status_code == 200
    r = open_(api)
    assert (r.status_code, r.get_json()) == (201, {"created": 19})
    assert error(open_(api))[:2] == (409, "year_opened")
    assert error(put_item(api, "team", standard="2"))[:2] == (409, "year_opened")
    scheme = {i["code"]: i for i in api.as_("szc").get("/api/v1/years/2019/scheme").get_json()["items"]}
    assert (scheme["team"]["standard"], scheme["charity"]["standard"]) == ("3", "1")
    old = {i["code"]: i for i in api.as_("szc").get("/api/v1/years/2018/scheme").get_json()["items"]}
    assert (old["team"]["standard"], old["charity"]["standard"]) == ("2", "2")


def test_the_2019_sheets_follow_the_new_gate_map_and_2018_keeps_its_own(api, sheet_id):
    make_2019(api)
    assert put_unit(api, "bgs", gate_unit="szc").status_code == 200
    assert open_(api).status_code == 201
    new = next(s for s in api.as_("bgs").get("/api/v1/sheets?year=2019").get_json()["items"] if s["unit"] == "bgs")
    flow = Flow(api, new["id"])
    flow.fill_self("bgs")
    assert flow.act("bgs", "submit").status_code == 200
    assert "approve" not in flow.get("rjk")["allowed_actions"]  # 2018's gate has no say in 2019
    flow.fill_review("szc")
    assert flow.act("szc", "approve").status_code == 200
    assert api.as_("szc").get(f"/api/v1/sheets/{sheet_id('bgs')}").status_code == 404  # 2018: rjk's still
    old = Flow(api, sheet_id("bgs"))
    old.fill_self("bgs")
    assert old.act("bgs", "submit").status_code == 200
    assert old.get("rjk")["allowed_actions"] == ["return"]  # 2018's gate: rjk, as it was
    assert api.as_("szc").get(f"/api/v1/sheets/{sheet_id('bgs')}").status_code == 404


@pytest.mark.parametrize("fields, says", [
    ({"standard": "0"}, "标准分值必须大于 0"),
    ({"standard": "2.555"}, "最多两位小数"),
    ({"responsible": ["nosuch"]}, "nosuch 不是本年度的单位"),
    ({"responsible": []}, "必须有考核责任科室"),
    ({"rules": [{"id": "team-1", "text": "x", "kind": "sometimes", "points": "1"}]}, "类别"),
    ({"rules": [{"id": "study-1", "text": "x", "kind": "zeroing", "points": "1"}]}, "编号 study-1 重复"),
    ({"name": ""}, "项目名称不能为空"),
])
def test_a_bad_item_change_is_refused_and_changes_nothing(api, fields, says):
    make_2019(api)
    before = api.as_("szc").get("/api/v1/years/2019/scheme").get_json()
    status, code, message = error(put_item(api, "team", **fields))
    assert (status, code) == (422, "invalid_scheme") and says in message, message
    assert api.as_("szc").get("/api/v1/years/2019/scheme").get_json() == before


def test_rules_are_replaced_as_the_data_file_writes_them(api):
    make_2019(api)
    rules = [{"id": "team-1", "text": "班子不团结扣1分", "kind": "per_occurrence", "points": "1"},
             {"id": "team-9", "text": "新规则", "kind": "zeroing", "points": "2"}]
    r = put_item(api, "team", rules=rules, responsible=["rjk", "dwb"], cooperating="all", method="新办法")
    assert r.status_code == 200, r.get_json()
    item = next(i for i in api.as_("szc").get("/api/v1/years/2019/scheme").get_json()["items"] if i["code"] == "team")
    assert [(x["id"], x["kind"], x["points"]) for x in item["rules"]] == [("team-1", "per_occurrence", "1"),
                                                                          ("team-9", "zeroing", "2")]
    assert item["responsible"] == ["rjk", "dwb"] and item["method"] == "新办法" and len(item["cooperating"]) == 19


def test_every_change_is_in_the_admins_audit(api):
    make_2019(api)
    put_unit(api, "bgs", gate_unit="szc")
    put_item(api, "team", standard="3")
    put_item(api, "charity", standard="1")
    open_(api)
    entries = api.as_("admin").get("/api/v1/audit").get_json()["items"]
    mine = [(e["action"], e["object"]) for e in reversed(entries)
            if e["action"] in ("year_created", "unit_changed", "item_changed", "year_opened")]
    assert mine == [("year_created", "year:2019"), ("unit_changed", "unit:2019/bgs"),
                    ("item_changed", "item:2019/team"), ("item_changed", "item:2019/charity"),
                    ("year_opened", "year:2019")]
    unit = next(e for e in entries if e["action"] == "unit_changed")
    assert (unit["old"], unit["new"]) == ({"gate_unit": "rjk"}, {"gate_unit": "szc"})


# ------------------------------------------------------------------------------ the migration


def test_the_migration_carries_todays_chart_into_2018(empty_database_url):  # noqa: F811
    """A database at 0008 holding today's data — units with their gates, leaders, a scheme and
    a sheet — has after 0009 the same chart as 2018's, and gets it back on the downgrade."""
    app = make_app(empty_database_url)
    with app.app_context():
        upgrade(revision="0008")
        with db.engine.begin() as conn:
            run = lambda sql, **kw: conn.execute(sa.text(sql), kw)
            run("INSERT INTO units (id, code, name, aliases, position) VALUES "
                "(1, 'dwb', '党委办', '[\"党办\"]', 0), (2, 'rjk', '人教科', '[]', 1), (3, 'bgs', '办公室', '[]', 2)")
            run("UPDATE units SET gate_unit_id = 2 WHERE id IN (1, 3)")
            run("UPDATE units SET gate_unit_id = 1 WHERE id = 2")
            run("INSERT INTO users (id, username, name, password_hash, roles, active, must_change_password) "
                "VALUES (7, 'leader1', '王', 'x', 'leader', true, false)")
            run("INSERT INTO unit_leaders (unit_id, leader_id) VALUES (1, 7), (3, 7)")
            run("INSERT INTO schemes (year, total, categories) VALUES (2018, 100, '[]')")
        upgrade(revision="0009")
        with db.engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT year, unit_id, name, aliases, position, gate_unit_id, leader_id "
                                        "FROM year_units ORDER BY position")).all()
        aliases = lambda v: v if isinstance(v, list) else __import__("json").loads(v)
        assert [(r[0], r[1], r[2], aliases(r[3]), r[4], r[5], r[6]) for r in rows] == [
            (2018, 1, "党委办", ["党办"], 0, 2, 7), (2018, 2, "人教科", [], 1, 1, None),
            (2018, 3, "办公室", ["信息中心"], 2, 2, 7)]
        downgrade(revision="0008")
        with db.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT id, gate_unit_id FROM units ORDER BY id")).all() == [
                (1, 2), (2, 1), (3, 2)]
            assert conn.execute(sa.text("SELECT unit_id, leader_id FROM unit_leaders ORDER BY unit_id")).all() == [
                (1, 7), (3, 7)]
        downgrade(revision="base")
        db.engine.dispose()


def test_a_name_given_in_2019_is_2019s_and_2018_keeps_its_own(api):
    make_2019(api)
    r = put_unit(api, "bgs", name="综合办公室", aliases=["综合办"])
    assert r.status_code == 200 and r.get_json()["name"] == "综合办公室"
    assert units(api, 2019)["bgs"]["name"] == "综合办公室"
    assert units(api, 2018)["bgs"] == {"code": "bgs", "name": "办公室", "aliases": ["信息中心"], "gate_unit": "rjk",
                                       "leader": "leader1"}
    assert api.as_("admin").get("/api/v1/deductions?year=2019&unit=综合办").status_code == 200


def test_a_leader_who_leaves_mid_year_is_replaced_and_the_new_one_signs(api, sheet_id):
    from test_sheet_path import to_leader_sign

    flow = Flow(api, sheet_id("bgs"))
    to_leader_sign(flow)
    assert flow.get("leader1")["allowed_actions"] == ["sign", "return"]
    assert put_unit(api, "bgs", year=2018, leader="leader3").status_code == 200
    assert flow.get("leader1")["allowed_actions"] == []
    assert flow.act("leader3", "sign").status_code == 200 and flow.get()["state"] == "final"
    assert units(api, 2018)["bgs"]["leader"] == "leader3"
    entry = api.as_("admin").get("/api/v1/audit?action=unit_changed").get_json()["items"][0]
    assert (entry["object"], entry["old"], entry["new"]) == ("unit:2018/bgs", {"leader": "leader1"},
                                                             {"leader": "leader3"})


def test_without_copy_from_the_newest_year_is_the_template(api):
    r = api.as_("admin").post("/api/v1/years", json={"year": 2019})
    assert r.status_code == 201 and r.get_json()["units"] == 19
    assert units(api, 2019) == units(api, 2018)


def test_a_year_whose_leader_has_left_does_not_open_until_replaced(api):
    make_2019(api)
    assert api.as_("admin").put("/api/v1/users/leader4", json={"active": False}).status_code == 200
    status, code, message = error(open_(api))
    assert (status, code) == (422, "invalid_org") and "leader4 已停用" in message
    for code_ in [c for c, u in units(api, 2019).items() if u["leader"] == "leader4"]:
        assert put_unit(api, code_, leader="leader3").status_code == 200
    assert open_(api).status_code == 201


def test_a_target_letter_that_no_longer_adds_up_keeps_the_year_closed(api):
    make_2019(api)
    letter = {"items": [{"title": "保障房建设", "points": "20"}, {"title": "老旧小区改造", "points": "10"}]}
    assert api.as_("rjk").put("/api/v1/years/2019/targets/bgs", json=letter).status_code == 200
    assert put_item(api, "targets", standard="29").status_code == 200
    assert put_item(api, "charity", standard="3").status_code == 200
    status, code, message = error(open_(api))
    assert (status, code) == (422, "targets_total") and "办公室的目标责任书合计 30 分" in message
    assert put_item(api, "targets", standard="30").status_code == 200
    assert put_item(api, "charity", standard="2").status_code == 200
    assert open_(api).status_code == 201


def test_not_now_comes_before_what_is_wrong_on_an_opened_year(api):
    """409 year_opened before 422: 2018 is open, whatever the body says."""
    assert error(put_item(api, "team", year=2018, colour="red"))[:2] == (409, "year_opened")
    assert error(put_unit(api, "bgs", year=2018, gate_unit="bgs"))[:2] == (409, "year_opened")
    assert put_unit(api, "bgs", year=2018, gate_unit="rjk").status_code == 200  # unchanged: no edit


def test_who_comes_before_what_and_a_whole_number_year_is_a_year(api):
    r = api.as_("szc").post("/api/v1/years", data="not json", content_type="application/json")
    assert r.status_code == 403
    assert api.as_("admin").post("/api/v1/years", data="not json", content_type="application/json").status_code == 400
    assert api.as_("admin").post("/api/v1/years", json={"year": 2019.0, "copy_from": 2018}).status_code == 201


def test_the_migrations_freeze_final_sheets_and_mark_flat_rules_in_a_database_with_data(empty_database_url):  # noqa: F811
    """0012 and 0013 on a database holding 2018 with a final sheet, its granted bonus and a cap."""
    app = make_app(empty_database_url)
    with app.app_context():
        upgrade(revision="0011")
        with db.engine.begin() as conn:
            run = lambda sql, **kw: conn.execute(sa.text(sql), kw)
            run("INSERT INTO units (id, code, name, aliases, position) VALUES (1, 'bgs', '办公室', '[]', 0)")
            run("INSERT INTO schemes (id, year, total, categories) VALUES (1, 2018, 100, '[]')")
            run("INSERT INTO scheme_items (id, scheme_id, code, name, sheet_label, category, standard, content, "
                "method, position, cooperating_all) VALUES (1, 1, 'study', '学习教育', '学习教育', 'basic', 4, '', '', 0, "
                "false)")
            run("INSERT INTO rules (id, item_id, code, text, kind, points, position) VALUES "
                "(1, 1, 'study-4', '无科室学习笔记扣2分', 'per_occurrence', 2, 0), "
                "(2, 1, 'study-2', '每人次扣1分', 'per_occurrence', 1, 1)")
            run("INSERT INTO year_settings (year, \"values\", version) VALUES (2018, '{\"bonus_cap\": \"1\"}', 1)")
            run("INSERT INTO sheets (id, unit_id, year, state, version, key_deduction, key_deduction_reason, "
                "gate_touched, updated_at) VALUES (1, 1, 2018, 'final', 3, 0, '', true, '2018-12-30 10:00:00+08')")
            run("INSERT INTO bonus_applications (id, unit_id, year, state, version, project, points_requested, "
                "points_granted, opinion, gate_touched, updated_at) VALUES "
                "(1, 1, 2018, 'final', 5, '获奖', 2, 1.5, '同意', true, '2018-12-01 10:00:00+08')")
        upgrade()
        with db.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT bonus_final FROM sheets WHERE id = 1")).scalar() == Decimal("1")
            assert dict(conn.execute(sa.text("SELECT code, flat FROM rules")).all()) == {
                "study-4": True, "study-2": False}
        downgrade(revision="0011")
        downgrade(revision="base")
        db.engine.dispose()
