"""Who reads a tracker's report for every unit: leaders, viewers, admins and the offices
responsible for the tracker's item; everyone else reads their own unit's rows."""
from ..scheme.queries import scheme_or_none


def sees_all_units(user, item_code: str, year: int | None = None) -> bool:
    if user.has_role("viewer") or user.has_role("admin") or user.has_role("leader"):
        return True
    if user.unit_id is None:
        return False
    from flask import current_app

    scheme = scheme_or_none(year or current_app.config["CURRENT_YEAR"])
    item = scheme.item(item_code) if scheme else None
    return bool(item) and user.unit_id in {u.id for u in item.responsible}
