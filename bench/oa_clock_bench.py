"""Benchmark of the 附件5 working-time clock: the fast prefix-sum clock against a stepping one.

Run from the project root:

    .venv/bin/python bench/oa_clock_bench.py              (1,000,000 pairs, 2,000 stepped)
    .venv/bin/python bench/oa_clock_bench.py --n 100000 --sample 500   (a quicker look)

Plain Python, no pytest, no timed asserts: it prints a table and exits 0 (or 1 if the two
clocks ever disagree on the sample, which would be a bug, not a timing).

Data: N (sent_at, signed_at) pairs from random.Random(SEED). sent_at is any second of 2018 in
Shanghai; the delay to the sign-in is 0–4 h for 60 % of pairs, 4 h–3 days for 30 %, 3–10 days
for 10 % (so some sign-ins fall in January 2019). Times are aware UTC datetimes, as the app
hands them over after `timeutil.as_utc`; each document is a meeting notice (30 %), an ordinary
document (65 %) or a test document (5 %).

Measured, with time.perf_counter in one process (the per-year arrays are built before timing;
their one-off cost is shown separately):
  build     a fresh WorkCalendar's arrays for 2018 and 2019 (730 chinese_calendar look-ups)
  fast      WorkCalendar.working_minutes over all N pairs — median of ROUNDS rounds
  judge     WorkCalendar.judge over all N pairs (working minutes + 48-hour clock + status),
            i.e. the clock part of the OA report over N sign-ins — median of ROUNDS rounds
  naive     workcal.naive_working_minutes (minute stepping) over the first SAMPLE pairs, once
  fast'     the fast clock over the same SAMPLE pairs (median of ROUNDS), for the ratio
"""
import argparse
import random
import statistics
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from kaohe_flow.timeutil import LOCAL_TZ
from kaohe_flow.trackers.workcal import WorkCalendar, naive_working_minutes

SEED = 20181127
ROUNDS = 3
NOW = datetime(2019, 3, 1, tzinfo=LOCAL_TZ)


def generate(n: int, seed: int = SEED):
    """n (kind, sent_at, signed_at) triples, reproducible from the seed."""
    rng = random.Random(seed)
    start = datetime(2018, 1, 1, tzinfo=LOCAL_TZ).astimezone(UTC)
    year_seconds = 365 * 24 * 3600
    kinds = ("meeting",) * 30 + ("other",) * 65 + ("test",) * 5
    out = []
    for _ in range(n):
        sent = start + timedelta(seconds=rng.randrange(year_seconds))
        r = rng.random()
        if r < 0.6:
            delay = rng.randrange(4 * 3600)
        elif r < 0.9:
            delay = rng.randrange(4 * 3600, 3 * 86400)
        else:
            delay = rng.randrange(3 * 86400, 10 * 86400)
        out.append((rng.choice(kinds), sent, sent + timedelta(seconds=delay)))
    return out


def timed(fn, rounds):
    times = []
    result = None
    for _ in range(rounds):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="pairs for the fast clock")
    parser.add_argument("--sample", type=int, default=2_000, help="pairs for the stepping clock")
    args = parser.parse_args(argv)

    print(f"Python {sys.version.split()[0]}, N={args.n:,}, sample={args.sample:,}, seed={SEED}")
    t0 = time.perf_counter()
    data = generate(args.n)
    print(f"generated the pairs in {time.perf_counter() - t0:.1f} s")

    cal = WorkCalendar()
    build, _ = timed(lambda: (WorkCalendar().check_year(2018), WorkCalendar().check_year(2019)), 1)
    cal.check_year(2018)
    cal.check_year(2019)

    wm = cal.working_minutes
    pairs = [(s, e) for _k, s, e in data]

    fast_t, total = timed(lambda: sum(wm(s, e) for s, e in pairs), ROUNDS)
    jd = cal.judge
    judge_t, statuses = timed(lambda: Counter(jd(k, s, e, NOW).status for k, s, e in data), ROUNDS)

    sample = pairs[: args.sample]
    t0 = time.perf_counter()
    naive_values = [naive_working_minutes(cal, s, e) for s, e in sample]
    naive_t = time.perf_counter() - t0
    fast_s_t, fast_values = timed(lambda: [wm(s, e) for s, e in sample], ROUNDS)
    mismatches = sum(a != b for a, b in zip(naive_values, fast_values, strict=True))
    stepped = sum(max(0, int((e - s).total_seconds() // 60)) for s, e in sample)

    def rate(count, secs):
        return count / secs if secs else float("inf")

    print()
    print(f"{'measure':<8} {'pairs':>10} {'seconds':>9} {'pairs/s':>13} {'µs/pair':>9}")
    rows = [
        ("build", 2, build),  # two years
        ("fast", len(pairs), fast_t),
        ("judge", len(data), judge_t),
        ("naive", len(sample), naive_t),
        ("fast'", len(sample), fast_s_t),
    ]
    for name, count, secs in rows:
        unit = "years" if name == "build" else ""
        print(f"{name:<8} {count:>10,} {secs:>9.3f} {rate(count, secs):>13,.0f} {secs / count * 1e6:>9.2f} {unit}")
    print()
    print(f"fast ÷ naive, per pair, same sample:        {naive_t / fast_s_t:,.0f}×")
    print(f"fast (all N) ÷ naive (sample), per pair:    {(naive_t / len(sample)) / (fast_t / len(pairs)):,.0f}×")
    print(f"naive stepped {stepped:,} minutes ({stepped / len(sample):,.0f} per pair, "
          f"{stepped / naive_t:,.0f} minutes/s)")
    print(f"total working minutes over N: {total:,}; statuses at {NOW:%Y-%m-%d}: "
          + ", ".join(f"{k} {v:,}" for k, v in sorted(statuses.items())))
    print(f"sample agreement: {len(sample) - mismatches:,}/{len(sample):,}")
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
