"""The scheme of a year, loaded once per request with its items, offices and rules."""
from flask import g

from ..extensions import db
from .models import Scheme


def scheme_or_none(year: int) -> Scheme | None:
    cache = g.setdefault("_schemes", {})
    if year not in cache:
        cache[year] = db.session.scalar(db.select(Scheme).filter_by(year=year))
    return cache[year]
