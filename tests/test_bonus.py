"""Bonus-point applications (附件6): filed with certificates, reviewed by the gate, signed by
the target-management office (人教科 in 2018), opinion and final points by the leader."""
import io
from decimal import Decimal

import pytest

from files import tiny_jpeg, tiny_pdf, tiny_png

PNG, JPEG, PDF = tiny_png(), tiny_jpeg(), tiny_pdf()


class Bonus:
    """Drive one application through the API."""

    def __init__(self, api, unit="bgs", project="获市级文明单位称号", points="1.5"):
        self.api, self.unit = api, unit
        r = api.as_(f"{unit}.staff").post("/api/v1/bonus-applications",
                                          json={"year": 2018, "project": project, "points_requested": points})
        assert r.status_code == 201, r.get_json()
        self.id = r.get_json()["id"]

    def get(self, who="admin"):
        r = self.api.as_(who).get(f"/api/v1/bonus-applications/{self.id}")
        assert r.status_code == 200, r.get_json()
        return r.get_json()

    @property
    def version(self):
        return self.get()["version"]

    def upload(self, who=None, data=PNG, name="证书.png"):
        return self.api.as_(who or f"{self.unit}.staff").post(
            f"/api/v1/bonus-applications/{self.id}/attachments",
            data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")

    def act(self, who, action, **payload):
        payload.setdefault("version", self.version)
        return self.api.as_(who).post(f"/api/v1/bonus-applications/{self.id}/actions/{action}", json=payload)

    def ok(self, r, status=200):
        assert r.status_code == status, r.get_json()
        return r.get_json()


def to_final(b, gate="rjk", leader="leader1", proposed="1", **sign):
    assert b.upload().status_code == 201
    b.ok(b.act(b.unit, "submit"))
    b.ok(b.act(gate, "approve", points_proposed=proposed))
    b.ok(b.act("rjk", "sign"))
    return b.ok(b.act(leader, "sign", opinion=sign.pop("opinion", "同意"), **sign))


@pytest.fixture
def app_b(api):
    return Bonus(api)


def test_a_member_files_a_draft_for_its_own_unit(app_b):
    a = app_b.get("bgs")
    assert (a["unit"], a["year"], a["state"], a["project"], a["points_requested"]) == (
        "bgs", 2018, "draft", "获市级文明单位称号", "1.5")
    assert a["points_proposed"] is None and a["points_granted"] is None and a["attachments"] == []
    assert a["allowed_actions"] == []  # no certificate yet


def test_bureau_accounts_file_nothing(api):
    r = api.as_("leader1").post("/api/v1/bonus-applications", json={"year": 2018, "project": "x",
                                                                   "points_requested": 1})
    assert r.status_code == 403


@pytest.mark.parametrize("payload, status", [
    ({"project": "x", "points_requested": 1}, 400),
    ({"year": "2018", "project": "x", "points_requested": 1}, 400),
    ({"year": 1999, "project": "x", "points_requested": 1}, 422),
    ({"year": 2018, "project": "", "points_requested": 1}, 422),
    ({"year": 2018, "project": "x", "points_requested": 0}, 422),
    ({"year": 2018, "project": "x", "points_requested": "1.255"}, 422),
])
def test_bad_new_applications(api, payload, status):
    assert api.as_("bgs").post("/api/v1/bonus-applications", json=payload).status_code == status


def test_a_certificate_is_required_to_submit(app_b):
    r = app_b.act("bgs", "submit")
    assert r.status_code == 422 and "证书" in r.get_json()["error"]["message"]


@pytest.mark.parametrize("data, name, kind, kept", [
    (PNG, "奖状.png", "image/png", "奖状.png"), (JPEG, "证书.JPG", "image/jpeg", "证书.JPG"),
    (PDF, "获奖证书（2018）.pdf", "application/pdf", "获奖证书（2018）.pdf"),
    (PNG, "certificate.pdf", "image/png", "certificate.pdf.png"),  # the name lied: the true type is added
    (PNG, "../../home/王/证书", "image/png", "证书.png"),
    (PDF, "长" * 500 + ".pdf", "application/pdf", "长" * 120 + ".pdf"),
])
def test_certificates_are_typed_by_content_and_keep_their_names(app_b, data, name, kind, kept):
    att = app_b.ok(app_b.upload(data=data, name=name), 201)
    assert (att["filename"], att["content_type"], att["size"]) == (kept, kind, len(data))


def test_one_file_per_upload(app_b):
    r = app_b.api.as_("bgs").post(f"/api/v1/bonus-applications/{app_b.id}/attachments",
                                  content_type="multipart/form-data",
                                  data={"file": [(io.BytesIO(PNG), "a.png"), (io.BytesIO(PNG), "b.png")]})
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "too_many_files"


def test_a_file_exactly_at_the_limit_is_accepted(app, app_b):
    app.config["UPLOAD_LIMIT_BYTES"] = 1024
    assert app_b.upload(data=PNG + b"\x00" * (1024 - len(PNG))).status_code == 201
    assert app_b.upload(data=PNG + b"\x00" * (1025 - len(PNG))).status_code == 413


@pytest.mark.parametrize("data, name", [(b"<html><script>alert(1)</script>", "证书.png"),
                                        (b"GIF89a......", "x.gif"), (b"", "empty.pdf"),
                                        (b"MZ\x90\x00", "证书.pdf")])
def test_other_content_is_refused_whatever_its_name(app_b, data, name):
    r = app_b.upload(data=data, name=name)
    assert r.status_code == 422 and r.get_json()["error"]["code"] in ("invalid_file", "empty_file")


def test_uploads_past_the_limit_are_413(app, app_b):
    app.config["UPLOAD_LIMIT_BYTES"] = 1024
    r = app_b.upload(data=PNG + b"\x00" * 4096)
    assert r.status_code == 413 and r.get_json()["error"]["code"] == "too_large"


def test_a_missing_file_field_is_422(app_b):
    r = app_b.api.as_("bgs").post(f"/api/v1/bonus-applications/{app_b.id}/attachments", data={},
                                  content_type="multipart/form-data")
    assert r.status_code == 422


def test_downloads_carry_the_original_name_and_nosniff(app_b):
    att = app_b.ok(app_b.upload(data=PDF, name="获奖证书.pdf"), 201)
    r = app_b.api.as_("bgs").get(f"/api/v1/attachments/{att['id']}")
    assert r.status_code == 200 and r.data == PDF and r.mimetype == "application/pdf"
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    disposition = r.headers["Content-Disposition"]
    assert disposition.startswith("attachment") and "filename*=UTF-8''%E8%8E%B7%E5%A5%96" in disposition
    assert 'filename="download.pdf"' in disposition  # a readable fallback for clients without RFC 5987


def test_only_those_who_may_see_the_application_download(app_b):
    att = app_b.ok(app_b.upload(), 201)
    for who, status in [("bgs.staff", 200), ("rjk", 200), ("leader2", 200), ("director", 200),
                        ("szc", 404), ("gysyk", 404)]:
        assert app_b.api.as_(who).get(f"/api/v1/attachments/{att['id']}").status_code == status, who


def test_only_the_unit_uploads_and_only_in_draft(app_b):
    assert app_b.upload(who="rjk").status_code == 403
    assert app_b.upload(who="szc").status_code == 404
    app_b.upload()
    app_b.ok(app_b.act("bgs", "submit"))
    assert app_b.upload(who="bgs").status_code == 409


def test_the_whole_path_to_final_points(app_b):
    a = to_final(app_b, proposed="1", points_granted="1.5", opinion="成绩突出，同意加分")
    assert (a["state"], a["points_proposed"], a["points_granted"], a["opinion"]) == (
        "final", "1", "1.5", "成绩突出，同意加分")
    assert set(a["signoffs"]) == {"unit_head", "gate", "responsible_office", "leader"}
    steps = app_b.api.as_("bgs").get(f"/api/v1/bonus-applications/{app_b.id}/history").get_json()["items"]
    moves = [(s["who"], s["capacity"], s["action"], s["to_state"]) for s in steps if s["action"] != "edit"]
    assert moves == [("bgs", "unit_head", "submit", "gate_review"), ("rjk", "gate", "approve", "responsible_sign"),
                     ("rjk", "responsible_office", "sign", "leader_sign"), ("leader1", "leader", "sign", "final")]


def test_granted_points_default_to_the_proposed_ones(app_b):
    assert to_final(app_b, proposed="0.5")["points_granted"] == "0.5"


def test_the_gate_of_attachment_1_reviews_and_must_propose_points(api):
    b = Bonus(api, unit="szc")
    b.upload()
    b.ok(b.act("szc", "submit"))
    assert b.act("rjk", "approve", points_proposed="1").status_code == 403  # 人教科 does not gate 市政处
    r = b.act("gysyk", "approve")
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "points_required"
    assert b.ok(b.act("gysyk", "approve", points_proposed=1))["state"] == "responsible_sign"
    assert b.act("dwb", "sign").status_code == 403  # only the target-management office signs
    b.ok(b.act("rjk", "sign"))
    assert b.act("leader1", "sign", opinion="同意").status_code == 403  # 市政处 is leader3's
    assert b.ok(b.act("leader3", "sign", opinion="同意"))["state"] == "final"


def test_the_leaders_opinion_is_required_and_zero_points_need_it(app_b):
    app_b.upload()
    app_b.ok(app_b.act("bgs", "submit"))
    app_b.ok(app_b.act("rjk", "approve", points_proposed="1"))
    app_b.ok(app_b.act("rjk", "sign"))
    r = app_b.act("leader1", "sign", points_granted=0)
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "opinion_required"
    a = app_b.ok(app_b.act("leader1", "sign", points_granted=0, opinion="证书级别不符合加分条件"))
    assert a["points_granted"] == "0" and a["state"] == "final"


def test_returns_need_a_reason_and_withdraw_stops_once_the_gate_acts(app_b):
    app_b.upload()
    app_b.ok(app_b.act("bgs", "submit"))
    assert app_b.ok(app_b.act("bgs", "withdraw"))["state"] == "draft"
    app_b.ok(app_b.act("bgs", "submit"))
    r = app_b.api.as_("rjk.staff").put(f"/api/v1/bonus-applications/{app_b.id}",
                                        json={"version": app_b.version, "points_proposed": "1"})
    assert r.status_code == 200
    assert app_b.act("bgs", "withdraw").status_code == 409
    assert app_b.act("rjk", "return").status_code == 422
    assert app_b.ok(app_b.act("rjk", "return", comment="证书不清晰"))["state"] == "draft"


def test_stale_versions_are_409(app_b):
    old = app_b.version
    app_b.ok(app_b.api.as_("bgs").put(f"/api/v1/bonus-applications/{app_b.id}",
                                       json={"version": old, "project": "获省级奖励"}))
    r = app_b.api.as_("bgs").put(f"/api/v1/bonus-applications/{app_b.id}", json={"version": old, "project": "x"})
    assert r.status_code == 409


def test_bonus_counts_only_from_final_applications(api, sheet_id):
    sid = sheet_id("bgs")
    first, second = Bonus(api), Bonus(api, project="获省级表彰", points="2")
    to_final(first, proposed="1")
    second.upload()
    second.ok(second.act("bgs", "submit"))  # not final: counts nothing
    sheet = api.as_("bgs").get(f"/api/v1/sheets/{sid}").get_json()
    assert sheet["bonus"] == "1" and Decimal(sheet["total"]) == Decimal(sheet["subtotal"]) + 1
    second.ok(second.act("rjk", "approve", points_proposed="0.5"))
    second.ok(second.act("rjk", "sign"))
    second.ok(second.act("leader1", "sign", opinion="同意"))
    assert api.as_("bgs").get(f"/api/v1/sheets/{sid}").get_json()["bonus"] == "1.5"
    second.ok(second.act("admin", "reopen", comment="复核"))
    assert api.as_("bgs").get(f"/api/v1/sheets/{sid}").get_json()["bonus"] == "1"


def test_a_years_cap_limits_the_bonus(app, api, sheet_id):
    from kaohe_flow.extensions import db
    from kaohe_flow.scheme.models import YearSettingsRow

    with app.app_context():  # the cap is a setting of the year
        row = db.session.get(YearSettingsRow, 2018)
        row.values = {**row.values, "bonus_cap": "1"}
        db.session.commit()
    to_final(Bonus(api, points="3"), proposed="3")
    assert api.as_("bgs").get(f"/api/v1/sheets/{sheet_id('bgs')}").get_json()["bonus"] == "1"


def test_visibility_and_the_inbox(app_b, api):
    app_b.upload()
    app_b.ok(app_b.act("bgs", "submit"))
    assert [a["id"] for a in api.as_("szc").get("/api/v1/bonus-applications?year=2018").get_json()["items"]] == []
    assert api.as_("szc").get(f"/api/v1/bonus-applications/{app_b.id}").status_code == 404
    inbox = api.as_("rjk").get("/api/v1/inbox").get_json()["items"]
    assert {"kind": "bonus", "id": app_b.id, "unit": "bgs", "year": 2018, "state": "gate_review",
            "action": "approve", "due": None, "overdue": False, "returned": False} in inbox


def test_removing_a_certificate_from_a_draft(app_b):
    att = app_b.ok(app_b.upload(), 201)
    a = app_b.ok(app_b.api.as_("bgs").delete(f"/api/v1/attachments/{att['id']}"))
    assert a["attachments"] == []
    assert app_b.api.as_("bgs").get(f"/api/v1/attachments/{att['id']}").status_code == 404


def test_the_application_as_attachment_6_in_pdf(app_b):
    from pypdf import PdfReader

    a = to_final(app_b, proposed="1", opinion="同意加1分")
    r = app_b.api.as_("bgs").get(f"/api/v1/bonus-applications/{app_b.id}/export.pdf")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    reader = PdfReader(io.BytesIO(r.data))
    text = "".join(page.extract_text() for page in reader.pages).replace(" ", "")
    for expected in ("考核附加分申报表", "办公室", "获市级文明单位称号", "证书.png", "同意加1分", "最终赋分",
                     "主要负责人签字", "办公室负责人", "王建国"):
        assert expected in text, expected
    assert a["points_granted"] == "1"
    assert round(float(reader.pages[0].mediabox.width)) == 595  # A4
    assert app_b.api.as_("szc").get(f"/api/v1/bonus-applications/{app_b.id}/export.pdf").status_code == 404


def test_the_pdf_carries_the_certificates_themselves(app_b):
    """附件6 申报项目（附获奖证书）: an image certificate on a page of its own after the form, a PDF
    certificate's pages appended (issue 10, 12)."""
    from pypdf import PdfReader

    app_b.ok(app_b.upload(data=PNG, name="市级文明单位证书.png"), 201)
    app_b.ok(app_b.upload(data=PDF, name="表彰文件.pdf"), 201)
    r = app_b.api.as_("bgs").get(f"/api/v1/bonus-applications/{app_b.id}/export.pdf")
    reader = PdfReader(io.BytesIO(r.data))
    pages = ["".join(p.extract_text().split()) for p in reader.pages]
    form_pages = len(PdfReader(io.BytesIO(PDF)).pages)
    assert len(pages) == 2 + form_pages  # the form, the image's page, the PDF's pages
    assert "市级文明单位证书.png（见后附第1页）" in pages[0] and "表彰文件.pdf（PDF，附于本表之后）" in pages[0]
    assert "附获奖证书1：市级文明单位证书.png" in pages[1]
    assert reader.pages[1].images, "the certificate image is on its page"
    page = app_b.api.client
    page.post("/login", data={"username": "bgs", "password": "demo12345"})
    html = page.get(f"/bonus/{app_b.id}/print").get_data(as_text=True)
    assert '<img src="/attachments/' in html and "附获奖证书 1：市级文明单位证书.png" in html


def test_no_withdraw_once_the_gate_has_approved(app_b):
    app_b.upload()
    app_b.ok(app_b.act("bgs", "submit"))
    app_b.ok(app_b.act("rjk", "approve", points_proposed="1"))
    app_b.ok(app_b.act("rjk", "return", comment="请补充证书原件"))
    assert "withdraw" not in app_b.get("bgs")["allowed_actions"]
    r = app_b.act("bgs", "withdraw")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "gate_has_acted"


def test_a_reopened_application_prints_no_stale_decision(app_b):
    from pypdf import PdfReader

    to_final(app_b, proposed="1", opinion="同意加1分")
    app_b.ok(app_b.act("admin", "reopen", comment="证书存疑"))
    r = app_b.api.as_("bgs").get(f"/api/v1/bonus-applications/{app_b.id}/export.pdf")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(r.data)).pages)
    assert "同意加1分" not in text


@pytest.mark.parametrize("points", ["1e3", "1E2", "101", "0x1"])
def test_points_are_plain_decimals_within_reason(api, points):
    r = api.as_("bgs").post("/api/v1/bonus-applications", json={"year": 2018, "project": "x",
                                                                 "points_requested": points})
    assert r.status_code == 422


def test_the_edit_of_someone_who_never_may_is_403_whatever_the_body(app_b):
    r = app_b.api.as_("director").put(f"/api/v1/bonus-applications/{app_b.id}", json={"version": 1})
    assert r.status_code == 403
