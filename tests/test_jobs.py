"""Background jobs (issue 11, 3): the year's workbook and every sheet's PDF made off the request,
the trackers' sync and the digest; a page that shows progress and offers the file.

Without REDIS_URL (the embedded default) a job is done in the request and answered done. The
same work asked for while it is queued or running is that job; a finished file is handed out
again until the data it shows changes. The workbook is streamed (openpyxl write-only) with the
cells of the download it stands in for. On Redis (when one answers on 127.0.0.1:6379) a job goes
queued → done through an RQ worker, and a first attempt that fails is retried."""
import io
import uuid
import zipfile
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from openpyxl.xml.functions import tostring
from pypdf import PdfReader

from conftest import YEAR
from flow import Flow
from kaohe_flow.extensions import db
from kaohe_flow.jobs import kinds
from kaohe_flow.jobs.models import Job
from kaohe_flow.org.models import User
from kaohe_flow.timeutil import utcnow

REDIS = "redis://127.0.0.1:6379/0"


@pytest.fixture(autouse=True)
def _inline_jobs_finish(app):
    """Without a queue a job runs in a thread the request waits for (JOB_INLINE_WAIT): long enough
    here for a loaded machine to answer done, and every such thread ends with its test."""
    app.config["JOB_INLINE_WAIT"] = 120
    yield
    from kaohe_flow.jobs.service import wait_inline

    wait_inline()


def ask(api, who="director", kind="year_workbook", year=YEAR):
    return api.as_(who).post("/api/v1/jobs", json={"kind": kind, "year": year})


def job_count(app) -> int:
    with app.app_context():
        return db.session.scalar(db.select(db.func.count(Job.id)))


def given_job(app, who, kind="year_workbook", state="running", started_ago=timedelta(seconds=5), **extra) -> int:
    """A job written straight to the database, as a worker elsewhere would have left it."""
    with app.app_context():
        user = db.session.scalar(db.select(User).filter_by(username=who))
        key = f"{kind}:{YEAR}:u{user.id}" if kinds.KINDS[kind].per_reader else f"{kind}:{YEAR}"
        job = Job(kind=kind, params={"year": YEAR}, key=key, active_key=key, state=state, progress=40,
                  message="正在生成年度汇总表：8/19", attempts=1, created_by_id=user.id,
                  created_at=utcnow() - started_ago, started_at=utcnow() - started_ago, **extra)
        db.session.add(job)
        db.session.commit()
        return job.id


def put_self(api, sid, score, reason):
    version = api.as_("admin").get(f"/api/v1/sheets/{sid}").get_json()["version"]
    return api.as_("bgs.staff").put(f"/api/v1/sheets/{sid}/items/team",
                                    json={"version": version, "self_score": score, "self_reason": reason})


def login(client, username):
    r = client.post("/login", data={"username": username, "password": "demo12345"})
    assert r.status_code == 302
    return client


def cells(data: bytes) -> dict:
    """Every worksheet's cells as a reader sees them: value, type, number format, font, border,
    alignment and quote prefix; merged ranges, row heights, column widths, panes and print titles."""
    def xml(style):
        return tostring(style.to_tree())

    wb = load_workbook(io.BytesIO(data))
    out = {}
    for ws in wb.worksheets:
        out[ws.title] = {
            "cells": [[(c.value, c.data_type, c.number_format, xml(c.font), xml(c.border), xml(c.alignment),
                        c.quotePrefix) for c in row] for row in ws.iter_rows()],
            "merged": sorted(str(r) for r in ws.merged_cells.ranges),
            "heights": {k: d.height for k, d in ws.row_dimensions.items() if d.height is not None},
            "widths": {k: d.width for k, d in ws.column_dimensions.items() if d.width is not None},
            "setup": (ws.freeze_panes, ws.print_title_rows, ws.page_setup.orientation, ws.page_setup.paperSize),
        }
    return out


# ----------------------------------------------------------------------------- the workbook streamed


@pytest.mark.parametrize("reader", ["director", "admin", "rjk", "szc"])
def test_the_streamed_workbook_has_the_cells_of_the_download(app, api, sheet_id, reader):
    """Whoever asks: a viewer, the admin, an office that reads every sheet, a unit's head."""
    sid = sheet_id("bgs")
    Flow(api, sid).fill_self("bgs")
    # A reason that Excel would read as a formula stays text in both (CONTRACT.md, issue 8).
    r = put_self(api, sid, "1.5", "=HYPERLINK(\"http://x\")")
    assert r.status_code == 200
    from kaohe_flow.reports.xlsx import year_workbook
    from kaohe_flow.reports.xlsx_stream import year_workbook_streamed

    seen = []
    with app.app_context():
        user = db.session.scalar(db.select(User).filter_by(username=reader))
        direct = year_workbook(user, YEAR)
        streamed = year_workbook_streamed(user, YEAR, lambda done, total, text: seen.append((done, total)))
    units = 1 if reader == "szc" else 19  # a unit's head reads its own sheet only
    assert cells(streamed) == cells(direct)
    assert len(cells(streamed)) == 1 + units  # the ranking and each unit's sheet
    assert seen == [(n, units) for n in range(1, units + 1)]  # progress per unit


# ----------------------------------------------------------------------------- without a queue


def test_without_a_queue_the_workbook_is_done_in_the_request_with_the_cells_of_the_export(app, api):
    r = ask(api)
    assert r.status_code == 202
    job = r.get_json()
    assert (job["kind"], job["year"], job["state"], job["progress"], job["error"]) == \
        ("year_workbook", YEAR, "done", 100, None)
    assert job["file"] == f"/api/v1/jobs/{job['id']}/file" and job["filename"] == f"{YEAR}年局目标管理考核.xlsx"
    f = api.as_("director").get(job["file"])
    assert f.status_code == 200 and "attachment" in f.headers["Content-Disposition"]
    assert "no-store" in f.headers["Cache-Control"]
    export = api.as_("director").get(f"/api/v1/years/{YEAR}/export.xlsx")
    assert cells(f.data) == cells(export.data)
    assert api.as_("director").get(f"/api/v1/jobs/{job['id']}").get_json() == job


def test_every_sheets_pdf_in_one_zip(app, api):
    r = ask(api, "szc", "sheet_pdfs")
    assert r.status_code == 202 and r.get_json()["state"] == "done"
    f = api.as_("szc").get(r.get_json()["file"])
    assert f.status_code == 200 and f.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(f.data))
    seen = api.as_("szc").get(f"/api/v1/sheets?year={YEAR}").get_json()["items"]
    assert len(archive.namelist()) == len(seen) >= 1  # the sheets szc may see, one PDF each
    for name in archive.namelist():
        assert name.startswith(f"{YEAR}年") and name.endswith("考核计分表.pdf")
        assert "考核计分表" in PdfReader(io.BytesIO(archive.read(name))).pages[0].extract_text()


def test_the_trackers_sync_and_the_digest_are_the_admins(app, api):
    r = ask(api, "admin", "tracker_sync")
    assert r.status_code == 202
    job = r.get_json()
    assert job["state"] == "done" and job["file"] is None and set(job["result"]) == {"oa", "info"}
    assert "OA 考核记录" in job["message"]
    assert api.as_("admin").get(f"/api/v1/jobs/{job['id']}/file").status_code == 404
    r = ask(api, "admin", "notify_digest")
    assert r.status_code == 202 and r.get_json()["state"] == "done"
    assert "deadline_notifications" in r.get_json()["result"]


def test_a_failed_job_says_why_in_chinese_and_frees_its_work(app, api, monkeypatch):
    def broken(params, user, progress):
        raise RuntimeError("disk full")

    spec = kinds.KINDS["year_workbook"]
    monkeypatch.setitem(kinds.KINDS, "year_workbook", kinds.Kind(spec.name, spec.label, broken, per_reader=True,
                                                                 basis=spec.basis))
    r = ask(api)
    assert r.status_code == 202
    job = r.get_json()
    assert job["state"] == "failed" and job["error"] == "生成时出错：RuntimeError" and job["file"] is None
    assert api.as_("director").get(f"/api/v1/jobs/{job['id']}/file").status_code == 409
    monkeypatch.setitem(kinds.KINDS, "year_workbook", spec)
    again = ask(api).get_json()
    assert again["id"] != job["id"] and again["state"] == "done"


def test_a_longer_job_is_answered_running_and_its_page_follows_it(app, api, client, monkeypatch):
    import threading

    from kaohe_flow.jobs.service import wait_inline

    release = threading.Event()
    spec = kinds.KINDS["year_workbook"]

    def slow(params, user, progress):
        progress(3, 19, "办公室")
        assert release.wait(60)
        return spec.run(params, user, progress)

    monkeypatch.setitem(kinds.KINDS, "year_workbook", kinds.Kind(spec.name, spec.label, slow, per_reader=True,
                                                                 basis=spec.basis))
    app.config["JOB_INLINE_WAIT"] = 0.5
    r = ask(api)
    assert r.status_code == 202
    job = r.get_json()
    assert (job["state"], job["progress"], job["file"]) == ("running", 15, None)
    assert job["message"] == "正在生成年度汇总表（Excel）：3/19（办公室）"
    assert ask(api).get_json()["id"] == job["id"]  # asked again meanwhile: the same job
    login(client, "director")
    html = client.get(f"/jobs/{job['id']}").get_data(as_text=True)
    assert '<meta http-equiv="refresh" content="2">' in html and 'value="15"' in html
    assert f"<h1>年度汇总表（Excel）<small class=\"muted\"> · {YEAR}年度</small></h1>" in html  # not 年度年度
    release.set()
    wait_inline()
    done = api.as_("director").get(f"/api/v1/jobs/{job['id']}").get_json()
    assert (done["state"], done["progress"]) == ("done", 100)
    assert api.as_("director").get(done["file"]).status_code == 200


# ----------------------------------------------------------------------------- idempotence


# A queue nothing listens on: what a worker elsewhere is running is found in the database.
NO_REDIS = "redis://127.0.0.1:1/0"


def test_the_same_work_asked_for_while_it_runs_is_that_job(app, api):
    app.config["REDIS_URL"] = NO_REDIS
    running = given_job(app, "director")
    before = job_count(app)
    r = ask(api)
    assert r.status_code == 202
    assert (r.get_json()["id"], r.get_json()["state"], r.get_json()["progress"]) == (running, "running", 40)
    assert job_count(app) == before
    # Another reader's workbook shows what they may see: a job of its own — which here cannot be
    # queued, and says so.
    other = ask(api, "bgs").get_json()
    assert other["id"] != running
    assert (other["state"], other["error"]) == ("failed", "后台任务队列暂时无法连接，请稍后再试")


def test_two_app_servers_asking_at_the_same_instant_make_one_job(app, api, monkeypatch):
    """The other server's job is written between this one's look and its insert: the unique
    `active_key` refuses the second, and the answer is the first."""
    spec = kinds.KINDS["year_workbook"]
    theirs = []

    def basis_while_another_server_inserts(year):
        with app.app_context(), db.engine.begin() as conn:
            user_id = conn.scalar(db.select(User.id).filter_by(username="director"))
            key = f"year_workbook:{YEAR}:u{user_id}"
            theirs.append(conn.execute(Job.__table__.insert().values(
                kind="year_workbook", params={"year": YEAR}, key=key, active_key=key, state="running", progress=5,
                message="", attempts=1, created_by_id=user_id, created_at=utcnow(), started_at=utcnow()))
                .inserted_primary_key[0])
        return spec.basis(year)

    monkeypatch.setitem(kinds.KINDS, "year_workbook", kinds.Kind(
        spec.name, spec.label, spec.run, per_reader=True, basis=basis_while_another_server_inserts))
    r = ask(api)
    assert r.status_code == 202 and r.get_json()["id"] == theirs[0] and r.get_json()["state"] == "running"
    assert job_count(app) == 1


def test_without_a_queue_a_job_left_by_a_stopped_process_gives_way_at_once(app, api):
    left = given_job(app, "director")  # `make run` was interrupted while it ran
    r = ask(api)
    assert r.get_json()["id"] != left and r.get_json()["state"] == "done"
    assert api.as_("director").get(f"/api/v1/jobs/{left}").get_json()["state"] == "failed"


def test_a_finished_file_is_handed_out_again_until_a_sheet_changes(app, api, sheet_id):
    first = ask(api).get_json()
    assert ask(api).get_json()["id"] == first["id"]
    assert job_count(app) == 1
    sid = sheet_id("bgs")
    r = put_self(api, sid, "1", "少一次")
    assert r.status_code == 200
    second = ask(api).get_json()
    assert second["id"] != first["id"] and second["state"] == "done"
    data = api.as_("director").get(second["file"]).data
    bgs = load_workbook(io.BytesIO(data))["办公室"]
    assert any(c.value == "少一次" for row in bgs.iter_rows() for c in row)
    # The sync writes: each request does it again, never handing out an old result.
    assert ask(api, "admin", "tracker_sync").get_json()["id"] != ask(api, "admin", "tracker_sync").get_json()["id"]


def test_a_job_whose_worker_died_long_ago_gives_way_to_a_new_one(app, api):
    app.config["REDIS_URL"] = NO_REDIS
    given_job(app, "director", kind="sheet_pdfs", started_ago=timedelta(minutes=20))
    stuck = given_job(app, "director", started_ago=timedelta(hours=2))
    assert ask(api, kind="sheet_pdfs").get_json()["state"] == "running"  # within RQ's timeout: still its job
    r = ask(api)
    assert r.get_json()["id"] != stuck
    old = api.as_("director").get(f"/api/v1/jobs/{stuck}").get_json()
    assert old["state"] == "failed" and "中断" in old["error"]


def test_running_a_done_job_again_stores_nothing_new(app, api):
    from kaohe_flow.jobs.service import run

    job = ask(api).get_json()
    with app.app_context():
        before = db.session.get(Job, job["id"])
        stored = (before.file_data, before.attempts, before.finished_at)
        assert run(job["id"]) is True
        db.session.expire_all()
        after = db.session.get(Job, job["id"])
        assert (after.file_data, after.attempts, after.finished_at) == stored


# ----------------------------------------------------------------------------- refusals


def test_who_may_ask_follow_and_fetch(app, api):
    before = job_count(app)
    for who in ("bgs", "director", "leader1"):
        r = ask(api, who, "tracker_sync")
        assert r.status_code == 403 and r.get_json()["error"]["code"] == "forbidden"
        assert ask(api, who, "notify_digest").status_code == 403
    assert job_count(app) == before  # a refusal makes no job
    for payload, code in (({"kind": "everything", "year": YEAR}, "unknown_kind"),
                          ({"kind": "year_workbook", "year": 1999}, "unknown_year"),
                          ({"kind": "year_workbook", "year": str(YEAR)}, "unknown_year"),
                          ({"kind": "year_workbook"}, "unknown_year")):
        r = api.as_("admin").post("/api/v1/jobs", json=payload)
        assert (r.status_code, r.get_json()["error"]["code"]) == (422, code)
    assert job_count(app) == before
    job = ask(api).get_json()
    for who in ("bgs", "szc", "leader1"):  # another's job is not there
        assert api.as_(who).get(f"/api/v1/jobs/{job['id']}").status_code == 404
        assert api.as_(who).get(f"/api/v1/jobs/{job['id']}/file").status_code == 404
    assert api.as_("admin").get(f"/api/v1/jobs/{job['id']}").status_code == 200
    assert api.as_("admin").get(f"/api/v1/jobs/{job['id']}/file").status_code == 200


def test_the_file_is_not_there_before_the_job_is_done(app, api):
    running = given_job(app, "director")
    r = api.as_("director").get(f"/api/v1/jobs/{running}/file")
    assert (r.status_code, r.get_json()["error"]["code"]) == (409, "job_not_done")
    assert api.as_("director").get(f"/api/v1/jobs/{running}").get_json()["file"] is None


# ----------------------------------------------------------------------------- pages


def test_the_buttons_make_the_workbook_and_the_page_offers_it(app, client):
    login(client, "director")
    html = client.get(f"/sheets?year={YEAR}").get_data(as_text=True)
    assert "后台生成年度汇总表" in html and "后台生成全部考核表PDF" in html
    r = client.post("/jobs", data={"kind": "year_workbook", "year": str(YEAR)})
    assert r.status_code == 303
    page = client.get(r.headers["Location"])
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "已完成" in html and "<progress" in html and 'value="100"' in html and "下载" in html
    assert 'http-equiv="refresh"' not in html  # nothing left to wait for
    job_id = int(r.headers["Location"].rsplit("/", 1)[1])
    f = client.get(f"/jobs/{job_id}/file")
    assert f.status_code == 200 and f.data[:2] == b"PK"


def test_a_running_job_page_refreshes_itself_and_a_failed_one_says_why(app, client):
    running = given_job(app, "director")
    failed = given_job(app, "director", kind="sheet_pdfs", state="failed", error="生成时出错：OSError")
    with app.app_context():  # a failed job no longer holds its work
        db.session.get(Job, failed).active_key = None
        db.session.commit()
    login(client, "director")
    html = client.get(f"/jobs/{running}").get_data(as_text=True)
    assert '<meta http-equiv="refresh" content="2">' in html
    assert 'value="40"' in html and "正在生成" in html and '<label for="job-progress">' in html
    assert client.get(f"/jobs/{running}/file").status_code == 409
    html = client.get(f"/jobs/{failed}").get_data(as_text=True)
    assert "失败" in html and "生成时出错：OSError" in html and 'http-equiv="refresh"' not in html


def test_pages_refuse_what_the_api_refuses(app, client, api):
    job = ask(api).get_json()
    login(client, "bgs")
    before = job_count(app)
    assert client.post("/jobs", data={"kind": "tracker_sync", "year": str(YEAR)}).status_code == 403
    assert client.post("/jobs", data={"kind": "everything", "year": str(YEAR)}).status_code == 422
    assert client.post("/jobs", data={"kind": "year_workbook", "year": "x"}).status_code == 422
    assert job_count(app) == before
    assert client.get(f"/jobs/{job['id']}").status_code == 404
    assert client.get(f"/jobs/{job['id']}/file").status_code == 404


def test_the_worker_command_needs_redis(app):
    app.config["REDIS_URL"] = None
    result = app.test_cli_runner().invoke(args=["worker"])
    assert result.exit_code != 0 and "REDIS_URL" in result.output


# ----------------------------------------------------------------------------- on Redis


@pytest.fixture
def redis_queue(app):
    """A queue of this test's own on the local Redis (others' queues untouched), or a skip."""
    redis = pytest.importorskip("redis")
    connection = redis.Redis.from_url(REDIS)
    try:
        connection.ping()
    except redis.exceptions.RedisError as exc:
        pytest.skip(f"no Redis on 127.0.0.1:6379 ({exc.__class__.__name__}): the queue is tested where one runs")
    name = f"kaohe-test-{uuid.uuid4().hex[:12]}"
    app.config.update(REDIS_URL=REDIS, JOB_QUEUE=name, JOB_RETRY_INTERVALS=[0])
    yield name, connection
    from rq import Queue

    queue = Queue(name, connection=connection)
    for job_id in queue.job_ids + queue.failed_job_registry.get_job_ids() + queue.finished_job_registry.get_job_ids():
        connection.delete(f"rq:job:{job_id}")
    queue.delete(delete_jobs=True)
    for key in connection.scan_iter(f"rq:*{name}*"):
        connection.delete(key)


def work_off(app, name, connection):
    from rq import Queue, SimpleWorker

    with app.app_context():
        SimpleWorker([Queue(name, connection=connection)], connection=connection).work(burst=True)


def test_on_redis_a_job_is_queued_then_done_by_the_worker(app, api, redis_queue):
    name, connection = redis_queue
    r = ask(api)
    assert r.status_code == 202
    job = r.get_json()
    assert (job["state"], job["progress"], job["file"]) == ("queued", 0, None)
    assert ask(api).get_json()["id"] == job["id"]  # asked again while queued: the same job
    from rq import Queue

    assert Queue(name, connection=connection).job_ids == [f"{name}-{job['id']}"]
    work_off(app, name, connection)
    done = api.as_("director").get(f"/api/v1/jobs/{job['id']}").get_json()
    assert (done["state"], done["progress"], done["attempts"]) == ("done", 100, 1)
    f = api.as_("director").get(done["file"])
    export = api.as_("director").get(f"/api/v1/years/{YEAR}/export.xlsx")
    assert cells(f.data) == cells(export.data)


def test_on_redis_a_failed_first_attempt_is_retried_and_done(app, api, redis_queue, monkeypatch):
    name, connection = redis_queue
    spec = kinds.KINDS["tracker_sync"]
    calls = []

    def flaky(params, user, progress):
        calls.append(1)
        if len(calls) == 1:
            raise ConnectionError("the database went away")
        return spec.run(params, user, progress)

    monkeypatch.setitem(kinds.KINDS, "tracker_sync", kinds.Kind(spec.name, spec.label, flaky, admin_only=True))
    job = ask(api, "admin", "tracker_sync").get_json()
    assert job["state"] == "queued"
    work_off(app, name, connection)
    done = api.as_("admin").get(f"/api/v1/jobs/{job['id']}").get_json()
    assert len(calls) == 2
    assert (done["state"], done["attempts"], done["error"]) == ("done", 2, None)
    assert set(done["result"]) == {"oa", "info"}


def test_a_finished_files_page_says_when_the_data_has_changed_since(app, api, client):
    """The file is still the one made then; its page says the year's data moved on since, and
    offers to make it again (a new job, the file of the data as it is now)."""
    job = ask(api).get_json()
    login(client, "director")
    html = client.get(f"/jobs/{job['id']}").get_data(as_text=True)
    assert job["state"] == "done" and "已有变动" not in html
    flow = Flow(api, api.as_("director").get(f"/api/v1/sheets?year={YEAR}").get_json()["items"][0]["id"])
    flow.fill_self(flow.get()["unit"])
    html = client.get(f"/jobs/{job['id']}").get_data(as_text=True)
    assert "此文件生成后，2018年度的考核数据已有变动" in html and "按最新数据重新生成" in html
    assert client.get(f"/jobs/{job['id']}/file").status_code == 200  # still the file made then
    r = client.post("/jobs", data={"kind": "year_workbook", "year": str(YEAR)})
    assert r.status_code == 303 and r.headers["Location"] != f"/jobs/{job['id']}"
    assert "已有变动" not in client.get(r.headers["Location"]).get_data(as_text=True)
