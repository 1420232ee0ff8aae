"""The bench-data generator (issue 11, item 4): on the seeded database it makes a district of
the sizes asked — units with their accounts and leaders, a chart and a scheme per year, sheets in
every state, deduction records, OA sign-ins and information items — with a history the chain
vouches for; it refuses a second time without --force and always in production; and the pages
people open at the end of the year answer on what it made."""
import pytest

from kaohe_flow.audit.chain import verify_chains
from kaohe_flow.extensions import db
from kaohe_flow.ledger.models import DeductionRecord
from kaohe_flow.org.models import Unit, User, YearUnit
from kaohe_flow.scheme.models import Scheme
from kaohe_flow.sheets.models import Sheet, Signature
from kaohe_flow.trackers.info_models import InfoItem
from kaohe_flow.trackers.oa_models import OaRecipient

SEED_UNITS = 19
SIZES = ["--units", "25", "--years", "2", "--deductions", "150", "--oa-signins", "400", "--info-items", "120"]


def bench_data(app, *extra):
    return app.test_cli_runner().invoke(args=["bench-data", *SIZES, *extra])


def count(model, *where):
    return db.session.scalar(db.select(db.func.count()).select_from(model).where(*where))


def counts(app) -> dict:
    with app.app_context():
        return {m.__tablename__: count(m) for m in (Unit, User, YearUnit, Sheet, DeductionRecord, OaRecipient,
                                                     InfoItem)}


@pytest.fixture
def district(app):
    result = bench_data(app)
    assert result.exit_code == 0, result.output
    return result


def test_it_makes_what_it_says(app, district):
    with app.app_context():
        assert count(Unit) == SEED_UNITS + 25
        assert count(User, User.username.like("dleader%")) == 2  # one leader a ten units
        assert count(User, User.unit_id.in_(db.select(Unit.id).where(Unit.code.like("d0%")))) == 50  # head, staff
        assert db.session.scalar(db.select(Scheme.id).filter_by(year=2017)) is not None  # copied from 2018
        for year in (2017, 2018):
            assert count(YearUnit, YearUnit.year == year) == SEED_UNITS + 25
            assert count(Sheet, Sheet.year == year) == SEED_UNITS + 25
        assert count(DeductionRecord) == 150
        assert count(OaRecipient) == 400
        assert count(InfoItem) == 120
        # Past years are final, signed by the leader; the current year's sheets are in every state.
        assert {s for s in db.session.scalars(db.select(Sheet.state).filter_by(year=2017))} == {"final"}
        finals = db.select(Sheet.id).filter_by(year=2017)
        assert count(Signature, Signature.capacity == "leader", Signature.sheet_id.in_(finals)) == SEED_UNITS + 25
        states_now = set(db.session.scalars(db.select(Sheet.state).filter_by(year=2018)))
        assert len(states_now) >= 3
        # Every generated step is in the chain: verify-audit finds nothing wrong, and the app's
        # own steps continue it (the trackers' sync records each derived record it adds).
        assert verify_chains().ok
    synced = app.test_cli_runner().invoke(args=["trackers-sync", "--year", "2018"])
    assert synced.exit_code == 0 and "added" in synced.output, synced.output
    with app.app_context():
        assert verify_chains().ok
    assert "完成，用时" in district.output and "oa_recipients: 400" in district.output


def test_a_second_run_is_refused_without_force_and_changes_nothing(app, district):
    before = counts(app)
    again = bench_data(app)
    assert again.exit_code != 0 and "--force" in again.output
    assert counts(app) == before
    forced = bench_data(app, "--force")
    assert forced.exit_code == 0, forced.output
    assert counts(app)["units"] == before["units"] + 25  # a second district beside the first
    with app.app_context():
        assert verify_chains().ok


def test_it_never_fills_a_production_database(app):
    before = counts(app)
    app.config["KAOHE_ENV"] = "production"
    result = bench_data(app)
    assert result.exit_code != 0 and "生产环境" in result.output
    assert counts(app) == before


@pytest.mark.parametrize("who", ["rjk", "d0001", "director", "dleader001"])
def test_the_pages_of_the_year_end_answer_on_a_district(app, district, who):
    with app.app_context():  # a generated unit's sheet: every reader here may open it
        sheet = db.session.scalar(db.select(Sheet.id).join(Unit, Unit.id == Sheet.unit_id)
                                  .where(Unit.code == "d0002", Sheet.year == 2018))
    client = app.test_client()
    assert client.post("/login", data={"username": who, "password": "demo12345"}).status_code == 302
    for path in ("/inbox", "/sheets?year=2018", "/ranking?year=2018", "/ranking?year=2017", "/info?year=2018",
                 "/oa?year=2018", "/deductions?year=2018", f"/sheets/{sheet}"):
        assert client.get(path).status_code == 200, (who, path)


def test_the_api_reads_the_district(app, api, district):
    ranking = api.as_("director").get("/api/v1/ranking?year=2017")
    assert ranking.status_code == 200
    assert len(ranking.get_json()["items"]) == SEED_UNITS + 25
    assert api.as_("d0001").get("/api/v1/inbox").status_code == 200
    assert api.as_("admin").get("/api/v1/oa-report?year=2018").status_code == 200
    assert api.as_("admin").get("/api/v1/info-report?year=2018").status_code == 200
