"""Asking for background work, following it, and doing it (issue 11, 3).

`enqueue(kind, params, user)` answers a job at once: with REDIS_URL set it is put on the RQ queue
`kaohe` for `flask --app wsgi worker`; without (the embedded default, `make run`) it is done
by the app itself, in a thread the request waits for up to JOB_INLINE_WAIT seconds (5): the
workbook, the sync and the digest are answered done (or failed), as in a request; a longer job
(every sheet's PDF, 10–25 s for 19 units) is answered running and its page follows it, instead of
holding the request past what a proxy or a client waits for.

Idempotence: the same work (`Job.key`: kind, year and, for a file that shows what its reader may
see, the reader) asked for while a job is queued or running is that job (`active_key` is unique,
so two app servers asking at once still make one); a finished file is handed out again while
the data it was built from is unchanged (`Job.basis`). Running a job twice stores its result
once: a done job is not run again, and a retry overwrites the same row.

A job's own row is written and committed by the session doing the work (`_set`), which keeps
its loaded objects (no expiry on commit) and holds no read transaction across more than one
step of progress; a failed attempt is rolled back before its error is written.
"""
import threading
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app, has_request_context
from sqlalchemy.exc import IntegrityError

from .. import access
from ..errors import Conflict, Invalid, NotFound, ServiceError
from ..extensions import db
from ..scheme.queries import scheme_or_none
from ..timeutil import as_utc, utcnow
from ..uow import operation
from .kinds import KINDS
from .models import Job

# A job queued longer than this without a worker taking it (Redis emptied, the worker never
# started) no longer holds its key: asking again makes a new one.
QUEUED_TOO_LONG = timedelta(hours=24)


# ----------------------------------------------------------------------------- asking


def parse(payload: dict) -> tuple[str, dict]:
    """(kind, params) from a request's {"kind", "year"}; 422 for an unknown kind or year."""
    kind = payload.get("kind")
    if not isinstance(kind, str) or kind not in KINDS:
        raise Invalid(f"任务类型必须是以下之一：{'、'.join(KINDS)}", "unknown_kind")
    year = payload.get("year")
    if isinstance(year, bool) or not isinstance(year, int) or not 1 <= year <= 9999 or scheme_or_none(year) is None:
        raise Invalid("请提供已导入考核方案的年度（year，例如 2018）", "unknown_year")
    return kind, {"year": year}


def may_request(user, kind: str) -> access.Verdict:
    """The year's workbook and PDFs: whoever may download the year's export (everyone signed in;
    the file shows the sheets they may see). The trackers' sync and the digest change records
    for everyone: the admin's."""
    if KINDS[kind].admin_only and not access.is_admin(user):
        return access.refused(403, "forbidden", f"只有管理员可以在后台运行“{KINDS[kind].label}”")
    return access.ALLOWED


def key_of(kind: str, params: dict, user) -> str:
    key = f"{kind}:{params['year']}"
    return f"{key}:u{user.id}" if KINDS[kind].per_reader else key


def enqueue(kind: str, params: dict, user) -> Job:
    """The job doing this work for `user`: one already queued or running, a finished one whose
    data has not changed, or a new one — put on the queue, or done here without a queue."""
    job, new = _find_or_create(kind, params, user)
    if new:
        if current_app.config.get("REDIS_URL"):
            from . import worker

            worker.put(job.id)
        else:
            _run_inline(job.id)
        db.session.expire_all()
        job = db.session.get(Job, job.id)
    return job


@operation
def _find_or_create(kind: str, params: dict, user) -> tuple[Job, bool]:
    access.require(may_request(user, kind))
    key = key_of(kind, params, user)
    active = db.session.scalar(sa.select(Job).where(Job.active_key == key))
    if active is not None:
        if not _abandoned(active):
            return active, False
        message = "任务中断（后台程序已停止），已由新任务代替"
        active.state, active.active_key, active.finished_at = "failed", None, utcnow()
        active.error, active.message = message, message
    spec = KINDS[kind]
    if spec.basis is not None:
        basis = spec.basis(params["year"])
        done = db.session.scalar(sa.select(Job).where(
            Job.key == key, Job.state == "done", Job.basis == basis).order_by(Job.id.desc()).limit(1))
        if done is not None:
            db.session.commit()  # an abandoned job, if any, lets its key go
            return done, False
    job = Job(kind=kind, params=params, key=key, active_key=key, state="queued", progress=0,
              message="排队等待中", attempts=0, created_by_id=user.id, created_at=utcnow())
    db.session.add(job)
    try:
        db.session.commit()
    except IntegrityError:  # another request made it a moment ago: that one is the job
        db.session.rollback()
        active = db.session.scalar(sa.select(Job).where(Job.active_key == key))
        if active is None:
            raise
        return active, False
    return job, True


def _abandoned(job: Job) -> bool:
    """A job whose worker died without a retry left (or a queue that lost it): past RQ's own
    timeout while running, or a day while queued. Without a queue the app runs its jobs itself:
    one that no thread of this process is running was left by a process that stopped (`make
    run` interrupted) and gives way at once."""
    if not current_app.config.get("REDIS_URL") and job.id not in _inline_ids:
        return True
    now = utcnow()
    if job.state == "running" and job.started_at is not None:
        return as_utc(job.started_at) < now - timedelta(seconds=current_app.config.get("JOB_TIMEOUT", 1800) + 60)
    return job.state == "queued" and as_utc(job.created_at) < now - QUEUED_TOO_LONG


# ----------------------------------------------------------------------------- reading


def get_visible(user, job_id: int) -> Job:
    """A job its creator or an admin may follow; anyone else's is not there (404)."""
    job = db.session.get(Job, job_id)
    if job is None or not (job.created_by_id == user.id or access.is_admin(user)):
        raise NotFound("没有找到这个后台任务", "not_found")
    return job


def outdated(job: Job) -> bool:
    """Whether a finished file no longer shows the data as it is now: the data it was built from
    (`Job.basis`) has changed since. Its page says so and offers to make it again; the file is
    still given, as it was made (a reader may want what was signed off then)."""
    spec = KINDS.get(job.kind)
    if job.state != "done" or job.file_name is None or spec is None or spec.basis is None or job.basis is None:
        return False
    return spec.basis(job.params["year"]) != job.basis


def file_of(user, job_id: int) -> Job:
    """A done job's file, with its bytes; 409 while it is being made, 404 when it makes none."""
    job = get_visible(user, job_id)
    if job.state != "done":
        message = "任务失败，没有生成文件" if job.state == "failed" else "文件尚未生成完毕，请稍后再试"
        raise Conflict(message, "job_not_done")
    if job.file_name is None:
        raise NotFound("这个任务不生成文件", "no_file")
    return job


# ----------------------------------------------------------------------------- doing


def _set(job_id: int, **values) -> None:
    """Write the job's row and commit (what the work wrote is committed by its own operation)."""
    db.session.execute(sa.update(Job).where(Job.id == job_id).values(**values))
    db.session.commit()


# Jobs the app runs itself (no queue): the threads, so that tests and a shutdown can wait for them,
# and their jobs' ids, so that a job no thread here runs is known to be abandoned.
_inline: set[threading.Thread] = set()
_inline_ids: set[int] = set()


def _run_inline(job_id: int) -> None:
    """Without a queue: the job in a thread of this process, waited for up to JOB_INLINE_WAIT."""
    app = current_app._get_current_object()

    def work():
        with app.app_context():
            try:
                run(job_id)
            finally:
                db.session.remove()
                _inline_ids.discard(job_id)
                _inline.discard(threading.current_thread())

    thread = threading.Thread(target=work, name=f"kaohe-job-{job_id}", daemon=True)
    _inline_ids.add(job_id)
    _inline.add(thread)
    thread.start()
    thread.join(current_app.config.get("JOB_INLINE_WAIT", 5))


def wait_inline(timeout: float = 120) -> None:
    """Wait for the jobs this process is running itself (tests; a graceful stop)."""
    for thread in list(_inline):
        thread.join(timeout)


class Reporter:
    """progress(done, total, text): the job's percentage and line, written when the percentage moves."""

    def __init__(self, job_id: int, label: str):
        self.job_id, self.label, self.last = job_id, label, -1

    def __call__(self, done: int, total: int, text: str = "") -> None:
        percent = min(99, done * 100 // total) if total else 99
        if percent != self.last:
            self.last = percent
            line = f"正在生成{self.label}：{done}/{total}" + (f"（{text}）" if text else "")
            _set(self.job_id, progress=percent, message=line)


def run(job_id: int, *, will_retry: bool = False) -> bool:
    """Do the job: state running, the work, then done with its file or result — or failed with
    the reason (queued again when RQ will retry: `will_retry`). A job already done does nothing
    (a duplicate delivery). Answers whether it succeeded; the worker re-raises a failure so that
    RQ retries it."""
    db.session.rollback()
    session = db.session()
    keep = session.expire_on_commit
    session.expire_on_commit = False  # progress commits must not make the work reload what it read
    try:
        return _run(job_id, will_retry)
    finally:
        session.expire_on_commit = keep


def _run(job_id: int, will_retry: bool) -> bool:
    job = db.session.get(Job, job_id)
    if job is None or job.state == "done":
        return True
    spec = KINDS.get(job.kind)
    user = job.created_by
    attempt = (job.attempts or 0) + 1
    basis = spec.basis(job.params["year"]) if spec is not None and spec.basis is not None else None
    _set(job_id, state="running", attempts=attempt, started_at=utcnow(), progress=0, message="开始生成", basis=basis)
    try:
        if spec is None or user is None or not user.active:
            raise Invalid("任务无法执行：任务类型未知，或申请人的账号已停用", "job_unrunnable")
        access.require(may_request(user, job.kind))  # an admin who is no longer one
        outcome = _in_request_context(spec.run, dict(job.params), user, Reporter(job_id, spec.label))
        db.session.rollback()  # the work committed what it writes; its reads end here
    except Exception as exc:  # noqa: BLE001 - any failure is the job's, said in its row
        db.session.rollback()
        reason = exc.message if isinstance(exc, ServiceError) else f"生成时出错：{type(exc).__name__}"
        if isinstance(exc, ServiceError) or not will_retry:
            _set(job_id, state="failed", error=reason, message=reason, finished_at=utcnow(), active_key=None)
            if not isinstance(exc, ServiceError):
                current_app.logger.exception("job %s (%s) failed", job_id, getattr(spec, "name", "?"))
            return False
        _set(job_id, state="queued", error=reason, message=f"第 {attempt} 次未成功（{reason}），稍后自动重试")
        raise
    size = len(outcome.data) if outcome.data is not None else None
    _set(job_id, state="done", progress=100, message=outcome.message, error=None, finished_at=utcnow(),
         active_key=None, file_data=outcome.data, file_name=outcome.filename, file_type=outcome.content_type,
         file_size=size, result=outcome.result)
    return True


def _in_request_context(fn, *args):
    """Templates (the PDFs) may build links: outside a request — in the worker — give them one."""
    if has_request_context():
        return fn(*args)
    with current_app.test_request_context("/"):
        return fn(*args)
