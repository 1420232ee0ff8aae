"""Pages for bonus applications (附件6): the list, the form with its certificates, the steps."""
from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from .. import access
from ..audit.service import steps_of
from ..workflow import rounds
from .. import attachments
from ..attachments import single_file
from ..bonus import queries as bonus_queries
from ..bonus import service as bonus
from ..bonus.download import attachment_response
from ..errors import ServiceError
from ..timeutil import parse_int
from . import bp
from .helpers import error_page, flash_refusal, form_version, refusals_as_pages
from ..pagecache import kept
from .views import _year, done_message


def _may_file() -> bool:
    return access.acts_for_unit(current_user)


@bp.get("/bonus")
@login_required
@kept
def bonus_list():
    year = _year()
    found = [a for a, _f in bonus_queries.list_visible(current_user, year)]
    return render_template("bonus_list.html", year=year, applications=found, may_file=_may_file(), typed={})


@bp.post("/bonus")
@login_required
def bonus_create():
    typed = {"project": request.form.get("project", ""), "points_requested": request.form.get("points_requested", "")}
    payload = {"year": parse_int(request.form.get("year")), **typed}
    try:
        application = bonus.create(current_user, payload)
    except ServiceError as exc:
        flash(exc.message, "error")
        year = payload["year"] or _year()
        found = [a for a, _f in bonus_queries.list_visible(current_user, year)]
        return render_template("bonus_list.html", year=year, applications=found, may_file=_may_file(),
                               typed=typed), exc.status
    flash("已新建申报，请上传获奖证书后提交", "success")
    return redirect(url_for("web.bonus_page", application_id=application.id))


def _render(application_id: int, status: int = 200, typed: dict | None = None, open_action: str | None = None):
    application, facts = bonus_queries.get_visible(current_user, application_id)
    history = steps_of("bonus", application.id)
    return render_template("bonus.html", v=bonus_queries.view(current_user, application, facts),
                           history=history, typed=typed or {}, open_action=open_action,
                           returned=rounds.returned("bonus", [application.id]).get(application.id),
                           since=rounds.since_return(history)), status


@bp.get("/bonus/<id:application_id>/changes")
@login_required
@refusals_as_pages
def bonus_changes(application_id):
    """退回后的修改 of an application."""
    application, _facts = bonus_queries.get_visible(current_user, application_id)
    return render_template("changes.html", kind="bonus", record=application,
                           title=f"{application.unit.name} 附加分申报：{application.project}",
                           back=url_for("web.bonus_page", application_id=application.id),
                           since=rounds.since_return(steps_of("bonus", application.id)), item_names={}, unsigned=None)


def _refused(application_id: int, exc: ServiceError, typed: dict, open_action: str | None = None):
    flash_refusal(exc)
    try:
        return _render(application_id, exc.status, typed, open_action)
    except ServiceError as inner:
        return error_page(inner)


@bp.get("/bonus/<id:application_id>")
@login_required
@kept
@refusals_as_pages
def bonus_page(application_id):
    return _render(application_id)


@bp.post("/bonus/<id:application_id>/edit")
@login_required
def bonus_edit(application_id):
    typed = {f: request.form[f] for f in ("project", "points_requested", "points_proposed") if f in request.form}
    try:
        bonus.update(current_user, application_id, {"version": form_version(), **typed})
    except ServiceError as exc:
        return _refused(application_id, exc, typed)
    flash("已保存", "success")
    return redirect(url_for("web.bonus_page", application_id=application_id))


@bp.post("/bonus/<id:application_id>/attachments")
@login_required
def bonus_attach(application_id):
    try:
        bonus.add_attachment(current_user, application_id, single_file(request.files), form_version())
    except ServiceError as exc:
        return _refused(application_id, exc, {})
    flash("证书已上传", "success")
    return redirect(url_for("web.bonus_page", application_id=application_id))


@bp.post("/attachments/<id:attachment_id>/delete")
@login_required
def attachment_delete(attachment_id):
    try:
        application = bonus.remove_attachment(current_user, attachment_id, form_version())
    except ServiceError as exc:
        return error_page(exc)
    flash("证书已删除", "success")
    return redirect(url_for("web.bonus_page", application_id=application.id))


@bp.get("/attachments/<id:attachment_id>")
@login_required
def attachment_download(attachment_id):
    try:
        attachment = attachments.get_visible(current_user, attachment_id)
    except ServiceError as exc:
        return error_page(exc)
    return attachment_response(attachment, inline=request.args.get("inline") == "1")


@bp.post("/bonus/<id:application_id>/actions/<action>")
@login_required
def bonus_action(application_id, action):
    typed = {k: request.form.get(k) for k in ("comment", "points_proposed", "opinion", "points_granted")
             if request.form.get(k) not in (None, "")}
    try:
        moved = bonus.fire_action(current_user, application_id, action, {"version": form_version(), **typed})
    except ServiceError as exc:
        return _refused(application_id, exc, typed, open_action=action)
    flash(done_message(action, moved), "success")
    return redirect(url_for("web.bonus_page", application_id=application_id))
