"""Accounts in the API (CONTRACT.md "Accounts"): the admin's users, everyone's own password."""
from flask import g, jsonify, request

from ..org import accounts
from ..security.throttle import TooManyAttempts
from . import body, bp, error_response


def account_json(user) -> dict:
    return {"username": user.username, "name": user.name, "unit": user.unit.code if user.unit else None,
            "roles": user.roles, "active": user.active, "must_change_password": user.must_change_password,
            "email": user.email}


@bp.get("/users")
def user_list():
    return jsonify({"items": [account_json(u) for u in accounts.list_users(g.api_user)]})


@bp.post("/users")
def user_create():
    return jsonify(account_json(accounts.create_account(g.api_user, body()))), 201


@bp.put("/users/<username:username>")
def user_update(username):
    return jsonify(account_json(accounts.update_account(g.api_user, username, body())))


@bp.post("/users/<username:username>/password-reset")
def user_password_reset(username):
    return jsonify({"temporary_password": accounts.reset_password(g.api_user, username)})


@bp.post("/users/import")
def user_import():
    created = accounts.import_users(g.api_user, request.files.get("file"))
    return jsonify({"created": len(created), "items": [
        {**account_json(user), "temporary_password": plain} for user, plain in created]}), 201


@bp.put("/me/password")
def my_password():
    data = body()
    try:
        accounts.change_own_password(g.api_user, data.get("current_password"), data.get("new_password"),
                                     keep_token=accounts.token_hash(g.api_token))
    except TooManyAttempts as exc:
        response, status = error_response(exc.status, exc.code, exc.message)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response, status
    return jsonify({"username": g.api_user.username, "password_changed": True})
