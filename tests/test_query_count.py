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


def test_an_approve_costs_the_same_statements_with_19_and_200_units(app, api, count_queries, sheet_id):
    """issue 11: a step is one unit of work of a fixed number of statements — the sheet loaded,
    decided, moved, its history step chained, everyone now holding it told in one INSERT, and
    the answer drawn from what was written — not one per unit, per row or per person told."""
    from decimal import Decimal

    from flow import Flow

    bgs = Flow(api, sheet_id("bgs"))  # gate 人教科
    bgs.fill_self("bgs.staff")
    bgs.ok(bgs.act("bgs", "submit"))
    bgs.fill_review("rjk", lose=Decimal("0.5"))
    api.token("rjk")  # signed in before the count

    def approve():
        version = bgs.version
        with count_queries() as n:
            response = bgs.act("rjk", "approve", version=version)
        assert response.status_code == 200, response.get_json()
        return n()

    small = approve()
    bgs.ok(bgs.act("rjk", "return", comment="目标分有误", items=["targets"]))  # back at the gate
    grow_to(app, 200)
    large = approve()
    assert small == large, f"an approve: {small} statements with 19 units, {large} with 200"
    assert small <= 24  # the sheet, the decision, the move, the chain, the notifications, the answer
