"""The RQ side: putting a job on the queue `kaohe`, and the worker that does it.

Why RQ (docs/decisions.md "Background jobs"): Redis only — which the app servers use already
for the throttle and caches —, small, maintained, a worker command, `Retry` with intervals and a
scheduler in the worker; Celery brings a broker abstraction and a beat we do not need, Dramatiq
middleware we would not use.

Settings (app config, all optional): JOB_QUEUE (`kaohe`), JOB_TIMEOUT (seconds a job may run,
1800), JOB_RETRIES (3) and JOB_RETRY_INTERVALS (seconds before each retry, [10, 30, 60]).
"""
import os

from flask import current_app, has_app_context

from ..extensions import db

DEFAULT_QUEUE = "kaohe"
_app = None  # the app of a bare `rq worker`, made once per process
_pool_pid: dict[int, int] = {}


def _connection():
    from redis import Redis

    return Redis.from_url(current_app.config["REDIS_URL"])


def queue(connection=None):
    from rq import Queue

    return Queue(current_app.config.get("JOB_QUEUE", DEFAULT_QUEUE), connection=connection or _connection())


def rq_id(job_id: int, queue_name: str | None = None) -> str:
    """The RQ job's id: our job's id, under the queue's name (ids are global in Redis)."""
    return f"{queue_name or current_app.config.get('JOB_QUEUE', DEFAULT_QUEUE)}-{job_id}"


def put(job_id: int) -> None:
    """Put the job on the queue; when Redis cannot be reached the job fails and says so (asking
    again makes a new one)."""
    from redis.exceptions import RedisError
    from rq import Retry

    from . import service
    from ..timeutil import utcnow

    config = current_app.config
    try:
        q = queue()
        q.enqueue_call(perform, args=(job_id,), job_id=rq_id(job_id, q.name),
                       timeout=config.get("JOB_TIMEOUT", 1800), result_ttl=3600, failure_ttl=7 * 86400,
                       retry=Retry(max=config.get("JOB_RETRIES", 3),
                                   interval=list(config.get("JOB_RETRY_INTERVALS", [10, 30, 60]))),
                       description=f"kaohe job {job_id}")
    except RedisError as exc:
        current_app.logger.warning("job %s: the queue is unreachable: %s", job_id, exc)
        message = "后台任务队列暂时无法连接，请稍后再试"
        service._set(job_id, state="failed", error=message, message=message, finished_at=utcnow(), active_key=None)


def perform(job_id: int) -> bool:
    """What the RQ worker calls: the job in the app's context (the worker command's, or one made
    here for a bare `rq worker`). A failure that RQ will retry is raised again for it."""
    if has_app_context():
        return _perform(job_id)
    global _app
    if _app is None:
        from .. import create_app

        _app = create_app()
    with _app.app_context():
        return _perform(job_id)


def _perform(job_id: int) -> bool:
    from rq import get_current_job

    from . import service

    _fresh_pool()
    current = get_current_job()
    try:
        return service.run(job_id, will_retry=bool(current is not None and current.retries_left))
    finally:
        db.session.remove()


def _fresh_pool() -> None:
    """In a work horse forked from the worker, the database connections are the parent's: let
    them go (unclosed, they are the parent's to close) and open new ones."""
    pid, engine = os.getpid(), db.engine
    if _pool_pid.setdefault(id(engine), pid) != pid:
        engine.dispose(close=False)
        _pool_pid[id(engine)] = pid


def work(burst: bool = False) -> bool:
    """Run an RQ worker on the queue with the app's context: each job in a forked work horse,
    retries scheduled by the worker's own scheduler."""
    from rq import Worker

    db.session.remove()
    db.engine.dispose()
    _pool_pid[id(db.engine)] = os.getpid()
    connection = _connection()
    return Worker([queue(connection)], connection=connection).work(burst=burst, with_scheduler=True)
