"""Requests per second of the pages against a plaintext route on the same gunicorn (issue 11, 5).

Run from the project root (needs `wrk` on the PATH):

    .venv/bin/python bench/http_bench.py                 # the demo on a fresh SQLite file
    .venv/bin/python bench/http_bench.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/kh_bench
    .venv/bin/python bench/http_bench.py --quick         # 3 s per run, no load run, no memory run

It builds the demo database (migrations, `flask bootstrap`), moves every sheet to the gate with
its scores filled in, starts gunicorn (`--workers`, default 2) on `bench/wsgi_bench.py` — the app
plus a plaintext route on the same workers — and runs `wrk` on loopback: the plaintext route, then
the page, then the plaintext route again, and reports the page's rate as a ratio to the mean of the
two plaintext runs around it (times here are noisy; ratios taken side by side are what hold). The
workflow POST is the gate's approve and a responsible office's return, alternating on one sheet per
connection (bench/steps.lua). Then worker memory after 100 and after `--memory-requests` requests,
and a load run of `--load-users` connections for `--load-seconds` over a mix of pages (errors and p95).
Plain Python, no asserts: it prints a Markdown table; `--write` appends it to bench/RESULTS.md.
"""
import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
YEAR = 2018
PASSWORD = "demo12345"


def sh(*cmd, env=None):
    subprocess.run(cmd, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def prepare(env) -> None:
    """The demo, then every sheet at the gate with self and review scores (as people would)."""
    sh(str(BIN / "flask"), "--app", "wsgi", "db", "upgrade", env=env)
    sh(str(BIN / "flask"), "--app", "wsgi", "bootstrap", env=env)
    sys.path.insert(0, str(ROOT))
    os.environ.update(env)
    from kaohe_flow import create_app
    from kaohe_flow.extensions import db
    from kaohe_flow.org import chart
    from kaohe_flow.org.models import Unit, User
    from kaohe_flow.sheets import service
    from kaohe_flow.sheets.models import Sheet

    app = create_app()
    with app.app_context():
        users = {u.username: u for u in db.session.scalars(db.select(User))}
        for sheet in db.session.scalars(db.select(Sheet).filter_by(year=YEAR)).all():
            if sheet.state != "draft":
                continue
            unit = db.session.get(Unit, sheet.unit_id)
            gate = db.session.get(Unit, chart.gate_of(YEAR, sheet.unit_id))
            full = {r.item.code: {"score": str(r.item.standard), "reason": ""} for r in sheet.rows}
            sheet = service.update_rows(users[unit.code], sheet.id, "self", sheet.version, full)
            sheet = service.fire_action(users[unit.code], sheet.id, "submit", {"version": sheet.version})
            service.update_rows(users[gate.code], sheet.id, "review", sheet.version, full)
        db.session.remove()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(env, workers: int):
    port = free_port()
    proc = subprocess.Popen([str(BIN / "gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{port}",
                             "--chdir", str(ROOT / "bench"), "wsgi_bench:app"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    import requests

    for _ in range(300):
        try:
            requests.get(base + "/_bench/plain", timeout=5)
            return proc, base
        except requests.RequestException:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("gunicorn did not start")


def sign_in(base: str):
    """(page cookie header, API token) for each person the runs need."""
    import requests

    cookies, tokens = {}, {}
    for who in ("bgs", "rjk", "director", "dwb"):
        s = requests.Session()
        form = s.get(base + "/login").text
        csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form).group(1)
        s.post(base + "/login", data={"username": who, "password": PASSWORD, "csrf_token": csrf})
        cookies[who] = "; ".join(f"{k}={v}" for k, v in s.cookies.items())
        tokens[who] = requests.post(base + "/api/v1/tokens", json={"username": who, "password": PASSWORD}).json()["token"]
    return cookies, tokens


def wrk(base, path, seconds, connections, header=None, script="report.lua", args=(), threads=2):
    cmd = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--timeout", "10s",
           "-s", str(ROOT / "bench" / script)]
    if header:
        cmd += ["-H", header]
    cmd += [base + path]
    if args:
        cmd += ["--", *args]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def worker_rss(master: int) -> list[int]:
    """RSS in KiB of the gunicorn workers (the master's children)."""
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    out = []
    for pid in children:
        status = Path(f"/proc/{pid}/status").read_text()
        out.append(int(re.search(r"VmRSS:\s+(\d+)", status).group(1)))
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="an empty database (default: a new SQLite file)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=10, help="per wrk run")
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--memory-requests", type=int, default=10000)
    parser.add_argument("--load-users", type=int, default=200)
    parser.add_argument("--load-seconds", type=int, default=60)
    parser.add_argument("--quick", action="store_true", help="3 s runs, no memory run, no load run")
    parser.add_argument("--write", action="store_true", help="append the table to bench/RESULTS.md")
    parser.add_argument("--no-page-cache", action="store_true",
                        help="draw every page (PAGE_CACHE=off): what a page costs when the data moved on")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    if args.quick:
        args.seconds = 3

    tmp = Path(tempfile.mkdtemp(prefix="kaohe-bench-"))
    url = args.database_url or f"sqlite:///{tmp / 'bench.db'}"
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench-" + os.urandom(8).hex(),
           "KAOHE_ENV": "development", "SESSION_IDLE_MINUTES": "600",
           "PAGE_CACHE": "off" if args.no_page_cache else "on"}
    env.pop("REDIS_URL", None)
    print(f"preparing {url} …", file=sys.stderr)
    prepare(env)
    proc, base = start_gunicorn(env, args.workers)
    rows, notes = [], []
    try:
        cookies, tokens = sign_in(base)
        import requests

        sheets = requests.get(base + f"/api/v1/sheets?year={YEAR}",
                              headers={"Authorization": "Bearer " + tokens["director"]}).json()["items"]
        bgs = next(s["id"] for s in sheets if s["unit"] == "bgs")
        pages = [
            ("sheet page", f"/sheets/{bgs}", "Cookie: " + cookies["bgs"]),
            ("inbox (人教科)", "/inbox", "Cookie: " + cookies["rjk"]),
            ("ranking", f"/ranking?year={YEAR}", "Cookie: " + cookies["director"]),
            ("information report", f"/info?year={YEAR}", "Cookie: " + cookies["bgs"]),
            ("OA report", f"/oa?year={YEAR}", "Cookie: " + cookies["bgs"]),
            ("sheet list", f"/sheets?year={YEAR}", "Cookie: " + cookies["director"]),
            ("API inbox (人教科)", "/api/v1/inbox", "Authorization: Bearer " + tokens["rjk"]),
            ("API ranking", f"/api/v1/ranking?year={YEAR}", "Authorization: Bearer " + tokens["director"]),
            # The floor of any signed-in answer: the token and its user read, nothing else.
            ("API me (token and user only)", "/api/v1/me", "Authorization: Bearer " + tokens["bgs"]),
        ]
        wrk(base, "/_bench/plain", 2, args.connections)  # warm both workers
        for label, path, header in pages:
            wrk(base, path, 1, 2, header)  # warm
            before = wrk(base, "/_bench/plain", args.seconds, args.connections)
            page = wrk(base, path, args.seconds, args.connections, header)
            after = wrk(base, "/_bench/plain", args.seconds, args.connections)
            plain = (before["rps"] + after["rps"]) / 2
            rows.append((label, page, plain))
            print(f"{label}: {page['rps']:.1f}/s vs {plain:.0f}/s", file=sys.stderr)

        # The workflow POST: one sheet per connection, approve and return alternating.
        specs = []
        by_unit = {s["unit"]: s for s in sheets}
        units = requests.get(base + f"/api/v1/units?year={YEAR}",
                             headers={"Authorization": "Bearer " + tokens["director"]}).json()["items"]
        gates = {u["code"]: u["gate_unit"] for u in units}
        gate_tokens = {}
        # 人教科 returns every sheet but its own (no office acts on its own unit's sheet): 18 sheets.
        for code in sorted(c for c in by_unit if c != "rjk")[:min(18, args.connections)]:
            gate = gates[code]
            if gate not in gate_tokens:
                gate_tokens[gate] = requests.post(base + "/api/v1/tokens",
                                                  json={"username": gate, "password": PASSWORD}).json()["token"]
            office = tokens["rjk"]
            version = requests.get(base + f"/api/v1/sheets/{by_unit[code]['id']}",
                                   headers={"Authorization": "Bearer " + tokens["director"]}).json()["version"]
            specs.append(f"{by_unit[code]['id']}:{gate_tokens[gate]}:{office}:{version}")
        before = wrk(base, "/_bench/plain", args.seconds, len(specs))
        post = wrk(base, "/", args.seconds, len(specs), script="steps.lua", args=specs, threads=len(specs))
        after = wrk(base, "/_bench/plain", args.seconds, len(specs))
        rows.append(("workflow POST (approve / return)", post, (before["rps"] + after["rps"]) / 2))
        # The floor of a durable write through the app (bench/wsgi_bench.py): token, one UPDATE, COMMIT.
        floor_path = f"/_bench/write/{bgs}"
        wrk(base, floor_path, 1, 2, "Authorization: Bearer " + tokens["bgs"], args=["POST"])  # warm
        before = wrk(base, "/_bench/plain", args.seconds, len(specs))
        floor = wrk(base, floor_path, args.seconds, len(specs), "Authorization: Bearer " + tokens["bgs"],
                    args=["POST"])
        after = wrk(base, "/_bench/plain", args.seconds, len(specs))
        rows.append(("durable write floor (token, one UPDATE, COMMIT)", floor, (before["rps"] + after["rps"]) / 2))
        if post["non2xx"]:
            notes.append(f"the workflow POST run had {post['non2xx']} non-2xx answers (a return by an office "
                         "on a sheet where the office's rows differ answers 422; see steps.lua)")

        memory = None
        if not args.quick:
            header = "Cookie: " + cookies["bgs"]
            wrk(base, f"/sheets/{bgs}", 2, 2, header)
            early = worker_rss(proc.pid)
            done = 0
            while done < args.memory_requests:
                done += wrk(base, f"/sheets/{bgs}", 5, args.connections, header)["requests"]
            late = worker_rss(proc.pid)
            memory = (early, late, done)

        load = None
        if not args.quick:
            mix = [f"/sheets/{bgs}", "/inbox", f"/ranking?year={YEAR}", f"/sheets?year={YEAR}", f"/info?year={YEAR}",
                   f"/oa?year={YEAR}"]
            load = wrk(base, mix[0], args.load_seconds, args.load_users, "Cookie: " + cookies["director"],
                       args=mix, threads=2)
    finally:
        proc.terminate()
        proc.wait(timeout=20)

    out = [f"### HTTP rates against plaintext — {dt.date.today().isoformat()}", "",
           f"Machine: {os.cpu_count()} cores, {platform.platform()}, Python {platform.python_version()}; "
           f"gunicorn -w {args.workers} (sync workers) on {'SQLite' if url.startswith('sqlite') else 'PostgreSQL'}; "
           f"wrk {args.connections} connections, {args.seconds} s per run, loopback; kept pages "
           f"{'off (every page drawn)' if args.no_page_cache else 'on'}.", "",
           "| what | requests/s | plaintext requests/s (same workers, runs around it) | ratio | p95 ms | errors |",
           "|---|---|---|---|---|---|"]
    for label, page, plain in rows:
        out.append(f"| {label} | {page['rps']:.1f} | {plain:.0f} | {100 * page['rps'] / plain:.1f} % | "
                   f"{page['p95']:.1f} | {page['errors']} |")
    if memory:
        early, late, done = memory
        out += ["", f"Worker memory (RSS, KiB) after 100 requests: {early}; after {done} more: {late} "
                f"({100 * (sum(late) - sum(early)) / sum(early):+.1f} %)."]
    if load:
        out += ["", f"Load run: {args.load_users} connections for {args.load_seconds} s over six pages as the director: "
                f"{load['requests']} requests, {load['rps']:.1f}/s, errors {load['errors']}, p50 {load['p50']:.0f} ms, "
                f"p95 {load['p95']:.0f} ms, p99 {load['p99']:.0f} ms."]
    out += [f"- {n}" for n in notes]
    text = "\n".join(out) + "\n"
    print(text)
    if args.write:
        with open(ROOT / "bench" / "RESULTS.md", "a", encoding="utf-8") as f:
            f.write("\n" + text)


if __name__ == "__main__":
    main()
