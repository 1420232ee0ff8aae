"""The page of a year's 附件4 quotas (信息报送指标): everyone signed in reads it; the admin edits it."""
from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from .. import access
from ..errors import ServiceError
from ..org import chart
from ..scheme.settings import year_opened
from ..trackers import info_quota_edit
from . import bp
from .helpers import refusals_as_pages

KINDS = {"": "无指标", "per_month": "每月", "per_year": "全年不低于"}


def _spec(form, prefix: str):
    """A quota from the form's kind and number; the service checks the number."""
    kind, number = form.get(f"{prefix}-kind", ""), (form.get(f"{prefix}-n") or "").strip()
    if not kind:
        return None
    return {kind: int(number) if number.isascii() and number.isdigit() and len(number) < 6 else number}


def _whole(raw):
    raw = (raw or "").strip()
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 6 else raw


def _payload(form, year: int) -> dict:
    codes = [p.unit.code for p in chart.chart(year).values()]
    return {
        "units": {code: _spec(form, f"info-{code}") for code in codes},
        "gov_affairs": {code: _spec(form, f"gov-{code}") for code in codes},
        "gov_default": _spec(form, "gov-default"),
        "extras": {portal: _whole(form.get(f"extras-{portal}")) for portal in ("district", "city", "province")},
        "district_offices_per_year": _whole(form.get("district_offices_per_year")),
    }


def _render(year: int, values: dict, status: int = 200):
    return render_template("year_info_quotas.html", year=year, values=values, kinds=KINDS,
                           places=list(chart.chart(year).values()), opened=year_opened(year),
                           may_edit=access.is_admin(current_user)), status


@bp.get("/years/<year:year>/info-quotas")
@login_required
@refusals_as_pages
def info_quotas_page(year):
    return _render(year, info_quota_edit.view(current_user, year))


@bp.post("/years/<year:year>/info-quotas")
@login_required
@refusals_as_pages
def info_quotas_save(year):
    payload = _payload(request.form, year)
    try:
        info_quota_edit.update(current_user, year, payload)
    except ServiceError as exc:
        if exc.status in (403, 404):
            raise
        flash(exc.message, "error")
        typed = {**info_quota_edit.view(current_user, year), **payload}
        return _render(year, typed, exc.status)
    flash(f"已保存{year}年度信息报送指标", "success")
    return redirect(url_for("web.info_quotas_page", year=year))
