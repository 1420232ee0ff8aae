"""Certificates and evidence are parsed, not sniffed (CONTRACT.md, "Safe on the network"): a PDF
must open with pypdf, an image must decode with Pillow as the type its bytes claim, nothing may
also be HTML, and a record carries at most 20 files (the setting MAX_FILES_PER_RECORD)."""
import hashlib
import io
import re

import pytest
from PIL import Image, PngImagePlugin
from pypdf import PdfReader, PdfWriter

from conftest import YEAR
from files import tiny_jpeg, tiny_pdf, tiny_png
from kaohe_flow.bonus import service as bonus_service
from kaohe_flow.bonus.models import Attachment
from kaohe_flow.extensions import db
from kaohe_flow.ledger import service as ledger_service
from kaohe_flow.org.models import User

UNREADABLE = "文件无法识别为 PDF、PNG 或 JPEG 图片"
SCRIPT = b"<html><script>alert(document.cookie)</script></html>"


def pdf_with_html_in_a_comment() -> bytes:
    """A valid PDF (offsets right, pypdf reads its page) whose second line, a PDF comment, is
    also an HTML page: the classic PDF/HTML polyglot."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << >> >>"]
    out = bytearray(b"%PDF-1.4\n%" + SCRIPT + b"\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (n, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def png_with_html_in_a_text_chunk() -> bytes:
    """A valid PNG (Pillow decodes it) carrying an HTML page in a tEXt chunk."""
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", SCRIPT.decode())
    out = io.BytesIO()
    Image.new("RGB", (4, 4)).save(out, "PNG", pnginfo=info)
    return out.getvalue()


def encrypted_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def user(username: str) -> User:
    return db.session.scalar(db.select(User).filter_by(username=username))


def add_files(n: int, **owner):
    """`n` stored attachments for an application or a record, written straight to the database."""
    data = tiny_png()
    for i in range(n):
        db.session.add(Attachment(filename=f"证书{i}.png", content_type="image/png", size=len(data),
                                  sha256=hashlib.sha256(data).hexdigest(), data=data,
                                  uploaded_by_id=user("bgs.staff").id, **owner))
    db.session.commit()


@pytest.fixture
def draft(app):
    """A draft bonus application of 办公室, and how to upload a certificate to it."""
    with app.app_context():
        application = bonus_service.create(user("bgs.staff"), {"year": YEAR, "project": "获市级文明单位称号",
                                                              "points_requested": "1.5"})
        return application.id


@pytest.fixture
def record(app):
    """A manual deduction record 办公室 entered against 市政处."""
    with app.app_context():
        entered = ledger_service.create(user("bgs.staff"), {"year": YEAR, "unit": "szc", "rule": "info_mgmt-3",
                                                           "count": 1, "date": "2018-03-05", "note": "OA流程未及时回复"})
        return entered.id


def certificate(api, bid, data, name="证书.png", who="bgs.staff"):
    return api.as_(who).post(f"/api/v1/bonus-applications/{bid}/attachments", content_type="multipart/form-data",
                             data={"file": (io.BytesIO(data), name)})


def evidence(api, rid, data, name="督查通报.pdf", who="bgs.staff"):
    return api.as_(who).post(f"/api/v1/deductions/{rid}/evidence", content_type="multipart/form-data",
                             data={"file": (io.BytesIO(data), name)})


def refused(r, code: str) -> str:
    assert r.status_code == 422, r.get_data(as_text=True)
    error = r.get_json()["error"]
    assert error["code"] == code
    return error["message"]


# ------------------------------------------------------------------ what a file is


@pytest.mark.parametrize("data, name, kind", [
    (tiny_pdf(), "获奖证书.pdf", "application/pdf"),
    (tiny_png(), "奖状.png", "image/png"),
    (tiny_jpeg(), "证书.jpg", "image/jpeg"),
])
def test_a_real_pdf_png_or_jpeg_is_accepted(api, draft, data, name, kind):
    r = certificate(api, draft, data, name)
    assert r.status_code == 201 and r.get_json()["content_type"] == kind and r.get_json()["filename"] == name


def test_a_jpeg_named_png_is_kept_as_the_jpeg_it_is(api, draft):
    r = certificate(api, draft, tiny_jpeg(), "证书.png")
    assert r.status_code == 201
    assert (r.get_json()["content_type"], r.get_json()["filename"]) == ("image/jpeg", "证书.png.jpg")


@pytest.mark.parametrize("data", [
    b"%PDF-1.4\n" + b"\x00garbage\xff" * 200,  # a PDF header and nothing a reader can open
    tiny_pdf()[: len(tiny_pdf()) // 2],  # cut off before its cross-reference table
    b"\x89PNG\r\n\x1a\n" + b"\x00" * 64,  # a PNG signature and no image
    tiny_png()[:-20],  # cut off before IEND
    b"\xff\xd8\xff\xe0" + b"\x00" * 64,  # a JPEG marker and no image
    tiny_jpeg()[: len(tiny_jpeg()) // 2],  # half a JPEG
    b"GIF89a\x01\x00\x01\x00\x00\x00\x00;",  # another format altogether
    SCRIPT,  # a page, whatever its name says
])
def test_a_file_that_does_not_parse_as_what_it_claims_is_refused(api, draft, data):
    assert UNREADABLE in refused(certificate(api, draft, data), "invalid_file")


def test_a_pdf_that_is_also_an_html_page_is_refused(api, draft):
    polyglot = pdf_with_html_in_a_comment()
    assert len(PdfReader(io.BytesIO(polyglot), strict=True).pages) == 1  # a PDF reader is happy with it
    assert b"<html><script>" in polyglot[:1024]  # and so would be a browser sniffing it
    refused(certificate(api, draft, polyglot, "证书.pdf"), "invalid_file")


def test_a_pdf_header_followed_by_an_html_page_is_refused(api, draft):
    polyglot = b"%PDF-1.4\n" + SCRIPT + b"\n" + tiny_pdf()
    refused(certificate(api, draft, polyglot, "证书.pdf"), "invalid_file")


@pytest.mark.parametrize("data", [b"\x89PNG\r\n\x1a\n" + SCRIPT, png_with_html_in_a_text_chunk()])
def test_a_png_that_is_also_an_html_page_is_refused(api, draft, data):
    refused(certificate(api, draft, data), "invalid_file")


def test_an_encrypted_pdf_is_refused_with_what_to_do(api, draft):
    assert "加密" in refused(certificate(api, draft, encrypted_pdf(), "证书.pdf"), "invalid_file")


def test_evidence_is_parsed_like_certificates(api, record):
    assert evidence(api, record, tiny_pdf()).status_code == 201
    refused(evidence(api, record, pdf_with_html_in_a_comment()), "invalid_file")
    refused(evidence(api, record, b"%PDF-1.4\n%%EOF\n"), "invalid_file")


def test_a_refused_file_is_not_kept(app, api, draft):
    refused(certificate(api, draft, png_with_html_in_a_text_chunk()), "invalid_file")
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Attachment.id))) == 0


def test_the_page_answers_422_with_the_reason(client, draft):
    client.post("/login", data={"username": "bgs.staff", "password": "demo12345"})
    version = re.search(r'name="version" value="(\d+)"', client.get(f"/bonus/{draft}").get_data(as_text=True))
    r = client.post(f"/bonus/{draft}/attachments", content_type="multipart/form-data",
                    data={"version": version.group(1), "file": (io.BytesIO(pdf_with_html_in_a_comment()), "证书.pdf")})
    assert r.status_code == 422 and UNREADABLE in r.get_data(as_text=True)


# ------------------------------------------------------------------ how many files


def test_the_twenty_first_certificate_is_refused(app, api, draft):
    with app.app_context():
        add_files(19, application_id=draft)
    assert certificate(api, draft, tiny_png()).status_code == 201  # the 20th
    message = refused(certificate(api, draft, tiny_png()), "too_many_files")
    assert "20" in message
    assert len(api.as_("bgs.staff").get(f"/api/v1/bonus-applications/{draft}").get_json()["attachments"]) == 20


def test_the_twenty_first_evidence_file_is_refused(app, api, record):
    with app.app_context():
        add_files(19, record_id=record)
    assert evidence(api, record, tiny_pdf()).status_code == 201  # the 20th
    assert "20" in refused(evidence(api, record, tiny_pdf()), "too_many_files")


def test_the_number_of_files_a_record_may_carry_is_a_setting(app, api, draft):
    app.config["MAX_FILES_PER_RECORD"] = 2
    assert certificate(api, draft, tiny_png()).status_code == 201
    assert certificate(api, draft, tiny_jpeg()).status_code == 201
    assert "2 个附件" in refused(certificate(api, draft, tiny_pdf()), "too_many_files")


def test_the_page_refuses_the_twenty_first_evidence_file_with_the_reason(app, client, record):
    with app.app_context():
        add_files(20, record_id=record)
    client.post("/login", data={"username": "bgs.staff", "password": "demo12345"})
    version = re.search(r'name="version" value="(\d+)"', client.get(f"/deductions/{record}").get_data(as_text=True))
    r = client.post(f"/deductions/{record}/evidence", content_type="multipart/form-data",
                    data={"version": version.group(1), "file": (io.BytesIO(tiny_pdf()), "督查通报.pdf")})
    assert r.status_code == 422 and "最多 20 个附件" in r.get_data(as_text=True)
