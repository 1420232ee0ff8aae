"""附件4 信息报送, the data: a year's quota file (`data/info_quotas_<year>.yaml`) read and checked
against the org chart (unit names and aliases resolved to ids, one quota each, extras for every
portal, the 政务信息 settings), and the year's tracking it makes with the scheme (`InfoYear`: the
quotas, the scheme item 信息宣传 and the rules a shortfall costs), cached per request.
"""
from dataclasses import dataclass

from flask import g

from ..errors import ServiceError
from ..org.models import Unit
from ..org.queries import units_by_name
from ..scheme.loader import DATA_DIR, DataError, read_yaml
from ..scheme.queries import scheme_or_none
from ..extensions import db
from .info_models import PORTALS, YearInfoQuotas

# ------------------------------------------------------------------------------ quotas (data)

@dataclass(frozen=True)
class Quota:
    """Items per month, or a yearly minimum."""

    per_month: int | None = None
    per_year: int | None = None

    def json(self) -> dict:
        return {"per_month": self.per_month} if self.per_month is not None else {"per_year": self.per_year}

    @property
    def label(self) -> str:
        return f"每月{self.per_month}条" if self.per_month is not None else f"全年不低于{self.per_year}条"


@dataclass
class Quotas:
    """A year's quota file, its unit names resolved to unit ids."""

    year: int
    rule: str
    extras: dict[str, int]
    info: dict[int, Quota]
    gov_default: Quota | None
    gov: dict[int, Quota]
    gov_district_offices: int
    gov_rule: str | None
    gov_note: str

    def gov_quota(self, unit_id: int) -> Quota | None:
        return self.gov.get(unit_id, self.gov_default)


def _quota(spec, where: str) -> Quota:
    if not isinstance(spec, dict) or len(spec) != 1 or next(iter(spec)) not in ("per_month", "per_year"):
        raise DataError(f"{where}: a quota is {{per_month: N}} or {{per_year: N}}, not {spec!r}")
    (kind, number), = spec.items()
    if isinstance(number, bool) or not isinstance(number, int) or number < 1:
        raise DataError(f"{where}: {kind} must be a whole number of at least 1, not {number!r}")
    return Quota(**{kind: number})


def _units(mapping, index: dict[str, Unit], where: str) -> dict[int, Quota]:
    if mapping is None:
        return {}
    if not isinstance(mapping, dict):
        raise DataError(f"{where}: units must map unit names to quotas")
    out: dict[int, Quota] = {}
    named: dict[int, str] = {}
    for name, spec in mapping.items():
        unit = index.get(str(name).strip())
        if unit is None:
            raise DataError(f"{where}: unknown unit {name!r} (not a code, name or alias of the org chart)")
        if unit.id in out:
            raise DataError(f"{where}: {name!r} and {named[unit.id]!r} are the same unit ({unit.code})")
        out[unit.id], named[unit.id] = _quota(spec, f"{where} {name}"), str(name)
    return out


def validate_quotas(data: dict, index: dict[str, Unit], year: int | None = None) -> Quotas:
    """A quota file, checked: unit names known (any alias), one quota each, extras for every
    portal, whole numbers; the 政务信息 rule named or null (the points it costs are the year's
    setting `gov_affairs_points`)."""
    where = f"info quotas {data.get('year')}"
    file_year = data.get("year")
    if isinstance(file_year, bool) or not isinstance(file_year, int) or (year is not None and file_year != year):
        raise DataError(f"{where}: the file's year must be {year if year is not None else 'a whole number'}")
    rule = data.get("rule")
    if not isinstance(rule, str) or not rule:
        raise DataError(f"{where}: `rule` must name the rule a shortfall costs (e.g. info_publicity-2)")
    extras = data.get("extras") or {}
    if set(extras) != set(PORTALS):
        raise DataError(f"{where}: extras must give {', '.join(PORTALS)}")
    for portal, number in extras.items():
        if isinstance(number, bool) or not isinstance(number, int) or number < 0:
            raise DataError(f"{where}: extras.{portal} must be a whole number ≥ 0")
    gov = data.get("gov_affairs") or {}
    default = gov.get("default")
    district_offices = gov.get("district_offices_per_year", 0)
    if isinstance(district_offices, bool) or not isinstance(district_offices, int) or district_offices < 0:
        raise DataError(f"{where}: gov_affairs.district_offices_per_year must be a whole number ≥ 0")
    if "points_per_shortfall" in gov:
        raise DataError(f"{where}: gov_affairs.points_per_shortfall is the year's setting gov_affairs_points now")
    gov_rule = gov.get("rule")
    if gov_rule is not None and (not isinstance(gov_rule, str) or not gov_rule):
        raise DataError(f"{where}: gov_affairs.rule must name a rule of the scheme, or be null")
    return Quotas(
        year=file_year, rule=rule, extras={p: int(extras[p]) for p in PORTALS},
        info=_units(data.get("units"), index, f"{where} units"),
        gov_default=_quota(default, f"{where} gov_affairs.default") if default is not None else None,
        gov=_units(gov.get("units"), index, f"{where} gov_affairs.units"),
        gov_district_offices=district_offices, gov_rule=gov_rule or None,
        gov_note=str(gov.get("points_note") or "政务信息扣分指标参见政务信息报送规定，默认不扣分"),
    )


def quota_file(year: int):
    return DATA_DIR / f"info_quotas_{year}.yaml"


def quota_data(year: int) -> dict | None:
    """The year's quotas as data: its own row (a year made from another), else its data file."""
    row = db.session.get(YearInfoQuotas, year)
    if row is not None:
        return row.data
    path = quota_file(year)
    return read_yaml(path) if path.exists() else None


def load_quotas(year: int) -> Quotas | None:
    """The year's quotas, checked, or None when the year has none."""
    data = quota_data(year)
    if data is None:
        return None
    return validate_quotas(data, units_by_name(), year)


def copy_quotas(from_year: int, to_year: int) -> None:
    """A new year's quotas, a copy of `from_year`'s (`POST /api/v1/years`), in the caller's unit
    of work; nothing when `from_year` has none."""
    data = quota_data(from_year)
    if data is None:
        return
    db.session.add(YearInfoQuotas(year=to_year, data={**data, "year": to_year}))
    g.pop("_info_years", None)


@dataclass
class InfoYear:
    """Everything a year's information tracking needs: quotas, the scheme item and rules."""

    year: int
    quotas: Quotas
    item: object  # the scheme item the rule belongs to (信息宣传)
    rule: object
    gov_rule: object | None

    @property
    def settings(self):
        """The year's settings (the points of a missed yearly minimum, of a 政务信息 shortfall)."""
        from ..scheme.settings import settings_for

        return settings_for(self.year)

    @property
    def responsible_ids(self) -> set[int]:
        return {u.id for u in self.item.responsible}


def info_year(year: int) -> InfoYear | None:
    """The year's tracking, or None when it has no quota file or no scheme. A quota file that
    contradicts the scheme is a server-side data error (500 with the reason)."""
    cache = g.setdefault("_info_years", {})
    if year in cache:
        return cache[year]
    try:
        quotas = load_quotas(year)
    except DataError as exc:
        raise ServiceError(f"信息报送考核标准数据有误：{exc}", "data_error", 500) from None
    scheme = scheme_or_none(year)
    found = None
    if quotas is not None and scheme is not None:
        rules = {rule.code: (rule, item) for item in scheme.items for rule in item.rules}
        if quotas.rule not in rules:
            raise ServiceError(f"信息报送考核标准数据有误：{year}年度考核方案中没有规则“{quotas.rule}”",
                               "data_error", 500)
        rule, item = rules[quotas.rule]
        gov_rule = None
        if quotas.gov_rule:
            if quotas.gov_rule not in rules:
                raise ServiceError(f"信息报送考核标准数据有误：政务信息规则“{quotas.gov_rule}”不存在",
                                   "data_error", 500)
            gov_rule = rules[quotas.gov_rule][0]
        found = InfoYear(year, quotas, item, rule, gov_rule)
    cache[year] = found
    return found
