"""The bonus application pages (附件6): filing, certificates with previews, the leader's opinion."""
import io
import re

from files import tiny_png

PNG = tiny_png()


def login(client, username):
    assert client.post("/login", data={"username": username, "password": "demo12345"}).status_code == 302


def version_of(html):
    return re.search(r'name="version" value="(\d+)"', html).group(1)


def new_application(client, project="获市级文明单位称号", points="1.5"):
    r = client.post("/bonus", data={"year": "2018", "project": project, "points_requested": points})
    assert r.status_code == 302
    return int(r.headers["Location"].rsplit("/", 1)[-1])


def upload(client, bid, data=PNG, name="证书.png"):
    html = client.get(f"/bonus/{bid}").get_data(as_text=True)
    return client.post(f"/bonus/{bid}/attachments", content_type="multipart/form-data",
                       data={"version": version_of(html), "file": (io.BytesIO(data), name)})


def test_a_member_files_an_application_with_a_certificate(client):
    login(client, "bgs.staff")
    bid = new_application(client)
    assert upload(client, bid).status_code == 302
    html = client.get(f"/bonus/{bid}").get_data(as_text=True)
    for caption in ("考核附加分申报表", "申报单位", "申报项目", "附获奖证书", "局分管领导意见", "最终赋分", "主要负责人签字"):
        assert caption in html
    assert "获市级文明单位称号" in html and "证书.png" in html
    assert 'src="/attachments/' in html and "inline=1" in html  # the image is previewed
    assert "确认提交" not in html  # the head signs for the unit


def test_a_wrong_file_is_refused_on_the_page_with_the_reason(client):
    login(client, "bgs.staff")
    bid = new_application(client)
    r = upload(client, bid, data=b"<script>alert(1)</script>", name="证书.png")
    assert r.status_code == 422 and "只接受 PDF、PNG 或 JPEG" in r.get_data(as_text=True)


def test_a_bad_new_application_keeps_what_was_typed(client):
    login(client, "bgs.staff")
    r = client.post("/bonus", data={"year": "2018", "project": "获省级表彰", "points_requested": "abc"})
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and "获省级表彰" in html and 'value="abc"' in html


def test_the_path_through_the_pages_to_final_points(client):
    login(client, "bgs.staff")
    bid = new_application(client)
    upload(client, bid)
    client.post("/logout")
    steps = [("bgs", "submit", {}), ("rjk", "approve", {"points_proposed": "1"}), ("rjk", "sign", {}),
             ("leader1", "sign", {"opinion": "同意加分", "points_granted": "1"})]
    for who, action, fields in steps:
        login(client, who)
        html = client.get(f"/bonus/{bid}").get_data(as_text=True)
        assert f"确认{ {'submit': '提交', 'approve': '审核通过', 'sign': '签字'}[action] }" in html
        r = client.post(f"/bonus/{bid}/actions/{action}", data={"version": version_of(html), **fields})
        assert r.status_code == 302, r.get_data(as_text=True)
        client.post("/logout")
    login(client, "bgs")
    html = client.get(f"/bonus/{bid}").get_data(as_text=True)
    assert 'data-state="final"' in html and "同意加分" in html and 'id="points-granted">1<' in html
    assert "修改 最终赋分" in html


def test_the_leader_must_give_an_opinion(client, api):
    from test_bonus import Bonus

    b = Bonus(api)
    b.upload()
    b.ok(b.act("bgs", "submit"))
    b.ok(b.act("rjk", "approve", points_proposed="1"))
    b.ok(b.act("rjk", "sign"))
    login(client, "leader1")
    html = client.get(f"/bonus/{b.id}").get_data(as_text=True)
    r = client.post(f"/bonus/{b.id}/actions/sign", data={"version": version_of(html), "points_granted": "0"})
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and "请填写局分管领导意见" in html and 'value="0"' in html


def test_others_do_not_see_the_application_or_its_certificates(client, api):
    from test_bonus import Bonus

    b = Bonus(api)
    att = b.ok(b.upload(), 201)
    login(client, "szc")
    assert client.get(f"/bonus/{b.id}").status_code == 404
    assert client.get(f"/attachments/{att['id']}").status_code == 404
    assert "获市级文明单位称号" not in client.get("/bonus").get_data(as_text=True)


def test_the_inbox_lists_applications_waiting_for_me(client, api):
    from test_bonus import Bonus

    b = Bonus(api)
    b.upload()
    login(client, "bgs")
    assert "附加分申报" in client.get("/inbox").get_data(as_text=True)
