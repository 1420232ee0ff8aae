"""The own-unit rule (CONTRACT.md "Safe on the network"): nobody lowers, corrects or withdraws a
deduction record, an OA sign-in or an information item about their own unit — 403 `own_unit`;
another responsible office of the item, or the admin, may. Entering is not changing: a new
record or document is allowed. OA documents and calendar changes are history steps."""
import io

from kaohe_flow.extensions import db
from kaohe_flow.ledger import service as ledger
from kaohe_flow.org.models import User
from kaohe_flow.trackers import info, oa

YEAR = 2018


def user(username):
    return db.session.scalar(db.select(User).filter_by(username=username))


def given(app, fn, username, *args):
    """A given written through the service, as `username`, outside HTTP: answers the id."""
    with app.test_request_context():
        result = fn(user(username), *args)
        return (result[0] if isinstance(result, tuple) else result).id


def login(client, username):
    assert client.post("/login", data={"username": username, "password": "demo12345"}).status_code == 302


def refused_own_unit(r):
    return r.status_code == 403 and r.get_json()["error"]["code"] == "own_unit"


# ------------------------------------------------------------------------------ deduction records

def rjk_record_against_dwb(app):
    """人教科 records a late arrival against 党委办 under 工作纪律 (both answer for that item)."""
    return given(app, ledger.create, "rjk.staff", {
        "year": YEAR, "unit": "dwb", "rule": "discipline-4", "count": 2, "date": f"{YEAR}-04-09",
        "people": "王五", "note": "迟到两次"})


def test_dwb_cannot_lower_or_withdraw_a_record_about_dwb(app, api):
    rid = rjk_record_against_dwb(app)
    assert refused_own_unit(api.as_("dwb.staff").put(f"/api/v1/deductions/{rid}", json={"version": 1, "count": 1}))
    assert refused_own_unit(api.as_("dwb").post(f"/api/v1/deductions/{rid}/withdraw",
                                                json={"version": 1, "comment": "不认可"}))
    pdf = {"file": (io.BytesIO(b"%PDF-1.4\n"), "x.pdf"), "version": "1"}
    assert refused_own_unit(api.as_("dwb.staff").post(f"/api/v1/deductions/{rid}/evidence", data=pdf,
                                                      content_type="multipart/form-data"))
    record = api.as_("dwb").get(f"/api/v1/deductions/{rid}").get_json()
    assert (record["count"], record["withdrawn"], record["version"]) == (2, False, 1)


def test_another_responsible_office_or_the_admin_may_correct_it(app, api):
    rid = rjk_record_against_dwb(app)
    r = api.as_("rjk").put(f"/api/v1/deductions/{rid}", json={"version": 1, "count": 1})
    assert r.status_code == 200 and r.get_json()["count"] == 1
    r = api.as_("admin").post(f"/api/v1/deductions/{rid}/withdraw", json={"version": 2, "comment": "核实有误"})
    assert r.status_code == 200 and r.get_json()["withdrawn"] is True
    steps = api.as_("dwb").get(f"/api/v1/deductions/{rid}/history").get_json()["items"]
    assert [(s["who"], s["capacity"], s["field"]) for s in steps][1:] == [
        ("rjk", "responsible_office", "count"), ("admin", "admin", "withdrawn")]


def test_entering_a_record_against_ones_own_unit_is_allowed(api):
    r = api.as_("dwb.staff").post("/api/v1/deductions", json={
        "year": YEAR, "unit": "dwb", "rule": "discipline-4", "count": 1, "date": f"{YEAR}-04-10"})
    assert r.status_code == 201
    rid = r.get_json()["id"]
    assert refused_own_unit(api.as_("dwb.staff").put(f"/api/v1/deductions/{rid}", json={"version": 1, "count": 0}))


def test_the_page_refuses_dwb_and_offers_no_form(app, client):
    rid = rjk_record_against_dwb(app)
    login(client, "dwb.staff")
    page = client.get(f"/deductions/{rid}").get_data(as_text=True)
    assert "更正记录" not in page and "撤销记录" not in page and 'id="own-unit-note"' in page
    r = client.post(f"/deductions/{rid}/edit", data={"version": "1", "count": "1"})
    assert r.status_code == 403 and "本科室" in r.get_data(as_text=True)
    r = client.post(f"/deductions/{rid}/withdraw", data={"version": "1", "comment": "不认可"})
    assert r.status_code == 403
    with app.app_context():
        from kaohe_flow.ledger.models import DeductionRecord
        stored = db.session.get(DeductionRecord, rid)
        assert (stored.count, stored.withdrawn, stored.version) == (2, False, 1)


# ------------------------------------------------------------------------------ OA sign-ins

DOC = {"title": "关于召开安全生产工作会议的通知", "kind": "meeting", "sent_at": f"{YEAR}-03-05T09:00:00+08:00",
       "oa_id": "OA-2018-0042"}
LATE = f"{YEAR}-03-06T10:00:00+08:00"
EARLY = f"{YEAR}-03-05T10:00:00+08:00"


def bgs_document(app, bgs_signed=LATE):
    """办公室 enters a meeting notice sent to 办公室's own staff member and to 市政处."""
    return given(app, oa.save_document, "bgs.staff", {
        **DOC, "recipients": [{"username": "bgs.staff", "signed_at": bgs_signed},
                              {"username": "szc", "signed_at": EARLY}]})


def test_bgs_cannot_rewrite_its_own_staffs_sign_in(app, api):
    did = bgs_document(app)
    early = [{"username": "bgs.staff", "signed_at": EARLY}, {"username": "szc", "signed_at": EARLY}]
    assert refused_own_unit(api.as_("bgs").put(f"/api/v1/oa-documents/{did}", json={"recipients": early}))
    again = api.as_("bgs.staff").post("/api/v1/oa-documents", json={**DOC, "recipients": early})
    assert again.status_code == 409  # entering it again is no way round: duplicate_document
    assert refused_own_unit(api.as_("bgs").put(f"/api/v1/oa-documents/{did}", json={"kind": "other"}))
    assert refused_own_unit(api.as_("bgs").put(f"/api/v1/oa-documents/{did}",
                                               json={"recipients": [{"username": "szc", "signed_at": EARLY}]}))
    assert refused_own_unit(api.as_("bgs").delete(f"/api/v1/oa-documents/{did}"))
    row = next(r for r in api.as_("bgs").get(f"/api/v1/oa-report?year={YEAR}").get_json()["recipients"]
               if r["username"] == "bgs.staff")
    assert row["status"] == "late"


def test_bgs_may_still_correct_what_does_not_touch_its_own_staff(app, api):
    did = bgs_document(app)
    r = api.as_("bgs").put(f"/api/v1/oa-documents/{did}", json={"title": "关于召开安全生产会议的通知"})
    assert r.status_code == 200
    recipients = [{"username": "bgs.staff", "signed_at": LATE}, {"username": "szc", "signed_at": LATE},
                  {"username": "bgs", "signed_at": None}]  # its own head added unsigned: no favour
    assert api.as_("bgs").put(f"/api/v1/oa-documents/{did}", json={"recipients": recipients}).status_code == 200


def test_the_admin_corrects_bgs_sign_ins_and_the_document_keeps_the_trace(app, api):
    did = bgs_document(app)
    early = [{"username": "bgs.staff", "signed_at": EARLY}, {"username": "szc", "signed_at": EARLY}]
    assert api.as_("admin").put(f"/api/v1/oa-documents/{did}", json={"recipients": early}).status_code == 200
    history = api.as_("bgs").get(f"/api/v1/oa-documents/{did}").get_json()["history"]
    assert [(h["who"], h["field"]) for h in history] == [("bgs.staff", "document"), ("admin", "recipient")]
    assert history[1]["old"] == "bgs.staff 2018-03-06 10:00" and history[1]["new"] == "bgs.staff 2018-03-05 10:00"
    assert history[1]["capacity"] == "admin"
    oa_records = [d for d in api.as_("admin").get(f"/api/v1/deductions?year={YEAR}").get_json()["items"]
                  if d["source"] == "oa"]
    assert oa_records == []  # the late case went with the correction


def test_an_import_that_rewrites_bgs_own_sign_in_is_refused_on_the_page_too(app, client):
    bgs_document(app)
    csv = ("OA编号,文件标题,类型,发送时间,接收人,签收时间\n"
           f"OA-2018-0042,{DOC['title']},会议通知,2018-03-05 09:00,bgs.staff,2018-03-05 09:30\n")
    login(client, "bgs")
    r = client.post(f"/oa/import?year={YEAR}", data={"file": (io.BytesIO(csv.encode("utf-8-sig")), "签收.csv")},
                    content_type="multipart/form-data")
    assert r.status_code == 403 and "本科室" in r.get_data(as_text=True)


def test_an_oa_edit_shows_in_the_pages_history(app, api, client):
    did = bgs_document(app)
    api.as_("bgs").put(f"/api/v1/oa-documents/{did}", json={"title": "更正后的标题"})
    login(client, "bgs")
    page = client.get(f"/oa?year={YEAR}").get_data(as_text=True)
    assert 'id="oa-history"' in page and "更正后的标题" in page and "关于召开安全生产工作会议的通知" in page
    client.post("/logout")
    login(client, "szc")
    assert 'id="oa-history"' not in client.get(f"/oa?year={YEAR}").get_data(as_text=True)


# ------------------------------------------------------------------------------ information items

def dwb_item_for_bgs(app):
    """党委办 (which answers for 信息宣传 with 办公室) enters an item adopted for 办公室."""
    return given(app, info.create, "dwb.staff", {"unit": "bgs", "title": "办公室推进公文无纸化",
                                                 "adopted_on": f"{YEAR}-03-05"})


def test_bgs_cannot_change_or_delete_an_item_about_bgs(app, api, client):
    iid = dwb_item_for_bgs(app)
    assert refused_own_unit(api.as_("bgs.staff").put(f"/api/v1/info-items/{iid}",
                                                     json={"version": 1, "portal": "province"}))
    assert refused_own_unit(api.as_("bgs").delete(f"/api/v1/info-items/{iid}"))
    login(client, "bgs")
    page = client.get(f"/info?year={YEAR}").get_data(as_text=True)
    assert f"/info/items/{iid}/delete" not in page
    assert client.post(f"/info/items/{iid}/delete", data={"year": str(YEAR)}).status_code == 403
    assert len(api.as_("bgs").get(f"/api/v1/info-items?year={YEAR}&unit=bgs").get_json()["items"]) == 1


def test_nor_move_an_item_onto_its_own_unit(app, api):
    iid = given(app, info.create, "dwb.staff", {"unit": "szc", "title": "市政处道路改造", "adopted_on": f"{YEAR}-03-05"})
    assert refused_own_unit(api.as_("bgs").put(f"/api/v1/info-items/{iid}", json={"version": 1, "unit": "bgs"}))


def test_dwb_or_the_admin_may_correct_an_item_about_bgs(app, api):
    iid = dwb_item_for_bgs(app)
    r = api.as_("admin").put(f"/api/v1/info-items/{iid}", json={"version": 1, "portal": "city"})
    assert r.status_code == 200 and r.get_json()["portal"] == "city"
    assert api.as_("dwb").delete(f"/api/v1/info-items/{iid}").status_code == 204


def test_an_import_correcting_an_item_about_bgs_is_refused_for_bgs(app, api):
    dwb_item_for_bgs(app)
    csv = "单位,标题,录用日期,录用网站\n办公室,办公室推进公文无纸化,2018-03-05,省\n".encode()
    r = api.as_("bgs").post("/api/v1/info-items/import", data={"file": (io.BytesIO(csv), "x.csv")},
                            content_type="multipart/form-data")
    assert refused_own_unit(r)
    assert api.as_("bgs").get(f"/api/v1/info-items?year={YEAR}&unit=bgs").get_json()["items"][0]["portal"] == "district"


# ------------------------------------------------------------------------------ calendar

def test_calendar_changes_are_history_steps(app, api):
    from kaohe_flow.audit.models import HistoryEntry

    assert api.as_("admin").put(f"/api/v1/calendar/{YEAR}-03-05",
                                json={"is_workday": False, "note": "临时放假"}).status_code == 200
    assert api.as_("admin").delete(f"/api/v1/calendar/{YEAR}-03-05").status_code == 204
    assert api.as_("bgs").put(f"/api/v1/calendar/{YEAR}-03-06", json={"is_workday": False}).status_code == 403
    with app.app_context():
        steps = db.session.scalars(db.select(HistoryEntry).filter_by(record_kind="calendar")
                                   .order_by(HistoryEntry.id)).all()
        assert [(s.record_id, s.username, s.field, s.old, s.new) for s in steps] == [
            (20180305, "admin", "2018-03-05", None, "放假（临时放假）"),
            (20180305, "admin", "2018-03-05", "放假（临时放假）", None)]


def test_a_calendar_change_brings_the_oa_records_in_step(app, api):
    # Sent Monday 09:00, signed Tuesday 10:30: 420 + 120 working minutes, over the 480 of a document.
    given(app, oa.save_document, "bgs.staff", {
        "title": "通知", "kind": "other", "sent_at": f"{YEAR}-03-05T09:00:00+08:00",
        "recipients": [{"username": "szc", "signed_at": f"{YEAR}-03-06T10:30:00+08:00"}]})

    def oa_records():
        return [d["unit"] for d in api.as_("admin").get(f"/api/v1/deductions?year={YEAR}").get_json()["items"]
                if d["source"] == "oa"]

    assert oa_records() == ["szc"]
    api.as_("admin").put(f"/api/v1/calendar/{YEAR}-03-05", json={"is_workday": False})  # Monday off: 120 min
    assert oa_records() == []
    api.as_("admin").delete(f"/api/v1/calendar/{YEAR}-03-05")
    assert oa_records() == ["szc"]


def test_the_calendar_form_is_the_admins_and_leaves_a_trace(app, client):
    login(client, "bgs")
    assert "action=\"/calendar" not in client.get(f"/oa?year={YEAR}").get_data(as_text=True)
    assert client.post(f"/calendar?year={YEAR}", data={"date": f"{YEAR}-03-05", "kind": "holiday"}).status_code == 403
    client.post("/logout")
    login(client, "admin")
    r = client.post(f"/calendar?year={YEAR}", data={"date": f"{YEAR}-03-05", "kind": "holiday", "note": "临时放假"})
    assert r.status_code == 302
    assert client.post(f"/calendar?year={YEAR}", data={"date": "2018-02-30", "kind": "holiday"}).status_code == 422
    assert client.post(f"/calendar?year={YEAR}", data={"date": f"{YEAR}-03-05", "kind": "clear"}).status_code == 302
    page = client.get(f"/oa?year={YEAR}").get_data(as_text=True)
    assert 'id="oa-history"' in page and "放假（临时放假）" in page and 'action="/calendar' in page
