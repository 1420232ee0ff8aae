"""The ranking of a district against one raw SQL aggregate of the same totals (issue 11, 5).

Run from the project root:

    .venv/bin/python bench/ranking_bench.py               # 1,000 generated units, one year
    .venv/bin/python bench/ranking_bench.py --units 200

Builds the demo and a district (kaohe_flow.benchdata) on a fresh SQLite file, then times, in one
process, the median of 7 runs of (a) the app's ranking as `GET /api/v1/ranking` answers it
(`reports.ranking.ranking(..., with_rows=False)`, the director, every sheet) and (b) one SQL
statement computing every sheet's 合计分 and competition rank with a window function. The two
must agree on every rank; the ratio a/b is what issue 11 asks to be within 2×. Plain Python, no
asserts beyond the agreement: it prints the figures.
"""
import argparse
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from sqlalchemy import text  # noqa: E402

from kaohe_flow.benchdata import Sizes, generate  # noqa: E402
from kaohe_flow.extensions import db  # noqa: E402
from kaohe_flow.org.models import User  # noqa: E402
from kaohe_flow.reports.ranking import ranking  # noqa: E402
from statements import build_demo, make_app  # noqa: E402

YEAR = 2018
RAW = text("""
    WITH sub AS (
        SELECT s.id, s.state, s.key_deduction, s.bonus_final,
               COALESCE(SUM(COALESCE(r.review_score, r.self_score, 0)), 0) AS subtotal
        FROM sheets s LEFT JOIN sheet_rows r ON r.sheet_id = s.id
        WHERE s.year = :year GROUP BY s.id, s.state, s.key_deduction, s.bonus_final)
    SELECT id, subtotal - COALESCE(key_deduction, 0) + COALESCE(bonus_final, 0) AS total,
           CASE WHEN state = 'final' THEN RANK() OVER (
               PARTITION BY state = 'final'
               ORDER BY subtotal - COALESCE(key_deduction, 0) + COALESCE(bonus_final, 0) DESC) END AS rank
    FROM sub
""")


def median_ms(fn, runs=7):
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--units", type=int, default=1000)
    args = parser.parse_args()
    url = "sqlite:///" + str(Path(tempfile.mkdtemp(prefix="kaohe-ranking-")) / "district.db")
    app = make_app(url)
    build_demo(app)
    with app.app_context():
        generate(Sizes(units=args.units, years=1, deductions=args.units, oa_signins=args.units, info_items=args.units),
                 force=True, say=lambda *a, **k: None)
        director_id = db.session.scalar(db.select(User.id).filter_by(username="director"))
        sheets = db.session.scalar(text("SELECT COUNT(*) FROM sheets WHERE year = :y"), {"y": YEAR})
        finals = db.session.scalar(text("SELECT COUNT(*) FROM sheets WHERE year = :y AND state = 'final'"), {"y": YEAR})

        def app_ranking():
            # As a new request would: a fresh context (nothing kept in `g`, a new session), only
            # what a process holds across requests (the scheme) kept.
            with app.app_context():
                user = db.session.get(User, director_id)
                return [(r.sheet.id, r.rank) for r in ranking(user, YEAR, with_rows=False)]

        def raw():
            return db.session.execute(RAW, {"year": YEAR}).all()

        app_ms, rows = median_ms(app_ranking)
        raw_ms, raw_rows = median_ms(raw)
        by_id = {r.id: (Decimal(str(r.total)).quantize(Decimal("0.01")), r.rank) for r in raw_rows}
        disagree = [sid for sid, rank in rows if rank is not None and by_id[sid][1] != rank]
    print(f"ranking of {sheets} sheets ({finals} final) of {YEAR}, SQLite, one process:")
    print(f"  the app's ranking (API rows, no sheet rows loaded): {app_ms:.0f} ms")
    print(f"  one raw SQL aggregate with RANK():                  {raw_ms:.0f} ms")
    print(f"  ratio: {app_ms / raw_ms:.1f}×; ranks that disagree: {len(disagree)}")


if __name__ == "__main__":
    main()
