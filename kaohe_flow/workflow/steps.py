"""What every step on a moving record (a sheet, a bonus application) shares: the order of the
checks, the version, clean text, and the single commit that makes a step permanent."""
from decimal import Decimal

from sqlalchemy.orm.exc import StaleDataError

from ..audit import service as audit
from ..errors import BadRequest, Invalid, from_verdict, stale
from ..extensions import db
from ..points import PointsError, fmt_points, parse_points
from ..timeutil import utcnow
from ..uow import stand_in
from . import permissions
from .machine import KEPT_ON_RETURN, SIGNATURE_STEP, STATES

MAX_TEXT = 2000  # a reason, a comment or a project title; the forms' cells are not essays


def check_version(record, version) -> None:
    """400 without an integer version, 409 when it is not the record's current one."""
    if isinstance(version, bool) or not isinstance(version, int):
        raise BadRequest("缺少版本号（version），或版本号不是整数", "bad_version")
    if version != record.version:
        raise stale()


def authorize(user, action: str, facts, version, record):
    """403 first (never theirs), then a stale page, then the wrong moment (409)."""
    verdict = permissions.decide(user, action, facts)
    if verdict.status in (403, 404):
        raise from_verdict(verdict)
    check_version(record, version)
    if not verdict.allowed:
        raise from_verdict(verdict)
    if _acted_otherwise(user, verdict, facts, record):
        raise from_verdict(permissions.Verdict(False, 409, permissions.CONFLICT, permissions.CONFLICT_MESSAGE))
    stand_in(verdict.on_behalf_of)  # every history step of this operation names the delegator
    return verdict


def _acted_otherwise(user, verdict, facts, record) -> bool:
    """The write-time half of "nobody acts in two capacities through a delegation": besides the
    standing signatures (`decide`), every step of the record's current round — scores typed,
    moves — counts. Asked only when a delegation is involved: acting through one now, or having
    done so on this record in this round."""
    delegated = verdict.on_behalf_of is not None
    kind = audit.KIND_OF.get(type(record).__name__)
    if kind is None or record.id is None:
        return False
    steps = audit.round_steps_of(kind, record.id, user.username)
    if not delegated and not any(s.on_behalf_of for s in steps):
        return False
    acts = [(user.id, s.capacity, s.on_behalf_of is not None) for s in steps]
    return permissions.conflicting(acts, user, verdict.capacity, delegated)


def commit(record, *, flushed: bool = False, keep_loaded: bool = False) -> None:
    """Bump the version (the record's row is updated) and commit once; a race loses with 409.
    `flushed`: the step was already written by `flush` (its version bumped once).
    `keep_loaded`: the objects of the unit of work stay as written instead of expiring, so the
    answer is drawn from them (what was just committed) rather than loaded again (issue 11)."""
    if not flushed:
        record.updated_at = utcnow()
    session = db.session()
    expire = session.expire_on_commit
    session.expire_on_commit = expire and not keep_loaded
    try:
        session.commit()
    except StaleDataError:
        session.rollback()
        raise stale() from None
    finally:
        session.expire_on_commit = expire


def flush(record) -> None:
    """Write the step so far — the record's row once, one version step — before what follows
    reads it (the notifications of the step); a race loses with 409."""
    record.updated_at = utcnow()
    try:
        db.session.flush()
    except StaleDataError:
        db.session.rollback()
        raise stale() from None


def clean_text(value, label: str, limit: int = MAX_TEXT) -> str:
    """Text from a client: a string without NUL, trimmed, not too long; None is empty."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise Invalid(f"{label}必须是文字", "invalid_text")
    if "\x00" in value:
        raise Invalid(f"{label}包含无效字符", "invalid_text")
    value = value.strip()
    if len(value) > limit:
        raise Invalid(f"{label}不能超过 {limit} 字", "invalid_text")
    return value


def score(value, limit: Decimal, label: str, limit_name: str = "标准分值") -> Decimal | None:
    """A typed score: empty is none yet; otherwise points from 0 to `limit` (an item's standard,
    a target's points), at most two decimals — 422 naming what is wrong."""
    if value is None or value == "":
        return None
    try:
        points = parse_points(value, label)
    except PointsError as exc:
        raise Invalid(str(exc), "invalid_score") from None
    if points < 0:
        raise Invalid(f"{label}不能为负数", "invalid_score")
    if points > limit:
        raise Invalid(f"{label}不能超过{limit_name} {fmt_points(limit)}", "score_above_standard")
    return points


def fmt_value(value) -> str | None:
    """A value as the history keeps it: decimals without trailing zeros."""
    if value is None:
        return None
    return format(value.normalize(), "f") if isinstance(value, Decimal) else str(value)


def edit_field(kind: str, record, user, capacity: str, attr: str, new, *, target=None,
               field: str | None = None) -> bool:
    """Set one field of `target` (the record itself by default) and write its history step on
    the record; answers whether it changed. Nothing is committed here."""
    target = record if target is None else target
    old = getattr(target, attr)
    if fmt_value(old) == fmt_value(new):
        return False
    setattr(target, attr, new)
    audit.record_step(kind, record, user, capacity, "edit", field=field or attr,
                      old=fmt_value(old), new=fmt_value(new))
    return True


def void_signatures(record, dest: str) -> None:
    """Moving back to `dest` clears every signature given at or after it (DOMAIN.md step 3),
    except the row signatures a return keeps (machine.KEPT_ON_RETURN)."""
    keep = STATES.index(dest)
    kept = KEPT_ON_RETURN.get(dest, frozenset())
    record.signatures = [s for s in record.signatures if STATES.index(SIGNATURE_STEP[s.capacity]) < keep
                         or (s.capacity in kept and getattr(s, "item_id", None) is not None)]
