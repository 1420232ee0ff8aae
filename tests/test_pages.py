"""The pages: sign-in, 待办, the sheet list and the sheet, driven with form posts."""
import re

import pytest

from conftest import make_app


def login(client, username, password="demo12345", next_url=None):
    data = {"username": username, "password": password}
    if next_url is not None:
        data["next"] = next_url
    return client.post("/login", data=data)


def page(client, path):
    r = client.get(path)
    return r.status_code, r.get_data(as_text=True)


def version_of(html):
    return int(re.search(r'name="version" value="(\d+)"', html).group(1))


def test_pages_ask_for_sign_in(client):
    r = client.get("/inbox")
    assert r.status_code == 302 and "/login" in r.headers["Location"]


def test_sign_in_and_out(client):
    r = login(client, "bgs")
    assert r.status_code == 302 and r.headers["Location"].endswith("/inbox")
    status, html = page(client, "/inbox")
    assert status == 200 and "待办" in html and "办公室负责人" in html
    assert client.post("/logout").status_code == 302
    assert client.get("/inbox").status_code == 302


def test_wrong_password_and_unknown_user_look_the_same(client):
    a = login(client, "bgs", "wrong").get_data(as_text=True)
    b = login(client, "nobody", "wrong").get_data(as_text=True)
    assert "用户名或密码错误" in a and "用户名或密码错误" in b


@pytest.mark.parametrize("target, lands", [
    ("/sheets", "/sheets"),
    ("https://evil.example/x", "/inbox"),
    ("//evil.example/x", "/inbox"),
    ("/\\evil.example", "/inbox"),
    ("javascript:alert(1)", "/inbox"),
])
def test_next_redirects_stay_on_site(client, target, lands):
    r = login(client, "bgs", next_url=target)
    assert r.status_code == 302 and r.headers["Location"] == lands


def test_forms_need_a_csrf_token(db_url):
    app = make_app(db_url, WTF_CSRF_ENABLED=True)
    from conftest import restore_seed

    with app.app_context():
        restore_seed()
    client = app.test_client()
    r = client.post("/login", data={"username": "bgs", "password": "demo12345"})
    assert r.status_code == 400 and "安全校验" in r.get_data(as_text=True)
    html = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    r = client.post("/login", data={"username": "bgs", "password": "demo12345", "csrf_token": token})
    assert r.status_code == 302


def test_inbox_lists_what_waits_and_what_i_may_fill_in(client):
    login(client, "bgs")
    _, html = page(client, "/inbox")
    assert "办公室 2018年度考核计分表" in html and "需要我：提交" in html
    client.post("/logout")
    login(client, "bgs.staff")
    _, html = page(client, "/inbox")
    assert "我可以填写的" in html and "填写自评分" in html


def test_sheet_list_shows_state_subtotal_and_total(client):
    login(client, "gysyk")
    status, html = page(client, "/sheets?year=2018")
    assert status == 200
    assert all(name in html for name in ("公用事业科", "市政处", "燃管站")) and "建管中心" not in html
    assert "自评" in html


def test_sheet_page_is_laid_out_like_attachment_3(client, sheet_id):
    login(client, "bgs")
    status, html = page(client, f"/sheets/{sheet_id('bgs')}")
    assert status == 200
    for caption in ("2018年局目标管理考核计分表", "被考核科室", "标准分值", "自评分", "加（扣）分原因", "考评分",
                    "考核责任科室负责人签字", "重点指标扣分", "现场考核分小计", "特别附加分", "合计分",
                    "考核扎口科室负责人签字", "被考科室分管领导签字", "目标任务", "基础管理", "年度目标任务完成情况",
                    "公益活动"):
        assert caption in html, caption
    assert 'name="score-team"' in html  # the unit may write its self scores now
    assert "确认提交" in html


def test_another_units_sheet_is_not_found(client, sheet_id):
    login(client, "szc")
    assert client.get(f"/sheets/{sheet_id('bgs')}").status_code == 404


def test_saving_self_scores_through_the_form(client, sheet_id):
    sid = sheet_id("bgs")
    login(client, "bgs.staff")
    _, html = page(client, f"/sheets/{sid}")
    r = client.post(f"/sheets/{sid}/rows", data={
        "version": version_of(html), "kind": "self", "code": ["team", "study"],
        "score-team": "1.5", "reason-team": "一次不团结", "score-study": "4", "reason-study": ""})
    assert r.status_code == 302
    _, html = page(client, f"/sheets/{sid}")
    assert "已保存" in html and 'value="1.5"' in html and 'id="subtotal">5.5<' in html


def test_a_refused_save_shows_why_and_keeps_what_was_typed(client, sheet_id):
    sid = sheet_id("bgs")
    login(client, "bgs.staff")
    _, html = page(client, f"/sheets/{sid}")
    r = client.post(f"/sheets/{sid}/rows", data={
        "version": version_of(html), "kind": "self", "code": ["team", "study"],
        "score-team": "1.5", "reason-team": "", "score-study": "3.75", "reason-study": "少一次学法"})
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and "必须填写加（扣）分原因" in html
    assert 'value="1.5"' in html and 'value="3.75"' in html and "少一次学法" in html
    assert "field-error" in html


def test_a_stale_page_says_someone_changed_it_and_keeps_the_input(client, sheet_id):
    sid = sheet_id("bgs")
    login(client, "bgs.staff")
    _, html = page(client, f"/sheets/{sid}")
    stale = version_of(html)
    client.post(f"/sheets/{sid}/rows", data={"version": stale, "kind": "self", "code": "team", "score-team": "2"})
    r = client.post(f"/sheets/{sid}/rows", data={
        "version": stale, "kind": "self", "code": "hygiene", "score-hygiene": "1.5", "reason-hygiene": "卫生不到位"})
    html = r.get_data(as_text=True)
    assert r.status_code == 409 and "已被他人修改" in html and "卫生不到位" in html


def test_action_buttons_follow_the_permission_question(client, sheet_id):
    sid = sheet_id("bgs")
    login(client, "bgs.staff")
    _, html = page(client, f"/sheets/{sid}")
    assert "确认提交" not in html  # a member edits but does not sign
    r = client.post(f"/sheets/{sid}/actions/submit", data={"version": version_of(html)})
    assert r.status_code == 403 and "无权" in r.get_data(as_text=True)


def test_submit_and_return_through_the_forms(client, sheet_id, api):
    from flow import Flow

    sid = sheet_id("bgs")
    Flow(api, sid).fill_self("bgs")
    login(client, "bgs")
    _, html = page(client, f"/sheets/{sid}")
    assert client.post(f"/sheets/{sid}/actions/submit", data={"version": version_of(html)}).status_code == 302
    client.post("/logout")
    login(client, "rjk")
    _, html = page(client, f"/sheets/{sid}")
    assert "审核通过" in html and 'name="score-team"' in html and "重点指标扣分" in html
    r = client.post(f"/sheets/{sid}/actions/return", data={"version": version_of(html), "comment": ""})
    assert r.status_code == 422 and "必须填写理由" in r.get_data(as_text=True)
    r = client.post(f"/sheets/{sid}/actions/return", data={"version": version_of(html), "comment": "请补充依据"})
    assert r.status_code == 302
    _, html = page(client, f"/sheets/{sid}")
    assert "请补充依据" in html and "退回" in html and 'data-state="draft"' in html


def test_key_deduction_form(client, sheet_id, api):
    from flow import Flow

    sid = sheet_id("bgs")
    flow = Flow(api, sid)
    flow.fill_self("bgs")
    flow.ok(flow.act("bgs", "submit"))
    login(client, "rjk.staff")
    _, html = page(client, f"/sheets/{sid}")
    r = client.post(f"/sheets/{sid}/key-deduction", data={"version": version_of(html), "points": "1", "reason": ""})
    assert r.status_code == 422 and "扣分原因" in r.get_data(as_text=True)
    r = client.post(f"/sheets/{sid}/key-deduction",
                    data={"version": version_of(html), "points": "1", "reason": "重点工作滞后"})
    assert r.status_code == 302
    _, html = page(client, f"/sheets/{sid}")
    assert 'id="total">99<' in html and "重点工作滞后" in html


def _row_form(html, kind, typed):
    """What the browser posts: every row with what the page showed, and what the user typed."""
    data = {"version": str(version_of(html)), "kind": kind, "code": []}
    for code, score, reason in re.findall(
            r'name="shown-score-(\w+)" value="([^"]*)".*?name="shown-reason-\1" value="([^"]*)"', html, re.S):
        data["code"].append(code)
        data[f"shown-score-{code}"], data[f"shown-reason-{code}"] = score, reason
        data[f"score-{code}"], data[f"reason-{code}"] = typed.get(code, (score, reason))
    return data


def test_a_stale_save_never_writes_back_a_colleagues_change(client, sheet_id, api):
    sid = sheet_id("bgs")
    login(client, "bgs.staff")
    _, stale_html = page(client, f"/sheets/{sid}")
    r = api.as_("bgs").put(f"/api/v1/sheets/{sid}/items/team", json={"version": version_of(stale_html),
                                                                      "self_score": "2"})
    assert r.status_code == 200  # the head saves 队伍建设 meanwhile
    r = client.post(f"/sheets/{sid}/rows", data=_row_form(stale_html, "self", {"hygiene": ("1.5", "不到位")}))
    html = r.get_data(as_text=True)
    assert r.status_code == 409
    assert 'name="score-team" form="rows-form" inputmode="decimal"\n            aria-label="队伍建设自评分" value="2"' in html
    assert 'value="1.5"' in html and "不到位" in html  # what the user typed is still there
    r = client.post(f"/sheets/{sid}/rows", data=_row_form(html, "self", {"hygiene": ("1.5", "不到位")}))
    assert r.status_code == 302
    sheet = api.as_("bgs").get(f"/api/v1/sheets/{sid}").get_json()
    scores = {i["code"]: i["self_score"] for i in sheet["items"]}
    assert scores["team"] == "2" and scores["hygiene"] == "1.5"


def test_the_history_names_items_in_chinese(client, sheet_id, api):
    sid = sheet_id("bgs")
    api.as_("bgs").put(f"/api/v1/sheets/{sid}/items/team", json={"version": 1, "self_score": "2"})
    login(client, "bgs")
    _, html = page(client, f"/sheets/{sid}")
    assert "修改 队伍建设自评分：（空） → 2" in html


def test_submit_saves_the_scores_typed_on_the_page_first(client, sheet_id, api):
    from flow import Flow

    sid = sheet_id("bgs")
    flow = Flow(api, sid)
    flow.fill_self("bgs")
    flow.ok(flow.put_row("bgs", "charity", self_score=None))  # the last score is still missing
    login(client, "bgs")
    _, html = page(client, f"/sheets/{sid}")
    assert "以下项目尚未自评：公益活动" in html and "确认提交" in html
    typed = _row_form(html, "self", {"charity": ("1.5", "未参加捐款")})
    r = client.post(f"/sheets/{sid}/rows?then=submit", data={**typed, "comment": "请审核"})
    assert r.status_code == 302
    sheet = flow.get()
    assert sheet["state"] == "gate_review" and sheet["items"][-1]["self_score"] == "1.5"


def test_a_refused_submit_keeps_the_typed_scores(client, sheet_id):
    sid = sheet_id("bgs")
    login(client, "bgs")
    _, html = page(client, f"/sheets/{sid}")
    r = client.post(f"/sheets/{sid}/rows?then=submit", data=_row_form(html, "self", {"team": ("1.5", "")}))
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and 'value="1.5"' in html and "必须填写加（扣）分原因" in html
    r = client.post(f"/sheets/{sid}/rows?then=submit", data=_row_form(html, "self", {"team": ("1.5", "不团结")}))
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and "分值已保存，但未能提交" in html and "尚未自评" in html


def test_a_responsible_office_names_only_its_own_rows_when_returning(client, sheet_id, api):
    from decimal import Decimal

    from flow import Flow

    flow = Flow(api, sheet_id("bgs"))
    flow.fill_self("bgs.staff")
    flow.ok(flow.act("bgs", "submit"))
    flow.fill_review("rjk", lose=Decimal("0"))
    flow.ok(flow.act("rjk", "approve"))
    scheme = api.as_("rjk").get("/api/v1/years/2018/scheme").get_json()["items"]
    own = {i["code"] for i in scheme if "rjk" in i["responsible"]}
    login(client, "rjk")
    status, html = page(client, f"/sheets/{flow.sid}")
    offered = set(re.findall(r'name="items" value="([^"]+)"', html))
    assert status == 200 and own and offered == own


def _key_form(html, points, reason):
    """The 重点指标扣分 boxes of the review form, as the browser posts them with the scores."""
    shown_points = re.search(r'name="shown-points" form="rows-form" value="([^"]*)"', html).group(1)
    shown_reason = re.search(r'name="shown-reason" form="rows-form" value="([^"]*)"', html).group(1)
    return {"shown-points": shown_points, "shown-reason": shown_reason, "points": points, "reason": reason}


def _at_the_gate_with_review_scores(sheet_id, api):
    from flow import Flow

    flow = Flow(api, sheet_id("bgs"))
    flow.fill_self("bgs")
    flow.ok(flow.act("bgs", "submit"))
    flow.fill_review("rjk")
    return flow


def test_the_gate_approving_from_the_scores_form_saves_the_key_deduction_typed_there(client, sheet_id, api):
    """The key deduction's boxes belong to the scores' form: 审核通过 saves them first (nothing
    typed is lost), and the message names the state the sheet reached."""
    flow = _at_the_gate_with_review_scores(sheet_id, api)
    login(client, "rjk")
    _, html = page(client, f"/sheets/{flow.sid}")
    data = {**_row_form(html, "review", {}), **_key_form(html, "1", "重点工作滞后")}
    r = client.post(f"/sheets/{flow.sid}/rows?then=approve", data=data, follow_redirects=True)
    assert r.status_code == 200 and "已审核通过，进入责任科室会签" in r.get_data(as_text=True)
    sheet = flow.get()
    assert sheet["state"] == "responsible_sign"
    assert (sheet["key_deduction"], sheet["key_deduction_reason"]) == ("1", "重点工作滞后")


def test_the_scores_forms_save_keeps_the_key_deduction_and_says_what_was_not_saved(client, sheet_id, api):
    flow = _at_the_gate_with_review_scores(sheet_id, api)
    login(client, "rjk.staff")
    _, html = page(client, f"/sheets/{flow.sid}")
    typed = _row_form(html, "review", {"team": ("2", "队伍建设有短板")})
    r = client.post(f"/sheets/{flow.sid}/rows", data={**typed, **_key_form(html, "1", "")})
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and "分值已保存，但重点指标扣分未保存" in html and "扣分原因" in html
    assert 'name="points" form="rows-form" inputmode="decimal" value="1"' in html  # what was typed stays
    r = client.post(f"/sheets/{flow.sid}/rows", data={**_row_form(html, "review", {}),
                                                       **_key_form(html, "1", "重点工作滞后")},
                    follow_redirects=True)
    assert r.status_code == 200 and "重点指标扣分已保存" in r.get_data(as_text=True)
    sheet = flow.get()
    team = next(i for i in sheet["items"] if i["code"] == "team")
    assert team["review_score"] == "2" and sheet["key_deduction"] == "1"


def test_an_approval_that_skips_hui_qian_says_where_the_sheet_went(client, sheet_id, api):
    """A sheet reopened with every row still signed: the gate's approval goes straight to
    分管领导签字 (DOMAIN.md), and the page says so."""
    flow = _at_the_gate_with_review_scores(sheet_id, api)
    flow.ok(flow.act("rjk", "approve"))
    for office in ("rjk", "dwb", "cjjcdd", "bgs"):
        flow.ok(flow.act(office, "sign"))
    flow.ok(flow.act("leader1", "sign"))
    flow.ok(flow.act("admin", "reopen", comment="复核"))  # back at the gate, every row still signed
    login(client, "rjk")
    _, html = page(client, f"/sheets/{flow.sid}")
    r = client.post(f"/sheets/{flow.sid}/actions/approve", data={"version": version_of(html)},
                    follow_redirects=True)
    assert "已审核通过，进入分管领导签字" in r.get_data(as_text=True)
    assert flow.get()["state"] == "leader_sign"
