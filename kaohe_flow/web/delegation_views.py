"""Pages for delegations (委托代办): a head or a deputy director away on business hands their
capacities to someone for a range of days; the delegate's inbox then shows the records."""
from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..errors import ServiceError
from ..rhythm import delegations
from ..timeutil import local_today
from . import bp
from .helpers import error_page


def _render(typed: dict | None = None, errors: dict | None = None, status: int = 200):
    mine = delegations.visible(current_user)
    return render_template(
        "delegations.html", delegations=mine, status=delegations.status, labels=delegations.STATUS_LABELS,
        may_delegate=delegations.may_delegate(current_user),
        candidates=delegations.candidates(current_user) if delegations.may_delegate(current_user) else [],
        typed=typed or {"from_date": local_today().isoformat()}, errors=errors or {}), status


@bp.get("/delegations")
@login_required
def delegations_page():
    return _render()


@bp.post("/delegations")
@login_required
def delegation_add():
    typed = {k: request.form.get(k, "").strip() for k in ("to", "from_date", "to_date")}
    try:
        made = delegations.create(current_user, typed)
    except ServiceError as exc:
        if exc.status == 403:
            return error_page(exc)
        flash(exc.message, "error")
        return _render(typed, exc.fields or {}, exc.status)
    flash(f"已委托{made.delegate.name or made.delegate.username}自 {made.from_date} 至 {made.to_date} 代为处理；"
          "到期自动结束", "success")
    return redirect(url_for("web.delegations_page"))


@bp.post("/delegations/<id:delegation_id>/end")
@login_required
def delegation_end(delegation_id):
    try:
        delegations.end(current_user, delegation_id)
    except ServiceError as exc:
        if exc.status in (403, 404):
            return error_page(exc)
        flash(exc.message, "error")
        return _render(status=exc.status)
    flash("委托已结束", "success")
    return redirect(url_for("web.delegations_page"))
