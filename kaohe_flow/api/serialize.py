"""Records as the API answers them (CONTRACT.md shapes; points as decimal strings)."""
from ..ledger.appeals import last_day
from ..points import fmt_points
from ..rhythm.deadlines import due_json
from ..timeutil import local_iso


def user_json(user) -> dict:
    return {"username": user.username, "name": user.name,
            "unit": user.unit.code if user.unit else None, "roles": user.roles}


def unit_json(place) -> dict:
    """A unit as one year's org chart has it (a YearUnit)."""
    return {
        "code": place.unit.code, "name": place.name, "aliases": list(place.aliases or []),
        "gate_unit": place.gate_unit.code if place.gate_unit else None,
        "leader": place.leader.username if place.leader else None,
    }


def scheme_json(scheme, all_codes: list[str]) -> dict:
    return {
        "year": scheme.year,
        "total": fmt_points(scheme.total),
        "items": [
            {
                "code": item.code, "name": item.name, "category": item.category,
                "category_name": scheme.category_name(item.category),
                "standard": fmt_points(item.standard), "method": item.method, "content": item.content,
                "responsible": [u.code for u in item.responsible],
                "cooperating": list(all_codes) if item.cooperating_all else [u.code for u in item.cooperating],
                "rules": [{"id": r.code, "text": r.text, "kind": r.kind, "points": fmt_points(r.points),
                           "flat": r.flat} for r in item.rules],
            }
            for item in scheme.items
        ],
    }


def sheet_summary_json(sheet, totals) -> dict:
    subtotal, _bonus, total = totals
    return {"id": sheet.id, "unit": sheet.unit.code, "year": sheet.year, "state": sheet.state,
            "subtotal": fmt_points(subtotal), "total": fmt_points(total), **due_json(sheet)}


def sheet_json(v) -> dict:
    sheet = v.sheet
    return {
        "id": sheet.id, "unit": sheet.unit.code, "year": sheet.year, "state": sheet.state,
        "version": sheet.version, **due_json(sheet),
        "items": [
            {
                "code": r.code, "name": r.row.item.name, "standard": fmt_points(r.row.item.standard),
                "self_score": fmt_points(r.row.self_score), "self_reason": r.row.self_reason or "",
                "review_score": fmt_points(r.row.review_score), "review_reason": r.row.review_reason or "",
                "suggested_score": fmt_points(r.suggested_score),
                "suggested_reason": r.suggested_reason,
                "deductions": [{"id": d.id, "rule": d.rule.code, "count": d.count, "date": d.day.isoformat(),
                                "points": fmt_points(d.rule.points * d.count), "source": d.source,
                                "appeal_state": d.appeal.state if d.appeal else None}
                               for d in r.records],
                "responsible": [u.code for u in r.responsible],
                "signatures": [signature_json(s) for s in r.signatures],
                **({"targets": [target_row_json(t) for t in r.targets]} if r.targets else {}),
            }
            for r in v.rows
        ],
        "key_deduction": fmt_points(sheet.key_deduction),
        "key_deduction_reason": sheet.key_deduction_reason or "",
        "bonus": fmt_points(v.bonus), "subtotal": fmt_points(v.subtotal), "total": fmt_points(v.total),
        "bonus_pending": fmt_points(v.bonus_pending),
        "signoffs": {cap: signoff_json(s) for cap, s in v.signoffs.items()},
        "allowed_actions": v.allowed_actions,
    }


def signature_json(s) -> dict:
    """A row's signature (CONTRACT.md), with `on_behalf_of` when a delegate signed."""
    out = {"unit": s.unit.code if s.unit else None, "username": s.user.username, "at": local_iso(s.at)}
    if s.on_behalf_of is not None:
        out["on_behalf_of"] = s.on_behalf_of.username
    return out


def signoff_json(s) -> dict:
    out = {"username": s.user.username, "name": s.user.name, "at": local_iso(s.at)}
    if s.on_behalf_of is not None:
        out.update(on_behalf_of=s.on_behalf_of.username, on_behalf_of_name=s.on_behalf_of.name)
    return out


def target_row_json(t) -> dict:
    """A target of the unit's letter as a sub-row of 年度目标任务 (CONTRACT.md)."""
    return {"code": t.target.code, "title": t.target.title, "points": fmt_points(t.target.points),
            "self_score": fmt_points(t.self_score), "self_reason": t.self_reason,
            "review_score": fmt_points(t.review_score), "review_reason": t.review_reason,
            "suggested_score": fmt_points(t.suggested_score), "suggested_reason": t.suggested_reason}


def history_json(entry) -> dict:
    out = {
        "at": local_iso(entry.at), "who": entry.username, "capacity": entry.capacity,
        "action": entry.action, "from_state": entry.from_state, "to_state": entry.to_state,
        "comment": entry.comment or "",
    }
    if getattr(entry, "round", None) is not None:
        out["round"] = entry.round
    if entry.on_behalf_of:
        out["on_behalf_of"] = entry.on_behalf_of
    if entry.action == "edit" or entry.field is not None:  # an appeal's steps name theirs (issue 9)
        out.update(field=entry.field, old=entry.old, new=entry.new)
    if entry.items:
        out["items"] = entry.items
    return out


def inbox_item_json(line) -> dict:
    """An inbox line (CONTRACT.md), with its due date and whether it came back (`returned`)."""
    r = line.record
    return {"kind": line.kind, "id": r.id, "unit": r.unit.code, "year": r.year, "state": r.state,
            "action": line.action, **due_json(r), "returned": line.returned is not None,
            **({"on_behalf_of": line.on_behalf_of.username} if getattr(line, "on_behalf_of", None) else {})}


def bonus_json(v) -> dict:
    a = v.application
    return {
        "id": a.id, "unit": a.unit.code, "year": a.year, "state": a.state, "version": a.version, **due_json(a),
        "project": a.project, "points_requested": fmt_points(a.points_requested),
        "points_proposed": fmt_points(a.points_proposed), "points_granted": fmt_points(a.points_granted),
        "opinion": a.opinion or "",
        "attachments": [attachment_json(f) for f in a.attachments],
        "signoffs": {cap: signoff_json(s) for cap, s in v.signoffs.items()},
        "allowed_actions": v.allowed_actions,
    }


def attachment_json(attachment) -> dict:
    return {"id": attachment.id, "filename": attachment.filename, "content_type": attachment.content_type,
            "size": attachment.size}


def deduction_json(record) -> dict:
    return {
        "id": record.id, "year": record.year, "unit": record.unit.code, "item": record.rule.item.code,
        "rule": record.rule.code, "rule_text": record.rule.text, "kind": record.rule.kind,
        "target": record.target.code if record.target else None,
        "points": fmt_points(record.rule.points * record.count), "count": record.count,
        "date": record.day.isoformat(), "people": record.people or "", "note": record.note or "",
        "source": record.source, "recorded_by": record.recorded_by.username if record.recorded_by else None,
        "withdrawn": record.withdrawn, "version": record.version,
        "evidence": [attachment_json(f) for f in record.evidence],
        "appeal": appeal_json(record.appeal) if record.appeal else None,
        "appeal_until": _appeal_until(record),
    }


def _appeal_until(record) -> str | None:
    day = last_day(record)
    return day.isoformat() if day else None


def appeal_json(a) -> dict:
    """A record's appeal (申诉, issue 9): `state` open | upheld | rejected."""
    return {"state": a.state, "reason": a.reason, "answer": a.answer or "",
            "at": local_iso(a.filed_at), "by": a.filed_by.username,
            "decided_at": local_iso(a.decided_at), "decided_by": a.decided_by.username if a.decided_by else None}


def changes_json(found, unsigned_rows=None) -> dict:
    """What changed since the return (CONTRACT.md "The year's rhythm", rounds)."""
    since = found.since
    out = {
        "round": found.round,
        "since": None if since is None else {
            "at": local_iso(since.at), "who": since.username, "action": since.action,
            "from_state": since.from_state, "to_state": since.to_state, "comment": since.comment or "",
            "items": list(since.items or []), **({"on_behalf_of": since.on_behalf_of} if since.on_behalf_of else {}),
        },
        "items": [{"field": c.field, "old": c.old, "new": c.new, "at": local_iso(c.at), "who": c.username,
                   **({"on_behalf_of": c.on_behalf_of} if c.on_behalf_of else {})} for c in found.changes],
    }
    if unsigned_rows is not None:
        out["unsigned_rows"] = unsigned_rows
    return out
