"""Reading bonus applications: who may see which, what each shows, and the 特别附加分 they add."""
from dataclasses import dataclass, field
from decimal import Decimal

from flask import g

from ..errors import NotFound
from ..extensions import db
from ..org import chart
from ..org.models import YearUnit
from ..points import ZERO
from ..scheme.queries import scheme_or_none
from ..scheme.settings import settings_for
from ..workflow import permissions
from ..workflow.permissions import RecordFacts
from .models import BonusApplication

NOT_FOUND = "没有找到这份附加分申报"


def facts(application: BonusApplication) -> RecordFacts:
    """The org facts of an application: its gate (附件1) and the target-management office."""
    scheme = scheme_or_none(application.year)
    office = scheme.target_office_id if scheme else None
    offices = frozenset({office} if office else set())
    signed = {s.unit_id for s in application.signatures if s.capacity == "responsible_office"}
    leader = chart.leader_of(application.year, application.unit_id)
    return RecordFacts(
        unit_id=application.unit_id,
        gate_unit_id=chart.gate_of(application.year, application.unit_id),
        leader_id=leader.id if leader else None,
        state=application.state,
        responsible_ids=offices,
        pending_ids=frozenset(offices - signed),
        gate_touched=application.gate_touched,
        signers=frozenset((s.user_id, s.capacity, s.on_behalf_of_id is not None) for s in application.signatures),
        reader_ids=frozenset(scheme.responsible_unit_ids() | offices) if scheme else offices,
    )


def get_visible(user, application_id: int) -> tuple[BonusApplication, RecordFacts]:
    """An application the user may see, or 404 — we do not reveal what exists."""
    application = db.session.get(BonusApplication, application_id)
    if application is None:
        raise NotFound(NOT_FOUND)
    application_facts = facts(application)
    if not permissions.can_see(user, application_facts):
        raise NotFound(NOT_FOUND)
    return application, application_facts


def list_visible(user, year: int | None = None, *, open_only: bool = False) -> list[tuple[BonusApplication, RecordFacts]]:
    query = db.select(BonusApplication).outerjoin(
        YearUnit, (YearUnit.year == BonusApplication.year) & (YearUnit.unit_id == BonusApplication.unit_id)
    ).order_by(BonusApplication.year, YearUnit.position, BonusApplication.id)
    if year is not None:
        query = query.filter(BonusApplication.year == year)
    if open_only:  # a final application waits for no one (the inbox)
        query = query.filter(BonusApplication.state != "final")
    out = []
    for application in db.session.scalars(query):
        application_facts = facts(application)
        if permissions.can_see(user, application_facts):
            out.append((application, application_facts))
    return out


@dataclass
class BonusView:
    application: BonusApplication
    allowed_actions: list[str]
    possible_actions: list[str]
    blocked: dict[str, str]
    can_edit: bool
    can_propose: bool
    signoffs: dict = field(default_factory=dict)


def blocked_reason(application: BonusApplication, action: str) -> str | None:
    """附件6: an application is submitted with its project, points and a certificate."""
    if action == "submit":
        if not application.project.strip():
            return "请填写申报项目"
        if not application.attachments:
            return "请先上传获奖证书（PDF、PNG 或 JPEG）"
    return None


def view(user, application: BonusApplication, application_facts: RecordFacts) -> BonusView:
    possible = permissions.allowed_actions(user, application_facts)
    blocked = {a: why for a in possible if (why := blocked_reason(application, a))}
    return BonusView(
        application=application,
        allowed_actions=[a for a in possible if a not in blocked],
        possible_actions=possible,
        blocked=blocked,
        can_edit=permissions.decide(user, "edit_self", application_facts).allowed,
        can_propose=permissions.decide(user, "edit_review", application_facts).allowed,
        signoffs={s.capacity: s for s in application.signatures},
    )


def inbox(user, year: int | None = None) -> list[tuple[BonusApplication, str]]:
    out = []
    for application, application_facts in list_visible(user, year, open_only=True):
        action = permissions.expected_action(user, application_facts)
        if action:
            out.append((application, action))
    return out


def granted_by_unit(year: int) -> dict[int, Decimal]:
    """特别附加分 per unit: the granted points of its final applications, capped if the year says so.

    Computed once per request and year, so that lists and rankings stay one query.
    """
    cache = g.setdefault("_bonus_granted", {})
    if year not in cache:
        rows = db.session.execute(
            db.select(BonusApplication.unit_id, db.func.sum(BonusApplication.points_granted))
            .where(BonusApplication.year == year, BonusApplication.state == "final")
            .group_by(BonusApplication.unit_id)
        )
        cap = settings_for(year).bonus_cap
        granted = {}
        for unit_id, total in rows:
            total = Decimal(total or ZERO).quantize(Decimal("0.01"))
            granted[unit_id] = min(total, cap) if cap is not None else total
        cache[year] = granted
    return cache[year]
