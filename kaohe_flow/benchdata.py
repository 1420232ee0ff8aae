"""`flask --app wsgi bench-data`: a whole district's data for benchmarks (issue 11, item 4).

The seed (units, the 2018 scheme, settings) and the demo accounts come first, as `make run`
makes them; then, in one transaction, a district on top: generated units (区…局, 街道, 镇, a
局's 科室) and their accounts, about one leader per ten units, a year's org chart per year
(the 19 offices of the seed stay the responsible offices of every item; each group of twenty
generated units is gated by its first, which a seed office gates), a scheme per year copied
from 2018's with its settings and 信息报送 quotas, the sheets of every unit and year (past years
final, the current one in every state) with rows, signatures and the history of their moves,
deduction records, OA documents with their recipients' sign-ins and information items.

Rows are written with SQLAlchemy Core in batches (`insert()` with lists of dicts): ORM objects
one by one would take an hour for a million sign-ins. Ids are drawn in blocks (PostgreSQL: the
table's sequence moved past the block; SQLite: after the largest id), so children name their
parents without reading anything back.

History goes through the hash chain (audit/chain.py) in bulk: the chain's head is taken once
for the whole transaction (its own `lock_head`), every generated step gets the next id and
position and its hash from the chain's own `entry_hash`, and the head is moved at the end, so
`flask verify-audit` finds every generated step intact. What the history holds: each move of a
sheet (submit, a return now and then, approve, every office's sign, the leader's) and the entry
that records a deduction record, an OA document or an information item; not each typed score.

Not generated: derived records (`source` oa/info: `flask --app wsgi trackers-sync` makes them
from the generated sign-ins and items), bonus applications, target letters, staff lists.
"""
from __future__ import annotations

import random
import time
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import sqlalchemy as sa
from chinese_calendar import is_workday
from flask import current_app, g
from werkzeug.security import generate_password_hash

from .audit.chain import entry_hash, lock_head
from .audit.models import HistoryEntry
from .extensions import db
from .ledger.models import DeductionRecord
from .org import chart
from .org import snapshot as org_snapshot
from .org.models import Unit, User, YearUnit
from .org.service import DEMO_PASSWORD, load_demo
from .scheme.loader import DATA_DIR, data_files, read_yaml, seed_all
from .scheme import snapshot
from .scheme.models import Scheme
from .sheets.models import Sheet, SheetRow, Signature
from .timeutil import LOCAL_TZ
from .trackers.info_models import InfoItem, YearInfoQuotas
from .trackers.oa_models import OaDocument, OaRecipient

BATCH = 10_000
GROUP = 20  # generated units per gate: the first of each twenty reviews the other nineteen
UNITS_PER_LEADER = 10


class Refused(Exception):
    """The generator will not fill this database (production, or data beyond the seed)."""


@dataclass(frozen=True)
class Sizes:
    """What to make. `units` are generated units, added to the seed's 19 offices."""

    units: int = 1000
    years: int = 10
    deductions: int = 100_000
    oa_signins: int = 1_000_000
    info_items: int = 200_000

    def scaled(self, factor: float) -> "Sizes":
        """Every size times `factor`; at least one unit and one year."""
        out = {f.name: int(round(getattr(self, f.name) * factor)) for f in fields(self)}
        out["units"], out["years"] = max(1, out["units"]), max(1, out["years"])
        return Sizes(**out)


# ------------------------------------------------------------------------------ names

BUREAUS = ("住建局", "财政局", "教育局", "卫健委", "民政局", "人社局", "司法局", "商务局", "文旅局",
           "农业农村局", "水务局", "交通运输局", "生态环境局", "市场监管局", "应急管理局", "审计局",
           "统计局", "医保局", "退役军人事务局", "科技局", "发改委", "工信局", "城管局", "体育局",
           "信访局", "档案局", "机关事务局", "数据局", "规划分局", "自然资源分局")
OFFICES = ("办公室", "人事科", "财务科", "规划科", "法规科", "信息中心", "监察大队", "综合科",
           "建设科", "安全科", "审批科", "档案室")
SYLLABLES = ("东", "西", "南", "北", "青", "石", "桥", "湖", "山", "河", "柳", "松", "梅", "兰", "竹",
             "新", "安", "平", "和", "兴", "华", "阳", "泉", "林", "港", "塘", "溪", "岭", "沙", "凤")
PLACES = ("街道", "镇", "乡")
TOPICS = ("推进老旧小区改造", "开展安全生产大检查", "优化营商环境", "做好防汛准备", "推进垃圾分类",
          "开展政策宣讲", "完成年度重点项目", "加强基层党建", "开展文明城市创建", "推进数字政务")
DOCUMENTS = ("关于召开年度工作会议的通知", "关于报送季度工作总结的通知", "关于开展安全检查的通知",
             "关于做好节日值班工作的通知", "关于转发上级文件的通知", "关于组织业务培训的通知")


def unit_names(count: int, rng: random.Random, taken: set[str]) -> list[str]:
    """`count` distinct district unit names (区住建局, 青石街道, 区财政局办公室…), none in `taken`."""
    pool = [f"区{b}" for b in BUREAUS]
    pool += [f"{a}{b}{p}" for a in SYLLABLES for b in SYLLABLES if a != b for p in PLACES]
    pool += [f"区{b}{o}" for b in BUREAUS for o in OFFICES]
    pool = [n for n in dict.fromkeys(pool) if n not in taken]
    rng.shuffle(pool)
    names = pool[:count]
    n = 0
    while len(names) < count:  # past the pool (≈ 2,900 names): numbered 社区
        n += 1
        name = f"第{n}社区"
        if name not in taken:
            names.append(name)
    return names


# ------------------------------------------------------------------------------ writing rows


def _reserve_ids(conn, table: sa.Table, n: int) -> int:
    """The first of `n` fresh ids of `table`, nobody else's (the generator is the one writer)."""
    if conn.dialect.name == "postgresql":
        seq = conn.scalar(sa.text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": table.name})
        start = conn.scalar(sa.text("SELECT nextval(:s)"), {"s": seq})
        if n > 1:
            conn.execute(sa.text("SELECT setval(:s, :v)"), {"s": seq, "v": start + n - 1})
        return start
    return (conn.scalar(sa.select(sa.func.max(table.c.id))) or 0) + 1


class Writer:
    """Rows buffered per table and inserted in batches, parents before children."""

    def __init__(self, conn):
        self.conn = conn
        self.buffers: dict[str, list[dict]] = {}
        self.counts: dict[str, int] = {}
        self.order = [t.name for t in db.metadata.sorted_tables]
        self.tables = {t.name: t for t in db.metadata.sorted_tables}
        self._defaults: dict[str, list] = {}
        self.pending = 0

    def _fill(self, table: sa.Table, row: dict) -> dict:
        """Every column the INSERT writes, Python defaults applied (executemany wants one shape)."""
        plan = self._defaults.get(table.name)
        if plan is None:
            # Left out: columns only the database fills (a server default, a serial id not given).
            plan = self._defaults[table.name] = [
                (c.name, c.default) for c in table.columns
                if not (c.server_default is not None and c.default is None) and c is not table.autoincrement_column]
        for name, default in plan:
            if name not in row:
                if default is None:
                    row[name] = None
                elif default.is_callable:
                    row[name] = default.arg(None)
                else:
                    row[name] = default.arg
        return row

    def add(self, table: sa.Table, row: dict) -> None:
        self.buffers.setdefault(table.name, []).append(self._fill(table, row))
        self.pending += 1
        if self.pending >= BATCH:
            self.flush()

    def flush(self) -> None:
        for name in self.order:
            rows = self.buffers.get(name)
            if rows:
                self.conn.execute(self.tables[name].insert(), rows)
                self.counts[name] = self.counts.get(name, 0) + len(rows)
                self.buffers[name] = []
        self.pending = 0


class Ids:
    """Blocks of fresh ids per table, drawn as needed."""

    def __init__(self, conn, block: int = BATCH):
        self.conn, self.block = conn, block
        self.next: dict[str, int] = {}
        self.left: dict[str, int] = {}

    def take(self, table: sa.Table) -> int:
        if not self.left.get(table.name):
            self.next[table.name] = _reserve_ids(self.conn, table, self.block)
            self.left[table.name] = self.block
            if self.conn.dialect.name != "postgresql":
                # SQLite numbers after the largest id: nobody writes meanwhile, so one read will do.
                self.left[table.name] = 10**12
        value = self.next[table.name]
        self.next[table.name] += 1
        self.left[table.name] -= 1
        return value


class History:
    """Generated history steps, chained as the chain itself chains them (see the module doc)."""

    def __init__(self, conn, writer: Writer):
        self.conn, self.writer = conn, writer
        self.table = HistoryEntry.__table__
        head = lock_head(conn, self.table)  # held until the generator's one commit
        self.seq, self.prev, self.last_id = head.entries, head.last_hash, head.last_id
        if conn.dialect.name == "postgresql":
            self.ids = Ids(conn)
            self.next_id = None
        else:
            top = conn.scalar(sa.select(sa.func.max(self.table.c.id))) or 0
            self.ids, self.next_id = None, max(top, self.last_id or 0) + 1
        self.count = 0

    def step(self, kind: str, record_id: int, at: datetime, user: tuple[int, str] | None, capacity: str,
             action: str, *, from_state=None, to_state=None, comment="", field=None, old=None, new=None):
        if self.ids is not None:
            entry_id = self.ids.take(self.table)
        else:
            entry_id, self.next_id = self.next_id, self.next_id + 1
        self.seq += 1
        row = self.writer._fill(self.table, {
            "id": entry_id, "record_kind": kind, "record_id": record_id, "at": at,
            "user_id": user[0] if user else None, "username": user[1] if user else "system",
            "capacity": capacity, "action": action, "from_state": from_state, "to_state": to_state,
            "comment": comment, "field": field, "old": old, "new": new, "items": None,
            "chain_seq": self.seq, "chain_prev": self.prev,
        })
        row["chain_hash"] = self.prev = entry_hash(self.table, row)
        self.last_id = entry_id
        self.writer.add(self.table, row)
        self.count += 1

    def finish(self) -> None:
        if not self.count:
            return
        heads = sa.table("audit_chain_heads", sa.column("name"), sa.column("entries"), sa.column("last_id"),
                         sa.column("last_hash"))
        self.conn.execute(sa.update(heads).where(heads.c.name == self.table.name)
                          .values(entries=self.seq, last_id=self.last_id, last_hash=self.prev))


# ------------------------------------------------------------------------------ the generator


def check_may_fill(force: bool) -> None:
    """Refuse production always; refuse a database with sheets beyond the seed's drafts unless forced."""
    if current_app.config.get("KAOHE_ENV") == "production":
        raise Refused("生产环境（KAOHE_ENV=production）不能生成测试数据")
    if force:
        return
    seed_codes = _seed_codes()
    beyond = db.session.scalar(
        sa.select(sa.func.count(Sheet.id)).join(Unit, Unit.id == Sheet.unit_id)
        .where(sa.or_(Sheet.year != current_app.config["CURRENT_YEAR"], Sheet.state != "draft",
                      Unit.code.not_in(seed_codes))))
    if beyond:
        raise Refused(f"数据库中已有 {beyond} 张种子数据以外的考核表；如确要在此数据库上继续生成，请加 --force")


def _seed_codes() -> list[str]:
    codes = []
    for path in data_files("org"):
        codes += [u["code"] for u in read_yaml(path).get("units", [])]
    return codes


def _tag() -> str:
    """The prefix of this run's codes and usernames: `d`, then `d2_`, `d3_`… for forced reruns."""
    codes = set(db.session.scalars(sa.select(Unit.code)))
    k = 1
    while True:
        tag = "d" if k == 1 else f"d{k}_"
        if f"{tag}0001" not in codes:
            return tag
        k += 1


def _local(day: date, minute: int) -> datetime:
    """A local (Asia/Shanghai) time `minute` minutes after midnight of `day`, in UTC."""
    return (datetime(day.year, day.month, day.day, tzinfo=LOCAL_TZ) + timedelta(minutes=minute)) \
        .astimezone(timezone.utc)


def generate(sizes: Sizes, seed: int = 1, force: bool = False, say=print) -> dict:
    """Fill the current database; answers what was made (table → rows) and how long it took."""
    check_may_fill(force)
    started = time.perf_counter()
    seed_all()
    db.session.commit()
    load_demo(DATA_DIR / "demo.yaml")  # commits; only missing accounts are added
    base = current_app.config["CURRENT_YEAR"]
    from .sheets import service as sheet_service

    sheet_service.open_year(base)
    say(f"种子数据与演示账号就绪（{time.perf_counter() - started:.1f} 秒）")
    try:
        made = _District(sizes, seed, base, say).build()
        snapshot.bump(db.session)  # units and schemes were written in bulk: no flush saw them
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    g.pop("_schemes", None)
    chart.forget()
    made["seconds"] = round(time.perf_counter() - started, 1)
    return made


class _District:
    def __init__(self, sizes: Sizes, seed: int, base: int, say):
        self.sizes, self.rng, self.base, self.say = sizes, random.Random(seed), base, say
        self.years = list(range(base - sizes.years + 1, base + 1))
        self.conn = db.session.connection()
        self.writer = Writer(self.conn)
        self.ids = Ids(self.conn)
        self.tag = _tag()
        self.clock = time.perf_counter()
        self._workdays: dict[int, list[date]] = {}

    def _phase(self, what: str) -> None:
        self.writer.flush()
        now = time.perf_counter()
        self.say(f"  {what}（{now - self.clock:.1f} 秒）")
        self.clock = now

    def build(self) -> dict:
        self.history = History(self.conn, self.writer)
        self._people_and_units()
        self._phase(f"单位 {self.sizes.units} 个、账号 {len(self.new_users)} 个")
        self._years()
        self._phase(f"年度 {self.years[0]}–{self.years[-1]}：组织架构、考核方案、设置、信息报送指标")
        self._sheets()
        self._phase("考核表、评分、签字与流转记录")
        self._deductions()
        self._phase(f"考核记录 {self.sizes.deductions} 条")
        self._oa()
        self._phase(f"OA 文件与签收 {self.sizes.oa_signins} 条")
        self._info()
        self._phase(f"信息报送 {self.sizes.info_items} 条")
        self.history.finish()
        self.writer.flush()
        return dict(sorted(self.writer.counts.items()))

    # -------------------------------------------------------------- units, accounts, charts

    def _people_and_units(self) -> None:
        rng, n = self.rng, self.sizes.units
        self.seed_units = list(db.session.execute(sa.select(Unit.id, Unit.code, Unit.name).order_by(Unit.position)))
        taken = {u.name for u in self.seed_units}
        for place in db.session.scalars(sa.select(YearUnit)):
            taken.update([place.name, *(place.aliases or [])])
        names = unit_names(n, rng, taken)
        hashed = generate_password_hash(DEMO_PASSWORD, method=current_app.config.get("PASSWORD_HASH_METHOD")
                                        or "scrypt")
        users, units = User.__table__, Unit.__table__
        top = db.session.scalar(sa.select(sa.func.max(Unit.position))) or 0
        self.units = []  # (id, code, name)
        self.head = {}  # unit id → (user id, username)
        self.staff = {}
        self.new_users = []
        for i, name in enumerate(names, start=1):
            code = f"{self.tag}{i:04d}"
            unit_id = self.ids.take(units)
            self.writer.add(units, {"id": unit_id, "code": code, "name": name, "aliases": [],
                                    "position": top + i})
            self.units.append((unit_id, code, name))
        self.writer.flush()
        for unit_id, code, name in self.units:
            for username, label, roles, where in ((code, "负责人", "member head", self.head),
                                                  (f"{code}.staff", "科员", "member", self.staff)):
                user_id = self.ids.take(users)
                self.writer.add(users, {"id": user_id, "username": username, "name": f"{name}{label}",
                                        "password_hash": hashed, "unit_id": unit_id, "roles": roles,
                                        "active": True, "must_change_password": False})
                where[unit_id] = (user_id, username)
                self.new_users.append((user_id, username))
        self.leaders = []
        surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
        for j in range(1, max(1, n // UNITS_PER_LEADER) + 1):
            user_id = self.ids.take(users)
            username = f"{self.tag}leader{j:03d}"
            self.writer.add(users, {"id": user_id, "username": username,
                                    "name": f"{surnames[j % len(surnames)]}副区长{j}（分管领导）",
                                    "password_hash": hashed, "unit_id": None, "roles": "leader",
                                    "active": True, "must_change_password": False})
            self.leaders.append((user_id, username))
        # The seed's offices sign as their heads (the demo's accounts `dwb`, `bgs`, …).
        for user_id, username, unit_id in db.session.execute(
                sa.select(User.id, User.username, User.unit_id).where(User.roles_text.contains("head"))
                .order_by(User.id)):
            if unit_id is not None:
                self.head.setdefault(unit_id, (user_id, username))
        self.users_by_id = {uid: name for uid, name in db.session.execute(sa.select(User.id, User.username))}
        self.users_by_id.update(dict(self.new_users + self.leaders))

    def _years(self) -> None:
        from .scheme import settings
        from .scheme.years import _copy_scheme  # the admin's own copy: a year as 新建年度 makes it
        from .trackers.info_quotas import quota_data

        base_chart = {p.unit_id: p for p in db.session.scalars(sa.select(YearUnit).filter_by(year=self.base))}
        base_scheme = db.session.scalar(sa.select(Scheme).filter_by(year=self.base))
        seed_ids = [u.id for u in self.seed_units]
        self.gate, self.leader_of = {}, {}
        for k, (unit_id, _code, _name) in enumerate(self.units):
            first = self.units[(k // GROUP) * GROUP][0]
            self.gate[unit_id] = seed_ids[(k // GROUP) % len(seed_ids)] if unit_id == first else first
            self.leader_of[unit_id] = self.leaders[(k // UNITS_PER_LEADER) % len(self.leaders)][0]
        for year in self.years:
            placed = {p.unit_id for p in db.session.scalars(sa.select(YearUnit).filter_by(year=year))}
            for unit_id in seed_ids:
                if unit_id not in placed and unit_id in base_chart:
                    p = base_chart[unit_id]
                    self.writer.add(YearUnit.__table__, {
                        "year": year, "unit_id": unit_id, "name": p.name, "aliases": list(p.aliases or []),
                        "position": p.position, "gate_unit_id": p.gate_unit_id,
                        "leader_id": p.leader_id or self.leaders[0][0]})
            for k, (unit_id, _code, name) in enumerate(self.units):
                self.writer.add(YearUnit.__table__, {
                    "year": year, "unit_id": unit_id, "name": name, "aliases": [], "position": 1000 + k,
                    "gate_unit_id": self.gate[unit_id], "leader_id": self.leader_of[unit_id]})
            if db.session.scalar(sa.select(Scheme.id).filter_by(year=year)) is None:
                db.session.add(_copy_scheme(base_scheme, year))
                db.session.flush()
            if year != self.base:
                settings.copy_settings(self.base, year)
            # 信息报送 quotas: the base year's, and one item a month for every other generated unit.
            data = dict(quota_data(year) or quota_data(self.base) or {})
            if data:
                data["year"] = year
                data["units"] = {**(data.get("units") or {}),
                                 **{code: {"per_month": 1} for _id, code, _n in self.units[::2]}}
                row = db.session.get(YearInfoQuotas, year)
                if row is None:
                    db.session.add(YearInfoQuotas(year=year, data=data))
                else:
                    row.data = data
        self.writer.flush()
        db.session.flush()
        for cached in ("_schemes", "_scheme_views", "_info_years"):
            g.pop(cached, None)
        org_snapshot.bump(db.session)  # the charts were written in bulk: no flush saw them
        chart.forget()
        self.schemes = {}
        for year in self.years:
            scheme = db.session.scalar(sa.select(Scheme).filter_by(year=year))
            items = []
            for item in scheme.items:
                items.append({"id": item.id, "code": item.code, "name": item.name, "standard": item.standard,
                              "position": item.position,
                              "offices": [o.unit_id for o in item.offices if o.role == "responsible"],
                              "rules": [(r.id, r.kind, r.flat, r.points, r.text) for r in item.rules]})
            self.schemes[year] = items
        # Every unit's place per year as the sheets need it (gate, leader).
        self.places = {}
        for p in db.session.execute(sa.select(YearUnit.year, YearUnit.unit_id, YearUnit.gate_unit_id,
                                              YearUnit.leader_id).where(YearUnit.year.in_(self.years))):
            self.places[(p.year, p.unit_id)] = (p.gate_unit_id, p.leader_id)

    # -------------------------------------------------------------- sheets

    STATES_NOW = (("draft", 15), ("gate_review", 15), ("responsible_sign", 20), ("leader_sign", 20), ("final", 30))

    def _sheets(self) -> None:
        have = set(db.session.execute(sa.select(Sheet.unit_id, Sheet.year).where(Sheet.year.in_(self.years))))
        states = [s for s, w in self.STATES_NOW for _ in range(w)]
        for year in self.years:
            k = 0
            for (y, unit_id), (gate, leader) in self.places.items():
                if y != year or (unit_id, year) in have:
                    continue
                # The current year: the first five in every state (a small district shows each),
                # then in the proportions of STATES_NOW.
                state = "final" if year < self.base else \
                    self.STATES_NOW[-1 - k][0] if k < len(self.STATES_NOW) else self.rng.choice(states)
                k += 1
                self._sheet(year, unit_id, gate, leader, state)

    def _sheet(self, year: int, unit_id: int, gate: int, leader: int, state: str) -> None:
        rng, items = self.rng, self.schemes[year]
        order = ("draft", "gate_review", "responsible_sign", "leader_sign", "final")
        reached = order.index(state)
        sheet_id = self.ids.take(Sheet.__table__)
        at = _local(date(year, 12, 1), 9 * 60) + timedelta(minutes=rng.randrange(0, 10 * 24 * 60))
        key = Decimal("0")
        if reached >= 2 and rng.random() < 0.1:
            key = Decimal(rng.choice(("0.5", "1", "2")))
        rows, signatures = [], []
        for item in items:
            loss = min(item["standard"], Decimal(rng.choice(("0", "0", "0", "0", "0.5", "1", "2"))))
            self_score = item["standard"] - loss
            if reached == 0 and rng.random() < 0.5:
                self_score = None
            review = None
            if reached >= 2 or (reached == 1 and rng.random() < 0.5):
                review = max(Decimal("0"), self_score - Decimal(rng.choice(("0", "0", "0", "0.5"))))
            rows.append({"sheet_id": sheet_id, "item_id": item["id"], "position": item["position"],
                         "self_score": self_score, "self_reason": "" if not loss else "部分工作未按时完成",
                         "review_score": review,
                         "review_reason": "" if review is None or review == self_score else "核减：资料不全"})
        leader = leader or self.leaders[0][0]
        head, gate_head = self.head.get(unit_id), self.head.get(gate)
        steps = []
        if reached >= 1:
            if rng.random() < 0.05 and gate_head:  # a round sent back once, then submitted again
                steps.append(("submit", "draft", "gate_review", head, "unit_head", ""))
                steps.append(("return", "gate_review", "draft", gate_head, "gate", "请补充自评理由"))
            steps.append(("submit", "draft", "gate_review", head, "unit_head", ""))
            signatures.append({"capacity": "unit_head", "unit_id": unit_id, "user": head})
        if reached >= 2:
            steps.append(("approve", "gate_review", "responsible_sign", gate_head, "gate", ""))
            signatures.append({"capacity": "gate", "unit_id": gate, "user": gate_head})
            offices = list(dict.fromkeys(o for item in items for o in item["offices"]))
            signing = offices if reached >= 3 else offices[:rng.randrange(0, len(offices))]
            for n, office in enumerate(signing, start=1):
                last = reached >= 3 and n == len(signing)
                steps.append(("sign", "responsible_sign", "leader_sign" if last else "responsible_sign",
                              self.head.get(office), "responsible_office", ""))
                for item in items:
                    if office in item["offices"]:
                        signatures.append({"capacity": "responsible_office", "unit_id": office,
                                           "item_id": item["id"], "user": self.head.get(office)})
        if reached >= 4:
            boss = (leader, self.users_by_id.get(leader, "leader"))
            steps.append(("sign", "leader_sign", "final", boss, "leader", "同意"))
            signatures.append({"capacity": "leader", "unit_id": None, "user": boss})
        when = at
        for action, before, after, who, capacity, comment in steps:
            when += timedelta(minutes=rng.randrange(5, 600))
            self.history.step("sheet", sheet_id, when, who, capacity, action, from_state=before, to_state=after,
                              comment=comment)
        self.writer.add(Sheet.__table__, {
            "id": sheet_id, "unit_id": unit_id, "year": year, "state": state, "version": 1 + len(steps),
            "key_deduction": key, "key_deduction_reason": "重点指标未完成" if key else "",
            "gate_touched": reached >= 2 or (reached == 1 and rows[0]["review_score"] is not None),
            "bonus_final": Decimal("0") if state == "final" else None, "updated_at": when})
        for row in rows:
            self.writer.add(SheetRow.__table__, row)
        sign_at = at
        for sig in signatures:
            sign_at += timedelta(minutes=1)
            user = sig.pop("user") or (self.leaders[0] if sig["capacity"] == "leader" else None)
            if user is None:
                continue  # an office without a head account signs nothing here
            self.writer.add(Signature.__table__, {"id": self.ids.take(Signature.__table__), "sheet_id": sheet_id,
                                                  "item_id": sig.get("item_id"), "user_id": user[0],
                                                  "at": sign_at, **sig})

    # -------------------------------------------------------------- the year's records

    def _every_unit(self, year: int) -> list[int]:
        return [u for (y, u) in self.places if y == year]

    def _days(self, year: int) -> list[date]:
        """The year's working days (chinese_calendar), when documents are sent and incidents recorded."""
        if year not in self._workdays:
            start = date(year, 1, 1)
            self._workdays[year] = [d for d in (start + timedelta(n) for n in range(366))
                                    if d.year == year and is_workday(d)]
        return self._workdays[year]

    def _split(self, total: int) -> list[int]:
        per, rest = divmod(total, len(self.years))
        return [per + (1 if i < rest else 0) for i in range(len(self.years))]

    def _deductions(self) -> None:
        rng, table = self.rng, DeductionRecord.__table__
        for year, count in zip(self.years, self._split(self.sizes.deductions)):
            units, days = self._every_unit(year), self._days(year)
            rules = [(item, rule) for item in self.schemes[year] for rule in item["rules"]
                     if rule[1] != "target" and item["offices"]]
            for _ in range(count):
                item, (rule_id, kind, flat, points, text) = rng.choice(rules)
                office = item["offices"][0]
                unit = rng.choice(units)
                if unit == office:  # nobody records against their own unit
                    unit = units[(units.index(unit) + 1) % len(units)]
                by = self.head.get(office)
                n = 1 if flat or kind == "zeroing" else rng.choice((1, 1, 1, 2, 3))
                day = rng.choice(days)
                at = _local(day, rng.randrange(9 * 60, 17 * 60))
                record_id = self.ids.take(table)
                self.writer.add(table, {
                    "id": record_id, "year": year, "unit_id": unit, "rule_id": rule_id, "count": n, "date": day,
                    "people": "", "note": f"{item['name']}检查发现", "source": "manual", "source_key": None,
                    "withdrawn": rng.random() < 0.03, "recorded_by_id": by[0] if by else None,
                    "target_id": None, "version": 1, "created_at": at, "updated_at": at})
                self.history.step("deduction", record_id, at, by, "responsible_office", "edit", field="record",
                                  new=f"{day:%Y-%m-%d} {text}，{n}例")

    def _oa(self) -> None:
        rng = self.rng
        docs, recipients = OaDocument.__table__, OaRecipient.__table__
        people = [name for _id, name in self.new_users] or ["bgs"]
        office = self.head.get(next((u.id for u in self.seed_units if u.code == "bgs"), None))
        delays = ((75, 5, 120), (12, 120, 480), (7, 1440, 4320), (3, 4320, 8640))
        shape = [(lo, hi) for weight, lo, hi in delays for _ in range(weight)]
        serial = 0
        for year, count in zip(self.years, self._split(self.sizes.oa_signins)):
            days = self._days(year)
            while count > 0:
                serial += 1
                n = min(count, rng.randrange(10, 81), len(people))
                count -= n
                kind = rng.choice(("meeting", "meeting", "other", "other", "other", "other", "test"))
                sent = _local(rng.choice(days), rng.randrange(8 * 60 + 30, 17 * 60))
                doc_id = self.ids.take(docs)
                title = f"{rng.choice(DOCUMENTS)}（{year}第{serial}号）"
                self.writer.add(docs, {"id": doc_id, "oa_id": f"{self.tag}oa-{year}-{serial}", "year": year,
                                       "title": title, "kind": kind, "sent_at": sent,
                                       "created_by_id": office[0] if office else None, "created_at": sent})
                for username in rng.sample(people, n):
                    signed = None
                    if rng.random() >= 0.03:
                        lo, hi = rng.choice(shape)
                        signed = sent + timedelta(minutes=rng.randrange(lo, hi))
                    self.writer.add(recipients, {"id": self.ids.take(recipients), "document_id": doc_id,
                                                 "username": username, "staff_id": None, "external": False,
                                                 "signed_at": signed})
                self.history.step("oa_document", doc_id, sent, office, "responsible_office", "edit",
                                  field="document", new=f"{title}，{n}人")

    def _info(self) -> None:
        rng, table = self.rng, InfoItem.__table__
        writers = [self.head.get(u.id) for u in self.seed_units if u.code in ("bgs", "dwb")]
        writers = [w for w in writers if w] or [None]
        serial = 0
        names = {u.id: u.name for u in self.seed_units} | {uid: name for uid, _c, name in self.units}
        for year, count in zip(self.years, self._split(self.sizes.info_items)):
            units = self._every_unit(year)
            for _ in range(count):
                serial += 1
                unit = rng.choice(units)
                day = date(year, 1, 1) + timedelta(rng.randrange(0, 365))
                if day.year != year:
                    day = date(year, 12, 31)
                gov = rng.random() < 0.25
                by = rng.choice(writers)
                at = _local(day, rng.randrange(9 * 60, 17 * 60))
                item_id = self.ids.take(table)
                title = f"{names.get(unit, '')}{rng.choice(TOPICS)}（第{serial}期）"
                self.writer.add(table, {
                    "id": item_id, "year": year, "unit_id": unit, "title": title, "adopted_on": day,
                    "portal": rng.choice(("district",) * 17 + ("city", "city", "province")),
                    "special": rng.random() < 0.05, "stream": "gov_affairs" if gov else "info",
                    "district_offices": gov and rng.random() < 0.1, "created_by_id": by[0] if by else None,
                    "created_at": at, "updated_at": at, "version": 1})
                self.history.step("info_item", item_id, at, by, "responsible_office", "edit", field="item",
                                  new=f"{day:%Y-%m-%d} {title}")
