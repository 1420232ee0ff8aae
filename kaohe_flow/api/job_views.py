"""API routes of background jobs (issue 11): ask for one, follow it, fetch its file."""
from flask import g, jsonify, url_for

from ..jobs import service as jobs
from ..reports.exports import attachment
from ..timeutil import local_iso
from . import body, bp


def job_json(job) -> dict:
    done_file = job.state == "done" and job.file_name is not None
    return {
        "id": job.id, "kind": job.kind, "year": job.year, "state": job.state, "progress": job.progress,
        "message": job.message, "error": job.error, "attempts": job.attempts,
        "file": url_for("api.job_file", job_id=job.id) if done_file else None,
        "filename": job.file_name if done_file else None, "size": job.file_size if done_file else None,
        "result": job.result, "created_by": job.created_by.username if job.created_by else None,
        "created_at": local_iso(job.created_at), "started_at": local_iso(job.started_at),
        "finished_at": local_iso(job.finished_at),
    }


@bp.post("/jobs")
def job_create():
    kind, params = jobs.parse(body())
    job = jobs.enqueue(kind, params, g.api_user)
    return jsonify(job_json(job)), 202


@bp.get("/jobs/<id:job_id>")
def job_detail(job_id):
    return jsonify(job_json(jobs.get_visible(g.api_user, job_id)))


@bp.get("/jobs/<id:job_id>/file")
def job_file(job_id):
    job = jobs.file_of(g.api_user, job_id)
    return attachment(job.file_data, job.file_type, job.file_name)
