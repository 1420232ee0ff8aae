"""The year's rhythm through the pages (issue 9, "Done when"), in headless Chromium: every
notification at the right person and none twice, a delegate signs with both names kept, a leader
signs a batch, a return costs only the changed rows' signatures, an appeal is upheld and the
suggested score comes back.

Givens (scores typed row by row, the signatures before the step under test) go through the JSON
API of the same live server; the steps under test are clicked on the pages.
"""
import re
from collections import Counter
from datetime import timedelta

import requests

from kaohe_flow.timeutil import local_today
from test_browser import browser, live_server  # noqa: F401  (module fixtures)
from test_browser import expect, expect_flash, expect_state, fire, people, pytestmark, submit  # noqa: F401

OFFICES = ("rjk", "dwb", "cjjcdd", "bgs")  # the offices that sign rows on every sheet (会签)


class Api:
    """The live server's API as the demo people (the givens)."""

    def __init__(self, base):
        self.base, self.tokens = base, {}

    def __call__(self, who, method, path, **body):
        if who not in self.tokens:
            r = requests.post(self.base + "/api/v1/tokens", json={"username": who, "password": "demo12345"})
            self.tokens[who] = r.json()["token"]
        r = requests.request(method, self.base + "/api/v1" + path, json=body or None,
                             headers={"Authorization": "Bearer " + self.tokens[who]})
        assert r.status_code < 300, (who, method, path, r.status_code, r.text[:300])
        return r.json()

    def sheet(self, sid, who="admin"):
        return self("admin" if who is None else who, "GET", f"/sheets/{sid}")

    def fill(self, sid, who, kind):
        """Every row at its standard, one PUT per row as a person would type them."""
        for item in self.sheet(sid)["items"]:
            version = self.sheet(sid)["version"]
            self(who, "PUT", f"/sheets/{sid}/items/{item['code']}",
                 **{"version": version, f"{kind}_score": item["standard"], f"{kind}_reason": ""})

    def act(self, sid, who, action, **extra):
        return self(who, "POST", f"/sheets/{sid}/actions/{action}",
                    version=self.sheet(sid)["version"], comment=extra.pop("comment", ""), **extra)

    def to_leader(self, sid, unit, gate):
        self.fill(sid, f"{unit}.staff" if unit != "bgs" else "bgs.staff", "self")
        self.act(sid, unit, "submit")
        self.fill(sid, gate, "review")
        self.act(sid, gate, "approve")
        for office in OFFICES:
            self.act(sid, office, "sign")

    def notes(self, who):
        return self(who, "GET", "/notifications")["items"]


def open_line(page, text):
    """From 待办, open the record whose line carries `text`."""
    line = page.locator("ul.tasks li").filter(has_text=text)
    expect(line).to_have_count(1)
    with page.expect_navigation():
        line.locator("a").first.click()


def test_a_year_walked_through_the_pages_with_its_rhythm(browser, live_server):  # noqa: F811
    api = Api(live_server)
    units = {u["code"]: u for u in api("admin", "GET", "/units?year=2018")["items"]}
    sheets = {s["unit"]: s["id"] for s in api("admin", "GET", "/sheets?year=2018")["items"]}
    led = [code for code, u in units.items() if u["leader"] == "leader1" and code not in OFFICES
           and units[code]["gate_unit"] not in (None,)][:2]
    assert units["bgs"]["leader"] == "leader1" and len(led) == 2
    names = {u["username"]: u["name"] for u in api("admin", "GET", "/users")["items"]}
    bgs = sheets["bgs"]

    with people(browser, live_server) as person:
        # -- 办公室's head submits on the page; the gate's head and members are told, once.
        api.fill(bgs, "bgs.staff", "self")
        page = person("bgs")
        open_line(page, "办公室 2018年度考核计分表")
        fire(page, "submit", "提交")
        expect_state(page, "gate_review", "扎口审核")
        page = person("rjk")
        expect(page.locator("nav .badge")).to_be_visible()
        with page.expect_navigation():
            page.get_by_role("link", name=re.compile("^通知")).click()
        note = page.locator("li.note").filter(has_text="办公室")
        expect(note).to_have_count(1)
        expect(note).to_contain_text("待办")
        assert any(n["kind"] == "todo" and n["record"] == {"kind": "sheet", "id": bgs} for n in api.notes("rjk.staff"))
        assert not any(n["record"].get("id") == bgs for n in api.notes("szc"))  # nobody else

        # Given: the gate's review and every office's signature: leader1 is told.
        api.fill(bgs, "rjk", "review")
        api.act(bgs, "rjk", "approve")
        for office in OFFICES:
            api.act(bgs, office, "sign")
        assert api.sheet(bgs)["state"] == "leader_sign"
        assert [n["kind"] for n in api.notes("leader1") if n["record"] == {"kind": "sheet", "id": bgs}] == ["todo"]

        # -- leader1 is away: he hands his signing to leader2 on the 委托代办 page.
        page = person("leader1")
        with page.expect_navigation():
            page.get_by_role("link", name="委托代办").click()
        page.select_option("#del-to", "leader2")
        page.fill("#del-from", local_today().isoformat())
        page.fill("#del-until", (local_today() + timedelta(days=3)).isoformat())
        submit(page, page.get_by_role("button", name="委托", exact=True))
        expect_flash(page, "success", "已委托")
        assert [n["kind"] for n in api.notes("leader2")] == ["delegated"]

        # -- leader2's inbox shows 办公室's sheet as leader1's step; he signs: both names kept.
        page = person("leader2")
        line = page.locator("ul.tasks li").filter(has_text="办公室 2018年度考核计分表")
        expect(line).to_contain_text(f"代 {names['leader1']}")
        open_line(page, "办公室 2018年度考核计分表")
        fire(page, "sign", "签字")
        expect_state(page, "final", "定稿")
        both = f"{names['leader2']} 代 {names['leader1']}"
        expect(page.locator(".sheet-foot")).to_contain_text(both)
        expect(page.locator("ol.timeline li.step-sign").first).to_contain_text(both.replace(" 代 ", " 代 "))
        final = api.sheet(bgs)
        assert final["signoffs"]["leader"]["on_behalf_of"] == "leader1"

        # -- leader1, back, ends the delegation and signs two sheets at once from his 待办.
        page = person("leader1")
        page.goto("/delegations")
        submit(page, page.get_by_role("button", name="结束委托"))
        expect_flash(page, "success", "委托已结束")
        for code in led:
            api.to_leader(sheets[code], code, units[code]["gate_unit"])
        page = person("leader1")
        for code in led:
            line = page.locator("ul.tasks li").filter(has_text=f"{units[code]['name']} 2018年度考核计分表")
            line.locator("input[type=checkbox]").check()
        submit(page, page.get_by_role("button", name="批量签字"))
        expect(page.locator("#batch-summary")).to_contain_text("已签字 2 项")
        for code in led:
            assert api.sheet(sheets[code])["state"] == "final"

        # -- The first of them is reopened and returned to the gate: only the changed row's
        # offices sign again.
        first, gate = sheets[led[0]], units[led[0]]["gate_unit"]
        api.act(first, "admin", "reopen", comment="附加分补录后重新审核")
        page = person(gate)
        open_line(page, f"{units[led[0]]['name']} 2018年度考核计分表")
        team = next(i for i in api.sheet(first)["items"] if i["code"] == "team")
        page.fill("input[name='score-team']", str(float(team["standard"]) - 0.5).rstrip("0").rstrip("."))
        page.fill("textarea[name='reason-team']", "会议缺席一次")
        submit(page, page.get_by_role("button", name="保存考评"))
        expect_flash(page, "success", "已保存")
        fire(page, "approve", "审核通过")
        expect_state(page, "responsible_sign", "责任科室会签")
        again = set(team["responsible"])
        for office in OFFICES:
            lines = person(office).locator("ul.tasks li").filter(has_text=f"{units[led[0]]['name']} 2018年度考核计分表")
            expect(lines).to_have_count(1 if office in again else 0)
        for office in again:
            page = person(office)
            open_line(page, f"{units[led[0]]['name']} 2018年度考核计分表")
            fire(page, "sign", "签字")
        expect_state(page, "leader_sign", "分管领导签字")

        # -- An appeal: 办公室 (信息管理) records an OA miss against 市政处; its head appeals on the
        # record's page, 办公室 upholds it, and the suggested score comes back.
        rid = api("bgs.staff", "POST", "/deductions", year=2018, unit="szc", rule="info_mgmt-3", count=1,
                  date="2018-03-05", people="张三", note="OA流程未及时回复")["id"]
        suggested = lambda: next(i for i in api.sheet(sheets["szc"])["items"] if i["code"] == "info_mgmt")["suggested_score"]  # noqa: E731
        assert suggested() == "4.5"
        page = person("szc")
        page.goto(f"/deductions/{rid}")
        page.fill("#appeal-reason", "当日已按时回复，见系统截图")
        submit(page, page.get_by_role("button", name="提出申诉"))
        expect(page.locator(".appeal-state")).to_contain_text("申诉中")
        page = person("bgs")
        page.goto(f"/deductions/{rid}")
        page.locator("input[name=decision][value=upheld]").check()
        submit(page, page.get_by_role("button", name="提交处理结果"))
        expect(page.locator(".appeal-state")).to_contain_text("成立")
        assert suggested() == "5"

    # -- Nobody got the same notification twice.
    for who in ("bgs", "bgs.staff", "rjk", "rjk.staff", "dwb", "cjjcdd", "leader1", "leader2", "szc", gate):
        seen = Counter((n["kind"], n["record"]["kind"], n["record"]["id"], n["text"]) for n in api.notes(who))
        assert all(count == 1 for count in seen.values()), (who, seen.most_common(3))


def test_the_rhythms_pages_fit_a_phone(browser, live_server):  # noqa: F811
    """At 390 px the inbox with its batch forms, the notifications, the delegations, the progress
    board and a sheet's changes need no sideways scrolling."""
    from test_browser import PHONE, signed_in

    api = Api(live_server)
    sid = {s["unit"]: s["id"] for s in api("admin", "GET", "/sheets?year=2018")["items"]}["bgs"]
    with signed_in(browser, live_server, "leader1", **PHONE) as page:
        for path in ("/inbox", "/notifications", "/delegations", "/years/2018/progress", f"/sheets/{sid}/changes"):
            page.goto(path)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, f"{path}: {width}px wide on a 390px phone"
