"""Finding units by the names people and files use for them (DOMAIN.md aliases)."""
import re

from flask import g

from ..extensions import db
from .models import Unit, User, YearUnit

# The seed writes brackets full-width (城建监察大队（法规科）), spreadsheets often half-width.
_BRACKETS = str.maketrans({"（": "(", "）": ")", "【": "(", "】": ")", "[": "(", "]": ")", "〔": "(", "〕": ")"})
_QUALIFIED = re.compile(r"(.+)\((.+)\)")


def normalized(name: str) -> str:
    """A name as it is compared: no spaces or line breaks anywhere, brackets half-width."""
    return "".join(name.split()).translate(_BRACKETS)


class NameIndex(dict):
    """Names → units, matched as people write them (附件2 and 附件5 write 办公室（信息中心）, a
    cell may break 城建监察大队（法规科） over two lines). `A（B）` that is not itself a name finds
    the unit A or B names, when they do not name two different units."""

    def add(self, name: str, unit: Unit, replace: bool = True) -> None:
        key = normalized(name)
        if key and (replace or key not in self):
            self[key] = unit

    def get(self, name, default=None):
        if not isinstance(name, str):
            return default
        key = normalized(name)
        found = super().get(key)
        if found is None and (match := _QUALIFIED.fullmatch(key)):
            outer, inner = super().get(match[1]), super().get(match[2])
            found = outer if inner is None or inner is outer else (inner if outer is None else None)
        return default if found is None else found


def units_by_name() -> NameIndex:
    """Every code, name and alias → its unit; loaded once per request. The newest names come
    first; a name a unit had in an earlier year still finds it (old files name it so)."""
    if "_units_by_name" not in g:
        index = NameIndex()
        for unit in db.session.scalars(db.select(Unit)):
            for name in (unit.code, unit.name, *(unit.aliases or [])):
                index.add(name, unit)
        for place in db.session.scalars(db.select(YearUnit).order_by(YearUnit.year.desc())):
            for name in (place.name, *(place.aliases or [])):
                index.add(name, place.unit, replace=False)
        g._units_by_name = index
    return g._units_by_name


def resolve_unit(name) -> Unit | None:
    """The unit a code, its name or any alias names (附件4 and 附件1 name some units differently: one unit)."""
    return units_by_name().get(name)


def person_name(username) -> str:
    """The name people know someone by, for a username in a history or a report (one query per
    request for everyone's names); a name no account has any more shows as it was written."""
    if not username:
        return ""
    if "_people" not in g:
        g._people = dict(db.session.execute(db.select(User.username, User.name)).all())
    return g._people.get(username) or username


def unit_name(code) -> str:
    """A unit's name for its code (reports that answer codes show names to people)."""
    unit = units_by_name().get(code) if code else None
    return unit.name if unit is not None else (code or "")
