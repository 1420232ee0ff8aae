"""Security events: a row in `security_events` and a structured line on the logger
`kaohe_flow.security` for every sign-in, refusal and account change (OWASP ASVS 16).

Two ways to write one. `add` puts the event in the caller's unit of work: it stands only if
the change it describes commits (a session begun, a token issued, a password changed).
`record_refusal` writes an event about a refusal (a failed sign-in, a lockout, a 403): the
request's own changes are rolled back first (a refused request keeps nothing), then the event
commits alone, so a refusal is logged even though nothing else of its request is kept.
"""
import json
import logging

from flask import g, has_request_context, request
from flask_login import current_user

from ..access import is_admin
from ..errors import BadRequest, Forbidden
from ..extensions import db
from ..timeutil import parse_int
from .models import SecurityEvent

log = logging.getLogger("kaohe_flow.security")

KIND_LABELS = {
    "login_ok": "登录成功",
    "login_failed": "登录失败",
    "locked": "登录锁定",
    "logout": "退出登录",
    "token_issued": "签发访问令牌",
    "token_revoked": "吊销访问令牌",
    "password_changed": "修改密码",
    "password_reset": "重置密码",
    "user_changed": "账号变更",
    "forbidden": "越权访问（403）",
}
KINDS = tuple(KIND_LABELS)
DEFAULT_LIMIT, MAX_LIMIT = 200, 1000


def client_ip() -> str | None:
    """The client's address (ProxyFix has put the proxy's X-Forwarded-For there when configured)."""
    return (request.remote_addr or None) if has_request_context() else None


def _printable(text: str) -> str:
    """What an attacker typed, as a database text column holds it (PostgreSQL refuses NUL)."""
    return text.replace("\x00", "\ufffd")


def _event(kind: str, username, detail: str) -> SecurityEvent:
    if kind not in KIND_LABELS:
        raise ValueError(f"unknown security event kind: {kind}")
    username = _printable(username)[:100] if isinstance(username, str) else None
    event = SecurityEvent(kind=kind, username=username or None, ip=client_ip(),
                          detail=_printable(detail or "")[:500])
    # key=value with JSON-quoted values: a username typed with a line break cannot forge a line.
    log.info("security_event kind=%s username=%s ip=%s detail=%s", kind,
             json.dumps(event.username, ensure_ascii=False), json.dumps(event.ip),
             json.dumps(event.detail, ensure_ascii=False))
    return event


def add(kind: str, username=None, detail: str = "") -> None:
    """An event in the caller's unit of work (it commits with the change it describes)."""
    db.session.add(_event(kind, username, detail))


def record_refusal(kind: str, username=None, detail: str = "") -> None:
    """An event about a refusal: the request's changes are dropped, the event commits alone."""
    db.session.rollback()
    db.session.add(_event(kind, username, detail))
    db.session.commit()


def _caller_name() -> str | None:
    """Who made this request: the API's bearer, else the page's signed-in user, else nobody."""
    api_user = g.get("api_user")
    if api_user is not None:
        return api_user.username
    return current_user.username if current_user and current_user.is_authenticated else None


def init_app(app) -> None:
    @app.after_request
    def _log_forbidden(response):
        """Every 403 the app answers, page or API, whichever refusal produced it."""
        if response.status_code == 403:
            try:
                record_refusal("forbidden", _caller_name(), f"{request.method} {request.path}"[:500])
            except Exception:  # the refusal stands even if the log cannot be written
                db.session.rollback()
                log.exception("could not record a forbidden event")
        return response


def parse_filters(args) -> tuple[str | None, int]:
    """`kind` (one of KINDS) and `limit` (1–1000, default 200) from a query string; 400 otherwise."""
    kind = args.get("kind") or None
    if kind is not None and kind not in KIND_LABELS:
        raise BadRequest(f"参数 kind 必须是以下之一：{', '.join(KINDS)}", "bad_kind")
    raw = args.get("limit")
    limit = DEFAULT_LIMIT if raw in (None, "") else parse_int(raw, MAX_LIMIT)
    if not limit:
        raise BadRequest(f"参数 limit 必须是 1 到 {MAX_LIMIT} 之间的整数", "bad_limit")
    return kind, limit


def recent(user, kind: str | None = None, limit: int = DEFAULT_LIMIT) -> list[SecurityEvent]:
    """The newest events first; the admin's to read (403 for everyone else)."""
    if not is_admin(user):
        raise Forbidden("只有管理员可以查看安全事件", "forbidden")
    query = db.select(SecurityEvent).order_by(SecurityEvent.at.desc(), SecurityEvent.id.desc()).limit(limit)
    if kind:
        query = query.where(SecurityEvent.kind == kind)
    return list(db.session.scalars(query))
