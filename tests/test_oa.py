"""附件5: OA sign-in timeliness, judged in working time on the Chinese calendar, feeding
信息管理 through deduction records of their own (source `oa`)."""
import io

import pytest

DOC = {"title": "关于召开安全生产工作会议的通知", "kind": "meeting", "sent_at": "2018-02-09T16:30:00+08:00"}


def push(api, recipients, who="bgs.staff", **fields):
    return api.as_(who).post("/api/v1/oa-documents", json={**DOC, **fields, "recipients": recipients})


def report(api, who="bgs"):
    r = api.as_(who).get("/api/v1/oa-report?year=2018")
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def status_of(api, username):
    return next(r for r in report(api)["recipients"] if r["username"] == username)


def oa_records(api):
    return [d for d in api.as_("admin").get("/api/v1/deductions?year=2018").get_json()["items"] if d["source"] == "oa"]


def test_a_make_up_sunday_counts_as_working_time(api):
    # Friday 16:30 → Sunday 2018-02-11 (调休上班) 09:30: 60 + 60 working minutes.
    push(api, [{"username": "szc", "signed_at": "2018-02-11T09:30:00+08:00"}])
    row = status_of(api, "szc")
    assert (row["working_minutes"], row["limit_minutes"], row["status"], row["unit"]) == (120, 180, "on_time", "szc")


def test_late_meeting_notice_costs_half_a_point(api):
    push(api, [{"username": "rgz", "signed_at": "2018-02-12T10:00:00+08:00"}])
    assert status_of(api, "rgz")["status"] == "late"
    [rec] = oa_records(api)
    assert (rec["unit"], rec["rule"], rec["count"], rec["points"], rec["item"]) == ("rgz", "info_mgmt-3", 1, "0.5",
                                                                                    "info_mgmt")
    assert next(u for u in report(api)["units"] if u["unit"] == "rgz") == {
        "unit": "rgz", "late": 1, "no_client": 0, "excused": 0, "points": "0.5"}


def test_exactly_at_the_limit_is_on_time(api):
    # Meeting notice sent Monday 2018-03-05 09:00; 180 working minutes later is 12:00.
    push(api, [{"username": "szc", "signed_at": "2018-03-05T12:00:00+08:00"},
               {"username": "rgz", "signed_at": "2018-03-05T13:31:00+08:00"}], sent_at="2018-03-05T09:00:00+08:00")
    assert status_of(api, "szc")["status"] == "on_time" and status_of(api, "rgz")["status"] == "late"


def test_other_documents_have_eight_working_hours(api):
    # Monday 09:00–12:00 and 13:30–17:30 (420), Tuesday 08:30–09:30 (60): exactly 8 hours.
    push(api, [{"username": "szc", "signed_at": "2018-03-06T09:30:00+08:00"}], kind="other",
         sent_at="2018-03-05T09:00:00+08:00")
    row = status_of(api, "szc")
    assert (row["limit_minutes"], row["working_minutes"], row["status"]) == (480, 480, "on_time")


def test_unsigned_after_48_hours_is_no_client_and_counts_double(api, sheet_id):
    push(api, [{"username": "fgc", "signed_at": None}])
    assert status_of(api, "fgc")["status"] == "no_client"
    [rec] = oa_records(api)
    assert (rec["count"], rec["points"]) == (2, "1")
    sheet = api.as_("fgc").get(f"/api/v1/sheets/{sheet_id('fgc')}").get_json()
    assert next(i for i in sheet["items"] if i["code"] == "info_mgmt")["suggested_score"] == "4"


def test_the_spring_festival_does_not_run_the_48_hours(api):
    # Sent Wednesday 2018-02-14 09:00; 02-15..21 are holidays; signed 02-22 10:00: late, not no-client.
    push(api, [{"username": "szc", "signed_at": "2018-02-22T10:00:00+08:00"}], sent_at="2018-02-14T09:00:00+08:00")
    assert status_of(api, "szc")["status"] == "late"


def test_recipients_of_no_unit_are_listed_but_charge_nobody(api):
    r = push(api, [{"username": "leader1", "signed_at": None},
                   {"username": "someone.else", "signed_at": None, "external": True}])
    assert r.status_code == 201, r.get_json()
    rows = {r["username"]: r for r in report(api)["recipients"]}
    assert rows["leader1"]["status"] == "no_client" and rows["leader1"]["unit"] is None
    assert rows["someone.else"]["external"] is True and oa_records(api) == []


def test_a_recipient_nobody_knows_is_refused_unless_said_to_be_external(api):
    r = push(api, [{"username": "nobody", "signed_at": None}])
    assert (r.status_code, r.get_json()["error"]["code"]) == (422, "unknown_recipient")
    assert "nobody" in r.get_json()["error"]["message"] and report(api)["recipients"] == []


def test_the_same_document_entered_twice_is_refused_and_counts_once(api):
    """Issue 10, 5: the same OA编号, or the same title, kind and sending time, is 409."""
    first = push(api, [{"username": "fgc", "signed_at": None}], oa_id="OA-2018-0001")
    assert first.status_code == 201
    again = push(api, [{"username": "fgc", "signed_at": None}], oa_id="OA-2018-0001")
    assert (again.status_code, again.get_json()["error"]["code"]) == (409, "duplicate_document")
    assert again.get_json()["error"]["document"] == first.get_json()["id"]
    typed_again = push(api, [{"username": "fgc", "signed_at": None}])  # no OA编号: same title, kind, time
    assert (typed_again.status_code, typed_again.get_json()["error"]["code"]) == (409, "duplicate_document")
    assert len(oa_records(api)) == 1
    fixed = api.as_("bgs.staff").put(f"/api/v1/oa-documents/{first.get_json()['id']}", json={
        "recipients": [{"username": "fgc", "signed_at": "2018-02-09T17:00:00+08:00"}]})
    assert fixed.status_code == 200 and oa_records(api) == []  # corrected through PUT: the case is gone


def test_only_the_office_responsible_for_info_mgmt_enters_documents(api):
    assert push(api, [{"username": "szc", "signed_at": None}], who="dwb").status_code == 403
    assert push(api, [{"username": "szc", "signed_at": None}], who="admin").status_code == 403


@pytest.mark.parametrize("fields, code", [
    ({"kind": "memo"}, "invalid_kind"), ({"sent_at": "yesterday"}, "invalid_time"), ({"title": ""}, "title_required"),
    ({"recipients": []}, "recipients_required"), ({"recipients": [{"username": ""}]}, "invalid_recipient"),
    ({"recipients": [{"username": "szc", "signed_at": "2018-01-01T00:00:00"}]}, "invalid_time"),
])
def test_bad_documents_are_422(api, fields, code):
    payload = {**DOC, "recipients": [{"username": "szc", "signed_at": None}], **fields}
    r = api.as_("bgs").post("/api/v1/oa-documents", json=payload)
    assert r.status_code == 422 and r.get_json()["error"]["code"] == code


def test_a_unit_sees_its_own_rows_of_the_report(api):
    push(api, [{"username": "szc", "signed_at": None}, {"username": "rgz", "signed_at": None}])
    mine = report(api, "szc")
    assert {r["unit"] for r in mine["recipients"]} == {"szc"} and [u["unit"] for u in mine["units"]] == ["szc"]
    assert {u["unit"] for u in report(api, "leader2")["units"]} == {"szc", "rgz"}
    assert api.as_("szc").get("/api/v1/oa-documents?year=2018").status_code == 403


def test_a_year_the_calendar_does_not_know_waits_for_the_admin(app, api):
    from kaohe_flow.extensions import db
    from kaohe_flow.scheme.loader import DATA_DIR, load_scheme, read_yaml

    with app.app_context():  # a 2030 assessment, on a year chinese_calendar has no data for
        load_scheme({**read_yaml(DATA_DIR / "scheme_2018.yaml"), "year": 2030})
        db.session.commit()
    doc = {"sent_at": "2030-03-05T09:00:00+08:00"}
    r = push(api, [{"username": "szc", "signed_at": "2030-03-05T10:00:00+08:00"}], **doc)
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "calendar_unknown"
    assert "2030年" in r.get_json()["error"]["message"] and "管理员" in r.get_json()["error"]["message"]
    assert api.as_("bgs").put("/api/v1/calendar/2030-01-01", json={"is_workday": False}).status_code == 403
    r = api.as_("admin").put("/api/v1/calendar/2030-01-01", json={"is_workday": False, "note": "元旦"})
    assert r.status_code == 200
    r = push(api, [{"username": "szc", "signed_at": "2030-03-05T10:00:00+08:00"}], **doc)
    assert r.status_code == 201
    row = next(x for x in api.as_("bgs").get("/api/v1/oa-report?year=2030").get_json()["recipients"])
    assert (row["working_minutes"], row["status"]) == (60, "on_time")


def test_an_admin_override_changes_working_time(api):
    api.as_("admin").put("/api/v1/calendar/2018-03-05", json={"is_workday": False, "note": "临时放假"})
    push(api, [{"username": "szc", "signed_at": "2018-03-06T09:30:00+08:00"}], sent_at="2018-03-05T09:00:00+08:00")
    assert status_of(api, "szc")["working_minutes"] == 60
    items = api.as_("bgs").get("/api/v1/calendar?year=2018").get_json()["items"]
    assert items == [{"date": "2018-03-05", "is_workday": False, "note": "临时放假"}]


def _upload(api, text, who="bgs"):
    data = {"file": (io.BytesIO(text.encode("utf-8-sig")), "签收.csv")}
    return api.as_(who).post("/api/v1/oa-documents/import", data=data, content_type="multipart/form-data")


CSV = ("文件标题,类型,发送时间,接收人,签收时间\n"
       "关于报送材料的通知,其他,2018-03-05 09:00,szc,2018-03-06 09:00\n"
       "关于报送材料的通知,其他,2018-03-05 09:00,rgz,2018-03-07 09:00\n"
       "安全会议通知,会议通知,2018-03-05 09:00,fgc,\n")


def test_importing_sign_ins_and_reimporting_never_counts_twice(api):
    r = _upload(api, CSV)
    assert r.status_code == 201 and r.get_json() == {"created": 2, "updated": 0, "rows": 3}
    first = oa_records(api)
    assert sorted((d["unit"], d["count"]) for d in first) == [("fgc", 2), ("rgz", 1)]
    r = _upload(api, CSV)
    assert r.get_json()["updated"] == 2 and len(oa_records(api)) == 2


def test_an_import_with_a_bad_row_imports_nothing(api):
    bad = CSV + "坏行,传真,2018-03-05 09:00,szc,\n"
    r = _upload(api, bad)
    body = r.get_json()["error"]
    assert r.status_code == 422 and body["rows"] == [{"row": 5, "message": body["rows"][0]["message"]}]
    assert "传真" in body["rows"][0]["message"]
    assert report(api)["recipients"] == []


def test_the_report_page(client, api):
    push(api, [{"username": "rgz", "signed_at": "2018-02-12T10:00:00+08:00"}])
    client.post("/login", data={"username": "bgs", "password": "demo12345"})
    html = client.get("/oa?year=2018").get_data(as_text=True)
    assert "OA签收情况" in html and "超时" in html and "录入OA文件" in html and "导入签收记录" in html


@pytest.mark.parametrize("sent_at", ["9999-12-31T23:00:00-10:00", "0001-01-01T00:00:00+08:00",
                                     "2018-03-05T09:00\u0000"])
def test_times_out_of_range_are_422(api, sent_at):
    r = push(api, [{"username": "szc", "signed_at": None}], sent_at=sent_at)
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "invalid_time"


def test_a_year_without_a_scheme_is_422_for_those_who_enter(api):
    r = push(api, [{"username": "szc", "signed_at": None}], sent_at="2019-01-02T09:00:00")
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "unknown_year"
    r = push(api, [{"username": "szc", "signed_at": None}], who="szc", sent_at="2019-01-02T09:00:00")
    assert r.status_code == 403


def test_an_overlong_oa_id_is_422(api):
    r = push(api, [{"username": "szc", "signed_at": None}], oa_id="x" * 101)
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "invalid_oa_id"


def test_one_oa_id_for_two_different_documents_is_a_row_error(api):
    text = ("OA编号,文件标题,类型,发送时间,接收人\n"
            "Z,a,会议通知,2018-05-07 09:00,szc\n"
            "Z,b,其他,2018-06-07 09:00,rgz\n")
    r = _upload(api, text)
    assert r.status_code == 422 and r.get_json()["error"]["rows"][0]["row"] == 3


def test_a_refused_correction_leaves_only_what_is_stored(app, api):
    """A refusal raised after the change was applied (here: a year the calendar does not know)
    rolls the whole operation back; the session shows the stored document, not the refused one."""
    from kaohe_flow.errors import Invalid
    from kaohe_flow.extensions import db
    from kaohe_flow.org.models import User
    from kaohe_flow.scheme.loader import DATA_DIR, load_scheme, read_yaml
    from kaohe_flow.trackers import oa
    from kaohe_flow.trackers.oa_models import OaDocument

    did = push(api, [{"username": "szc", "signed_at": None}]).get_json()["id"]
    with app.app_context():
        load_scheme({**read_yaml(DATA_DIR / "scheme_2018.yaml"), "year": 2030})
        db.session.commit()
    with app.test_request_context():
        bgs = db.session.scalar(db.select(User).filter_by(username="bgs"))
        with pytest.raises(Invalid, match="2030年"):
            oa.update_document(bgs, did, {"sent_at": "2030-03-05T09:00:00+08:00", "title": "改期", "recipients": [
                {"username": "szc", "signed_at": "2030-03-05T10:00:00+08:00"}]})
        document = db.session.get(OaDocument, did)
        assert (document.year, document.title) == (2018, DOC["title"])
    history = api.as_("bgs").get(f"/api/v1/oa-documents/{did}").get_json()["history"]
    assert [h["field"] for h in history] == ["document"]
