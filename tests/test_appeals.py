"""Appeals (申诉) against deduction records (issue 9, 7): the unit's head appeals a record with a
reason within the year's `appeal_days` of the day it was made; a responsible office of the item
other than the unit (or the admin) upholds it — the record is withdrawn and the suggested score
comes back — or rejects it with an answer; the gate sees open appeals while reviewing; every
step is in the record's history, and every refusal changes nothing."""
from datetime import datetime, timezone

import pytest
from flow import Flow
from test_ledger import record, suggested
from test_ledger_pages import login
from test_race import racers  # noqa: F401  (a fixture)

from kaohe_flow.extensions import db
from kaohe_flow.ledger import appeals
from kaohe_flow.ledger.models import DeductionRecord
from kaohe_flow.scheme.models import YearSettingsRow
from kaohe_flow.timeutil import LOCAL_TZ

CST = LOCAL_TZ


def url(rid, decide=False):
    return f"/api/v1/deductions/{rid}/appeal" + ("/decide" if decide else "")


def appeal(api, rid, who="szc", **body):
    return api.as_(who).post(url(rid), json={"reason": "当日已按时回复，见系统截图", **body})


def decide(api, rid, who="bgs", **body):
    return api.as_(who).post(url(rid, True), json=body)


def error(response):
    return response.status_code, response.get_json()["error"]["code"]


def state_of(api, rid):
    """What a refusal must leave alone: the record as the API shows it and its history."""
    return (api.as_("admin").get(f"/api/v1/deductions/{rid}").get_json(),
            api.as_("admin").get(f"/api/v1/deductions/{rid}/history").get_json()["items"])


def made_at(app, rid, moment: datetime):
    """Given: the record was made at `moment` (written straight to the database)."""
    with app.app_context():
        db.session.get(DeductionRecord, rid).created_at = moment.astimezone(timezone.utc)
        db.session.commit()


@pytest.fixture
def now(monkeypatch):
    """Set the clock the appeal window reads: now(datetime with a timezone)."""
    def set_now(moment: datetime):
        monkeypatch.setattr(appeals, "utcnow", lambda: moment.astimezone(timezone.utc))
    return set_now


# ------------------------------------------------------------------------------ appealing


def test_the_units_head_appeals_a_record_with_a_reason(api):
    rid = record(api).get_json()["id"]
    assert api.as_("szc").get(f"/api/v1/deductions/{rid}").get_json()["appeal"] is None
    r = appeal(api, rid, reason="  当日已按时回复，见系统截图  ")
    assert r.status_code == 201, r.get_json()
    rec = r.get_json()
    assert {k: rec["appeal"][k] for k in ("state", "reason", "answer", "by", "decided_at", "decided_by")} == {
        "state": "open", "reason": "当日已按时回复，见系统截图", "answer": "", "by": "szc",
        "decided_at": None, "decided_by": None}
    assert rec["appeal"]["at"].endswith("+08:00") and rec["withdrawn"] is False
    assert api.as_("gysyk").get(f"/api/v1/deductions/{rid}").get_json()["appeal"]["state"] == "open"
    step = api.as_("szc").get(f"/api/v1/deductions/{rid}/history").get_json()["items"][-1]
    assert (step["action"], step["who"], step["comment"]) == ("appeal", "szc", "当日已按时回复，见系统截图")


def test_only_the_head_of_the_records_unit_appeals_and_a_refusal_changes_nothing(api):
    rid = record(api).get_json()["id"]
    before = state_of(api, rid)
    assert error(appeal(api, rid, who="szc.staff")) == (403, "forbidden")  # a member of the unit
    assert error(appeal(api, rid, who="gysyk")) == (403, "forbidden")  # its gate reads the record
    assert error(appeal(api, rid, who="bgs")) == (403, "forbidden")  # the office that recorded it
    assert error(appeal(api, rid, who="rgz")) == (404, "not_found")  # another unit does not see it
    for who in ("leader1", "director", "admin"):
        assert appeal(api, rid, who=who).status_code == 403
    assert state_of(api, rid) == before


@pytest.mark.parametrize("reason, code", [(None, "reason_required"), ("", "reason_required"),
                                          ("   ", "reason_required"), (5, "invalid_text"),
                                          ("x" * 2001, "invalid_text")])
def test_an_appeal_needs_a_reason(api, reason, code):
    rid = record(api).get_json()["id"]
    before = state_of(api, rid)
    assert error(appeal(api, rid, reason=reason)) == (422, code)
    assert state_of(api, rid) == before


def test_a_stale_version_is_refused_when_one_is_sent(api):
    rid = record(api).get_json()["id"]
    api.as_("bgs").put(f"/api/v1/deductions/{rid}", json={"version": 1, "note": "核实"})
    assert error(appeal(api, rid, version=1)) == (409, "stale_version")
    assert appeal(api, rid, version=2).status_code == 201


def test_the_window_ends_with_the_fifth_day_after_the_record_was_made(api, app, now):
    """Made on 8 May at 10:00 or at 23:30 (Shanghai): open until 13 May 24:00, closed from 14 May 00:00."""
    morning, night, late = (record(api).get_json()["id"] for _ in range(3))
    made_at(app, morning, datetime(2018, 5, 8, 10, 0, tzinfo=CST))
    made_at(app, night, datetime(2018, 5, 8, 23, 30, tzinfo=CST))
    made_at(app, late, datetime(2018, 5, 8, 10, 0, tzinfo=CST))
    assert api.as_("szc").get(f"/api/v1/deductions/{morning}").get_json()["appeal_until"] == "2018-05-13"
    assert api.as_("szc").get(f"/api/v1/deductions/{night}").get_json()["appeal_until"] == "2018-05-13"
    now(datetime(2018, 5, 13, 23, 59, 59, tzinfo=CST))
    assert appeal(api, morning).status_code == 201
    assert appeal(api, night).status_code == 201
    now(datetime(2018, 5, 14, 0, 0, 0, tzinfo=CST))
    before = state_of(api, late)
    r = appeal(api, late)
    assert error(r) == (422, "appeal_closed") and "2018-05-13" in r.get_json()["error"]["message"]
    assert state_of(api, late) == before


def test_the_window_is_a_setting_of_the_year(api, app, now):
    rid = record(api).get_json()["id"]
    made_at(app, rid, datetime(2018, 5, 8, 10, 0, tzinfo=CST))
    now(datetime(2018, 5, 10, 9, 0, tzinfo=CST))
    assert api.as_("admin").get("/api/v1/years/2018/settings").get_json()["appeal_days"] == 5
    assert error(api.as_("admin").put("/api/v1/years/2018/settings", json={"appeal_days": 0})) == (
        422, "invalid_settings")
    assert api.as_("admin").put("/api/v1/years/2018/settings", json={"appeal_days": 1}).status_code == 200
    assert api.as_("szc").get(f"/api/v1/deductions/{rid}").get_json()["appeal_until"] == "2018-05-09"
    assert error(appeal(api, rid)) == (422, "appeal_closed")
    assert api.as_("admin").put("/api/v1/years/2018/settings", json={"appeal_days": 2}).status_code == 200
    assert appeal(api, rid).status_code == 201


def test_a_year_whose_stored_settings_predate_the_window_reads_five_days(api, app):
    with app.app_context():
        row = db.session.get(YearSettingsRow, 2018)
        row.values = {k: v for k, v in row.values.items() if k != "appeal_days"}
        db.session.commit()
    assert api.as_("szc").get("/api/v1/years/2018/settings").get_json()["appeal_days"] == 5


def test_one_appeal_a_record_even_after_it_was_rejected(api):
    rid = record(api).get_json()["id"]
    assert appeal(api, rid).status_code == 201
    assert error(appeal(api, rid)) == (409, "appeal_exists")
    assert decide(api, rid, decision="rejected", answer="经核实，当日确未回复").status_code == 200
    before = state_of(api, rid)
    assert error(appeal(api, rid, reason="再次申诉")) == (409, "appeal_exists")
    assert state_of(api, rid) == before


def test_a_withdrawn_record_is_not_appealed(api):
    rid = record(api).get_json()["id"]
    api.as_("bgs").post(f"/api/v1/deductions/{rid}/withdraw", json={"version": 1, "comment": "重复记录"})
    assert error(appeal(api, rid)) == (422, "withdrawn")


def test_records_the_trackers_derive_are_not_appealed(api, app, client):
    """An OA or 附件4 record follows its source data (OA cases are excused by the 信息管理 office)."""
    from kaohe_flow.org.models import Unit
    from kaohe_flow.scheme.queries import scheme_rows

    with app.app_context():
        rule = next(r for i in scheme_rows(2018).items for r in i.rules if r.code == "info_mgmt-3")
        unit = db.session.scalar(db.select(Unit).filter_by(code="szc"))
        derived = DeductionRecord(year=2018, unit=unit, rule=rule, count=1, day=datetime(2018, 3, 5).date(),
                                  source="oa", source_key="test:1")
        db.session.add(derived)
        db.session.commit()
        rid = derived.id
    r = appeal(api, rid)
    assert error(r) == (403, "derived_record") and "来源数据" in r.get_json()["error"]["message"]
    assert api.as_("szc").get(f"/api/v1/deductions/{rid}").get_json()["appeal_until"] is None
    login(client, "szc")
    html = client.get(f"/deductions/{rid}").get_data(as_text=True)
    assert 'id="derived-appeal-note"' in html and "提出申诉</button>" not in html


# ------------------------------------------------------------------------------ deciding


def test_a_responsible_office_rejects_with_an_answer(api):
    rid = record(api).get_json()["id"]
    appeal(api, rid)
    before = state_of(api, rid)
    assert error(decide(api, rid, decision="rejected")) == (422, "answer_required")
    assert error(decide(api, rid, decision="rejected", answer="  ")) == (422, "answer_required")
    assert error(decide(api, rid, decision="maybe", answer="x")) == (422, "invalid_decision")
    assert error(decide(api, rid, answer="x")) == (422, "invalid_decision")
    assert state_of(api, rid) == before
    r = decide(api, rid, who="bgs.staff", decision="rejected", answer="经核实，当日确未回复")
    assert r.status_code == 200, r.get_json()
    rec = r.get_json()
    assert rec["withdrawn"] is False and rec["appeal"]["state"] == "rejected"
    assert (rec["appeal"]["answer"], rec["appeal"]["decided_by"]) == ("经核实，当日确未回复", "bgs.staff")
    step = api.as_("szc").get(f"/api/v1/deductions/{rid}/history").get_json()["items"][-1]
    assert (step["action"], step["comment"], step["new"]) == ("appeal_decided", "经核实，当日确未回复", "rejected")
    assert error(decide(api, rid, decision="upheld")) == (409, "no_open_appeal")


def test_nothing_to_decide_without_an_open_appeal(api):
    rid = record(api).get_json()["id"]
    assert error(decide(api, rid, decision="upheld")) == (409, "no_open_appeal")


def test_who_decides_an_appeal(api):
    """A member or head of an office responsible for the item, never the record's own unit; the
    admin too (an item whose only office is the unit appealing has nobody else)."""
    rid = record(api).get_json()["id"]  # szc under 信息管理, 办公室's item alone
    appeal(api, rid)
    before = state_of(api, rid)
    for who in ("szc", "szc.staff", "gysyk", "dwb", "leader1", "director"):
        assert error(decide(api, rid, who=who, decision="upheld")) == (403, "forbidden"), who
    assert error(decide(api, rid, who="rgz", decision="upheld")) == (404, "not_found")
    assert state_of(api, rid) == before
    own = record(api, unit="bgs").get_json()["id"]  # a record about 办公室 itself
    assert appeal(api, own, who="bgs").status_code == 201
    assert error(decide(api, own, who="bgs.staff", decision="upheld")) == (403, "own_unit")
    r = decide(api, own, who="admin", decision="upheld")
    assert r.status_code == 200 and r.get_json()["withdrawn"] is True


def test_an_upheld_appeal_withdraws_the_record_and_the_suggested_score_comes_back(api, sheet_id):
    rid = record(api).get_json()["id"]
    assert suggested(api, sheet_id, "szc", "info_mgmt")[0] == "4.5"
    appeal(api, rid)
    r = decide(api, rid, decision="upheld")
    assert r.status_code == 200, r.get_json()
    rec = r.get_json()
    assert rec["withdrawn"] is True and (rec["appeal"]["state"], rec["appeal"]["answer"]) == ("upheld", "")
    score, _, rows = suggested(api, sheet_id, "szc", "info_mgmt")
    assert score == "5" and rows == []
    steps = api.as_("szc").get(f"/api/v1/deductions/{rid}/history").get_json()["items"]
    assert [(s["action"], s["new"]) for s in steps[-3:]] == [("appeal", "open"), ("appeal_decided", "upheld"),
                                                            ("edit", "true")]
    assert steps[-1]["comment"] == "申诉成立"
    assert error(decide(api, rid, decision="rejected", answer="x")) == (409, "no_open_appeal")


# ------------------------------------------------------------------------------ the gate sees them


def test_the_gate_sees_open_appeals_while_reviewing(api, client, sheet_id):
    flow = Flow(api, sheet_id("szc"))
    flow.fill_self("szc")
    flow.ok(flow.act("szc", "submit"))
    rid = record(api).get_json()["id"]
    appeal(api, rid, reason="当日系统故障，无法登录")
    row = next(i for i in flow.get("gysyk")["items"] if i["code"] == "info_mgmt")
    assert [d["appeal_state"] for d in row["deductions"]] == ["open"]
    login(client, "gysyk")
    html = client.get(f"/sheets/{sheet_id('szc')}").get_data(as_text=True)
    assert 'id="open-appeals"' in html and "本表有 1 条考核记录正在申诉中" in html
    assert "（申诉中：当日系统故障，无法登录）" in html
    decide(api, rid, decision="rejected", answer="系统日志显示当日可登录")
    html = client.get(f"/sheets/{sheet_id('szc')}").get_data(as_text=True)
    assert "申诉中" not in html
    row = next(i for i in flow.get("gysyk")["items"] if i["code"] == "info_mgmt")
    assert [d["appeal_state"] for d in row["deductions"]] == ["rejected"]


# ------------------------------------------------------------------------------ the pages


def test_the_head_appeals_on_the_records_page(api, client):
    rid = record(api).get_json()["id"]
    login(client, "szc")
    html = client.get(f"/deductions/{rid}").get_data(as_text=True)
    until = api.as_("szc").get(f"/api/v1/deductions/{rid}").get_json()["appeal_until"]
    assert "提出申诉" in html and f"至 <strong>{until}</strong> 当日结束" in html and 'for="appeal-reason"' in html
    before = state_of(api, rid)
    r = client.post(f"/deductions/{rid}/appeal", data={"version": "1", "reason": "x" * 2001})
    assert r.status_code == 422 and "申诉理由不能超过" in r.get_data(as_text=True)
    assert "x" * 2001 in r.get_data(as_text=True)  # what was typed stays
    r = client.post(f"/deductions/{rid}/appeal", data={"version": "1", "reason": ""})
    assert r.status_code == 422 and "必须填写申诉理由" in r.get_data(as_text=True)
    assert state_of(api, rid) == before
    r = client.post(f"/deductions/{rid}/appeal", data={"version": "1", "reason": "当日已按时回复"},
                    follow_redirects=True)
    html = r.get_data(as_text=True)
    assert "申诉已提出" in html and "申诉中" in html and "当日已按时回复" in html and "提出申诉</button>" not in html
    assert "申诉状态" in html  # the history names the step
    assert "申诉中" in client.get("/deductions?year=2018").get_data(as_text=True)


def test_a_member_of_the_unit_sees_the_window_but_no_form(api, client):
    rid = record(api).get_json()["id"]
    login(client, "szc.staff")
    html = client.get(f"/deductions/{rid}").get_data(as_text=True)
    assert "申诉期限" in html and "提出申诉</button>" not in html
    r = client.post(f"/deductions/{rid}/appeal", data={"version": "1", "reason": "我不同意"})
    assert r.status_code == 403 and "负责人" in r.get_data(as_text=True)
    assert api.as_("szc").get(f"/api/v1/deductions/{rid}").get_json()["appeal"] is None


def test_the_office_decides_on_the_records_page(api, client, sheet_id):
    rid = record(api).get_json()["id"]
    appeal(api, rid)
    login(client, "bgs")
    html = client.get(f"/deductions/{rid}").get_data(as_text=True)
    assert "处理申诉" in html and "维持申诉" in html and "驳回申诉" in html and 'for="appeal-answer"' in html
    before = state_of(api, rid)
    r = client.post(f"/deductions/{rid}/appeal/decide", data={"version": "2", "decision": "rejected", "answer": ""})
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and "驳回申诉时必须填写答复意见" in html
    assert 'value="rejected" required checked' in html  # the choice stays
    assert state_of(api, rid) == before
    r = client.post(f"/deductions/{rid}/appeal/decide", data={"version": "2", "decision": "upheld", "answer": "核实有误"},
                    follow_redirects=True)
    html = r.get_data(as_text=True)
    assert "申诉成立，记录已撤销" in html and "已撤销（不再扣分）" in html and "核实有误" in html
    assert suggested(api, sheet_id, "szc", "info_mgmt")[0] == "5"


def test_nobody_else_sees_the_decision_form(api, client):
    rid = record(api).get_json()["id"]
    appeal(api, rid)
    for who in ("szc", "gysyk", "dwb"):
        c = client.application.test_client()
        login(c, who)
        assert "处理申诉" not in c.get(f"/deductions/{rid}").get_data(as_text=True), who


# ------------------------------------------------------------------------------ at the same moment


def test_of_simultaneous_appeals_exactly_one_is_filed(api, app, request):
    """PostgreSQL only (see test_race): the head's appeal sent ten times at once is filed once;
    the others answer 409 and the history gains one step."""
    import threading

    from kaohe_flow.errors import ServiceError
    from kaohe_flow.org.models import User

    race_app = request.getfixturevalue("racers")  # skips on SQLite
    rid = record(api).get_json()["id"]
    with app.app_context():
        head_id = db.session.scalar(db.select(User.id).filter_by(username="szc"))
    answers, start = [None] * 10, threading.Barrier(10)

    def file(n):
        with race_app.app_context():
            start.wait()
            try:
                appeals.appeal(db.session.get(User, head_id), rid, {"reason": f"第{n}次"})
                answers[n] = 201
            except ServiceError as exc:
                answers[n] = (exc.status, exc.code)
            except Exception as exc:  # noqa: BLE001 — anything else is a failure to report
                answers[n] = repr(exc)

    threads = [threading.Thread(target=file, args=(n,)) for n in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert answers.count(201) == 1, answers
    assert all(a == 201 or a in ((409, "appeal_exists"), (409, "stale_version")) for a in answers), answers
    rec, history = state_of(api, rid)
    assert rec["appeal"]["state"] == "open" and rec["version"] == 2
    assert [s["action"] for s in history].count("appeal") == 1


def test_the_admin_sets_the_appeal_window_on_the_settings_page(api, client):
    login(client, "admin")
    html = client.get("/years/2018/settings").get_data(as_text=True)
    assert 'id="appeal_days" name="appeal_days" value="5"' in html and "申诉" in html
    assert client.post("/years/2018/settings", data={"appeal_days": "7"}).status_code == 302
    assert api.as_("bgs").get("/api/v1/years/2018/settings").get_json()["appeal_days"] == 7
