"""Accounts on the pages: the admin's 账号管理 (list, new, edit, deactivate, reset password,
import) and everyone's 修改密码. An account with a temporary password is led to 修改密码 from
every page until it has changed it."""
from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..errors import ServiceError
from ..extensions import db
from ..org import accounts
from ..org.models import ROLES, Unit
from ..security.sessions import current_session_id
from ..trackers.imports import RowErrors
from . import bp
from .helpers import refusals_as_pages
from .paging import paginate

# What a signed-in account with a temporary password may still open.
PASSWORD_CHANGE_ENDPOINTS = {"web.my_password_page", "web.my_password_change", "web.logout", "web.login"}


@bp.before_request
def _lead_to_password_change():
    if request.endpoint in PASSWORD_CHANGE_ENDPOINTS or not current_user.is_authenticated:
        return None
    if current_user.must_change_password:
        flash("您正在使用临时密码，请先设置新密码", "info")
        return redirect(url_for("web.my_password_page"))
    return None


# ------------------------------------------------------------------------------ everyone: own password


@bp.get("/me/password")
@login_required
def my_password_page():
    return render_template("me_password.html", forced=current_user.must_change_password)


@bp.post("/me/password")
@login_required
def my_password_change():
    form = request.form
    new = form.get("new_password", "")
    if new != form.get("confirm_password", ""):
        flash("两次输入的新密码不一致", "error")
        return render_template("me_password.html", forced=current_user.must_change_password), 422
    try:
        accounts.change_own_password(current_user, form.get("current_password", ""), new,
                                     keep_session=current_session_id())
    except ServiceError as exc:
        flash(exc.message, "error")
        return render_template("me_password.html", forced=current_user.must_change_password), exc.status
    flash("密码已修改；您在其他设备上的登录和访问令牌均已失效", "success")
    return redirect(url_for("web.home"))


# ------------------------------------------------------------------------------ the admin's accounts


def _units():
    return list(db.session.scalars(db.select(Unit).order_by(Unit.position)))


def _form_data(form) -> dict:
    return {"name": form.get("name", "").strip(), "unit": form.get("unit") or None,
            "roles": [r for r in ROLES if form.get(f"role-{r}")],
            # A form without the field (an older page) leaves the address as it is.
            **({"email": form.get("email", "").strip() or None} if "email" in form else {})}


def _list(status: int = 200, **extra):
    """A hundred accounts a page (a district has two thousand), those whose username or name holds
    `?q=` when it is given."""
    users = accounts.list_users(current_user)
    q = request.args.get("q", "").strip()
    if q:
        users = [u for u in users if q.casefold() in u.username.casefold() or q.casefold() in (u.name or "").casefold()]
    # Shown again after a refused import (a POST's address), the pager still leads to the list.
    page = paginate(users, endpoint="web.admin_users", args={"q": q})
    return render_template("admin_users.html", users=page.items, page=page, q=q, **extra), status


@bp.get("/admin/users")
@login_required
@refusals_as_pages
def admin_users():
    return _list()


@bp.get("/admin/users/new")
@login_required
@refusals_as_pages
def admin_user_new():
    accounts.require_admin(current_user)
    return render_template("admin_user_form.html", user=None, data={"roles": ["member"]}, units=_units())


@bp.post("/admin/users")
@login_required
@refusals_as_pages
def admin_user_create():
    accounts.require_admin(current_user)
    data = {**_form_data(request.form), "username": request.form.get("username", "").strip(),
            "password": request.form.get("password", "")}
    try:
        user = accounts.create_account(current_user, data)
    except ServiceError as exc:
        if exc.status == 403:
            raise
        flash(exc.message, "error")
        data.pop("password")
        return render_template("admin_user_form.html", user=None, data=data, units=_units()), exc.status
    flash(f"已新建账号 {user.username}", "success")
    return redirect(url_for("web.admin_users"))


@bp.get("/admin/users/<username:username>")
@login_required
@refusals_as_pages
def admin_user_edit(username):
    user = accounts.get_user(current_user, username)
    data = {"name": user.name, "unit": user.unit.code if user.unit else None, "roles": user.roles,
            "active": user.active, "email": user.email}
    return render_template("admin_user_form.html", user=user, data=data, units=_units())


@bp.post("/admin/users/<username:username>")
@login_required
@refusals_as_pages
def admin_user_update(username):
    user = accounts.get_user(current_user, username)
    data = _form_data(request.form)
    if "active" in request.form:  # a form without the choice leaves the state as it is
        data["active"] = request.form["active"] == "1"
    try:
        accounts.update_account(current_user, username, data)
    except ServiceError as exc:
        if exc.status in (403, 404):
            raise
        flash(exc.message, "error")
        data.setdefault("active", user.active)
        return render_template("admin_user_form.html", user=user, data=data, units=_units()), exc.status
    flash(f"已保存账号 {username}", "success")
    return redirect(url_for("web.admin_users"))


@bp.post("/admin/users/<username:username>/password-reset")
@login_required
@refusals_as_pages
def admin_user_reset(username):
    """The temporary password is shown on this answer only (never on a page one can reload)."""
    try:
        plain = accounts.reset_password(current_user, username)
    except ServiceError as exc:
        if exc.status in (403, 404):
            raise
        flash(exc.message, "error")
        return _list(exc.status)
    return render_template("admin_user_passwords.html", title="已重置密码",
                           created=[(accounts.get_user(current_user, username), plain)])


@bp.post("/admin/users/import")
@login_required
@refusals_as_pages
def admin_user_import():
    accounts.require_admin(current_user)
    try:
        created = accounts.import_users(current_user, request.files.get("file"))
    except RowErrors as exc:
        flash(exc.message, "error")
        return _list(exc.status, row_errors=exc.rows)
    except ServiceError as exc:
        flash(exc.message, "error")
        return _list(exc.status)
    return render_template("admin_user_passwords.html", title=f"已导入 {len(created)} 个账号", created=created)
