"""The OA report and the information report at district scale (issue 11): their long lists are
shown a hundred rows a page (`?page=`, 上一页/下一页, "第 N / M 页，共 K 条"), in the report's
order and with the other query arguments kept; the OA list can be narrowed to a result or a
unit; the API answers stay whole and keep their shape (CONTRACT.md)."""
import csv
import io
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from test_oa import push, report
from test_oa_people import add_staff

YEAR = 2018
SIGNED_LATE = "2018-03-{day:02d}T17:00:00+08:00"  # a meeting notice sent 09:00 the day before
DAYS = (5, 6, 7)  # Monday to Wednesday, each day one meeting notice


def login(client, username):
    assert client.post("/login", data={"username": username, "password": "demo12345"}).status_code == 302


def three_notices(api):
    """135 recipients on three meeting notices: per notice 43 outsiders who signed at once, szc
    late (the next day) and rgz never (no client)."""
    for day in DAYS:
        sent = f"2018-03-{day:02d}T09:00:00+08:00"
        guests = [{"username": f"guest-{day}-{n:02d}", "external": True,
                   "signed_at": f"2018-03-{day:02d}T09:30:00+08:00"} for n in range(43)]
        r = push(api, guests + [{"username": "szc", "signed_at": SIGNED_LATE.format(day=day + 1)},
                                {"username": "rgz", "signed_at": None}],
                 title=f"关于{day}日会议的通知", sent_at=sent)
        assert r.status_code == 201, r.get_json()


def section(html: str, heading: str) -> str:
    start = html.index(heading)
    return html[start:html.index("</section>", start)]


def listed_recipients(client, query: str) -> tuple[list[str], str]:
    """The recipients' usernames on the OA page asked with `query`, in order, and the list's part
    of the page."""
    r = client.get(f"/oa?year={YEAR}{query}")
    assert r.status_code == 200
    part = section(r.get_data(as_text=True), "<h2>签收明细</h2>")
    return re.findall(r'<td title="([^"]*)">', part), part


def pager_links(part: str) -> dict[str, dict]:
    """rel (prev, next) → the link's query arguments."""
    return {rel: parse_qs(urlsplit(href.replace("&amp;", "&")).query)
            for href, rel in re.findall(r'<a href="([^"]+)" rel="(prev|next)">', part)}


@pytest.fixture
def notices(api, client):
    three_notices(api)
    login(client, "bgs")
    return [r["username"] for r in report(api)["recipients"]]


def test_the_oa_list_shows_a_hundred_rows_a_page_in_the_reports_order(notices, client):
    assert len(notices) == 135
    first, part = listed_recipients(client, "")
    assert first == notices[:100]
    assert "第 1 / 2 页，共 135 条" in part and "下一页" in part
    assert pager_links(part) == {"next": {"year": [str(YEAR)], "page": ["2"]}}
    second, part = listed_recipients(client, "&page=2")
    assert second == notices[100:]
    assert "第 2 / 2 页，共 135 条" in part
    assert pager_links(part) == {"prev": {"year": [str(YEAR)]}}


def test_a_page_past_the_end_shows_the_last_and_nonsense_shows_the_first(notices, client):
    assert listed_recipients(client, "&page=9")[0] == notices[100:]
    assert listed_recipients(client, "&page=abc")[0] == notices[:100]
    assert listed_recipients(client, "&page=-3")[0] == notices[:100]


def test_the_oa_list_narrowed_to_the_cases_charged_keeps_the_filter_on_its_pages(notices, client, api):
    charged = [r["username"] for r in report(api)["recipients"] if r["status"] in ("late", "no_client")]
    assert charged == ["szc", "rgz"] * 3
    assert listed_recipients(client, "&status=problems")[0] == charged
    assert listed_recipients(client, "&status=late")[0] == ["szc"] * 3
    assert listed_recipients(client, "&status=no_client&unit=rgz")[0] == ["rgz"] * 3
    assert listed_recipients(client, "&unit=szc")[0] == ["szc"] * 3
    # An unknown result or unit is no filter at all.
    assert listed_recipients(client, "&status=whatever&unit=nobody")[0] == notices[:100]
    _rows, part = listed_recipients(client, "&status=on_time")
    assert "共 129 条" in part and pager_links(part)["next"] == {
        "year": [str(YEAR)], "status": ["on_time"], "page": ["2"]}


def test_the_unit_summary_stays_whole_and_names_link_to_the_units_rows(notices, client):
    page = client.get(f"/oa?year={YEAR}&page=2").get_data(as_text=True)
    summary = section(page, "<h2>各科室扣分</h2>")
    assert f'href="/oa?year={YEAR}&amp;unit=szc"' in summary and f'href="/oa?year={YEAR}&amp;unit=rgz"' in summary


def test_a_unit_pages_through_its_own_rows_only(notices, client):
    login(client, "szc")
    assert listed_recipients(client, "")[0] == ["szc"] * 3
    assert listed_recipients(client, "&unit=rgz")[0] == []


def test_an_excuse_given_on_a_page_returns_to_that_page_and_filter(notices, client, api):
    login(client, "bgs.staff")
    row = next(r for r in report(api)["recipients"] if r["username"] == "szc")
    r = client.post(f"/oa/documents/{row['document']}/excuse?year={YEAR}&page=2&status=problems&unit=szc",
                    data={"recipient": str(row["recipient"]), "reason": "因公外出"})
    assert r.status_code == 302
    assert parse_qs(urlsplit(r.headers["Location"]).query) == {
        "year": [str(YEAR)], "page": ["2"], "status": ["problems"], "unit": ["szc"]}
    assert next(x for x in report(api)["recipients"] if x["recipient"] == row["recipient"])["status"] == "excused"


def test_a_list_that_fits_on_one_page_shows_no_pager(api, client):
    push(api, [{"username": "szc", "signed_at": "2018-02-12T10:00:00+08:00"}])
    login(client, "bgs")
    rows, part = listed_recipients(client, "")
    assert rows == ["szc"] and "上一页" not in part and "第 1 / 1 页" not in part


def test_the_oa_report_api_answers_every_row_in_the_contracts_shape(notices, api):
    add_staff(api, "张伟")
    did = push(api, [{"name": "张伟", "unit": "kfb", "signed_at": "2018-03-12T10:00:00+08:00"}],
               title="关于检查的通知", kind="other", sent_at="2018-03-12T09:00:00+08:00").get_json()["id"]
    found = report(api)
    assert len(found["recipients"]) == 136  # no pages in the API
    rows = {(r["document"], r["name"]): r for r in found["recipients"]}
    staff = rows[(did, "张伟")]
    assert staff == {"document": did, "title": "关于检查的通知", "kind": "other", "recipient": staff["recipient"],
                     "username": None, "name": "张伟", "external": False, "unit": "kfb",
                     "sent_at": "2018-03-12T09:00:00+08:00", "signed_at": "2018-03-12T10:00:00+08:00",
                     "working_minutes": 60, "limit_minutes": 480, "status": "on_time", "excused_reason": None}
    first = found["recipients"][0]
    assert first == {"document": first["document"], "title": "关于5日会议的通知", "kind": "meeting",
                     "recipient": first["recipient"], "username": "guest-5-00", "name": "guest-5-00",
                     "external": True, "unit": None, "sent_at": "2018-03-05T09:00:00+08:00",
                     "signed_at": "2018-03-05T09:30:00+08:00", "working_minutes": 30, "limit_minutes": 180,
                     "status": "on_time", "excused_reason": None}
    late = next(r for r in found["recipients"] if r["username"] == "szc")
    assert late == {"document": first["document"], "title": "关于5日会议的通知", "kind": "meeting",
                    "recipient": late["recipient"], "username": "szc", "name": "市政处负责人", "external": False,
                    "unit": "szc", "sent_at": "2018-03-05T09:00:00+08:00", "signed_at": "2018-03-06T17:00:00+08:00",
                    "working_minutes": 840, "limit_minutes": 180, "status": "late", "excused_reason": None}
    assert found["units"] == [  # units with recipients, in the org chart's order
        {"unit": "szc", "late": 3, "no_client": 0, "excused": 0, "points": "1.5"},
        {"unit": "rgz", "late": 0, "no_client": 3, "excused": 0, "points": "3"},
        {"unit": "kfb", "late": 0, "no_client": 0, "excused": 0, "points": "0"},
    ]


# ------------------------------------------------------------------------------ information items

HEAD = ["单位", "标题", "录用日期"]


def import_items(api, unit: str, count: int, prefix: str):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEAD)
    for n in range(count):
        writer.writerow([unit, f"{prefix}第{n:03d}条", f"2018-{1 + n % 4:02d}-{1 + n % 28:02d}"])
    r = api.as_("bgs.staff").post("/api/v1/info-items/import",
                                  data={"file": (io.BytesIO(out.getvalue().encode()), "items.csv")},
                                  content_type="multipart/form-data")
    assert r.status_code == 201, r.get_json()


def listed_items(client, query: str) -> tuple[list[str], str]:
    r = client.get(f"/info?year={YEAR}{query}")
    assert r.status_code == 200
    part = section(r.get_data(as_text=True), 'id="info-item-list"')
    return re.findall(r"<td>((?:市政处|人事科)动态第\d{3}条)</td>", part), part


def test_the_information_list_shows_a_hundred_items_a_page_in_the_apis_order(api, client):
    import_items(api, "szc", 110, "市政处动态")
    import_items(api, "rgz", 10, "人事科动态")
    everything = [i["title"] for i in api.as_("director").get(f"/api/v1/info-items?year={YEAR}").get_json()["items"]]
    assert len(everything) == 120  # the API answers every item
    login(client, "director")
    first, part = listed_items(client, "")
    assert first == everything[:100] and "已录入的信息（120 条）" in part and "第 1 / 2 页，共 120 条" in part
    assert pager_links(part) == {"next": {"year": [str(YEAR)], "page": ["2"]}}
    second, part = listed_items(client, "&page=2")
    assert second == everything[100:]
    assert pager_links(part) == {"prev": {"year": [str(YEAR)]}}


def test_the_information_list_of_one_unit(api, client):
    import_items(api, "szc", 110, "市政处动态")
    import_items(api, "rgz", 10, "人事科动态")
    login(client, "director")
    rows, part = listed_items(client, "&unit=rgz")
    assert rows == [i["title"] for i in api.as_("director").get(f"/api/v1/info-items?year={YEAR}&unit=rgz")
                    .get_json()["items"]]
    assert len(rows) == 10 and "第 1 / 1 页" not in part  # one page: no pager
    page = client.get(f"/info?year={YEAR}").get_data(as_text=True)
    assert f'href="/info?year={YEAR}&amp;unit=rgz#info-item-list"' in section(page, 'id="info-months"')


def test_a_unit_reads_only_its_own_items_page_by_page(api, client):
    import_items(api, "szc", 110, "市政处动态")
    login(client, "szc")
    rows, part = listed_items(client, "&page=2")
    assert len(rows) == 10 and "共 110 条" in part
    login(client, "rgz")
    assert listed_items(client, "")[0] == []


def test_a_refused_entry_draws_the_list_with_links_to_the_report_page(notices, client, api):
    """A form refused on the OA or information page draws the page again at the form's address
    (which answers POST only); its pager still leads to the report's own page."""
    login(client, "bgs.staff")
    r = client.post(f"/oa?year={YEAR}", data={"title": "", "kind": "meeting", "sent_at": "", "recipients": "szc"})
    assert r.status_code == 422
    part = section(r.get_data(as_text=True), "<h2>签收明细</h2>")
    assert f'<a href="/oa?year={YEAR}&amp;page=2" rel="next">' in part
    import_items(api, "szc", 110, "市政处动态")
    r = client.post("/info/items", data={"year": str(YEAR), "unit": "szc", "title": "", "adopted_on": "2018-03-05"})
    assert r.status_code == 422
    assert f'<a href="/info?year={YEAR}&amp;page=2" rel="next">' in section(r.get_data(as_text=True),
                                                                           'id="info-item-list"')
