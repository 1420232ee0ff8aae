"""The daily digest (`flask --app wsgi notify`, issue 9): deadline notifications for today, the
trackers in step, one e-mail per person with what they have not read — against a local SMTP sink
the test starts (no network). Run twice, it makes and sends nothing new."""
import email
import socketserver
import threading
from collections import Counter
from datetime import date, timedelta
from email.policy import default as default_policy

import pytest

from conftest import YEAR
from test_notifications import kinds, notes, walk_to


class _SmtpHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP (RFC 5321) for smtplib: EHLO, MAIL, RCPT, DATA, QUIT."""

    def reply(self, line: str):
        self.wfile.write((line + "\r\n").encode())

    def handle(self):
        self.reply("220 sink ready")
        rcpt = []
        while True:
            line = self.rfile.readline()
            if not line:
                return
            command = line.decode("utf-8", "replace").strip()
            verb = command[:4].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250 sink")
            elif verb == "MAIL":
                rcpt = []
                self.reply("250 ok")
            elif verb == "RCPT":
                rcpt.append(command.split(":", 1)[1].strip().strip("<>"))
                self.reply("250 ok")
            elif verb == "DATA":
                self.reply("354 go on")
                data = b""
                while True:
                    chunk = self.rfile.readline()
                    if chunk in (b".\r\n", b".\n", b""):
                        break
                    data += chunk[1:] if chunk.startswith(b"..") else chunk
                self.server.messages.append((rcpt, email.message_from_bytes(data, policy=default_policy)))
                self.reply("250 queued")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            elif verb == "RSET":
                self.reply("250 ok")
            else:
                self.reply("502 not here")


class SmtpSink(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _SmtpHandler)
        self.messages = []


@pytest.fixture
def smtp(app):
    sink = SmtpSink()
    thread = threading.Thread(target=sink.serve_forever, daemon=True)
    thread.start()
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=sink.server_address[1], SMTP_FROM="kaohe@example.gov.cn",
                      SMTP_STARTTLS=False, SMTP_USER=None, PUBLIC_URL="https://kaohe.example.gov.cn")
    yield sink
    sink.shutdown()
    sink.server_close()


def set_email(app, **addresses):
    """Given: e-mail addresses written straight to the accounts."""
    from kaohe_flow.extensions import db
    from kaohe_flow.org.models import User

    with app.app_context():
        for username, address in addresses.items():
            db.session.scalar(db.select(User).filter_by(username=username.replace("_", "."))).email = address
        db.session.commit()


def set_deadline(app, state, due):
    """Given: the year's deadline for `state`, written straight to the database."""
    from kaohe_flow.extensions import db
    from kaohe_flow.rhythm.deadline_models import Deadline

    with app.app_context():
        db.session.add(Deadline(year=YEAR, state=state, due=due))
        db.session.commit()


def run_notify(app, *args):
    result = app.test_cli_runner().invoke(args=["notify", *args])
    assert result.exit_code == 0, result.output
    return result.output


# ----------------------------------------------------------------------------- e-mail


def test_the_digest_mails_each_person_once_with_their_unread_notifications(app, api, sheet_id, smtp):
    sid = sheet_id("bgs")
    flow = walk_to(api, sid, "gate_review")
    assert flow.act("rjk", "return", comment="请补充依据").status_code == 200
    set_email(app, bgs="bgs@example.gov.cn", rjk="rjk@example.gov.cn")  # bgs.staff has none
    out = run_notify(app)
    assert "发送 2 封" in out and "无邮箱跳过" in out
    by_rcpt = {tuple(rcpt): message for rcpt, message in smtp.messages}
    assert set(by_rcpt) == {("bgs@example.gov.cn",), ("rjk@example.gov.cn",)}
    mail = by_rcpt[("bgs@example.gov.cn",)]
    assert mail["Subject"] == "考核流：您有 2 条新通知"
    body = mail.get_content()
    assert "请补充依据" in body and "办公室" in body
    assert f"https://kaohe.example.gov.cn/sheets/{sid}" in body
    # again: nothing new to send
    smtp.messages.clear()
    out = run_notify(app)
    assert smtp.messages == [] and "发送 0 封" in out
    # a new notification is sent, alone, on the next run
    flow.fill_self("bgs.staff")
    assert flow.act("bgs", "submit").status_code == 200
    run_notify(app)
    assert [tuple(r) for r, _m in smtp.messages] == [("rjk@example.gov.cn",)]
    assert smtp.messages[0][1]["Subject"] == "考核流：您有 1 条新通知"


def test_what_was_read_before_the_digest_is_not_mailed(app, api, sheet_id, smtp):
    walk_to(api, sheet_id("bgs"), "gate_review")
    set_email(app, rjk="rjk@example.gov.cn")
    note = notes(api, "rjk")["items"][0]["id"]
    assert api.as_("rjk").post(f"/api/v1/notifications/{note}/read").status_code == 200
    run_notify(app)
    assert smtp.messages == []


def test_without_smtp_nothing_is_sent_and_nothing_is_marked(app, api, sheet_id):
    walk_to(api, sheet_id("bgs"), "gate_review")
    set_email(app, rjk="rjk@example.gov.cn")
    out = run_notify(app)
    assert "未配置 SMTP_HOST" in out
    from kaohe_flow.extensions import db
    from kaohe_flow.notify.models import Notification

    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Notification)
                                 .where(Notification.emailed_at.is_not(None))) == 0


def test_a_server_that_is_down_fails_the_run_but_keeps_the_notifications_for_the_next(app, api, sheet_id):
    walk_to(api, sheet_id("bgs"), "gate_review")
    set_email(app, rjk="rjk@example.gov.cn")
    sink = SmtpSink()
    port = sink.server_address[1]
    sink.server_close()  # nobody listens there now
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port)
    result = app.test_cli_runner().invoke(args=["notify"])
    assert result.exit_code == 1 and "失败 1 人" in result.output
    assert notes(api, "rjk")["unread"] == 1  # still there, to be mailed next time


# ----------------------------------------------------------------------------- deadlines


def test_deadline_notifications_go_to_the_holders_once_per_deadline(app, api, sheet_id):
    sid = sheet_id("bgs")
    walk_to(api, sid, "gate_review")
    set_deadline(app, "gate_review", date(YEAR, 12, 20))
    set_deadline(app, "draft", date(YEAR, 12, 19))
    run_notify(app, "--date", f"{YEAR}-12-01")  # long before: nothing
    assert "due_soon" not in kinds(api, "rjk")
    out = run_notify(app, "--date", f"{YEAR}-12-18")  # within due_soon_days (3)
    assert kinds(api, "rjk", ("sheet", sid)).count("due_soon") == 1
    due_soon = [n for n in notes(api, "rjk")["items"] if n["kind"] == "due_soon"
                and n["record"] == {"kind": "sheet", "id": sid}][0]
    assert "2018-12-20" in due_soon["text"] and "办公室" in due_soon["text"]
    assert kinds(api, "rjk.staff", ("sheet", sid)).count("due_soon") == 1
    # the other units' drafts are near their own deadline: their heads and members are told
    assert "due_soon" in kinds(api, "szc") and "due_soon" in kinds(api, "szc.staff")
    assert "新建" in out
    # the same day again, and the next day: nothing new
    counts = {who: len(notes(api, who)["items"]) for who in ("rjk", "rjk.staff", "szc", "bgs")}
    run_notify(app, "--date", f"{YEAR}-12-18")
    run_notify(app, "--date", f"{YEAR}-12-19")
    assert {who: len(notes(api, who)["items"]) for who in counts} == counts
    # past the date: overdue, once
    run_notify(app, "--date", f"{YEAR}-12-21")
    run_notify(app, "--date", f"{YEAR}-12-22")
    assert kinds(api, "rjk", ("sheet", sid)).count("overdue") == 1
    # the unit waits on its gate: it is not told about its own sheet's gate deadline
    assert not {"due_soon", "overdue"} & set(kinds(api, "bgs", ("sheet", sid)))


def test_the_command_says_what_it_did_and_a_bad_date_is_refused(app):
    out = run_notify(app, "--date", f"{YEAR}-12-18")
    assert "到期提醒" in out and "trackers" in out and "邮件" in out
    result = app.test_cli_runner().invoke(args=["notify", "--date", "12/18"])
    assert result.exit_code != 0 and "日期格式不对" in result.output


def test_the_digest_is_idempotent_as_a_whole(app, api, sheet_id, smtp):
    walk_to(api, sheet_id("bgs"), "gate_review")
    set_deadline(app, "gate_review", date(YEAR, 12, 20))
    set_email(app, rjk="rjk@example.gov.cn", szc="szc@example.gov.cn")
    run_notify(app, "--date", f"{YEAR}-12-21")
    first = len(smtp.messages)
    assert first >= 1
    before = {who: notes(api, who)["items"] for who in ("rjk", "szc")}
    run_notify(app, "--date", f"{YEAR}-12-21")
    assert len(smtp.messages) == first
    assert {who: notes(api, who)["items"] for who in before} == before


def test_no_day_is_told_twice_even_across_days(app, api, sheet_id):
    walk_to(api, sheet_id("bgs"), "gate_review")
    set_deadline(app, "gate_review", date(YEAR, 12, 20))
    for day in range(15, 25):
        run_notify(app, "--date", (date(YEAR, 12, 1) + timedelta(days=day - 1)).isoformat())
    assert Counter(kinds(api, "rjk", ("sheet", sheet_id("bgs")))) == {"todo": 1, "due_soon": 1, "overdue": 1}


def test_an_address_with_a_control_character_is_refused(api):
    r = api.as_("admin").put("/api/v1/users/szc.staff", json={"email": "a\u0000@b.cn"})
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "invalid_email"
