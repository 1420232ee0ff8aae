"""Who an OA document reached (附件5 covers all staff): accounts, people on a unit's staff list
who have no account, and people outside the bureau — and the staff lists themselves.

A recipient is named by `username`, or by `name` with its `unit` (a person on that unit's staff
list, or an account of that unit by its name). Nobody is taken on trust: a recipient who is
neither an account nor on a staff list is refused (422 `unknown_recipient`) unless the caller
says `"external": true` — an outsider is listed and charges nobody.

Recipients are matched by a key: ("user", username), ("staff", staff id), ("external", name).
"""
from flask import current_app
from sqlalchemy.exc import IntegrityError

from .. import access
from ..errors import BadRequest, Conflict, Forbidden, Invalid, NotFound, ServiceError
from ..extensions import db
from ..org.models import Unit, User
from ..org.queries import resolve_unit
from ..scheme.queries import scheme_or_none
from ..uow import operation
from ..workflow import steps
from .oa_models import StaffMember

OA_ITEM = "info_mgmt"
MAX_NAME = 100
MAX_ID = 2**31 - 1  # an id no row can have is nobody, never a database error


def _item():
    scheme = scheme_or_none(current_app.config["CURRENT_YEAR"])
    return scheme.item(OA_ITEM) if scheme else None


# ------------------------------------------------------------------------------ recipients


def resolve(entries: list, keep: frozenset = frozenset()) -> list[tuple[tuple, dict]]:
    """Each entry of a document's `recipients` as (key, entry), in order; 422 for one that names
    nobody. Accounts are looked up in one query. `keep`: the document's recipients already
    (someone taken off a staff list since stays on the documents they received)."""
    names = {e["username"].strip() for e in entries  # text the database cannot hold is refused per entry
             if isinstance(e, dict) and isinstance(e.get("username"), str) and e["username"].strip()
             and "\x00" not in e["username"] and len(e["username"].strip()) <= 64}
    accounts = set(db.session.scalars(db.select(User.username).where(User.username.in_(names)))) if names else set()
    out = []
    for n, entry in enumerate(entries, 1):
        out.append((_key(entry, n, accounts, keep), entry))
    return out


def _key(entry, n: int, accounts: set[str], keep: frozenset = frozenset()) -> tuple:
    if not isinstance(entry, dict):
        raise Invalid(f"第 {n} 个接收人格式不对", "invalid_recipient")
    external = entry.get("external") is True
    username, name, unit_name = entry.get("username"), entry.get("name"), entry.get("unit")
    staff_id = entry.get("staff_id")
    if isinstance(staff_id, int) and not isinstance(staff_id, bool):
        member = db.session.get(StaffMember, staff_id) if 1 <= staff_id <= MAX_ID else None
        if member is None or not (member.active or ("staff", staff_id) in keep):
            raise Invalid(f"第 {n} 个接收人：人员名单上没有编号 {staff_id}", "unknown_recipient")
        return ("staff", staff_id)
    if isinstance(username, str) and username.strip():
        username = steps.clean_text(username, "用户名", limit=64)
        if username in accounts:
            return ("user", username)
        if external:
            return ("external", username)
        found = _by_name(username, None)  # a person's name typed where a username goes (a page, a file)
        if found is not None:
            return found
        raise Invalid(f"接收人“{username}”不是系统账号，也不是任何科室人员名单上的人；"
                      f"本局以外的人员请注明为外部人员（external）", "unknown_recipient")
    if isinstance(name, str) and name.strip():
        name = steps.clean_text(name, "姓名", limit=MAX_NAME)
        unit = None
        if unit_name not in (None, ""):
            unit = resolve_unit(unit_name)
            if unit is None:
                raise Invalid(f"第 {n} 个接收人：没有名为“{unit_name}”的科室", "unknown_recipient")
        found = _by_name(name, unit)
        if found is not None:
            return found
        if external:
            return ("external", name)
        where = f"{unit.name}的" if unit else "任何科室的"
        raise Invalid(f"接收人“{name}”不在{where}人员名单上，也没有这个姓名的账号；请先把他加入人员名单，"
                      f"或注明为外部人员（external）", "unknown_recipient")
    raise Invalid(f"第 {n} 个接收人缺少用户名（username）或姓名（name）", "invalid_recipient")


def _by_name(name: str, unit: Unit | None) -> tuple | None:
    """A person named so on a staff list or as an account, in `unit` (or in exactly one unit)."""
    staff = db.select(StaffMember).filter_by(name=name, active=True)
    users = db.select(User).filter_by(name=name, active=True)
    if unit is not None:
        staff, users = staff.filter_by(unit_id=unit.id), users.filter_by(unit_id=unit.id)
    found = [("staff", s.id) for s in db.session.scalars(staff)] + [("user", u.username) for u in db.session.scalars(users)]
    if len(found) > 1:
        raise Invalid(f"有不止一人叫“{name}”，请注明科室（unit）或用户名（username）", "unknown_recipient")
    return found[0] if found else None


def label(key: tuple) -> str:
    """How people read a recipient key (history, messages)."""
    kind, ref = key
    if kind == "staff":
        member = db.session.get(StaffMember, ref)
        return f"{member.name}（{member.unit.name}）" if member else f"人员 #{ref}"
    return f"{ref}（外部）" if kind == "external" else ref


def unit_ids(keys) -> dict[tuple, int | None]:
    """key → the unit charged for it: an account's unit, a staff member's unit, none for outsiders."""
    keys = set(keys)
    usernames = {ref for kind, ref in keys if kind == "user"}
    staff_ids = {ref for kind, ref in keys if kind == "staff"}
    users = dict(db.session.execute(db.select(User.username, User.unit_id).where(User.username.in_(usernames)))
                 .all()) if usernames else {}
    staff = dict(db.session.execute(db.select(StaffMember.id, StaffMember.unit_id).where(StaffMember.id.in_(staff_ids)))
                 .all()) if staff_ids else {}
    return {key: users.get(key[1]) if key[0] == "user" else staff.get(key[1]) if key[0] == "staff" else None
            for key in keys}


# ------------------------------------------------------------------------------ staff lists


def list_staff(user, unit_code=None) -> list[StaffMember]:
    """A unit's staff list (every unit's for those who read every unit's OA rows); active only."""
    query = db.select(StaffMember).filter_by(active=True).join(Unit).order_by(Unit.position, StaffMember.name)
    if unit_code:
        unit = resolve_unit(unit_code)
        if unit is None:
            raise Invalid(f"没有名为“{unit_code}”的科室", "unknown_unit")
        query = query.filter(StaffMember.unit_id == unit.id)
    rows = list(db.session.scalars(query))
    if access.reads_every_unit(user, _item()):
        return rows
    return [s for s in rows if s.unit_id == user.unit_id]


def _unit_for(raw) -> Unit:
    if not isinstance(raw, str) or not raw.strip():
        raise Invalid("请指明科室（unit）", "unknown_unit")
    unit = resolve_unit(raw)
    if unit is None:
        raise Invalid(f"没有名为“{raw}”的科室", "unknown_unit")
    return unit


def _add(user, unit: Unit, name) -> StaffMember:
    access.require(access.can_keep_staff(user, unit, _item()))
    if not isinstance(name, str) or not name.strip():
        raise Invalid("请填写姓名（name）", "name_required")
    name = steps.clean_text(name, "姓名", limit=MAX_NAME)
    member = db.session.scalar(db.select(StaffMember).filter_by(unit_id=unit.id, name=name))
    if member is not None and member.active:
        raise Conflict(f"{unit.name}的人员名单上已有“{name}”", "staff_exists")
    if member is None:
        member = StaffMember(unit_id=unit.id, name=name)
        db.session.add(member)
    member.active = True
    return member


@operation
def add_staff(user, payload) -> StaffMember:
    """`POST /api/v1/staff` `{"unit", "name"}`: a person without an account on a unit's list."""
    if not isinstance(payload, dict):
        raise BadRequest("请求体必须是 JSON 对象", "malformed_json")
    member = _add(user, _unit_for(payload.get("unit")), payload.get("name"))
    try:
        db.session.flush()
    except IntegrityError:  # the same person added by someone else a moment ago
        raise Conflict(f"人员名单上已有“{member.name}”", "staff_exists") from None
    db.session.commit()
    return member


@operation
def remove_staff(user, staff_id: int) -> None:
    """Take someone off the list (they left); documents already sent keep them as recipients."""
    member = db.session.get(StaffMember, staff_id)
    if member is None or not member.active or member not in list_staff(user):
        raise NotFound("没有找到这个人")
    access.require(access.can_keep_staff(user, member.unit, _item()))
    member.active = False
    db.session.commit()


STAFF_COLUMNS = {"unit": ["科室", "单位", "unit"], "name": ["姓名", "name"]}


@operation
def import_staff(user, upload) -> dict:
    """A staff list from .xlsx/.csv (科室, 姓名): every row checked first, nothing half-imported;
    a person already on the list is left as is."""
    from .imports import RowErrors, read_table

    if not (access.is_admin(user) or access.acts_for_unit(user)):  # before reading the file
        raise Forbidden("只有各科室、负责“信息管理”考核的科室和管理员可以导入人员名单")
    rows = read_table(upload, STAFF_COLUMNS, required=["unit", "name"])
    errors, wanted = [], []
    for row in rows:
        try:
            unit = _unit_for(str(row["unit"] or ""))
            access.require(access.can_keep_staff(user, unit, _item()))
            name = str(row["name"] or "").strip()
            if not name:
                raise Invalid("姓名为空", "name_required")
            wanted.append((unit, steps.clean_text(name, "姓名", limit=MAX_NAME)))
        except ServiceError as exc:  # a unit not the caller's to keep names its row too
            errors.append({"row": row["_row"], "message": exc.message})
    if errors:
        raise RowErrors(errors)
    added = 0
    for unit, name in dict.fromkeys(wanted):
        member = db.session.scalar(db.select(StaffMember).filter_by(unit_id=unit.id, name=name))
        if member is None or not member.active:
            _add(user, unit, name)
            db.session.flush()
            added += 1
    db.session.commit()
    return {"added": added, "rows": len(rows)}


def may_keep(user, unit) -> bool:
    """Whether the page offers `user` to change `unit`'s list."""
    return access.can_keep_staff(user, unit, _item()).allowed
