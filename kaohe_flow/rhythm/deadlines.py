"""Deadlines per year and state (CONTRACT.md `GET/PUT /api/v1/years/{year}/deadlines`).

A year's deadline for a state is the date by which a record (a sheet or a bonus application) of
that year must leave it; `final` has none. A record is *overdue* once today, the bureau's date
(Asia/Shanghai), is after its due date, and *due soon* (amber) from `due_soon_days` (a setting
of the year, default 3) before it. Stored as one row per year and state (`deadline_models`),
read once per request.

Other modules call `due_of`, `is_overdue` and `status` (the notifications ask `status` for
`due_soon` / `overdue`); the API and the pages show `due_json` and sort with `by_due`.
"""
from __future__ import annotations

import re
from datetime import date, timedelta

from flask import g
from sqlalchemy.exc import IntegrityError

from .. import access
from ..errors import BadRequest, Forbidden, Invalid, NotFound, stale
from ..extensions import db
from ..scheme.settings import settings_for, year_known
from ..timeutil import local_today
from ..uow import operation
from ..workflow.machine import STATE_LABELS, STATES
from .deadline_models import Deadline

#: The states a record must leave by a date, in the path's order (a final record waits for nobody).
DUE_STATES = tuple(s for s in STATES if s != "final")
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


# ------------------------------------------------------------------------------ reading


def deadlines_of(year: int) -> dict[str, date | None]:
    """state → the year's deadline for it (None: no deadline), read once per request."""
    cache = g.setdefault("_deadlines", {})
    if year not in cache:
        found = dict(db.session.execute(db.select(Deadline.state, Deadline.due).where(Deadline.year == year)).all())
        cache[year] = {state: found.get(state) for state in DUE_STATES}
    return cache[year]


def forget(year: int | None = None) -> None:
    """Drop the request's cached deadlines (after a change)."""
    cache = g.get("_deadlines")
    if cache is not None:
        cache.pop(year, None) if year is not None else cache.clear()


def due_of(record) -> date | None:
    """The date by which `record` (a sheet or a bonus application) must leave its state."""
    if record.state not in DUE_STATES:
        return None
    return deadlines_of(record.year).get(record.state)


def _today(today: date | None) -> date:
    return today if today is not None else local_today()


def is_overdue(record, today: date | None = None) -> bool:
    """Today (the bureau's date) is after the record's due date."""
    due = due_of(record)
    return due is not None and _today(today) > due


def status(record, today: date | None = None) -> str | None:
    """None (no deadline), "ok", "due_soon" (within the year's due_soon_days) or "overdue"."""
    due = due_of(record)
    if due is None:
        return None
    today = _today(today)
    if today > due:
        return "overdue"
    if today >= due - timedelta(days=settings_for(record.year).due_soon_days):
        return "due_soon"
    return "ok"


def due_json(record, today: date | None = None) -> dict:
    """`due` and `overdue` as records and inbox items carry them (CONTRACT.md)."""
    due = due_of(record)
    return {"due": due.isoformat() if due else None, "overdue": due is not None and _today(today) > due}


def by_due(entries, record=lambda entry: entry):
    """`entries` sorted by their record's due date: the earliest (so the overdue) first, those
    without a deadline last; equal dates keep their order (the org chart's)."""
    def key(entry):
        due = due_of(record(entry))
        return (due is None, due or date.max)

    return sorted(entries, key=key)


def year_json(year: int) -> dict:
    return {state: due.isoformat() if due else None for state, due in deadlines_of(year).items()}


def get_deadlines(user, year: int) -> dict:
    """Everyone signed in reads a year's deadlines (they explain the inbox's colours)."""
    if not year_known(year):
        raise NotFound(f"没有{year}年度")
    return year_json(year)


# ------------------------------------------------------------------------------ the admin's PUT


def _label(state: str) -> str:
    return f"“{STATE_LABELS[state]}”环节（{state}）"


def parse(payload, current: dict) -> dict:
    """A PUT body (partial) checked and merged into `current` (state → date or None). 422
    `invalid_deadlines` names every faulty key; `fields` carries one message per key (the page)."""
    if not isinstance(payload, dict):
        raise BadRequest("请求体必须是 JSON 对象", "malformed_json")
    payload = dict(payload)
    payload.pop("version", None)  # accepted and ignored, as for the year's settings: each key is replaced whole
    errors: dict[str, str] = {}
    merged = dict(current)
    for key, raw in payload.items():
        if key not in DUE_STATES:
            errors[str(key)] = (f"未知的环节“{key}”（可设置：{', '.join(DUE_STATES)}；"
                                "定稿环节没有期限）")
            continue
        if raw is None or raw == "":
            merged[key] = None
            continue
        value = None
        if isinstance(raw, str) and _DATE.match(raw.strip()):
            try:
                value = date.fromisoformat(raw.strip())
            except ValueError:
                value = None
        if value is None:
            errors[key] = f"{_label(key)}的期限“{raw}”不是有效日期，应为“年-月-日”，如 2019-01-10；留空表示不设期限"
            continue
        merged[key] = value
    if errors:
        raise Invalid("办理期限有误：" + "；".join(errors.values()), "invalid_deadlines", fields=errors)
    _check_order(merged)
    return merged


def _check_order(merged: dict) -> None:
    """A record reaches a later state after it left an earlier one: a later state's deadline
    before an earlier state's is a typing mistake (422 `deadline_order`), equal dates are fine."""
    earlier = None
    for state in DUE_STATES:
        due = merged.get(state)
        if due is None:
            continue
        if earlier is not None and due < merged[earlier]:
            message = (f"{_label(state)}的期限 {due.isoformat()} 早于前一环节{_label(earlier)}的期限 "
                       f"{merged[earlier].isoformat()}：后面环节的期限不能早于前面环节")
            raise Invalid(message, "deadline_order", fields={state: message})
        earlier = state


@operation
def update_deadlines(user, year: int, payload) -> dict:
    """The admin's PUT (partial): 403, then 404 (year), then 422 (values). One commit: the rows and
    the `deadlines_changed` audit entry (old and new of the changed states)."""
    from ..audit.admin import record_change

    if not access.is_admin(user):
        raise Forbidden("只有管理员可以设置办理期限")
    if not year_known(year):
        raise NotFound(f"没有{year}年度")
    current = deadlines_of(year)
    merged = parse(payload, current)
    changed = [s for s in DUE_STATES if merged[s] != current[s]]
    if not changed:
        return year_json(year)
    rows = {row.state: row for row in db.session.scalars(db.select(Deadline).where(Deadline.year == year))}
    for state in changed:
        row = rows.get(state)
        if merged[state] is None:
            if row is not None:
                db.session.delete(row)
        elif row is None:
            db.session.add(Deadline(year=year, state=state, due=merged[state]))
        else:
            row.due = merged[state]

    def iso(value):
        return value.isoformat() if value else None

    record_change(user, "deadlines_changed", f"{year}年度办理期限",
                  {s: iso(current[s]) for s in changed}, {s: iso(merged[s]) for s in changed})
    try:
        db.session.commit()
    except IntegrityError:  # another admin saved the same state's first deadline at the same moment
        db.session.rollback()
        raise stale() from None
    forget(year)
    return year_json(year)
