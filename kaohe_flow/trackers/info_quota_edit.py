"""A year's 附件4 quotas, read by everyone and changed by the admin (a year of its own: 2019's
quotas are 2019's), checked exactly as a quota file is (`info_quotas.validate_quotas`).

`GET/PUT /api/v1/years/{year}/info-quotas`: `units` (unit code → `{"per_month": n}`,
`{"per_year": n}` or null for no quota), `gov_affairs` (unit code → the same; null: the default),
`gov_default`, `extras` (`district`, `city`, `province`), `district_offices_per_year`. Like the
settings that shape points, they are fixed once a sheet of the year has left `draft` (409
`year_opened`); a change brings the year's `info` records in step in the same unit of work.
"""
from flask import g

from .. import access
from ..audit.admin import record_change
from ..errors import BadRequest, Conflict, Forbidden, Invalid, NotFound
from ..extensions import db
from ..org import chart
from ..org.queries import units_by_name
from ..scheme.loader import DataError
from ..scheme.settings import year_opened
from ..uow import operation
from .info_models import PORTALS, YearInfoQuotas
from .info_quotas import Quota, quota_data, validate_quotas


def _quota_json(quota: Quota | None) -> dict | None:
    return quota.json() if quota is not None else None


def view(user, year: int) -> dict:
    """The year's quotas in the API's shape, one line per unit of the year's chart."""
    data = quota_data(year)
    if data is None:
        raise NotFound(f"{year}年度没有信息报送考核标准（附件4）")
    quotas = _checked(data, year)
    places = chart.chart(year).values()
    return {
        "year": year,
        "units": {p.unit.code: _quota_json(quotas.info.get(p.unit_id)) for p in places},
        "gov_affairs": {p.unit.code: _quota_json(quotas.gov.get(p.unit_id)) for p in places},
        "gov_default": _quota_json(quotas.gov_default),
        "extras": dict(quotas.extras),
        "district_offices_per_year": quotas.gov_district_offices,
    }


def _checked(data: dict, year: int):
    try:
        return validate_quotas(data, units_by_name(), year)
    except DataError as exc:
        raise Invalid(f"信息报送考核标准有误：{exc}", "invalid_quotas") from None


def _quota_spec(raw, where: str):
    """A quota as typed: null, or {"per_month": n} / {"per_year": n} with a whole n ≥ 1."""
    if raw is None:
        return None
    if (not isinstance(raw, dict) or len(raw) != 1 or next(iter(raw)) not in ("per_month", "per_year")):
        raise Invalid(f"{where}：指标应为每月 N 条（per_month）或全年不低于 N 条（per_year）", "invalid_quotas")
    (kind, number), = raw.items()
    if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= 1000:
        raise Invalid(f"{where}：条数应为 1 到 1000 的整数", "invalid_quotas")
    return {kind: number}


def _units(raw, year: int, label: str) -> dict[str, dict | None]:
    if not isinstance(raw, dict):
        raise Invalid(f"{label}应为“单位代码 → 指标”", "invalid_quotas")
    places = {p.unit.code: p for p in chart.chart(year).values()}
    out = {}
    for code, spec in raw.items():
        if code not in places:
            raise Invalid(f"{label}：{year}年度没有代码为 {code} 的单位", "invalid_quotas")
        out[code] = _quota_spec(spec, f"{label}·{places[code].name}")
    return out


@operation
def update(user, year: int, payload) -> dict:
    """The admin's PUT (any of the keys); 403, 404, 400, 409, then 422 naming what is wrong."""
    if not access.is_admin(user):
        raise Forbidden("只有管理员可以修改信息报送考核标准")
    before = view(user, year)
    if not isinstance(payload, dict):
        raise BadRequest("请求体必须是 JSON 对象", "malformed_json")
    if year_opened(year):
        raise Conflict(f"{year}年度考核已开始（已有考核表离开草稿状态），信息报送指标不能再改", "year_opened")
    unknown = set(payload) - {"units", "gov_affairs", "gov_default", "extras", "district_offices_per_year",
                              "year", "version"}
    if unknown:
        raise Invalid(f"不能修改：{'、'.join(sorted(unknown))}", "invalid_quotas")
    units = {**before["units"], **_units(payload.get("units", {}), year, "信息报送指标")}
    gov = {**before["gov_affairs"], **_units(payload.get("gov_affairs", {}), year, "政务信息指标")}
    gov_default = (_quota_spec(payload["gov_default"], "政务信息默认指标") if "gov_default" in payload
                   else before["gov_default"])
    extras = payload.get("extras", before["extras"])
    if not isinstance(extras, dict) or set(extras) != set(PORTALS) or any(
            isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= 100 for v in extras.values()):
        raise Invalid("额外加条数应给出区、市、省三级网站，各为 0 到 100 的整数", "invalid_quotas")
    offices = payload.get("district_offices_per_year", before["district_offices_per_year"])
    if isinstance(offices, bool) or not isinstance(offices, int) or not 0 <= offices <= 100:
        raise Invalid("区两办录用条数应为 0 到 100 的整数", "invalid_quotas")
    data = dict(quota_data(year))
    data.update({
        "year": year, "extras": {p: extras[p] for p in PORTALS},
        "units": {code: spec for code, spec in units.items() if spec is not None},
    })
    gov_data = dict(data.get("gov_affairs") or {})
    gov_data.update({"default": gov_default, "district_offices_per_year": offices,
                     "units": {code: spec for code, spec in gov.items() if spec is not None}})
    data["gov_affairs"] = gov_data
    _checked(data, year)
    after = {"units": units, "gov_affairs": gov, "gov_default": gov_default, "extras": extras,
             "district_offices_per_year": offices}
    changed = [k for k in after if after[k] != before[k]]
    if not changed:
        return before
    row = db.session.get(YearInfoQuotas, year)
    if row is None:
        db.session.add(YearInfoQuotas(year=year, data=data))
    else:
        row.data = data
    record_change(user, "info_quotas_changed", f"{year}年度信息报送指标",
                  {k: before[k] for k in changed}, {k: after[k] for k in changed})
    db.session.flush()
    g.pop("_info_years", None)
    from .sync import bring_in_step

    bring_in_step(year, user, unknown_calendar_ok=True)
    db.session.commit()
    return view(user, year)
