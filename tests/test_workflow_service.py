"""One workflow service for sheets and bonus applications: the same checks in the same order,
one history step and one commit per move, each move declared once, `state` moved only by the
machine, and a refused request that leaves nothing behind (issue 8, points 8 and 9).

Givens are written straight to the database (inside `with app.app_context():`); the step
under test goes through the service, or through HTTP where the page is what is checked."""
import hashlib
import re

import pytest
import sqlalchemy as sa

from files import tiny_png
from kaohe_flow.audit.models import HistoryEntry
from kaohe_flow.bonus import service as bonus
from kaohe_flow.bonus.models import Attachment, BonusApplication
from kaohe_flow.errors import ServiceError
from kaohe_flow.extensions import db
from kaohe_flow.org.models import User
from kaohe_flow.sheets import service as sheets
from kaohe_flow.sheets.models import Sheet
from kaohe_flow.workflow import machine, permissions

YEAR = 2018


# ------------------------------------------------------------------ givens (also used by the proofs)


def user(username: str) -> User:
    return db.session.scalar(db.select(User).filter_by(username=username))


def sheet_of(unit_code: str) -> Sheet:
    return db.session.scalar(db.select(Sheet).join(Sheet.unit).where(Sheet.year == YEAR).filter_by(code=unit_code))


def scored_sheet(unit_code: str) -> int:
    """The unit's 2018 draft with every self and review score at the standard (written directly)."""
    sheet = sheet_of(unit_code)
    for row in sheet.rows:
        row.self_score = row.review_score = row.item.standard
    db.session.commit()
    return sheet.id


def fire(service, record_id: int, who: str, action: str, **payload):
    """One move by `who` with the record's current version: the service's answer."""
    model = Sheet if service is sheets else BonusApplication
    version = db.session.get(model, record_id).version
    payload = {"version": version, "comment": "理由", **payload}
    return service.fire_action(user(who), record_id, action, payload)


def sheet_in_gate_review(unit_code: str = "bgs") -> int:
    sid = scored_sheet(unit_code)
    fire(sheets, sid, unit_code, "submit")
    return sid


def filed_application(unit_code: str = "bgs", project: str = "获市级文明单位称号") -> int:
    """A draft application with a certificate, as its unit's member filed it."""
    application = bonus.create(user(f"{unit_code}.staff"),
                               {"year": YEAR, "project": project, "points_requested": "1.5"})
    png = tiny_png()
    application.attachments.append(Attachment(filename="证书.png", content_type="image/png", size=len(png),
                                              sha256=hashlib.sha256(png).hexdigest(), data=png))
    db.session.commit()
    return application.id


def application_in_gate_review(unit_code: str = "bgs") -> int:
    bid = filed_application(unit_code)
    fire(bonus, bid, unit_code, "submit")
    return bid


def stored(model, record_id: int) -> tuple:
    """(state, version, history steps) as the database holds them, read on a connection of its
    own (outside the session, which may hold what a refusal left behind)."""
    kind = "sheet" if model is Sheet else "bonus"
    table = model.__table__
    with db.engine.connect() as conn:
        state, version = conn.execute(sa.select(table.c.state, table.c.version)
                                      .where(table.c.id == record_id)).one()
        count = conn.scalar(sa.select(sa.func.count()).select_from(HistoryEntry.__table__)
                            .where(HistoryEntry.record_kind == kind, HistoryEntry.record_id == record_id))
    return state, version, count


def refusal(call) -> tuple[int, str]:
    with pytest.raises(ServiceError) as refused:
        call()
    return refused.value.status, refused.value.code


# ------------------------------------------------------------------ one declaration


def test_each_move_is_declared_once_and_the_machine_and_the_permission_table_are_built_from_it():
    declared = {(t.trigger, t.source) for t in machine.TRANSITIONS}
    assert len(declared) == len(machine.TRANSITIONS)  # no move written twice
    granted = {(action, g.state) for action, grants in permissions.ACTION_RULES.items() for g in grants
               if action in machine.ACTIONS}
    assert granted == declared
    in_machine = {(name, source) for name, event in machine.MACHINE.events.items() for source in event.transitions}
    assert in_machine == declared
    for t in machine.TRANSITIONS:
        (grant,) = [g for g in permissions.ACTION_RULES[t.trigger] if g.state == t.source]
        assert (grant.capacity, grant.head_only, grant.guard) == (t.who.capacity, t.who.head_only, t.guard)
        dests = {tr.dest for tr in machine.MACHINE.events[t.trigger].transitions[t.source]}
        assert dests == ({t.dest, None} if t.moves_when else {t.dest}) | ({t.skips_to} if t.skips_to else set())


def test_field_edits_are_declared_next_to_the_moves():
    assert {e.name: (e.state, e.who.capacity) for e in machine.FIELD_EDITS} == {
        "edit_self": ("draft", "unit"), "edit_review": ("gate_review", "gate")}
    assert permissions.ACTION_RULES["edit_self"][0].state == "draft"


# ------------------------------------------------------------------ state moves only through the machine


def test_a_sheets_state_cannot_be_assigned_outside_the_machine(app, sheet_id):
    with app.app_context():
        sheet = db.session.get(Sheet, sheet_id("bgs"))
        with pytest.raises(machine.StateAssignmentRefused):
            sheet.state = "final"
        with pytest.raises(machine.StateAssignmentRefused):
            sheet.state = "draft"  # not even to the state it is in: only a move changes it
        assert sheet.state == "draft" and sheet not in db.session.dirty
    with app.app_context():
        assert db.session.get(Sheet, sheet_id("bgs")).state == "draft"


def test_an_applications_state_cannot_be_assigned_outside_the_machine(app):
    with app.app_context():
        bid = application_in_gate_review()
        application = db.session.get(BonusApplication, bid)
        with pytest.raises(machine.StateAssignmentRefused):
            application.state = "final"
        assert application.state == "gate_review"


def test_a_new_record_starts_in_draft_and_nowhere_else(app):
    with app.app_context():
        assert BonusApplication(state="draft").state == "draft"
        with pytest.raises(machine.StateAssignmentRefused):
            BonusApplication(state="final")
        with pytest.raises(machine.StateAssignmentRefused):
            Sheet(state="leader_sign")


def test_the_machine_moves_a_record_when_it_fires(app):
    with app.app_context():
        sid = sheet_in_gate_review()
        assert stored(Sheet, sid)[0] == "gate_review"


# ------------------------------------------------------------------ the same checks in the same order


@pytest.fixture(params=["sheet", "bonus"])
def waiting_at_the_gate(request, app):
    """A record of each kind in gate_review: (service, model, id, its stale version)."""
    with app.app_context():
        if request.param == "sheet":
            rid, service, model = sheet_in_gate_review(), sheets, Sheet
        else:
            rid, service, model = application_in_gate_review(), bonus, BonusApplication
        return service, model, rid, db.session.get(model, rid).version - 1


def test_404_before_403_before_stale_before_wrong_state_before_422(app, waiting_at_the_gate):
    service, model, rid, old = waiting_at_the_gate
    with app.app_context():
        current = db.session.get(model, rid).version

        def call(who, action, version, **extra):
            return lambda: service.fire_action(user(who), rid, action, {"version": version, **extra})

        assert refusal(call("szc", "approve", old)) == (404, "not_found")  # not theirs to see
        assert refusal(call("szc", "nosuch", old))[0] == 404
        assert refusal(call("rjk", "nosuch", old)) == (404, "unknown_action")
        assert refusal(call("rjk.staff", "approve", old)) == (403, "forbidden")  # never a member's
        assert refusal(call("rjk", "approve", old)) == (409, "stale_version")
        assert refusal(call("bgs", "submit", old)) == (409, "stale_version")
        assert refusal(call("bgs", "submit", current)) == (409, "wrong_state")
        assert refusal(call("rjk", "return", current))[0] == 422  # the right move, no reason given
        assert refusal(call("rjk", "return", old)) == (409, "stale_version")
        assert stored(model, rid)[:2] == ("gate_review", current)


def test_a_move_is_one_history_step_one_signature_and_one_commit(app, waiting_at_the_gate):
    service, model, rid, _old = waiting_at_the_gate
    with app.app_context():
        state, version, steps = stored(model, rid)
        commits = []

        def count(conn):
            commits.append(conn)

        sa.event.listen(db.engine, "commit", count)
        try:
            fire(service, rid, "rjk", "approve", points_proposed="1")
        finally:
            sa.event.remove(db.engine, "commit", count)
        assert len(commits) == 1
        after = stored(model, rid)
        extra_edits = 1 if model is BonusApplication else 0  # the proposed points are an edit step
        assert after == ("responsible_sign", version + 1, steps + 1 + extra_edits)
        record = db.session.get(model, rid)
        assert [s.capacity for s in record.signatures] == ["unit_head", "gate"]


def test_a_return_voids_the_signatures_given_since_but_keeps_the_offices_row_signatures(app, waiting_at_the_gate):
    """The gate's signature goes with a return; an office's signatures on a sheet's rows stay until
    the row changes (CONTRACT.md "The year's rhythm"); an application has no rows, so its office
    signs again."""
    service, model, rid, _old = waiting_at_the_gate
    with app.app_context():
        fire(service, rid, "rjk", "approve", points_proposed="1")
        if model is Sheet:
            fire(service, rid, "dwb", "sign")
            fire(service, rid, "bgs", "return", comment="请补充", items=["info_mgmt"])
        else:  # the target-management office (人教科) is an application's one signing office
            fire(service, rid, "rjk", "return", comment="请补充")
        record = db.session.get(model, rid)
        kept = {s.unit.code for s in record.signatures if s.capacity == "responsible_office"}
        assert record.state == "gate_review" and "gate" not in {s.capacity for s in record.signatures}
        assert kept == ({"dwb"} if model is Sheet else set())


# ------------------------------------------------------------------ a refusal rolls back everything


def test_a_refused_edit_of_an_application_saves_nothing_of_it(app):
    with app.app_context():
        bid = filed_application(project="原项目")
        before = stored(BonusApplication, bid)
        application = db.session.get(BonusApplication, bid)
        status, code = refusal(lambda: bonus.update(user("bgs.staff"), bid, {
            "version": application.version, "project": "新项目", "points_requested": "abc"}))
        assert (status, code) == (422, "invalid_points")
        # The same session, as the refused page renders it: what is stored, nothing pending.
        assert db.session.get(BonusApplication, bid).project == "原项目"
        assert not db.session.new and not db.session.dirty
        assert stored(BonusApplication, bid) == before


def test_the_refused_edit_page_shows_what_is_stored_and_keeps_what_was_typed(app, client):
    """Issue 8: POST /bonus/<id>/edit with a new project and points_requested=abc answered 422
    and showed the new project and a history line "修改 申报项目" that were never saved."""
    with app.app_context():
        bid = filed_application(project="原项目")
        before = stored(BonusApplication, bid)
    assert client.post("/login", data={"username": "bgs.staff", "password": "demo12345"}).status_code == 302
    html = client.get(f"/bonus/{bid}").get_data(as_text=True)
    version = re.search(r'name="version" value="(\d+)"', html).group(1)
    r = client.post(f"/bonus/{bid}/edit", data={"version": version, "project": "新项目",
                                                "points_requested": "abc"})
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    form, history = html.split('class="timeline"')
    assert ">新项目</textarea>" in form and 'value="abc"' in form  # the form keeps what was typed
    assert 'id="points-requested">1.5<' in form  # the record shows what is stored
    assert "新项目" not in history and history.count("修改 申报项目") == 1  # only the filing's step
    assert "→ 原项目" in history
    with app.app_context():
        assert stored(BonusApplication, bid) == before
        assert db.session.get(BonusApplication, bid).project == "原项目"
        assert [e.new for e in db.session.scalars(db.select(HistoryEntry).filter_by(
            record_kind="bonus", record_id=bid, field="project"))] == ["原项目"]


def test_a_refused_approve_page_shows_the_sheet_as_stored(app, client):
    """An approve refused for a missing review score: the page shows the sheet still at the
    gate, the refused step is not in its history, the database is unchanged."""
    with app.app_context():
        sid = sheet_in_gate_review()
        sheet = db.session.get(Sheet, sid)
        sheet.rows[1].review_score = None  # the approve will lack one score
        db.session.commit()
        before = stored(Sheet, sid)
    assert client.post("/login", data={"username": "rjk", "password": "demo12345"}).status_code == 302
    r = client.post(f"/sheets/{sid}/actions/approve", data={"version": str(before[1]), "comment": "同意"})
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and 'data-state="gate_review"' in html
    assert "扎口审核 → 责任科室会签" not in html
    with app.app_context():
        assert stored(Sheet, sid) == before


def test_a_refusal_inside_the_workflow_rolls_back_the_payloads_edits(app):
    """The leader's points are checked before the opinion is written: nothing of a refused
    sign stays in the session."""
    with app.app_context():
        bid = application_in_gate_review()
        fire(bonus, bid, "rjk", "approve", points_proposed="1")
        fire(bonus, bid, "rjk", "sign")
        before = stored(BonusApplication, bid)
        status, code = refusal(lambda: fire(bonus, bid, "leader1", "sign", opinion="同意", points_granted="x"))
        assert (status, code) == (422, "invalid_points")
        application = db.session.get(BonusApplication, bid)
        assert application.opinion == "" and application.state == "leader_sign"
        assert stored(BonusApplication, bid) == before


# ------------------------------------------------------------------ who sees


def test_those_who_see_everything_see_every_record(app):
    with app.app_context():
        sid = scored_sheet("szc")
        for who in ("director", "admin", "leader2", "leader4"):
            assert sheets.get_visible(user(who), sid)[0].id == sid
        # 房管处 is neither 市政处's gate nor a responsible office: it does not see the sheet.
        assert refusal(lambda: sheets.get_visible(user("fgc.staff"), sid))[0] == 404


def test_the_last_offices_signature_moves_the_sheet_with_one_version_step(app):
    """Found by the stateful test: a query in the signature's hook wrote half the move, so the
    row was updated twice. Every move is one UPDATE: version + 1."""
    with app.app_context():
        sid = scored_sheet("csk")
        for who, action in (("csk", "submit"), ("rjk", "approve"), ("cjjcdd", "sign"), ("rjk", "sign"),
                            ("dwb", "sign"), ("bgs", "sign")):
            state, version, steps = stored(Sheet, sid)
            fire(sheets, sid, who, action)
            assert stored(Sheet, sid)[1:] == (version + 1, steps + 1), (who, action)
        assert stored(Sheet, sid)[0] == "leader_sign"
