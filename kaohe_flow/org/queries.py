"""Finding units by the names people and files use for them (DOMAIN.md aliases)."""
from flask import g

from ..extensions import db
from .models import Unit, YearUnit


def units_by_name() -> dict[str, Unit]:
    """Every code, name and alias → its unit; loaded once per request. The newest names come
    first; a name a unit had in an earlier year still finds it (old files name it so)."""
    if "_units_by_name" not in g:
        index = {}
        for unit in db.session.scalars(db.select(Unit)):
            for name in (unit.code, unit.name, *(unit.aliases or [])):
                index[name.strip()] = unit
        for place in db.session.scalars(db.select(YearUnit).order_by(YearUnit.year.desc())):
            for name in (place.name, *(place.aliases or [])):
                index.setdefault(name.strip(), place.unit)
        g._units_by_name = index
    return g._units_by_name


def resolve_unit(name) -> Unit | None:
    """The unit a code, its name or any alias names (附件4 and 附件1 name some units differently: one unit)."""
    if not isinstance(name, str):
        return None
    return units_by_name().get(name.strip())
