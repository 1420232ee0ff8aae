"""Reading a report never writes, and concurrent reads never fail (CONTRACT.md "Safe on the
network"). The trackers' derived deduction records are brought in step by writes and by the
daily sync; a report computes what they would be and stores nothing. Two syncs at once, or a
sync racing a write, take turns instead of failing on the records' unique key."""
import threading
from datetime import date, datetime, timezone

import pytest

from kaohe_flow.extensions import db
from kaohe_flow.ledger.models import DeductionRecord
from kaohe_flow.org.models import Unit, User
from kaohe_flow.trackers import info, sync
from kaohe_flow.trackers.info_models import InfoItem
from kaohe_flow.trackers.oa_models import OaDocument, OaRecipient

YEAR = 2018
READS = [f"/api/v1/oa-report?year={YEAR}", f"/api/v1/info-report?year={YEAR}", f"/api/v1/ranking?year={YEAR}"]
PAGES = [f"/oa?year={YEAR}", f"/info?year={YEAR}", f"/ranking?year={YEAR}", f"/deductions?year={YEAR}"]


def entries_out_of_step(app):
    """Entries stored straight in the database, as if time had passed since they were entered:
    a document nobody signed (now past 48 working hours) and one item of 市政处 in January (its
    other months have ended short). No derived record is stored yet."""
    with app.app_context():
        szc = db.session.scalar(db.select(Unit).filter_by(code="szc"))
        db.session.add(OaDocument(year=YEAR, title="关于报送材料的通知", kind="other",
                                  sent_at=datetime(YEAR, 3, 5, 1, 0, tzinfo=timezone.utc),
                                  recipients=[OaRecipient(username="fgc", signed_at=None)]))
        db.session.add(InfoItem(year=YEAR, unit_id=szc.id, title="市政处道路改造", adopted_on=date(YEAR, 1, 5)))
        db.session.commit()


# Signing in and being signed in keep their own bookkeeping; what a report could write is the rest.
SESSION_TABLES = {"user_sessions", "api_tokens", "security_events"}


def dump(app) -> dict:
    """Every row of every table but the sessions' (the database as a value)."""
    with app.app_context():
        with db.engine.connect() as conn:
            return {t.name: sorted(map(repr, conn.execute(t.select()))) for t in db.metadata.sorted_tables
                    if t.name not in SESSION_TABLES}


def standing(app, source):
    with app.app_context():
        return db.session.scalar(db.select(db.func.count()).select_from(DeductionRecord)
                                 .filter_by(source=source, withdrawn=False))


def test_reading_the_reports_leaves_the_database_unchanged(app, api):
    entries_out_of_step(app)
    before = dump(app)
    for who in ("bgs", "szc", "director"):
        for path in READS:
            assert api.as_(who).get(path).status_code == 200, path
    client = app.test_client()
    client.post("/login", data={"username": "bgs", "password": "demo12345"})
    for path in PAGES:
        assert client.get(path).status_code == 200, path
    assert dump(app) == before


def test_the_report_shows_what_the_records_will_be_before_they_are_stored(app, api):
    entries_out_of_step(app)
    oa = api.as_("bgs").get(f"/api/v1/oa-report?year={YEAR}").get_json()
    assert [(r["username"], r["status"]) for r in oa["recipients"]] == [("fgc", "no_client")]
    assert next(u for u in oa["units"] if u["unit"] == "fgc")["points"] == "1"
    szc = next(u for u in api.as_("bgs").get(f"/api/v1/info-report?year={YEAR}").get_json()["units"]
               if u["unit"] == "szc")
    assert szc["months_short"] == list(range(1, 13)) and szc["points"] == "12"
    assert standing(app, "oa") == standing(app, "info") == 0  # the sheets follow the stored records
    with app.test_request_context():
        stats = sync.sync_year(YEAR)
    assert stats["oa"]["added"] == 1 and stats["info"]["added"] > 12
    assert standing(app, "oa") == 1


def _tokens(api, names):
    return {name: api.token(name) for name in names}


def _run_together(jobs):
    """Start every job at the same moment, each in its own thread; answers their results."""
    barrier = threading.Barrier(len(jobs))
    results = [None] * len(jobs)

    def run(i, job):
        barrier.wait()
        try:
            results[i] = job()
        except Exception as exc:  # noqa: BLE001 - the test reports it
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def test_concurrent_first_reads_all_answer_200(app, api):
    entries_out_of_step(app)
    tokens = _tokens(api, ["bgs", "szc", "director"])
    before = dump(app)

    def read(path, who):
        client = app.test_client()  # a client of its own, as a browser would be
        return client.get(path, headers={"Authorization": f"Bearer {tokens[who]}"}).status_code

    jobs = [lambda p=path, w=who: read(p, w) for path in READS for who in tokens for _ in range(2)]
    assert _run_together(jobs) == [200] * len(jobs)
    assert dump(app) == before


def _sync(app):
    with app.test_request_context():
        return sync.sync_year(YEAR)


def test_two_syncs_at_once_both_succeed_and_count_once(app):
    entries_out_of_step(app)
    results = _run_together([lambda: _sync(app), lambda: _sync(app)])
    assert all(isinstance(r, dict) for r in results), results
    assert sorted(r["oa"]["added"] for r in results) == [0, 1]  # one added it, the other found it
    assert standing(app, "oa") == 1
    with app.app_context():
        keys = db.session.scalars(db.select(DeductionRecord.source_key)).all()
        assert len(keys) == len(set(keys))


def test_a_sync_racing_an_entry_both_succeed(app):
    entries_out_of_step(app)

    def enter():
        with app.test_request_context():
            who = db.session.scalar(db.select(User).filter_by(username="bgs.staff"))
            return info.create(who, {"unit": "szc", "title": "市政处二月信息", "adopted_on": f"{YEAR}-02-05"}).id

    results = _run_together([lambda: _sync(app), enter])
    assert not any(isinstance(r, Exception) for r in results), results
    with app.app_context():
        short = db.session.scalars(db.select(DeductionRecord.source_key).filter_by(source="info", withdrawn=False)
                                   .where(DeductionRecord.source_key.like("info:2018:szc:%"))).all()
    assert len(short) == 12  # every month short of 4 items; whichever ran last saw both items
    assert _sync(app)["info"] == {"added": 0, "changed": 0, "removed": 0}  # nothing left out of step


@pytest.mark.parametrize("path", PAGES)
def test_report_pages_answer_signed_in_units(client, path):
    client.post("/login", data={"username": "szc", "password": "demo12345"})
    assert client.get(path).status_code == 200
