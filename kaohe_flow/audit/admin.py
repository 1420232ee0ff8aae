"""The admin's audit (CONTRACT.md `GET /api/v1/audit`): every change to accounts, years, org
charts, schemes, settings, target letters and the calendar is one entry, written in the same
unit of work as the change it describes (it stands only if the change commits).

Callers pass plain values for `old` and `new` (dicts of the fields that changed, or None); a
password or a password hash never goes in them. The table is append-only and hash-chained
like the sheets' history, so `flask verify-audit` covers it.
"""
from ..access import is_admin
from ..errors import BadRequest, Forbidden
from ..extensions import db
from ..timeutil import parse_int, utcnow
from .models import AuditEntry

# Actions of CONTRACT.md, in Chinese for the admin's page; an action not listed shows its code.
ACTION_LABELS = {
    "user_created": "新建账号",
    "user_changed": "修改账号",
    "password_reset": "重置密码",
    "year_created": "新建年度",
    "unit_changed": "修改单位",
    "item_changed": "修改考核项目",
    "settings_changed": "修改年度设置",
    "info_quotas_changed": "修改信息报送指标",
    "year_opened": "开启年度考核",
    "targets_changed": "修改目标责任书",
    "calendar_changed": "修改工作日历",
    "deadlines_changed": "修改办理期限",
    "delegation_created": "委托代办",
    "delegation_ended": "结束委托",
}
DEFAULT_LIMIT, MAX_LIMIT = 200, 1000


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action)


def record_change(user, action: str, obj: str, old=None, new=None) -> AuditEntry:
    """Add one audit entry to the session; the caller's operation commits it with the change.

    `user` is who made the change (None for the system), `obj` names what changed
    (e.g. "user:bgs", "year:2019", "unit:2019/bgs"), `old`/`new` are JSON-able values."""
    if not action or len(action) > 40:
        raise ValueError(f"bad audit action: {action!r}")
    entry = AuditEntry(at=utcnow(), user_id=getattr(user, "id", None),
                       username=getattr(user, "username", None) or "system",
                       action=action, object=str(obj)[:200], old=old, new=new)
    db.session.add(entry)
    return entry


def parse_filters(args) -> tuple[str | None, int]:
    """`action` (one of ACTION_LABELS) and `limit` (1–1000, default 200) from a query string; 400 otherwise."""
    action = args.get("action") or None
    if action is not None and action not in ACTION_LABELS:
        raise BadRequest(f"参数 action 必须是以下之一：{', '.join(ACTION_LABELS)}", "bad_action")
    raw = args.get("limit")
    limit = DEFAULT_LIMIT if raw in (None, "") else parse_int(raw, MAX_LIMIT)
    if not limit:
        raise BadRequest(f"参数 limit 必须是 1 到 {MAX_LIMIT} 之间的整数", "bad_limit")
    return action, limit


def recent(user, action: str | None = None, limit: int = DEFAULT_LIMIT) -> list[AuditEntry]:
    """The newest entries first (id order is chain order); the admin's to read, 403 otherwise."""
    if not is_admin(user):
        raise Forbidden("只有管理员可以查看审计日志", "forbidden")
    query = db.select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if action:
        query = query.where(AuditEntry.action == action)
    return list(db.session.scalars(query))
