"""The JSON API of CONTRACT.md, `/api/v1`: thin, over the same services as the pages."""
from flask import Blueprint, g, request

from ..errors import BadRequest, Forbidden, ServiceError, Unauthorized, error_response
from ..org import service as org_service

bp = Blueprint("api", __name__, url_prefix="/api/v1")

PUBLIC_ENDPOINTS = {"api.create_token", "api.openapi"}
# With a temporary password (a reset, an import) the account may only change it.
PASSWORD_CHANGE_ENDPOINTS = {"api.my_password"}


@bp.errorhandler(ServiceError)
def _service_error(exc: ServiceError):
    extra = {"rows": exc.rows} if getattr(exc, "rows", None) else {}
    extra.update(getattr(exc, "extra", None) or {})
    response, status = error_response(exc.status, exc.code, exc.message, **extra)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="kaohe-flow"'
    return response, status


@bp.before_request
def _authenticate():
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    user = org_service.user_for_token(token.strip()) if scheme.lower() == "bearer" and token.strip() else None
    if user is None:
        raise Unauthorized("请先登录：缺少或无效的访问令牌（Authorization: Bearer …）", "unauthorized")
    g.api_user = user
    g.api_token = token.strip()
    if user.must_change_password and request.endpoint not in PASSWORD_CHANGE_ENDPOINTS:
        raise Forbidden("请先修改临时密码（PUT /api/v1/me/password）", "password_change_required")
    return None


def body() -> dict:
    """The request's JSON object, or 400.

    JSON has one kind of number: `2018.0` is the integer 2018 (JSON Schema agrees, and so does
    the OpenAPI document), so a whole number written with a point reaches the services as an int."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise BadRequest("请求体必须是 JSON 对象", "malformed_json")
    return {key: int(value) if isinstance(value, float) and value.is_integer() else value
            for key, value in data.items()}


from . import views  # noqa: E402,F401  (routes register on bp)
from . import bonus_views  # noqa: E402,F401
from . import ledger_views  # noqa: E402,F401
from . import info_views  # noqa: E402,F401
from . import oa_views  # noqa: E402,F401
from . import report_views  # noqa: E402,F401
from . import year_views  # noqa: E402,F401
from . import admin_views  # noqa: E402,F401
from . import account_views  # noqa: E402,F401
from . import target_views  # noqa: E402,F401
from . import delegation_views  # noqa: E402,F401
from . import rhythm_views  # noqa: E402,F401
from . import notify_views  # noqa: E402,F401
from . import job_views  # noqa: E402,F401
