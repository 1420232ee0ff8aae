"""The pages and the inbox issue the same number of SQL statements for 19 units as for 200:
no query per row, per sheet or per unit (N+1)."""
import pytest

from kaohe_flow.extensions import db
from kaohe_flow.org.models import Unit, User, YearUnit
from kaohe_flow.sheets import service as sheet_service


def grow_to(app, total_units):
    """Add units (gated by 建工科, led by leader4) and open their sheets."""
    with app.app_context():
        jgk = db.session.scalar(db.select(Unit).filter_by(code="jgk"))
        leader = db.session.scalar(db.select(User).filter_by(username="leader4"))
        have = db.session.scalar(db.select(db.func.count(Unit.id)))
        for n in range(have, total_units):
            unit = Unit(code=f"t{n}", name=f"测试单位{n}", aliases=[], position=n)
            db.session.add(YearUnit(year=2018, unit=unit, name=unit.name, aliases=[], position=n,
                                    gate_unit_id=jgk.id, leader_id=leader.id))
        db.session.commit()
        sheet_service.open_year(2018)


def statements(app, count_queries, who, path, api=None):
    client = app.test_client()
    headers = {}
    if api is None:
        client.post("/login", data={"username": who, "password": "demo12345"})
    else:
        headers = {"Authorization": "Bearer " + api.token(who)}
    client.get(path, headers=headers)  # warm caches that are per process, not per request
    with count_queries() as n:
        response = client.get(path, headers=headers)
    assert response.status_code == 200
    return n()


@pytest.mark.parametrize("who, path, via_api", [
    ("rjk", "/inbox", False),  # 人教科 gates nine units and signs rows on every sheet
    ("jgk", "/inbox", False),  # 建工科 gates every added unit
    ("rjk", "/sheets?year=2018", False),
    ("bgs", "/sheets/{sid}", False),
    ("rjk", "/api/v1/inbox", True),
    ("director", "/api/v1/sheets?year=2018", True),
    ("bgs", "/api/v1/sheets/{sid}", True),
    # issue 11: the ranking and the lists from aggregates, not hydrated sheets
    ("director", "/ranking?year=2018", False),
    ("director", "/api/v1/ranking?year=2018", True),
    ("leader1", "/api/v1/years/2018/progress", True),
    ("leader1", "/api/v1/notifications", True),
])
def test_same_statement_count_with_19_and_200_units(app, api, count_queries, sheet_id, who, path, via_api):
    path = path.format(sid=sheet_id("bgs"))
    app.config["PAGE_CACHE"] = False  # what drawing the page costs, not giving a kept one
    small = statements(app, count_queries, who, path, api if via_api else None)
    grow_to(app, 200)
    large = statements(app, count_queries, who, path, api if via_api else None)
    assert small == large, f"{path}: {small} statements with 19 units, {large} with 200"
    assert small < 30  # far below one statement per row (17) or per unit (19)
