"""Accounts (CONTRACT.md "Accounts"): the admin creates, changes, deactivates and imports accounts
and resets passwords; everyone changes their own password under one policy; a temporary password
leads only to changing it; a production server refuses to start with the demo password."""
import io
import json
import re

import pytest
from conftest import make_app
from openpyxl import Workbook

from kaohe_flow.audit.models import AuditEntry
from kaohe_flow.extensions import db
from kaohe_flow.org.accounts import check_password_policy, common_passwords
from kaohe_flow.org.models import User
from kaohe_flow.org.service import DemoPasswordInProduction
from kaohe_flow.security.models import SecurityEvent

GOOD = "Lanting-2019-xu"
NEW = {"username": "zhangsan", "name": "张三", "unit": "bgs", "roles": ["member"], "password": GOOD}


def user(name):
    return db.session.scalar(db.select(User).filter_by(username=name))


def token_for(client, username, password):
    r = client.post("/api/v1/tokens", json={"username": username, "password": password})
    return r.status_code, (r.get_json() or {}).get("token")


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def login(client, username, password="demo12345"):
    return client.post("/login", data={"username": username, "password": password})


# ------------------------------------------------------------------------------ the list and creating


def test_the_admin_lists_every_account_with_the_contracts_keys(api):
    r = api.as_("admin").get("/api/v1/users")
    assert r.status_code == 200
    items = {u["username"]: u for u in r.get_json()["items"]}
    assert {"username", "name", "unit", "roles", "active"} <= set(items["bgs"])
    assert items["bgs"]["unit"] == "bgs" and items["bgs"]["roles"] == ["member", "head"]
    assert items["admin"]["unit"] is None and items["bgs"]["active"] is True


@pytest.mark.parametrize("who", ["bgs", "bgs.staff", "leader1", "director"])
def test_nobody_but_the_admin_manages_accounts(api, who):
    assert api.as_(who).get("/api/v1/users").status_code == 403
    assert api.as_(who).post("/api/v1/users", json=NEW).status_code == 403
    assert api.as_(who).put("/api/v1/users/szc", json={"active": False}).status_code == 403
    assert api.as_(who).post("/api/v1/users/szc/password-reset").status_code == 403


def test_a_created_account_signs_in_with_its_password(app, api, client):
    r = api.as_("admin").post("/api/v1/users", json=NEW)
    assert r.status_code == 201
    assert {k: r.get_json()[k] for k in ("username", "name", "unit", "roles", "active")} == {
        "username": "zhangsan", "name": "张三", "unit": "bgs", "roles": ["member"], "active": True}
    status, token = token_for(client, "zhangsan", GOOD)
    assert status == 201
    assert client.get("/api/v1/me", headers=bearer(token)).get_json()["unit"] == "bgs"


def test_a_taken_username_is_409_username_taken_whatever_its_case(api):
    for name in ("bgs", "BGS"):
        r = api.as_("admin").post("/api/v1/users", json={**NEW, "username": name})
        assert r.status_code == 409 and r.get_json()["error"]["code"] == "username_taken"


@pytest.mark.parametrize("password", ["short pw", "zhangsan", "ZhangSan", "password123", "1qaz2wsx3edc",
                                      "WoAiNi1314", "qwertyuiop", "a123456789", "1234567890"])
def test_a_weak_password_is_422_weak_password_and_creates_nothing(app, api, password):
    r = api.as_("admin").post("/api/v1/users", json={**NEW, "password": password})
    assert r.status_code == 422
    error = r.get_json()["error"]
    assert error["code"] == "weak_password" and any("\u4e00" <= c <= "\u9fff" for c in error["message"])
    with app.app_context():
        assert user("zhangsan") is None


def test_the_common_password_list_is_shipped_and_large():
    common = common_passwords()
    assert len(common) > 5000
    assert {"demo12345", "password123", "1234567890", "qwertyuiop", "1qaz2wsx3edc", "a123456789",
            "woaini1314"} <= common
    check_password_policy("zhangsan", "Lanting-2019-xu")  # no refusal


@pytest.mark.parametrize("change, words", [({"unit": "nosuch"}, "nosuch"), ({"roles": ["boss"]}, "boss"),
                                           ({"unit": None, "roles": ["head"]}, "科室")])
def test_an_unknown_unit_or_role_is_422_saying_which(app, api, change, words):
    r = api.as_("admin").post("/api/v1/users", json={**NEW, **change})
    assert r.status_code == 422 and words in r.get_json()["error"]["message"]
    with app.app_context():
        assert user("zhangsan") is None


# ------------------------------------------------------------------------------ changing and deactivating


def test_the_admin_changes_name_unit_and_roles(app, api):
    r = api.as_("admin").put("/api/v1/users/szc.staff", json={"name": "新名字", "unit": "bgs", "roles": ["member", "head"]})
    assert r.status_code == 200
    assert {k: r.get_json()[k] for k in ("name", "unit", "roles")} == {
        "name": "新名字", "unit": "bgs", "roles": ["member", "head"]}
    assert api.as_("szc.staff").get("/api/v1/me").get_json()["unit"] == "bgs"


def test_deactivating_ends_sessions_and_tokens_at_once_and_refuses_sign_in(app, api, client):
    _, token = token_for(client, "bgs", "demo12345")
    page = app.test_client()
    assert login(page, "bgs").status_code == 302 and page.get("/inbox").status_code == 200
    r = api.as_("admin").put("/api/v1/users/bgs", json={"active": False})
    assert r.status_code == 200 and r.get_json()["active"] is False
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401
    assert page.get("/inbox").status_code == 302
    assert token_for(client, "bgs", "demo12345")[0] == 401
    assert login(app.test_client(), "bgs").status_code == 200  # the sign-in page again, refused
    # the list says so, and activating again lets them back in
    listed = {u["username"]: u for u in api.as_("admin").get("/api/v1/users").get_json()["items"]}
    assert listed["bgs"]["active"] is False
    assert api.as_("admin").put("/api/v1/users/bgs", json={"active": True}).status_code == 200
    assert token_for(client, "bgs", "demo12345")[0] == 201


def test_the_admin_cannot_lock_themselves_out(api):
    for change in ({"active": False}, {"roles": ["viewer"]}):
        r = api.as_("admin").put("/api/v1/users/admin", json=change)
        assert r.status_code == 422 and r.get_json()["error"]["code"] == "own_account"
    assert api.as_("admin").post("/api/v1/users/admin/password-reset").status_code == 422


def test_an_unknown_account_is_404(api):
    assert api.as_("admin").put("/api/v1/users/nobody", json={"name": "x"}).status_code == 404
    assert api.as_("admin").post("/api/v1/users/nobody/password-reset").status_code == 404


# ------------------------------------------------------------------------------ temporary passwords


def test_a_reset_password_must_be_changed_before_anything_else_through_the_api(app, api, client):
    old_token = api.token("bgs")
    r = api.as_("admin").post("/api/v1/users/bgs/password-reset")
    assert r.status_code == 200
    temporary = r.get_json()["temporary_password"]
    assert len(temporary) >= 10
    assert client.get("/api/v1/me", headers=bearer(old_token)).status_code == 401  # the reset ends it
    assert token_for(client, "bgs", "demo12345")[0] == 401
    status, token = token_for(client, "bgs", temporary)
    assert status == 201
    for path in ("/api/v1/me", "/api/v1/sheets?year=2018", "/api/v1/inbox"):
        r = client.get(path, headers=bearer(token))
        assert r.status_code == 403 and r.get_json()["error"]["code"] == "password_change_required"
    r = client.put("/api/v1/me/password", headers=bearer(token),
                   json={"current_password": temporary, "new_password": GOOD})
    assert r.status_code == 200
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200
    assert token_for(client, "bgs", GOOD)[0] == 201


def test_a_reset_password_leads_the_pages_only_to_changing_it(app, api):
    temporary = api.as_("admin").post("/api/v1/users/bgs.staff/password-reset").get_json()["temporary_password"]
    page = app.test_client()
    r = login(page, "bgs.staff", temporary)
    assert r.status_code == 302
    for path in ("/", "/inbox", "/sheets?year=2018", "/ranking?year=2018"):
        r = page.get(path)
        assert r.status_code == 302 and r.headers["Location"].endswith("/me/password")
    assert page.get("/me/password").status_code == 200
    assert page.get("/static/style.css").status_code == 200
    r = page.post("/me/password", data={"current_password": temporary, "new_password": GOOD,
                                         "confirm_password": GOOD})
    assert r.status_code == 302
    assert page.get("/inbox").status_code == 200


def test_changing_ones_own_password_checks_the_current_one_and_the_policy(app, api, client):
    other = api.token("bgs")
    _, mine = token_for(client, "bgs", "demo12345")
    r = client.put("/api/v1/me/password", headers=bearer(mine), json={"current_password": "wrong", "new_password": GOOD})
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "wrong_password"
    r = client.put("/api/v1/me/password", headers=bearer(mine),
                   json={"current_password": "demo12345", "new_password": "password123"})
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "weak_password"
    r = client.put("/api/v1/me/password", headers=bearer(mine), json={"current_password": "demo12345", "new_password": GOOD})
    assert r.status_code == 200
    assert client.get("/api/v1/me", headers=bearer(mine)).status_code == 200  # this one stays
    assert client.get("/api/v1/me", headers=bearer(other)).status_code == 401  # every other ends
    assert token_for(client, "bgs", "demo12345")[0] == 401
    assert token_for(client, "bgs", GOOD)[0] == 201


def test_changing_the_password_on_the_page_keeps_this_session_and_ends_the_others(app, api):
    here, elsewhere = app.test_client(), app.test_client()
    login(here, "bgs")
    login(elsewhere, "bgs")
    token = api.token("bgs")
    assert here.get("/me/password").status_code == 200
    r = here.post("/me/password", data={"current_password": "demo12345", "new_password": GOOD,
                                        "confirm_password": GOOD})
    assert r.status_code == 302
    assert here.get("/inbox").status_code == 200
    assert elsewhere.get("/inbox").status_code == 302
    assert app.test_client().get("/api/v1/me", headers=bearer(token)).status_code == 401


def test_the_password_page_says_what_is_wrong(app):
    page = app.test_client()
    login(page, "bgs")
    r = page.post("/me/password", data={"current_password": "demo12345", "new_password": "short",
                                        "confirm_password": "short"})
    assert r.status_code == 422 and "至少需要 10 个字符" in r.get_data(as_text=True)
    r = page.post("/me/password", data={"current_password": "nope", "new_password": GOOD, "confirm_password": GOOD})
    assert r.status_code == 422 and "当前密码不正确" in r.get_data(as_text=True)
    r = page.post("/me/password", data={"current_password": "demo12345", "new_password": GOOD,
                                        "confirm_password": GOOD + "x"})
    assert r.status_code == 422 and "不一致" in r.get_data(as_text=True)


# ------------------------------------------------------------------------------ audit and security events


def test_account_changes_are_audited_and_logged_without_any_password(app, api):
    api.as_("admin").post("/api/v1/users", json=NEW)
    api.as_("admin").put("/api/v1/users/zhangsan", json={"name": "张三丰", "active": False})
    temporary = api.as_("admin").post("/api/v1/users/szc/password-reset").get_json()["temporary_password"]
    items = api.as_("admin").get("/api/v1/audit").get_json()["items"]
    actions = [(i["action"], i["object"]) for i in items]
    assert actions[:4] == [("password_reset", "user:szc"), ("user_changed", "user:zhangsan"),
                           ("user_changed", "user:zhangsan"), ("user_created", "user:zhangsan")]
    assert all(i["who"] == "admin" for i in items[:4])
    changed = [i for i in items if i["action"] == "user_changed"]
    assert {"old": {"name": "张三"}, "new": {"name": "张三丰"}} in [{"old": i["old"], "new": i["new"]} for i in changed]
    assert {"old": {"active": True}, "new": {"active": False}} in [{"old": i["old"], "new": i["new"]} for i in changed]
    with app.app_context():
        hashes = [u.password_hash for u in db.session.scalars(db.select(User))]
        dumped = json.dumps([[e.old, e.new] for e in db.session.scalars(db.select(AuditEntry))], ensure_ascii=False)
        kinds = [e.kind for e in db.session.scalars(db.select(SecurityEvent))]
    for secret in [GOOD, temporary, *hashes]:
        assert secret not in dumped
    assert "password_reset" in kinds and "user_changed" in kinds


# ------------------------------------------------------------------------------ import


def xlsx(rows) -> io.BytesIO:
    book = Workbook()
    sheet = book.active
    sheet.append(["用户名", "姓名", "科室", "角色"])
    for row in rows:
        sheet.append(row)
    data = io.BytesIO()
    book.save(data)
    data.seek(0)
    return data


def upload(api, data):
    return api.as_("admin").post("/api/v1/users/import", data={"file": (data, "accounts.xlsx")},
                                 content_type="multipart/form-data")


def test_importing_accounts_gives_each_a_temporary_password_to_change(app, api, client):
    r = upload(api, xlsx([["wang.wu", "王五", "办公室", "科员"], ["zhao.liu", "赵六", "szc", "科员、负责人"],
                          ["qian.qi", "钱七", None, "查看"], ["sun.ba", "孙八", "dwb", "member, head"]]))
    assert r.status_code == 201, r.get_json()
    answer = r.get_json()
    assert answer["created"] == 4
    by_name = {i["username"]: i for i in answer["items"]}
    assert by_name["wang.wu"]["unit"] == "bgs" and by_name["zhao.liu"]["roles"] == ["member", "head"]
    assert by_name["qian.qi"]["unit"] is None and by_name["qian.qi"]["roles"] == ["viewer"]
    status, token = token_for(client, "wang.wu", by_name["wang.wu"]["temporary_password"])
    assert status == 201
    r = client.get("/api/v1/me", headers=bearer(token))
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "password_change_required"
    actions = [i["action"] for i in api.as_("admin").get("/api/v1/audit?action=user_created").get_json()["items"]]
    assert len(actions) == 4


def test_an_import_with_bad_rows_names_them_and_imports_nothing(app, api):
    r = upload(api, xlsx([["ok.one", "甲", "bgs", "科员"], ["bgs", "重名", "bgs", "科员"],
                          ["ok.two", "乙", "没有这个科", "科员"], ["ok.three", "丙", "bgs", "老板"],
                          ["ok.one", "甲二", "bgs", "科员"], ["ok.four", None, "bgs", "科员"]]))
    assert r.status_code == 422
    error = r.get_json()["error"]
    assert error["code"] == "invalid_rows"
    rows = {e["row"]: e["message"] for e in error["rows"]}
    assert set(rows) == {3, 4, 5, 6, 7}
    assert "已被使用" in rows[3] and "没有这个科" in rows[4] and "老板" in rows[5] and "重复" in rows[6]
    with app.app_context():
        assert user("ok.one") is None
        assert db.session.scalar(db.select(db.func.count()).select_from(AuditEntry)) == 0


# ------------------------------------------------------------------------------ the admin's pages


def test_the_admin_manages_an_account_through_the_pages(app):
    page = app.test_client()
    login(page, "admin")
    listing = page.get("/admin/users").get_data(as_text=True)
    assert "账号管理" in listing and "启用" in listing and "从 Excel 导入账号" in listing
    assert page.get("/admin/users/new").status_code == 200
    r = page.post("/admin/users", data={"username": "li.si", "name": "李四", "unit": "bgs", "role-member": "1",
                                        "password": "short"})
    assert r.status_code == 422 and "至少需要 10 个字符" in r.get_data(as_text=True)
    r = page.post("/admin/users", data={"username": "li.si", "name": "李四", "unit": "bgs", "role-member": "1",
                                        "password": GOOD})
    assert r.status_code == 302
    assert "李四" in page.get("/admin/users/li.si").get_data(as_text=True)
    r = page.post("/admin/users/li.si", data={"name": "李四", "unit": "szc", "role-member": "1", "active": "0"})
    assert r.status_code == 302
    assert "停用" in page.get("/admin/users").get_data(as_text=True)
    r = page.post("/admin/users/li.si/password-reset")
    assert r.status_code == 200
    shown = r.get_data(as_text=True)
    assert "临时密码只显示这一次" in shown
    with app.app_context():
        li = user("li.si")
        assert li.unit.code == "szc" and li.active is False and li.must_change_password
    audit = page.get("/admin/audit").get_data(as_text=True)
    assert "新建账号" in audit and "修改账号" in audit and "重置密码" in audit


def test_the_header_links_to_the_password_page_and_the_admin_menu(app):
    page = app.test_client()
    login(page, "bgs")
    text = page.get("/inbox").get_data(as_text=True)
    assert "修改密码" in text and "账号管理" not in text
    admin = app.test_client()
    login(admin, "admin")
    text = admin.get("/inbox").get_data(as_text=True)
    assert "账号管理" in text and "审计日志" in text


def test_the_import_form_lists_bad_rows(app):
    page = app.test_client()
    login(page, "admin")
    r = page.post("/admin/users/import", data={"file": (xlsx([["x.y", "某", "nosuch", "科员"]]), "a.xlsx")},
                  content_type="multipart/form-data")
    assert r.status_code == 422 and "第 2 行" in r.get_data(as_text=True)
    r = page.post("/admin/users/import", data={"file": (xlsx([["x.y", "某", "bgs", "科员"]]), "a.xlsx")},
                  content_type="multipart/form-data")
    assert r.status_code == 200 and "x.y" in r.get_data(as_text=True)


# ------------------------------------------------------------------------------ demo password in production


def test_production_refuses_to_start_while_an_active_account_has_the_demo_password(app, db_url):
    with pytest.raises(DemoPasswordInProduction) as refused:
        make_app(db_url, KAOHE_ENV="production", DEMO_PASSWORD_CHECK=True)
    assert "admin" in refused.value.usernames and "bgs.staff" in refused.value.usernames
    assert "admin" in str(refused.value) and "KAOHE_ENV=production" in str(refused.value)


def test_production_starts_once_no_active_account_has_the_demo_password(app, db_url):
    with app.app_context():
        template = User(username="-", name="-")
        template.set_password(GOOD, "pbkdf2:sha256:1000")
        for each in db.session.scalars(db.select(User)):
            if each.username != "szc.staff":
                each.password_hash = template.password_hash
        user("szc.staff").active = False  # a deactivated account may keep it
        db.session.commit()
    other = make_app(db_url, KAOHE_ENV="production", DEMO_PASSWORD_CHECK=True)
    with other.app_context():
        db.engine.dispose()


def test_outside_production_or_in_tests_the_demo_password_does_not_stop_the_server(app, db_url):
    for extra in ({"DEMO_PASSWORD_CHECK": True}, {"KAOHE_ENV": "production"}):
        other = make_app(db_url, **extra)
        with other.app_context():
            db.engine.dispose()


def test_guessing_the_current_password_locks_like_failed_sign_ins(app, client):
    _, token = token_for(client, "bgs", "demo12345")
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        r = client.put("/api/v1/me/password", headers=bearer(token), json={"current_password": "guess", "new_password": GOOD})
        assert r.status_code == 422
    r = client.put("/api/v1/me/password", headers=bearer(token), json={"current_password": "demo12345", "new_password": GOOD})
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
    with app.app_context():
        assert user("bgs").check_password("demo12345")


def test_a_whole_account_life_on_the_pages(app):
    admin = app.test_client()
    login(admin, "admin")
    assert admin.post("/admin/users", data={"username": "li.si", "name": "李四", "unit": "bgs", "role-member": "1",
                                            "password": GOOD}).status_code == 302
    shown = admin.post("/admin/users/li.si/password-reset").get_data(as_text=True)
    temporary = re.search(r'temporary-password">([^<]+)<', shown).group(1)
    person = app.test_client()
    assert login(person, "li.si", temporary).status_code == 302
    r = person.get("/inbox")
    assert r.status_code == 302 and r.headers["Location"].endswith("/me/password")
    assert "临时密码" in person.get("/me/password").get_data(as_text=True)
    second = "Second-pass-2019"
    assert person.post("/me/password", data={"current_password": temporary, "new_password": GOOD,
                                             "confirm_password": GOOD}).status_code == 302
    assert person.get("/inbox").status_code == 200
    assert person.post("/me/password", data={"current_password": GOOD, "new_password": second,
                                             "confirm_password": second}).status_code == 302
    assert person.get("/inbox").status_code == 200
    assert admin.post("/admin/users/li.si", data={"name": "李四", "unit": "bgs", "role-member": "1",
                                                  "active": "0"}).status_code == 302
    r = person.get("/inbox")
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    assert login(app.test_client(), "li.si", second).status_code == 200  # refused: the form again
