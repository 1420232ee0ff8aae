"""API routes for bonus applications (附件6) and their certificates: parse, call, serialize."""
from flask import g, jsonify, request

from ..audit.service import steps_of
from ..workflow import rounds
from .. import attachments
from ..attachments import single_file
from ..bonus import queries as bonus_queries
from ..bonus import service as bonus
from ..bonus.download import attachment_response
from ..timeutil import parse_int
from . import body, bp
from .serialize import attachment_json, bonus_json, changes_json, history_json
from .views import _year_arg
from ..pagecache import kept


def _optional_version(raw):
    """A version from a form or query string: None when absent, kept as text (→ 400) when bad."""
    if raw in (None, ""):
        return None
    value = parse_int(raw)
    return raw if value is None else value


def _response(application_id: int, status: int = 200):
    application, facts = bonus_queries.get_visible(g.api_user, application_id)
    return jsonify(bonus_json(bonus_queries.view(g.api_user, application, facts))), status


@bp.get("/bonus-applications")
@kept
def bonus_list():
    found = bonus_queries.list_visible(g.api_user, _year_arg())
    return jsonify({"items": [bonus_json(bonus_queries.view(g.api_user, a, f)) for a, f in found]})


@bp.post("/bonus-applications")
def bonus_create():
    application = bonus.create(g.api_user, body())
    return _response(application.id, 201)


@bp.get("/bonus-applications/<id:application_id>")
def bonus_detail(application_id):
    return _response(application_id)


@bp.put("/bonus-applications/<id:application_id>")
def bonus_update(application_id):
    bonus.update(g.api_user, application_id, body())
    return _response(application_id)


@bp.post("/bonus-applications/<id:application_id>/attachments")
def bonus_attach(application_id):
    attachment = bonus.add_attachment(g.api_user, application_id, single_file(request.files),
                                      _optional_version(request.form.get("version")))
    return jsonify(attachment_json(attachment)), 201


@bp.post("/bonus-applications/<id:application_id>/actions/<action>")
def bonus_action(application_id, action):
    bonus.fire_action(g.api_user, application_id, action, body())
    return _response(application_id)


@bp.get("/bonus-applications/<id:application_id>/history")
def bonus_history(application_id):
    application, _facts = bonus_queries.get_visible(g.api_user, application_id)
    return jsonify({"items": [history_json(e) for e in steps_of("bonus", application.id)]})


@bp.get("/bonus-applications/<id:application_id>/changes")
def bonus_changes(application_id):
    application, _facts = bonus_queries.get_visible(g.api_user, application_id)
    return jsonify(changes_json(rounds.since_return(steps_of("bonus", application.id))))


@bp.get("/attachments/<id:attachment_id>")
def attachment_download(attachment_id):
    return attachment_response(attachments.get_visible(g.api_user, attachment_id))


@bp.delete("/attachments/<id:attachment_id>")
def attachment_delete(attachment_id):
    application = bonus.remove_attachment(g.api_user, attachment_id, _optional_version(request.args.get("version")))
    return _response(application.id)
