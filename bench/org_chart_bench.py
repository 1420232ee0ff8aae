"""The org chart held per process (org.snapshot) against the chart read per request (the code
before it, `git show <rev>:kaohe_flow/org/chart.py`), on a generated district.

Run from the project root:

    .venv/bin/python bench/org_chart_bench.py                 # 1,000 generated units, made here
    .venv/bin/python bench/org_chart_bench.py --district sqlite:////tmp/district.db --before a1b2c3d

Plain Python, no timed asserts. One process, SQLite, pages kept by the page cache switched off
(what drawing the page costs). For each page: statements and the median milliseconds of eleven
requests after a warm-up, first with the chart read per request (the old functions patched
into `kaohe_flow.org.chart`; they read `YearUnit` rows), then held; and the first request after
an admin's change to the chart (the held chart read again, once, in one statement).
"""
import argparse
import statistics
import subprocess
import sys
import tempfile
import time
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import event  # noqa: E402

from kaohe_flow import create_app  # noqa: E402
from kaohe_flow.benchdata import Sizes, generate  # noqa: E402
from kaohe_flow.extensions import db  # noqa: E402
from kaohe_flow.org import chart  # noqa: E402
from kaohe_flow.org.models import Unit, YearUnit  # noqa: E402
from kaohe_flow.org.service import DEMO_PASSWORD  # noqa: E402
from kaohe_flow.sheets.models import Sheet  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
from statements import build_demo  # noqa: E402

YEAR = 2018
PAGES = [
    ("sheet page", "bgs", "/sheets/{bgs}"),
    ("sheet page (gate 人教科)", "rjk", "/sheets/{bgs}"),
    ("API sheet", "bgs", "/api/v1/sheets/{bgs}"),
    ("inbox (gate 人教科)", "rjk", "/inbox"),
    ("sheet list", "director", f"/sheets?year={YEAR}"),
    ("progress", "leader1", f"/api/v1/years/{YEAR}/progress"),
    ("API units", "director", f"/api/v1/units?year={YEAR}"),
]
PATCHED = ("chart", "place", "prime", "gate_of", "leader_of", "units_of", "chart_years", "default_year")


def old_chart(rev: str) -> types.ModuleType:
    """The chart module as it was at `rev`, loaded under this package (its relative imports)."""
    source = subprocess.run(["git", "show", f"{rev}:kaohe_flow/org/chart.py"], cwd=ROOT, check=True,
                            capture_output=True, text=True).stdout
    module = types.ModuleType("kaohe_flow.org._chart_before")
    module.__package__ = "kaohe_flow.org"
    exec(compile(source, "chart_before.py", "exec"), module.__dict__)
    return module


def measure(app, rounds: int = 11) -> dict:
    with app.app_context():
        bgs = db.session.scalar(db.select(Sheet.id).join(Unit, Unit.id == Sheet.unit_id)
                                .where(Unit.code == "bgs", Sheet.year == YEAR))
        engine = db.engine
    seen = []

    def count(conn, cursor, statement, *args):
        seen.append(statement)

    out, clients, tokens = {}, {}, {}
    for label, who, path in PAGES:
        path = path.format(bgs=bgs)
        client = clients.get(who)
        if client is None:
            client = clients[who] = app.test_client()
            client.post("/login", data={"username": who, "password": DEMO_PASSWORD})
            tokens[who] = client.post("/api/v1/tokens", json={"username": who, "password": DEMO_PASSWORD}
                                      ).get_json()["token"]
        headers = {"Authorization": "Bearer " + tokens[who]} if path.startswith("/api/") else {}
        assert client.get(path, headers=headers).status_code == 200, (label, path)  # warm-up
        times = []
        for _ in range(rounds):
            seen.clear()
            event.listen(engine, "before_cursor_execute", count)
            started = time.perf_counter()
            response = client.get(path, headers=headers)
            times.append((time.perf_counter() - started) * 1000)
            event.remove(engine, "before_cursor_execute", count)
            assert response.status_code == 200, (label, path, response.status_code)
        out[label] = (len(seen), statistics.median(times))
    return out


def after_a_change(app) -> tuple[int, float]:
    """The sheet page's first request after the admin renamed a unit (the chart read again)."""
    with app.app_context():
        bgs = db.session.scalar(db.select(Sheet.id).join(Unit, Unit.id == Sheet.unit_id)
                                .where(Unit.code == "bgs", Sheet.year == YEAR))
        place = db.session.get(YearUnit, (YEAR, db.session.scalar(db.select(Unit.id).filter_by(code="dwb"))))
        place.aliases = list(place.aliases or []) + [f"别名{time.time_ns()}"]
        db.session.commit()
        engine = db.engine
    client = app.test_client()
    client.post("/login", data={"username": "bgs", "password": DEMO_PASSWORD})
    seen = []

    def count(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    started = time.perf_counter()
    assert client.get(f"/sheets/{bgs}").status_code == 200
    elapsed = (time.perf_counter() - started) * 1000
    event.remove(engine, "before_cursor_execute", count)
    return len(seen), elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--units", type=int, default=1000)
    parser.add_argument("--district", help="measure this database (made by bench-data) instead of making one")
    parser.add_argument("--before", default="HEAD", help="the revision whose chart.py read per request")
    args = parser.parse_args()
    before = old_chart(args.before)
    held = {name: getattr(chart, name) for name in PATCHED}
    with tempfile.TemporaryDirectory() as tmp:
        url = args.district or f"sqlite:///{tmp}/district.db"
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False,
                          "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000", "TESTING": True, "PAGE_CACHE": False})
        if not args.district:
            build_demo(app)
            with app.app_context():
                made = generate(Sizes(args.units, 1, 2000, 2000, 2000), seed=1, say=lambda _line: None)
            print(f"district: {args.units} generated units, generated in {made['seconds']} s")
        with app.app_context():
            print(f"{db.session.scalar(db.select(db.func.count()).select_from(YearUnit).filter_by(year=YEAR))}"
                  f" units in the {YEAR} chart")
        for name in PATCHED:
            setattr(chart, name, getattr(before, name))
        per_request = measure(app)
        for name, function in held.items():
            setattr(chart, name, function)
        per_process = measure(app)
        changed = after_a_change(app)
    print()
    print(f"Org chart read per request ({args.before}) and held per process, {time.strftime('%Y-%m-%d')}:"
          " statements | median ms of 11")
    print()
    print("| page | per request | held |")
    print("|---|---:|---:|")
    for label, _who, _path in PAGES:
        (n0, t0), (n1, t1) = per_request[label], per_process[label]
        print(f"| {label} | {n0} / {t0:.0f} | {n1} / {t1:.0f} |")
    print(f"| sheet page, first request after a change to the chart | | {changed[0]} / {changed[1]:.0f} |")


if __name__ == "__main__":
    main()
