"""Pages of background jobs (issue 11): the buttons' POST, the job's page, its file."""
from flask import redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..jobs import service as jobs
from ..jobs.kinds import KINDS
from ..reports.exports import attachment
from ..timeutil import parse_year
from . import bp
from .helpers import refusals_as_pages


@bp.post("/jobs")
@login_required
@refusals_as_pages
def job_create():
    kind, params = jobs.parse({"kind": request.form.get("kind"), "year": parse_year(request.form.get("year", ""))})
    job = jobs.enqueue(kind, params, current_user)
    return redirect(url_for("web.job_page", job_id=job.id), 303)


@bp.get("/jobs/<id:job_id>")
@login_required
@refusals_as_pages
def job_page(job_id):
    job = jobs.get_visible(current_user, job_id)
    return render_template("job.html", job=job, label=KINDS[job.kind].label if job.kind in KINDS else job.kind,
                           outdated=jobs.outdated(job))


@bp.get("/jobs/<id:job_id>/file")
@login_required
@refusals_as_pages
def job_file(job_id):
    job = jobs.file_of(current_user, job_id)
    return attachment(job.file_data, job.file_type, job.file_name)
