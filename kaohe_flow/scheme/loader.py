"""Load a year's org chart and scheme from the data files, refusing inconsistent data.

The seed's 2018 facts live in `kaohe_flow/data/*.yaml`; a later year is a new file. Every
refusal names the problem, so whoever edits a data file knows what to fix.
"""
from collections import Counter
from decimal import Decimal
from pathlib import Path

import yaml

from ..extensions import db
from ..org.models import Unit, YearUnit
from ..org.queries import normalized
from ..points import PointsError, parse_points
from .models import ItemOffice, Rule, Scheme, SchemeItem

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
RULE_KINDS = ("per_occurrence", "zeroing", "target")


class DataError(ValueError):
    """A data file that cannot be loaded as it stands."""


def read_yaml(path: Path) -> dict:
    try:
        return yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise DataError(f"{path}: cannot read: {exc}") from exc


def validate_org(data: dict) -> list[dict]:
    """The units of an org file, checked: unique codes and names, known gates, no self-gating."""
    units = data.get("units") or []
    if not units:
        raise DataError("org data: no units")
    codes = Counter(u.get("code") for u in units)
    dupes = [c for c, n in codes.items() if n > 1]
    if dupes:
        raise DataError(f"org data: duplicate unit code {dupes[0]!r}")
    seen_names: dict[str, str] = {}
    for unit in units:
        code = unit.get("code")
        if not code or not unit.get("name"):
            raise DataError(f"org data: a unit needs a code and a name: {unit!r}")
        for name in [unit["name"], *(unit.get("aliases") or [])]:
            key = normalized(name)  # as imports compare names: spaces, bracket widths aside
            if key in seen_names and seen_names[key] != code:
                raise DataError(f"org data: name or alias {name!r} is used by both {seen_names[key]} and {code}")
            seen_names[key] = code
        gate = unit.get("gate")
        if gate == code:
            raise DataError(f"org data: unit {code} cannot gate itself (附件1)")
        if gate is not None and gate not in codes:
            raise DataError(f"org data: unit {code} has unknown gate unit {gate!r}")
    return units


def validate_scheme(data: dict, unit_codes: set[str]) -> dict:
    """A scheme file, checked: points add up, offices exist, codes and rule ids are unique."""
    try:
        total = parse_points(data.get("total"), "total")
    except PointsError as exc:
        raise DataError(f"scheme {data.get('year')}: bad total: {exc}") from None
    items = data.get("items") or []
    codes = Counter(i.get("code") for i in items)
    dupes = [c for c, n in codes.items() if n > 1]
    if dupes:
        raise DataError(f"scheme {data['year']}: duplicate item code {dupes[0]!r}")
    categories = {c["code"]: c for c in data.get("categories") or []}
    rule_ids: set[str] = set()
    sums: Counter = Counter()
    for item in items:
        code = item.get("code")
        try:
            standard = parse_points(item.get("standard"), f"standard of {code}")
        except PointsError as exc:
            raise DataError(f"scheme {data['year']}: item {code}: {exc}") from None
        if item.get("category") not in categories:
            raise DataError(f"scheme {data['year']}: item {code} has unknown category {item.get('category')!r}")
        sums[item["category"]] += standard
        if not item.get("responsible"):
            raise DataError(f"scheme {data['year']}: item {code} has no responsible office")
        offices = list(item.get("responsible") or [])
        if item.get("cooperating") != "all":
            offices += list(item.get("cooperating") or [])
        for office in offices:
            if office not in unit_codes:
                raise DataError(f"scheme {data['year']}: item {code} names unknown unit {office!r}")
        for rule in item.get("rules") or []:
            if rule.get("id") in rule_ids:
                raise DataError(f"scheme {data['year']}: duplicate rule id {rule.get('id')!r}")
            rule_ids.add(rule.get("id"))
            if rule.get("kind") not in RULE_KINDS:
                raise DataError(f"scheme {data['year']}: rule {rule.get('id')} has unknown kind {rule.get('kind')!r}")
            if rule.get("flat") not in (None, True, False) or (rule.get("flat") and rule["kind"] != "per_occurrence"):
                raise DataError(f"scheme {data['year']}: rule {rule.get('id')}: flat is true or false, "
                                f"and only for a per_occurrence rule")
            try:
                parse_points(rule.get("points"), f"points of {rule.get('id')}")
            except PointsError as exc:
                raise DataError(f"scheme {data['year']}: {exc}") from None
    grand = sum(sums.values(), Decimal(0))
    if grand != total:
        raise DataError(f"scheme {data['year']}: items add up to {grand}, not the declared total {total}")
    for code, category in categories.items():
        if "total" in category and sums[code] != parse_points(category["total"]):
            raise DataError(
                f"scheme {data['year']}: category {code} items add up to {sums[code]}, not {category['total']}"
            )
    return data


def load_org(data: dict) -> list[Unit]:
    """A year's org chart from its data file, once: the file seeds the year; after that the
    chart is the admin's (edited on its pages), so loading the file again changes nothing."""
    units_data = validate_org(data)
    try:
        year = int(data["year"])
    except (KeyError, TypeError, ValueError):
        raise DataError("org data: the file needs its year") from None
    existing = {u.code: u for u in db.session.scalars(db.select(Unit))}
    if db.session.scalar(db.select(YearUnit.unit_id).filter_by(year=year).limit(1)) is not None:
        return [existing[s["code"]] for s in units_data if s["code"] in existing]
    newest = db.session.scalar(db.select(db.func.max(YearUnit.year)))
    for position, spec in enumerate(units_data):
        unit = existing.get(spec["code"])
        if unit is None or newest is None or year >= newest:  # `units` holds the newest year's names
            unit = unit or Unit(code=spec["code"])
            unit.name, unit.aliases, unit.position = spec["name"], list(spec.get("aliases") or []), position
        existing[spec["code"]] = unit
        db.session.add(unit)
    db.session.flush()
    for position, spec in enumerate(units_data):
        gate = existing.get(spec.get("gate")) if spec.get("gate") else None
        db.session.add(YearUnit(year=year, unit=existing[spec["code"]], name=spec["name"],
                                aliases=list(spec.get("aliases") or []), position=position,
                                gate_unit_id=gate.id if gate else None))
    db.session.flush()
    return [existing[s["code"]] for s in units_data]


def load_scheme(data: dict) -> Scheme:
    """Create or update a year's scheme, its items, offices and rules; idempotent."""
    units = {u.code: u for u in db.session.scalars(db.select(Unit))}
    year_units = set(db.session.scalars(db.select(Unit.code).join(YearUnit, YearUnit.unit_id == Unit.id)
                                        .filter(YearUnit.year == int(data.get("year") or 0))))
    validate_scheme(data, year_units or set(units))
    year = int(data["year"])
    scheme = db.session.scalar(db.select(Scheme).filter_by(year=year)) or Scheme(year=year)
    scheme.total = parse_points(data["total"])
    scheme.categories = [{"code": c["code"], "name": c["name"], "sheet_label": c.get("sheet_label") or c["name"]}
                         for c in data.get("categories") or []]
    office = data.get("target_office")
    if office is not None and office not in units:
        raise DataError(f"scheme {year}: target_office names unknown unit {office!r}")
    scheme.target_office = units.get(office) if office else None
    if "bonus_cap" in data:
        raise DataError(f"scheme {year}: bonus_cap is a setting of the year now (data/settings_{year}.yaml)")
    db.session.add(scheme)
    by_code = {i.code: i for i in scheme.items}
    for position, spec in enumerate(data["items"]):
        item = by_code.get(spec["code"])
        if item is None:
            item = SchemeItem(code=spec["code"])
            scheme.items.append(item)
        item.name = spec["name"]
        item.sheet_label = spec.get("sheet_label") or spec["name"]
        item.category = spec["category"]
        item.standard = parse_points(spec["standard"])
        item.content = spec.get("content", "")
        item.method = spec.get("method", "")
        item.position = position
        item.cooperating_all = spec.get("cooperating") == "all"
        _set_offices(item, spec, units)
        _set_rules(item, spec.get("rules") or [])
    db.session.flush()
    return scheme


def _set_offices(item: SchemeItem, spec: dict, units: dict) -> None:
    wanted = [("responsible", c) for c in spec["responsible"]]
    if spec.get("cooperating") != "all":
        wanted += [("cooperating", c) for c in spec.get("cooperating") or []]
    current = {(o.role, o.unit.code if o.unit else None): o for o in item.offices}
    item.offices = [
        current.get((role, code)) or ItemOffice(role=role, unit=units[code]) for role, code in wanted
    ]
    for position, office in enumerate(item.offices):
        office.position = position


def _set_rules(item: SchemeItem, rules: list[dict]) -> None:
    current = {r.code: r for r in item.rules}
    item.rules = []
    for position, spec in enumerate(rules):
        rule = current.get(spec["id"]) or Rule(code=spec["id"])
        rule.text, rule.kind, rule.flat = spec["text"], spec["kind"], bool(spec.get("flat"))
        rule.points, rule.position = parse_points(spec["points"]), position
        item.rules.append(rule)


def data_files(kind: str) -> list[Path]:
    """The data files of a kind (org, scheme), oldest year first."""
    return sorted(DATA_DIR.glob(f"{kind}_*.yaml"))


def seed_all() -> list[int]:
    """Load every org, scheme and settings data file; answers the years loaded."""
    from ..errors import ServiceError
    from . import settings

    for path in data_files("org"):
        load_org(read_yaml(path))
    years = []
    for path in data_files("scheme"):
        years.append(load_scheme(read_yaml(path)).year)
    for path in data_files("settings"):
        data = read_yaml(path)
        try:
            settings.load_settings(data, int(data.get("year")))
        except (TypeError, ValueError, ServiceError) as exc:  # a data error of the file
            raise DataError(f"{path.name}: {getattr(exc, 'message', exc)}") from None
    return years
