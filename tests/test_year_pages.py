"""The admin's pages for years (issue 7): through the pages alone, 2019 is made from 2018, a unit
moves to another gate, two standards change to keep 100, and the year opens; a refusal names what
is wrong, keeps what was typed and changes nothing. Everyone signed in reads the pages; only the
admin finds forms on them, and a write by anyone else is 403."""
from html.parser import HTMLParser

import pytest
from werkzeug.datastructures import MultiDict

from kaohe_flow.audit.models import AuditEntry
from kaohe_flow.extensions import db
from kaohe_flow.org import chart
from kaohe_flow.org.models import Unit, User
from kaohe_flow.scheme import items, years
from kaohe_flow.scheme.queries import scheme_or_none
from kaohe_flow.sheets.models import Sheet

OTHERS = ("szc", "rjk", "bgs", "bgs.staff", "leader1", "director")


class _Form(HTMLParser):
    """What a browser sends for the form posting to `action`: enabled fields, checked boxes,
    each select's selected option (else its first), textareas."""

    def __init__(self, action):
        super().__init__()
        self.action, self.inside, self.found = action, False, False
        self.fields, self._select, self._first, self._area = [], None, None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("action") == self.action
            self.found |= self.inside
        if not self.inside or "disabled" in a:
            return
        if tag == "input" and a.get("name"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.fields.append((a["name"], a.get("value", "on" if a.get("type") == "checkbox" else "")))
        elif tag == "select":
            self._select, self._first = a.get("name"), None
        elif tag == "option" and self._select:
            if self._first is None:
                self._first = a.get("value", "")
            if "selected" in a:
                self.fields.append((self._select, a.get("value", "")))
                self._select = None
        elif tag == "textarea":
            self._area = [a.get("name"), ""]

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select" and self._select:
            self.fields.append((self._select, self._first or ""))
            self._select = None
        elif tag == "textarea" and self._area:
            self.fields.append((self._area[0], self._area[1].removeprefix("\n")))
            self._area = None

    def handle_data(self, data):
        if self._area:
            self._area[1] += data


def form_of(page: str, action: str) -> MultiDict:
    parser = _Form(action)
    parser.feed(page)
    assert parser.found, f"no form posting to {action}"
    return MultiDict(parser.fields)


def text(response) -> str:
    return response.get_data(as_text=True)


def sign_in(client, who="admin"):
    assert client.post("/login", data={"username": who, "password": "demo12345"}).status_code == 302
    return client


def submit(client, page_path, action, **changes):
    """Open the page, fill the form as a person would (set a field; a list sets checkboxes), send it."""
    form = form_of(text(client.get(page_path)), action)
    for key, value in changes.items():
        key = key.replace("__", "-")
        form.setlist(key, value if isinstance(value, list) else [value])
    return client.post(action, data=form)


def make_year(app, year=2019, copy_from=2018):
    """A given: the year made through the service, as the admin."""
    with app.app_context():
        years.create_year(db.session.scalar(db.select(User).filter_by(username="admin")),
                          {"year": year, "copy_from": copy_from})


def gate(app, year, code):
    with app.app_context():
        unit = db.session.scalar(db.select(Unit).filter_by(code=code))
        gate_id = chart.gate_of(year, unit.id)
        return db.session.get(Unit, gate_id).code


def sheets_of(app, year):
    with app.app_context():
        return db.session.scalars(db.select(Sheet.state).filter_by(year=year)).all()


def audit_count(app):
    with app.app_context():
        return db.session.scalar(db.select(db.func.count()).select_from(AuditEntry))


def item_standard(app, year, code):
    with app.app_context():
        return str(items.item_values(scheme_or_none(year).item(code))["standard"])


# ------------------------------------------------------------------------------ the whole path


def test_the_admin_makes_edits_and_opens_2019_through_the_pages_alone(app, client):
    sign_in(client)
    assert '<a href="/years">年度管理</a>' in text(client.get("/inbox"))  # in the menu
    listing = text(client.get("/years"))
    assert "年度管理" in listing and 'id="year-2018"' in listing and "已开启" in listing
    new = form_of(listing, "/years")
    assert (new["year"], new["copy_from"]) == ("2019", "2018")  # the newest year suggested as the template

    r = client.post("/years", data=new)
    assert (r.status_code, r.headers["Location"]) == (302, "/years/2019")
    page = text(client.get("/years/2019"))
    assert "已由2018年度复制新建2019年度" in page and "尚未开启考核" in page
    assert "合计 100 分，方案总分 100 分" in page

    r = submit(client, "/years/2019/units/bgs", "/years/2019/units/bgs", gate_unit="szc")
    assert r.status_code == 302
    page = text(client.get("/years/2019"))
    assert "已保存2019年度办公室的组织架构信息" in page
    assert '<tr id="unit-bgs">' in page and "市政处" in page.split('<tr id="unit-bgs">')[1].split("</tr>")[0]

    r = submit(client, "/years/2019/items/team", "/years/2019/items/team", standard="3")
    assert r.status_code == 302
    page = text(client.get("/years/2019"))
    assert 'class="warning">合计 101 分，方案总分 100 分' in page

    r = client.post("/years/2019/open", data=form_of(page, "/years/2019/open"))
    assert r.status_code == 422
    assert "各考核项目标准分值合计 101 分，与方案总分 100 分不符" in text(r)
    assert sheets_of(app, 2019) == []

    assert submit(client, "/years/2019/items/charity", "/years/2019/items/charity", standard="1").status_code == 302
    page = text(client.get("/years/2019"))
    assert 'class="muted">合计 100 分，方案总分 100 分' in page and "检查通过" in page

    r = client.post("/years/2019/open", data=form_of(page, "/years/2019/open"))
    assert (r.status_code, r.headers["Location"]) == (302, "/years/2019")
    page = text(client.get("/years/2019"))
    assert "已开启2019年度考核，建立考核表 19 张" in page and "考核已开启" in page
    assert 'action="/years/2019/open"' not in page
    assert sheets_of(app, 2019) == ["draft"] * 19
    assert (gate(app, 2019, "bgs"), gate(app, 2018, "bgs")) == ("szc", "rjk")
    assert (item_standard(app, 2019, "team"), item_standard(app, 2018, "team")) == ("3", "2")
    assert 'id="year-2019"' in text(client.get("/years"))


# ------------------------------------------------------------------------------ refusals


def test_a_unit_gating_itself_is_refused_by_name_keeps_the_form_and_changes_nothing(app, client):
    make_year(app)
    before = audit_count(app)
    sign_in(client)
    r = submit(client, "/years/2019/units/bgs", "/years/2019/units/bgs", gate_unit="bgs", aliases="综合办")
    page = text(r)
    assert r.status_code == 422 and "办公室不能扎口考核自己（附件1）" in page and 'class="flash flash-error"' in page
    assert 'value="综合办"' in page and '<option value="bgs" selected>' in page  # what was typed stays
    assert gate(app, 2019, "bgs") == "rjk" and audit_count(app) == before
    with app.app_context():
        assert years.unit_values(years.place_of(2019, "bgs"))["aliases"] == ["信息中心"]


@pytest.mark.parametrize("changes, says", [
    ({"leader": ""}, "办公室必须有分管领导"),
    ({"name": "人教科"}, "名称“人教科”已被2019年度的另一个单位使用"),
    ({"gate_unit": "nosuch"}, "2019年度没有代码为 nosuch 的单位"),
])
def test_a_bad_unit_change_on_the_page_names_what_is_wrong(app, client, changes, says):
    make_year(app)
    before = audit_count(app)
    r = submit(sign_in(client), "/years/2019/units/bgs", "/years/2019/units/bgs", **changes)
    assert r.status_code == 422 and says in text(r)
    assert audit_count(app) == before


@pytest.mark.parametrize("changes, says, kept", [
    ({"standard": "abc"}, "标准分值", 'value="abc"'),
    ({"standard": "0"}, "标准分值必须大于 0", 'value="0"'),
    ({"responsible": []}, "“队伍建设”必须有考核责任科室", None),
    ({"rule__id__0": "study-1"}, "计分规则编号 study-1 重复", 'value="study-1"'),
    ({"rule__text__0": "", "rule__id__0": "team-1", "rule__points__0": "1"}, "第 1 条计分规则的内容不能为空", None),
    ({"rule__kind__0": "zeroing", "rule__flat__0": "1"}, "“只扣一次”只用于按次扣分的规则", None),
])
def test_a_bad_item_change_on_the_page_names_what_is_wrong_and_keeps_the_form(app, client, changes, says, kept):
    make_year(app)
    before = audit_count(app)
    r = submit(sign_in(client), "/years/2019/items/team", "/years/2019/items/team", **changes)
    assert r.status_code == 422 and says in text(r), text(r)
    if kept:
        assert kept in text(r)
    assert audit_count(app) == before and item_standard(app, 2019, "team") == "2"


def test_a_total_of_99_keeps_the_year_closed_and_says_so(app, client):
    make_year(app)
    sign_in(client)
    assert submit(client, "/years/2019/items/team", "/years/2019/items/team", standard="1").status_code == 302
    page = text(client.get("/years/2019"))
    assert 'class="warning">合计 99 分，方案总分 100 分' in page
    r = client.post("/years/2019/open", data={})
    assert r.status_code == 422 and "合计 99 分，与方案总分 100 分不符，请先调整项目分值" in text(r)
    assert sheets_of(app, 2019) == []


def test_a_new_year_that_exists_or_is_no_year_is_refused_with_what_was_typed(app, client):
    sign_in(client)
    r = client.post("/years", data={"year": "2018", "copy_from": "2018"})
    assert r.status_code == 409 and "2018年度已经存在" in text(r) and 'value="2018"' in text(r)
    r = client.post("/years", data={"year": "二〇二〇", "copy_from": "2018"})
    assert r.status_code == 422 and "新年度必须是四位年份" in text(r) and 'value="二〇二〇"' in text(r)
    assert [y["year"] for y in _years(app)] == [2018]


def _years(app):
    with app.app_context():
        return years.list_years()


# ------------------------------------------------------------------------------ the item form


def test_rules_are_added_and_dropped_on_the_item_page(app, client):
    make_year(app)
    sign_in(client)
    page = text(client.get("/years/2019/items/team"))
    form = form_of(page, "/years/2019/items/team")
    rows = sorted(k for k in form if k.startswith("rule-id-"))
    existing = [form[k] for k in rows if form[k]]
    assert len(rows) == len(existing) + 2  # two empty rows for adding
    assert "每次扣分" in page and "不得分" in page and "目标任务" in page
    first, blank = 0, len(existing)
    form.setlist(f"rule-id-{first}", [""])  # clearing 编号 and 内容 drops a rule
    form.setlist(f"rule-text-{first}", [""])
    form.setlist(f"rule-id-{blank}", ["team-9"])
    form.setlist(f"rule-kind-{blank}", ["zeroing"])
    form.setlist(f"rule-points-{blank}", ["2"])
    form.setlist(f"rule-text-{blank}", ["新规则"])
    form.setlist("cooperating_all", ["1"])
    assert client.post("/years/2019/items/team", data=form).status_code == 302
    with app.app_context():
        values = items.item_values(scheme_or_none(2019).item("team"))
        assert [r["id"] for r in values["rules"]] == existing[1:] + ["team-9"]
        assert values["rules"][-1] == {"id": "team-9", "text": "新规则", "kind": "zeroing", "points": "2", "flat": False}
        assert values["cooperating"] == "all"
        old = items.item_values(scheme_or_none(2018).item("team"))
        assert [r["id"] for r in old["rules"]] == existing


def test_an_unchanged_form_changes_nothing_and_writes_no_audit_entry(app, client):
    make_year(app)
    before = audit_count(app)
    with app.app_context():
        study = items.item_values(scheme_or_none(2019).item("study"))
    assert any(rule["flat"] for rule in study["rules"])  # 无科室学习笔记扣2分: 只扣一次
    sign_in(client)
    assert submit(client, "/years/2019/units/bgs", "/years/2019/units/bgs").status_code == 302
    assert submit(client, "/years/2019/items/study", "/years/2019/items/study").status_code == 302
    assert audit_count(app) == before
    with app.app_context():
        assert items.item_values(scheme_or_none(2019).item("study")) == study


# ------------------------------------------------------------------------------ an opened year


def test_an_opened_years_gate_and_scheme_are_shown_fixed_and_refused(app, client):
    sign_in(client)
    page = text(client.get("/years/2018"))
    assert "扎口科室和考核方案不能再修改" in page and 'action="/years/2018/open"' not in page
    unit = text(client.get("/years/2018/units/bgs"))
    assert '<select id="gate_unit" name="gate_unit" disabled>' in unit
    r = submit(client, "/years/2018/units/bgs", "/years/2018/units/bgs", leader="leader2")
    assert r.status_code == 302  # a leader leaves mid-year: that may change
    with app.app_context():
        assert years.unit_values(years.place_of(2018, "bgs"))["leader"] == "leader2"
    r = client.post("/years/2018/units/bgs", data={"gate_unit": "szc"})
    assert r.status_code == 409 and "2018年度考核已开启，扎口科室不能再改" in text(r)
    item = text(client.get("/years/2018/items/team"))
    assert "考核方案不能再修改" in item and 'action="/years/2018/items/team"' not in item
    r = client.post("/years/2018/items/team", data={"standard": "3"})
    assert r.status_code == 409 and "2018年度考核已开启，考核方案不能再改" in text(r)
    r = client.post("/years/2018/open", data={})
    assert r.status_code == 409 and "2018年度考核已经开启" in text(r)
    assert gate(app, 2018, "bgs") == "rjk" and item_standard(app, 2018, "team") == "2"


# ------------------------------------------------------------------------------ who may


@pytest.mark.parametrize("who", OTHERS)
def test_others_read_the_year_pages_without_forms_and_every_write_is_403(app, client, who):
    make_year(app)
    before = audit_count(app)
    sign_in(client, who)
    for path in ("/years", "/years/2019", "/years/2019/units/bgs", "/years/2019/items/team"):
        r = client.get(path)
        assert r.status_code == 200, path
        assert 'action="/years' not in text(r) and 'name="csrf_token"' not in text(r).split("</header>")[1]
    assert '<a href="/years">年度管理</a>' not in text(client.get("/inbox"))  # the menu is the admin's
    for path, data in (("/years", {"year": "2020", "copy_from": "2019"}),
                       ("/years/2019/units/bgs", {"gate_unit": "szc"}),
                       ("/years/2019/units/bgs", {}),
                       ("/years/2019/items/team", {"standard": "3"}),
                       ("/years/2019/open", {})):
        assert client.post(path, data=data).status_code == 403, path
    assert audit_count(app) == before and sheets_of(app, 2019) == [] and gate(app, 2019, "bgs") == "rjk"
    assert [y["year"] for y in _years(app)] == [2018, 2019]


@pytest.mark.parametrize("path", ["/years/2031", "/years/2031/units/bgs", "/years/2018/units/nosuch",
                                  "/years/2031/items/team", "/years/2018/items/nosuch"])
def test_an_unknown_year_unit_or_item_is_404(client, path):
    sign_in(client)
    assert client.get(path).status_code == 404
    assert client.post(path, data={"name": "x"}).status_code in (404, 405)


def test_opening_an_unknown_year_is_404(client):
    sign_in(client)
    assert client.post("/years/2031/open", data={}).status_code == 404


def test_signed_out_people_are_sent_to_sign_in(client):
    for path in ("/years", "/years/2018", "/years/2018/units/bgs", "/years/2018/items/team"):
        assert client.get(path).status_code == 302
