"""A year's 附件4 quotas as the admin keeps them (issue 7: a year has its own information
quotas): read by everyone, changed by the admin with the checks of a quota file, that year only,
fixed once a sheet has left draft, audited."""
from flow import Flow

URL = "/api/v1/years/{year}/info-quotas"


def quotas(api, year=2018, who="szc"):
    r = api.as_(who).get(URL.format(year=year))
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def put(api, payload, year=2018, who="admin"):
    return api.as_(who).put(URL.format(year=year), json=payload)


def test_everyone_reads_2018s_quotas_as_attachment_4_gives_them(api):
    found = quotas(api)
    assert found["units"]["szc"] == {"per_month": 4} and found["units"]["cjdag"] == {"per_year": 10}
    assert found["gov_affairs"]["csk"] == {"per_year": 6} and found["gov_default"] == {"per_month": 1}
    assert found["extras"] == {"district": 2, "city": 5, "province": 8}
    assert found["district_offices_per_year"] == 1


def test_the_admin_changes_a_new_years_quota_and_2018_keeps_its_own(api):
    assert api.as_("admin").post("/api/v1/years", json={"year": 2019, "copy_from": 2018}).status_code == 201
    r = put(api, {"units": {"szc": {"per_month": 3}, "kfb": None}, "extras": {"district": 2, "city": 6,
                                                                             "province": 9}}, year=2019)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["units"]["szc"] == {"per_month": 3} and r.get_json()["units"]["kfb"] is None
    assert quotas(api)["units"]["szc"] == {"per_month": 4} and quotas(api)["extras"]["city"] == 5
    entry = api.as_("admin").get("/api/v1/audit?action=info_quotas_changed").get_json()["items"][0]
    assert entry["old"]["units"]["szc"] == {"per_month": 4} and entry["new"]["units"]["szc"] == {"per_month": 3}


def test_bad_quotas_are_refused_by_name_and_change_nothing(api):
    before = quotas(api)
    for payload in ({"units": {"szc": {"per_week": 3}}}, {"units": {"szc": {"per_month": 0}}},
                    {"units": {"nosuch": {"per_month": 1}}}, {"extras": {"district": 2}},
                    {"district_offices_per_year": -1}):
        r = put(api, payload)
        assert (r.status_code, r.get_json()["error"]["code"]) == (422, "invalid_quotas"), payload
    assert quotas(api) == before


def test_only_the_admin_changes_them_and_not_once_the_year_is_under_way(api, sheet_id):
    assert put(api, {"units": {"szc": {"per_month": 3}}}, who="bgs").status_code == 403
    assert api.as_("szc").get(URL.format(year=2030)).status_code == 404
    flow = Flow(api, sheet_id("bgs"))
    flow.fill_self("bgs")
    assert flow.act("bgs", "submit").status_code == 200
    r = put(api, {"units": {"szc": {"per_month": 3}}})
    assert (r.status_code, r.get_json()["error"]["code"]) == (409, "year_opened")


def test_the_page_saves_and_refuses_with_what_was_typed(api, client):
    client.post("/login", data={"username": "admin", "password": "demo12345"})
    page = client.get("/years/2018/info-quotas").get_data(as_text=True)
    assert "市政处" in page and "保存</button>" in page
    form = {"info-szc-kind": "per_month", "info-szc-n": "3", "extras-district": "2", "extras-city": "5",
            "extras-province": "8", "district_offices_per_year": "1", "gov-default-kind": "per_month",
            "gov-default-n": "1"}
    for p in quotas(api)["units"]:
        if p != "szc":
            q = quotas(api)["units"][p]
            kind = next(iter(q)) if q else ""
            form[f"info-{p}-kind"], form[f"info-{p}-n"] = kind, str(q[kind]) if q else ""
    for p, q in quotas(api)["gov_affairs"].items():
        kind = next(iter(q)) if q else ""
        form[f"gov-{p}-kind"], form[f"gov-{p}-n"] = kind, str(q[kind]) if q else ""
    r = client.post("/years/2018/info-quotas", data=form)
    assert r.status_code == 302 and quotas(api)["units"]["szc"] == {"per_month": 3}
    assert quotas(api)["units"]["cjdag"] == {"per_year": 10}
    refused = client.post("/years/2018/info-quotas", data={**form, "info-szc-n": "零"})
    assert refused.status_code == 422 and "条数应为 1 到 1000 的整数" in refused.get_data(as_text=True)
    client.post("/logout")
    client.post("/login", data={"username": "szc", "password": "demo12345"})
    assert "保存</button>" not in client.get("/years/2018/info-quotas").get_data(as_text=True)
    assert client.post("/years/2018/info-quotas", data=form).status_code == 403
