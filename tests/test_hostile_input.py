"""Whatever a client sends, the answer is a status and a message, never a 500 (CONTRACT.md)."""
import pytest

from flow import Flow


@pytest.fixture
def bgs(api, sheet_id):
    return Flow(api, sheet_id("bgs"))


@pytest.mark.parametrize("score", ["1e999999999", "-1e999999999", "9" * 5000, 10**400, 1e308, "１", "0x10",
                                   "1_0", {"a": 1}, "", "  "])
def test_absurd_scores_are_422_or_a_cleared_score(bgs, score):
    r = bgs.put_row("bgs", "team", self_score=score, self_reason="x")
    assert r.status_code in (200, 422), r.get_json()
    if r.status_code == 200:  # only the blank ones, which clear the score
        assert next(i for i in r.get_json()["items"] if i["code"] == "team")["self_score"] is None


def test_negative_zero_is_zero(bgs):
    sheet = bgs.ok(bgs.put_row("bgs", "team", self_score="-0", self_reason="x"))
    assert next(i for i in sheet["items"] if i["code"] == "team")["self_score"] == "0"


def test_absurd_key_deduction_is_422(bgs, api):
    bgs.fill_self("bgs")
    bgs.ok(bgs.act("bgs", "submit"))
    r = api.as_("rjk").put(f"/api/v1/sheets/{bgs.sid}/key-deduction",
                           json={"version": bgs.version, "points": "1e999999", "reason": "x"})
    assert r.status_code == 422


@pytest.mark.parametrize("path", [
    "/api/v1/sheets/99999999999999999999999", "/api/v1/sheets/3000000000", "/api/v1/sheets/0",
    "/api/v1/sheets/99999999999999999999999/history", "/api/v1/years/99999999999999999999999/scheme",
    "/api/v1/years/3000000000/scheme",
])
def test_ids_no_record_can_have_are_404(api, path):
    r = api.as_("bgs").get(path)
    assert r.status_code == 404 and r.get_json()["error"]["code"]


@pytest.mark.parametrize("method, path", [
    ("delete", "/api/v1/attachments/0"), ("delete", "/api/v1/info-items/0"), ("delete", "/api/v1/oa-documents/0"),
    ("put", "/api/v1/bonus-applications/0"), ("put", "/api/v1/deductions/0"), ("put", "/api/v1/oa-documents/0"),
    ("delete", "/api/v1/oa-documents/-3"), ("get", "/api/v1/deductions/-1"), ("get", "/api/v1/sheets/-0"),
    ("get", "/api/v1/attachments/" + "9" * 5000), ("get", "/api/v1/years/0/scheme"),
    ("get", "/api/v1/years/10000/export.xlsx"), ("get", "/api/v1/years/-2018/scheme"),
])
def test_an_id_no_record_can_have_is_404_whatever_the_method_never_405(api, method, path):
    r = getattr(api.as_("admin"), method)(path, json={"version": 1})
    assert r.status_code == 404 and r.get_json()["error"]["code"]


def test_digits_of_other_scripts_are_not_ids(api):
    assert api.as_("bgs").get("/api/v1/sheets/\u0661").status_code == 404  # ARABIC-INDIC DIGIT ONE


def test_a_whole_number_written_with_a_point_is_that_integer(api):
    """JSON has one kind of number, and the OpenAPI document calls 2018.0 an integer."""
    r = api.as_("bgs").post("/api/v1/bonus-applications",
                            json={"year": 2018.0, "project": "创建文明单位", "points_requested": "1"})
    assert r.status_code == 201 and r.get_json()["year"] == 2018
    r = api.as_("bgs").post("/api/v1/bonus-applications",
                            json={"year": 2018.5, "project": "创建文明单位", "points_requested": "1"})
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "bad_year"


@pytest.mark.parametrize("year", ["99999999999999999999999", "3000000000", "²", "-1", "2018.0", "", "0"])
def test_bad_years_are_400(api, year):
    for path in ("/api/v1/sheets", "/api/v1/inbox"):
        r = api.as_("bgs").get(f"{path}?year={year}")
        assert r.status_code == 400 and r.get_json()["error"]["code"] == "bad_year"


def test_huge_ids_in_writes_are_404(api):
    big = "99999999999999999999999"
    assert api.as_("bgs").post(f"/api/v1/sheets/{big}/actions/submit", json={"version": 1}).status_code == 404
    assert api.as_("rjk").put(f"/api/v1/sheets/{big}/key-deduction", json={"version": 1}).status_code == 404


def test_pages_shrug_off_odd_numbers(client, sheet_id):
    client.post("/login", data={"username": "bgs", "password": "demo12345"})
    assert client.get("/inbox?year=²").status_code == 200
    assert client.get("/sheets?year=99999999999999999999999").status_code == 200
    assert client.get("/sheets/99999999999999999999999").status_code == 404
    r = client.post(f"/sheets/{sheet_id('bgs')}/rows", data={"version": "²", "kind": "self", "code": "team",
                                                             "score-team": "2"})
    assert r.status_code == 400


def test_nul_characters_are_refused_not_stored(bgs, client):
    r = bgs.put_row("bgs", "team", self_score=1, self_reason="a\u0000b")
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "invalid_text"
    r = client.post("/api/v1/tokens", json={"username": "a\u0000", "password": "x"})
    assert r.status_code == 401


def test_very_long_reasons_are_refused(bgs):
    r = bgs.put_row("bgs", "team", self_score=1, self_reason="长" * 5000)
    assert r.status_code == 422


def test_missing_credentials_are_400(client):
    for body in ({}, {"username": "bgs"}, {"password": "x"}):
        r = client.post("/api/v1/tokens", json=body)
        assert r.status_code == 400 and r.get_json()["error"]["code"] == "credentials_required"


def test_401_says_how_to_authenticate(client):
    assert client.get("/api/v1/me").headers["WWW-Authenticate"].startswith("Bearer")


def test_an_invisible_sheet_is_404_whatever_the_body(api, sheet_id):
    assert api.as_("gysyk").put(f"/api/v1/sheets/{sheet_id('bgs')}/items/team", json={"version": 1}).status_code == 404
    assert api.as_("bgs").put("/api/v1/sheets/99999/items/team", json={"version": 1}).status_code == 404
