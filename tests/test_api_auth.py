"""Bearer tokens, the caller, the error shape, and the OpenAPI document."""
from datetime import timedelta

from kaohe_flow.extensions import db
from kaohe_flow.org.models import ApiToken
from kaohe_flow.timeutil import utcnow


def test_token_for_good_credentials(client):
    r = client.post("/api/v1/tokens", json={"username": "bgs", "password": "demo12345"})
    assert r.status_code == 201 and len(r.get_json()["token"]) > 30


def test_wrong_password_and_unknown_user_look_the_same(client):
    wrong = client.post("/api/v1/tokens", json={"username": "bgs", "password": "nope"})
    unknown = client.post("/api/v1/tokens", json={"username": "nobody", "password": "nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.get_json() == unknown.get_json()


def test_token_request_must_be_json(client):
    assert client.post("/api/v1/tokens", data="x").status_code == 400
    assert client.post("/api/v1/tokens", json={"username": 5, "password": None}).status_code == 400
    assert client.post("/api/v1/tokens", json={"username": 5, "password": "x"}).status_code == 401


def test_tokens_are_stored_hashed(app, client):
    token = client.post("/api/v1/tokens", json={"username": "bgs", "password": "demo12345"}).get_json()["token"]
    with app.app_context():
        stored = db.session.scalars(db.select(ApiToken.token_hash)).all()
    assert token not in stored and ApiToken.hash(token) in stored


def test_no_token_or_a_bad_one_is_401_with_the_error_shape(client):
    for headers in ({}, {"Authorization": "Bearer nonsense"}, {"Authorization": "Basic Ymdz"}):
        r = client.get("/api/v1/me", headers=headers)
        assert r.status_code == 401
        assert set(r.get_json()["error"]) == {"code", "message"}


def test_revoked_token_is_refused(api):
    assert api.as_("bgs").delete("/api/v1/tokens/current").status_code == 204
    assert api.as_("bgs").get("/api/v1/me").status_code == 401


def test_expired_token_is_refused(app, api):
    assert api.as_("bgs").get("/api/v1/me").status_code == 200
    with app.app_context():
        for row in db.session.scalars(db.select(ApiToken)):
            row.expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    assert api.as_("bgs").get("/api/v1/me").status_code == 401


def test_me_for_a_unit_head_a_member_and_bureau_accounts(api):
    assert api.as_("bgs").get("/api/v1/me").get_json() == {
        "username": "bgs", "name": "办公室负责人", "unit": "bgs", "roles": ["member", "head"]}
    assert api.as_("bgs.staff").get("/api/v1/me").get_json()["roles"] == ["member"]
    for who, role in [("leader1", "leader"), ("director", "viewer"), ("admin", "admin")]:
        me = api.as_(who).get("/api/v1/me").get_json()
        assert me["unit"] is None and me["roles"] == [role]


def test_sheets_list_is_what_the_caller_may_see(api):
    def units(who):
        return [s["unit"] for s in api.as_(who).get("/api/v1/sheets?year=2018").get_json()["items"]]

    assert units("szc") == ["szc"]  # a plain unit sees its own
    assert units("gysyk") == ["gysyk", "szc", "rgz"]  # a gate unit also those it gates
    assert units("jgk.staff") == ["jgk", "jgzx", "cjjcdd", "ztbglk", "stzx", "cjdag", "qszx"]
    assert len(units("dwb")) == 19  # a responsible office signs rows on every sheet
    assert len(units("leader3")) == len(units("director")) == len(units("admin")) == 19
    assert units("szc") == [s["unit"] for s in api.as_("szc").get("/api/v1/sheets").get_json()["items"]]


def test_sheets_list_shape_and_bad_year(api):
    item = api.as_("szc").get("/api/v1/sheets?year=2018").get_json()["items"][0]
    assert set(item) == {"id", "unit", "year", "state", "subtotal", "total", "due", "overdue"}
    assert api.as_("szc").get("/api/v1/sheets?year=abc").status_code == 400
    assert api.as_("szc").get("/api/v1/sheets?year=2017").get_json() == {"items": []}


def test_sheet_detail_has_the_contract_keys(api, sheet_id):
    sheet = api.as_("bgs").get(f"/api/v1/sheets/{sheet_id('bgs')}").get_json()
    for key in ("id", "unit", "year", "state", "version", "items", "key_deduction", "key_deduction_reason",
                "bonus", "subtotal", "total", "allowed_actions"):
        assert key in sheet
    assert set(sheet["items"][0]) >= {"code", "name", "standard", "self_score", "self_reason", "review_score",
                                      "review_reason", "suggested_score", "responsible", "signatures"}
    assert len(sheet["items"]) == 17 and sheet["allowed_actions"] == []  # submit waits for every self score


def test_inbox_shows_what_waits_for_each_person(api, sheet_id):
    inbox = api.as_("bgs").get("/api/v1/inbox").get_json()["items"]
    assert inbox == [{"kind": "sheet", "id": sheet_id("bgs"), "unit": "bgs", "year": 2018, "state": "draft",
                      "action": "submit", "due": None, "overdue": False, "returned": False}]
    assert api.as_("bgs.staff").get("/api/v1/inbox").get_json()["items"] == []
    assert api.as_("director").get("/api/v1/inbox").get_json()["items"] == []


def test_unknown_api_paths_and_methods_answer_json(api):
    r = api.as_("bgs").get("/api/v1/nothing-here")
    assert r.status_code == 404 and r.get_json()["error"]["code"]
    r = api.as_("bgs").delete("/api/v1/me")
    assert r.status_code == 405 and r.get_json()["error"]["code"] == "method_not_allowed"


def test_every_405_says_which_methods_are_allowed(api, client):
    r = api.as_("bgs").delete("/api/v1/me")
    assert r.status_code == 405 and set(r.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}
    assert r.content_type == "application/json"
    r = client.open("/api/v1/oa-documents/1", method="TRACE")
    assert r.status_code == 405 and set(r.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS", "PUT", "DELETE"}
    r = client.delete("/login")  # a page, too
    assert r.status_code == 405 and "POST" in r.headers["Allow"] and r.content_type.startswith("text/html")


def test_a_missing_token_is_401_before_any_404(client):
    for method, path in [("delete", "/api/v1/attachments/0"), ("get", "/api/v1/sheets/99999999999999999999"),
                         ("put", "/api/v1/info-items/-1"), ("get", "/api/v1/years/0/scheme"),
                         ("get", "/api/v1/sheets/99999")]:
        r = getattr(client, method)(path)
        assert r.status_code == 401, (method, path)
        assert r.headers["WWW-Authenticate"].startswith("Bearer")
