"""附件5 covers all staff (issue 10, 5): OA documents reach people without accounts, who are
on their unit's staff list and charged to it; outsiders are said to be so and charge nobody;
the 信息管理 office excuses a case with its reason (附件2 charges only 无故 and 影响工作 ones)."""
import io

from openpyxl import Workbook
from test_oa import oa_records, push, report

LATE = "2018-02-12T10:00:00+08:00"  # a meeting notice sent Friday 16:30: late on Monday 10:00


def add_staff(api, name, unit="kfb", who="kfb"):
    return api.as_(who).post("/api/v1/staff", json={"unit": unit, "name": name})


def test_a_unit_keeps_its_staff_list_and_others_may_not(api):
    r = add_staff(api, "张伟")
    assert r.status_code == 201 and r.get_json()["unit"] == "kfb"
    assert (add_staff(api, "张伟").status_code, add_staff(api, "张伟").get_json()["error"]["code"]) == (
        409, "staff_exists")
    assert add_staff(api, "李娜", who="szc").status_code == 403  # another unit's list
    assert add_staff(api, "李娜", who="bgs.staff").status_code == 201  # the 信息管理 office
    assert [m["name"] for m in api.as_("kfb").get("/api/v1/staff").get_json()["items"]] == ["张伟", "李娜"]
    assert api.as_("szc").get("/api/v1/staff").get_json()["items"] == []  # szc reads its own list only


def test_a_late_staff_member_without_an_account_is_charged_to_the_unit(api):
    add_staff(api, "张伟")
    r = push(api, [{"name": "张伟", "unit": "开发办", "signed_at": LATE}])
    assert r.status_code == 201, r.get_json()
    [row] = report(api, who="admin")["recipients"]
    assert (row["name"], row["username"], row["unit"], row["status"]) == ("张伟", None, "kfb", "late")
    [record] = oa_records(api)
    assert (record["unit"], record["people"]) == ("kfb", "张伟")


def test_a_name_typed_where_the_username_goes_finds_the_person(api):
    add_staff(api, "张伟")
    assert push(api, [{"username": "张伟", "signed_at": LATE}]).status_code == 201
    assert [r["unit"] for r in oa_records(api)] == ["kfb"]


def test_someone_off_the_list_is_refused_but_an_outsider_may_be_listed(api):
    r = push(api, [{"name": "王芳", "unit": "kfb", "signed_at": None}])
    assert (r.status_code, r.get_json()["error"]["code"]) == (422, "unknown_recipient")
    assert "开发办" in r.get_json()["error"]["message"]
    assert push(api, [{"name": "王芳", "external": True, "signed_at": None}]).status_code == 201
    assert oa_records(api) == []


def test_the_info_office_excuses_a_case_with_its_reason_and_may_take_it_back(api):
    did = push(api, [{"username": "rgz", "signed_at": LATE}]).get_json()["id"]
    assert len(oa_records(api)) == 1
    url = f"/api/v1/oa-documents/{did}/excuse"
    missing = api.as_("bgs.staff").post(url, json={"recipient": "rgz"})
    assert (missing.status_code, missing.get_json()["error"]["code"]) == (422, "reason_required")
    assert api.as_("rgz").post(url, json={"recipient": "rgz", "reason": "因公外出"}).status_code in (403, 404)
    r = api.as_("bgs.staff").post(url, json={"recipient": "rgz", "reason": "因公外出，返回后即签收"})
    assert r.status_code == 200 and r.get_json()["recipients"][0]["excused_reason"] == "因公外出，返回后即签收"
    assert oa_records(api) == []
    assert report(api, who="admin")["recipients"][0]["status"] == "excused"
    history = api.as_("admin").get(f"/api/v1/oa-documents/{did}").get_json()["history"]
    assert history[-1]["field"] == "excuse" and "因公外出" in history[-1]["new"]
    assert api.as_("bgs.staff").post(url, json={"recipient": "rgz", "excused": False}).status_code == 200
    assert len(oa_records(api)) == 1


def test_an_office_never_excuses_its_own_staff(api):
    did = push(api, [{"username": "bgs.staff", "signed_at": LATE}]).get_json()["id"]
    r = api.as_("bgs").post(f"/api/v1/oa-documents/{did}/excuse", json={"recipient": "bgs.staff", "reason": "x"})
    assert (r.status_code, r.get_json()["error"]["code"]) == (403, "own_unit")
    assert api.as_("admin").post(f"/api/v1/oa-documents/{did}/excuse",
                                 json={"recipient": "bgs.staff", "reason": "系统故障"}).status_code == 200


def test_a_staff_list_is_imported_whole_or_not_at_all(api):
    def upload(rows):
        book = Workbook()
        sheet = book.active
        sheet.append(["科室", "姓名"])
        for row in rows:
            sheet.append(row)
        data = io.BytesIO()
        book.save(data)
        data.seek(0)
        return api.as_("admin").post("/api/v1/staff/import", data={"file": (data, "人员名单.xlsx")},
                                     content_type="multipart/form-data")

    bad = upload([["开发办", "张伟"], ["无此科室", "李四"], ["市政处", ""]])
    assert bad.status_code == 422 and [e["row"] for e in bad.get_json()["error"]["rows"]] == [3, 4]
    assert api.as_("admin").get("/api/v1/staff").get_json()["items"] == []
    good = upload([["开发办", "张伟"], ["市政处", "李四"], ["开发办", "张伟"]])
    assert good.status_code == 201 and good.get_json()["added"] == 2
    [zhang] = [m for m in api.as_("admin").get("/api/v1/staff").get_json()["items"] if m["name"] == "张伟"]
    assert api.as_("szc").delete(f"/api/v1/staff/{zhang['id']}").status_code == 404  # not szc's to see
    assert api.as_("kfb.staff").delete(f"/api/v1/staff/{zhang['id']}").status_code == 204  # he left
    assert [m["name"] for m in api.as_("admin").get("/api/v1/staff").get_json()["items"]] == ["李四"]


def signed_in(client, username):
    assert client.post("/login", data={"username": username, "password": "demo12345"}).status_code == 302
    return client


def test_the_pages_keep_a_list_and_excuse_a_case(api, client):
    page = signed_in(client, "kfb")
    r = page.post("/staff", data={"unit": "kfb", "name": "张伟"})
    assert r.status_code == 302 and "张伟" in page.get("/staff").get_data(as_text=True)
    refused = page.post("/staff", data={"unit": "kfb", "name": "张伟"})
    assert refused.status_code == 409 and "已有“张伟”" in refused.get_data(as_text=True)
    assert page.post("/staff", data={"unit": "szc", "name": "李四"}).status_code == 403
    did = push(api, [{"name": "张伟", "unit": "kfb", "signed_at": LATE}]).get_json()["id"]
    office = signed_in(client, "bgs.staff")
    report_page = office.get("/oa?year=2018").get_data(as_text=True)
    assert "张伟" in report_page and "免除</button>" in report_page
    [recipient] = api.as_("admin").get(f"/api/v1/oa-documents/{did}").get_json()["recipients"]
    r = office.post(f"/oa/documents/{did}/excuse?year=2018", data={"recipient": recipient["id"], "reason": "病假"})
    assert r.status_code == 302 and oa_records(api) == []
    assert "已免除扣分" in office.get("/oa?year=2018").get_data(as_text=True)


def test_a_staff_id_no_row_can_have_is_an_unknown_recipient(api):
    for staff_id in (0, -3, 740150916342):
        r = push(api, [{"staff_id": staff_id, "signed_at": None}])
        assert (r.status_code, r.get_json()["error"]["code"]) == (422, "unknown_recipient")


def test_an_account_and_an_outsider_of_one_name_on_one_document_is_refused(api):
    did = push(api, [{"username": "rjk", "signed_at": None}]).get_json()["id"]
    r = api.as_("bgs.staff").put(f"/api/v1/oa-documents/{did}", json={
        "recipients": [{"username": "rjk", "signed_at": None}, {"name": "rjk", "external": True, "signed_at": None}]})
    assert (r.status_code, r.get_json()["error"]["code"]) == (422, "invalid_recipient")


def test_someone_taken_off_the_list_receives_no_new_document_but_keeps_the_old(api):
    member = add_staff(api, "张伟").get_json()
    did = push(api, [{"staff_id": member["id"], "signed_at": LATE}]).get_json()["id"]
    assert api.as_("kfb").delete(f"/api/v1/staff/{member['id']}").status_code == 204
    r = push(api, [{"staff_id": member["id"], "signed_at": None}], title="另一份通知")
    assert (r.status_code, r.get_json()["error"]["code"]) == (422, "unknown_recipient")
    fixed = api.as_("bgs.staff").put(f"/api/v1/oa-documents/{did}", json={"title": "更正后的标题"})
    assert fixed.status_code == 200 and fixed.get_json()["recipients"][0]["username"] is None


def test_who_may_excuse_is_asked_before_which_recipient(api):
    did = push(api, [{"username": "rgz", "signed_at": LATE}]).get_json()["id"]
    r = api.as_("director").post(f"/api/v1/oa-documents/{did}/excuse", json={"recipient": "nobody", "reason": "x"})
    assert r.status_code == 403
