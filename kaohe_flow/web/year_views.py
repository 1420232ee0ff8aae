"""Pages for a year's settings (年度设置): every signed-in user reads them; the admin edits them."""
from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from .. import access
from ..errors import ServiceError
from ..scheme import settings
from . import bp
from .helpers import refusals_as_pages

LIMIT_FIELDS = tuple(f"oa_limits_minutes.{kind}" for kind in settings.LIMIT_KINDS)


def _whole_or_text(raw: str):
    text = (raw or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) < 9 else text


def _payload(form) -> dict:
    """The form as a PUT body; the service checks every value (and names what is wrong)."""
    hours = []
    for part in (form.get("office_hours") or "").replace("，", ",").replace("、", ",").split(","):
        if part.strip():
            pieces = [p.strip() for p in part.replace("–", "-").replace("～", "-").replace("~", "-").split("-")]
            hours.append(pieces)
    payload = {
        "office_hours": hours,
        "oa_limits_minutes": {kind: _whole_or_text(form.get(f"oa_limits_minutes.{kind}"))
                              for kind in settings.LIMIT_KINDS},
        "oa_no_client_hours": _whole_or_text(form.get("oa_no_client_hours")),
        "oa_no_client_basis": form.get("oa_no_client_basis", ""),
        "oa_no_client_factor": _whole_or_text(form.get("oa_no_client_factor")),
        "info_yearly_minimum_points": (form.get("info_yearly_minimum_points") or "").strip(),
        "gov_affairs_points": (form.get("gov_affairs_points") or "").strip(),
        "bonus_cap": (form.get("bonus_cap") or "").strip() or None,
    }
    sent = {key for key in settings.KEYS if key in form} | ({"oa_limits_minutes"} if LIMIT_FIELDS[0] in form else set())
    return {key: value for key, value in payload.items() if key in sent}


def _typed(values: dict) -> dict:
    """Settings (API shape) as the form's text."""
    typed = {
        "office_hours": ", ".join(f"{a}-{b}" for a, b in values["office_hours"]),
        "oa_no_client_hours": values["oa_no_client_hours"], "oa_no_client_basis": values["oa_no_client_basis"],
        "oa_no_client_factor": values["oa_no_client_factor"],
        "info_yearly_minimum_points": values["info_yearly_minimum_points"],
        "gov_affairs_points": values["gov_affairs_points"], "bonus_cap": values["bonus_cap"] or "",
    }
    for kind, minutes in values["oa_limits_minutes"].items():
        typed[f"oa_limits_minutes.{kind}"] = minutes
    return typed


def _render(year: int, typed: dict, errors: dict | None = None, status: int = 200):
    return render_template("year_settings.html", year=year, typed=typed, errors=errors or {},
                           labels=settings.LABELS, limit_kinds=settings.LIMIT_KINDS, bases=settings.BASES,
                           shaping=settings.SHAPING, opened=settings.year_opened(year),
                           may_edit=access.is_admin(current_user)), status


@bp.get("/years/<year:year>/settings")
@login_required
@refusals_as_pages
def year_settings_page(year):
    return _render(year, _typed(settings.get_settings(current_user, year).json()))


@bp.post("/years/<year:year>/settings")
@login_required
@refusals_as_pages
def year_settings_save(year):
    typed = {key: request.form.get(key, "") for key in settings.KEYS if key != "oa_limits_minutes"}
    typed.update({key: request.form.get(key, "") for key in LIMIT_FIELDS})
    try:
        settings.update_settings(current_user, year, _payload(request.form))
    except ServiceError as exc:
        if exc.status in (403, 404):
            raise
        flash(exc.message, "error")  # the whole message on top (a 409 says the year is opened) …
        return _render(year, typed, dict(exc.fields), exc.status)  # … and each key's next to its field
    flash(f"已保存{year}年度设置", "success")
    return redirect(url_for("web.year_settings_page", year=year))
