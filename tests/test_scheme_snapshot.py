"""The year's scheme is read once per process and shared across requests (issue 11, lean reads),
yet every change the admin makes is seen at once, by this process and by any other: each change
moves the scheme's version on in its own transaction, and every request asks that version first."""
import dataclasses

import pytest
import sqlalchemy as sa

from conftest import YEAR, make_app
from kaohe_flow.extensions import db
from kaohe_flow.scheme import snapshot
from kaohe_flow.scheme.models import SchemeItem


def _item_name(api, year, code):
    scheme = api.as_("admin").get(f"/api/v1/years/{year}/scheme").get_json()
    return next(i["name"] for i in scheme["items"] if i["code"] == code)


def _first_code(app, year=YEAR):
    with app.app_context():
        return db.session.scalar(sa.select(SchemeItem.code).join(SchemeItem.scheme).where(
            SchemeItem.scheme.property.mapper.class_.year == year).order_by(SchemeItem.position).limit(1))


def test_an_admin_change_to_an_item_shows_at_once_though_the_scheme_is_held(app, api):
    r = api.as_("admin").post("/api/v1/years", json={"year": YEAR + 1, "copy_from": YEAR})
    assert r.status_code == 201
    code = _first_code(app, YEAR + 1)
    before = _item_name(api, YEAR + 1, code)  # now held by this process
    r = api.as_("admin").put(f"/api/v1/years/{YEAR + 1}/scheme/items/{code}", json={"name": "新的项目名称"})
    assert r.status_code == 200, r.get_json()
    assert before != "新的项目名称"
    assert _item_name(api, YEAR + 1, code) == "新的项目名称"


def test_another_process_sees_a_change_made_by_this_one(app, api, db_url):
    code = _first_code(app)
    other = make_app(db_url)  # another app server: its own snapshots, the same database
    other_api = type(api)(other.test_client())
    assert _item_name(other_api, YEAR, code) == _item_name(api, YEAR, code)  # both hold it now
    with app.app_context():  # a change written by this process (as any flush would)
        item = db.session.scalar(sa.select(SchemeItem).filter_by(code=code))
        item.name = "另一台服务器上改的名称"
        db.session.commit()
    assert _item_name(other_api, YEAR, code) == "另一台服务器上改的名称"
    with other.app_context():
        db.session.remove()


def test_a_change_rolled_back_never_reaches_the_held_scheme(app, api):
    code = _first_code(app)
    held = _item_name(api, YEAR, code)
    with app.test_request_context():
        item = db.session.scalar(sa.select(SchemeItem).filter_by(code=code))
        item.name = "未提交的名称"
        db.session.flush()
        # Inside the change's own transaction the scheme reads what the transaction sees...
        assert snapshot.scheme_view(YEAR).item(code).name == "未提交的名称"
        db.session.rollback()
    # ...and once it is rolled back nobody ever sees it.
    assert _item_name(api, YEAR, code) == held


def test_the_held_scheme_is_plain_and_frozen(app):
    with app.test_request_context():
        scheme = snapshot.scheme_view(YEAR)
        item = scheme.items[0]
        with pytest.raises(dataclasses.FrozenInstanceError):
            item.name = "x"
        assert all(rule.item is item for rule in item.rules)
        assert scheme.item(item.code) is item
        assert sum(i.standard for i in scheme.items) == scheme.total  # 附件2: the items add up to 100


def test_a_page_read_twice_reads_the_scheme_rows_once(app, count_queries):
    app.config["PAGE_CACHE"] = False  # the page drawn twice, not given from the kept pages
    client = app.test_client()
    assert client.post("/login", data={"username": "bgs", "password": "demo12345"}).status_code == 302
    from kaohe_flow.sheets.models import Sheet

    with app.app_context():
        sid = db.session.scalar(sa.select(Sheet.id).filter_by(year=YEAR).limit(1))
    seen = []
    from sqlalchemy import event

    def note(conn, cursor, statement, *args):
        seen.append(statement)

    client.get(f"/sheets/{sid}")
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        assert client.get(f"/sheets/{sid}").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", note)
    assert not [s for s in seen if "FROM scheme_items" in s or "FROM rules" in s]
    assert [s for s in seen if "FROM cache_versions" in s]  # the one question every request asks


# ------------------------------------------------------------------ what a request read before


def _items(year=YEAR):
    return db.session.scalars(sa.select(SchemeItem).join(SchemeItem.scheme).where(
        SchemeItem.scheme.property.mapper.class_.year == year).order_by(SchemeItem.position)).all()


def _renamed_by_another_server(item_id, name):
    """Another process commits a rename (its own session; its flush moves the version on)."""
    from sqlalchemy.orm import Session

    with Session(db.engine) as other:
        other.get(SchemeItem, item_id).name = name
        other.commit()


def test_an_item_this_request_loaded_before_never_lends_its_old_values_to_the_held_copy(app):
    with app.test_request_context():
        item = _items()[0]  # as a record's rule names its item, loaded before the scheme is read
        code = item.code
        _renamed_by_another_server(item.id, "别处改的名称")
        assert snapshot.scheme_view(YEAR).item(code).name == "别处改的名称"
    with app.test_request_context():  # and every later request of this process
        assert snapshot.scheme_view(YEAR).item(code).name == "别处改的名称"


def test_a_change_not_yet_flushed_is_never_held_for_other_requests(app):
    with app.test_request_context():
        first, second = _items()[:2]
        code = first.code
        first.name = "从未提交的名称"  # asking the version flushes it, inside this transaction
        assert snapshot.scheme_view(YEAR).item(code).name == "从未提交的名称"
        db.session.rollback()
        other_id = second.id
    with app.app_context():
        _renamed_by_another_server(other_id, "另一处已提交的修改")  # the same version number again
    with app.test_request_context():
        assert snapshot.scheme_view(YEAR).item(code).name != "从未提交的名称"


def test_after_a_rollback_the_same_request_reads_the_stored_scheme_again(app):
    with app.test_request_context():
        item = _items()[0]
        code, stored = item.code, item.name
        item.name = "回滚的名称"
        db.session.flush()
        assert snapshot.scheme_view(YEAR).item(code).name == "回滚的名称"
        db.session.rollback()
        assert snapshot.scheme_view(YEAR).item(code).name == stored


def test_a_change_flushed_by_the_schemes_own_read_and_rolled_back_is_never_held(app):
    with app.test_request_context():
        before = snapshot.scheme_view(YEAR).items[0].name
    with app.test_request_context():
        snapshot.versions()  # every request asks the versions first
        snapshot._store().clear()  # as after any change elsewhere
        _items()[0].name = "回滚掉的项目名"  # pending, not flushed
        assert snapshot.scheme_view(YEAR).items[0].name == "回滚掉的项目名"
        db.session.rollback()
    with app.test_request_context():
        assert snapshot.scheme_view(YEAR).items[0].name == before
