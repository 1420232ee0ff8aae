"""People read names, not codes (issue 10, 10): the history shows who by name, the OA report
names units and people, a time typed wrongly is explained in words, not "ISO 8601"."""
import re

from flow import Flow
from test_oa import push


def signed_in(client, username):
    assert client.post("/login", data={"username": username, "password": "demo12345"}).status_code == 302
    return client


def test_the_history_names_people_not_their_login_names(api, client, sheet_id):
    flow = Flow(api, sheet_id("bgs"))
    assert flow.put_row("bgs.staff", "team", self_score="2").status_code == 200
    page = signed_in(client, "bgs").get(f"/sheets/{sheet_id('bgs')}").get_data(as_text=True)
    timeline = page[page.index("流转记录"):]
    assert re.search(r'<strong title="bgs.staff">办公室科员</strong>', timeline)
    assert ">bgs.staff<" not in timeline


def test_the_oa_report_names_units_and_people(api, client):
    assert push(api, [{"username": "szc", "signed_at": "2018-02-11T09:30:00+08:00"}]).status_code == 201
    page = signed_in(client, "bgs").get("/oa?year=2018").get_data(as_text=True)
    assert "<td>市政处</td>" in page and ">市政处负责人</td>" in page
    assert "<td>szc</td>" not in page


def test_a_badly_typed_time_is_explained_without_jargon(api):
    r = push(api, [{"username": "szc", "signed_at": None}], sent_at="去年三月")
    message = r.get_json()["error"]["message"]
    assert r.status_code == 422 and "ISO" not in message and "2018-03-05 09:30" in message
