"""The scheme of a year: for reading, this process's snapshot (`snapshot.scheme_view`, plain
frozen values checked against the database's version once per request); for writing what hangs
on an item or a rule, the rows themselves, loaded once per request."""
from flask import g

from ..extensions import db
from .models import scheme_graph, Scheme
from .snapshot import SchemeView, scheme_view


def scheme_or_none(year: int) -> SchemeView | None:
    return scheme_view(year)


def scheme_rows(year: int) -> Scheme | None:
    """The year's scheme as ORM rows in this request's session (items, offices and rules
    eagerly): for a writer that relates new rows to an item or a rule, and for the admin's edits."""
    cache = g.setdefault("_schemes", {})
    if year not in cache:
        cache[year] = db.session.scalar(db.select(Scheme).filter_by(year=year).options(*scheme_graph()))
    return cache[year]
