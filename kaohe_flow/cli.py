"""flask --app wsgi seed | demo | create-user | bootstrap."""
import click
from flask import current_app
from flask.cli import with_appcontext

from .errors import ServiceError
from .extensions import db
from .org import service as org_service
from .org.models import User
from .scheme.loader import DATA_DIR, DataError, seed_all
from .sheets import service as sheet_service


def init_app(app):
    app.cli.add_command(seed_command)
    app.cli.add_command(demo_command)
    app.cli.add_command(create_user_command)
    app.cli.add_command(bootstrap_command)
    app.cli.add_command(trackers_sync_command)
    app.cli.add_command(verify_audit_command)
    app.cli.add_command(bench_data_command)
    app.cli.add_command(notify_command)
    app.cli.add_command(worker_command)
    app.cli.add_command(refresh_caches_command)


def _seed() -> list[int]:
    try:
        years = seed_all()
    except DataError as exc:
        db.session.rollback()
        raise click.ClickException(f"数据文件有误，未导入：{exc}") from None
    db.session.commit()
    return years


@click.command("seed")
@with_appcontext
def seed_command():
    """Load the units, gate map and schemes from the data files (idempotent)."""
    years = _seed()
    click.echo(f"已导入单位与考核方案：{', '.join(map(str, years))}")


def _demo() -> int:
    created = org_service.load_demo(DATA_DIR / "demo.yaml")
    year = current_app.config["CURRENT_YEAR"]
    sheets = sheet_service.open_year(year)
    return created, sheets


@click.command("demo")
@with_appcontext
def demo_command():
    """Create the demo accounts and open the year's draft sheets (idempotent)."""
    _seed()
    created, sheets = _demo()
    click.echo(f"演示账号新建 {created} 个，新建考核表 {sheets} 张")
    _warn_demo_password()


@click.command("bootstrap")
@with_appcontext
def bootstrap_command():
    """make run: on an empty database load the data and the demo; otherwise change nothing."""
    if db.session.scalar(db.select(User).limit(1)) is not None:
        click.echo("数据库已有数据，保持不变。")
        return
    _seed()
    if current_app.config.get("KAOHE_ENV") == "production":
        # Demo accounts only by name (`flask --app wsgi demo`), never by default in production.
        click.echo("生产环境：已导入单位与考核方案，未建立演示账号（请用 flask --app wsgi create-user 建立管理员）。")
        return
    created, sheets = _demo()
    click.echo(f"已建立演示数据：{created} 个账号，{sheets} 张考核表")
    _warn_demo_password()


def _warn_demo_password():
    click.secho(
        f"警告 WARNING: 演示账号的密码均为 {org_service.DEMO_PASSWORD} —— 仅供演示，正式使用前请修改或删除演示账号。",
        fg="yellow", err=True,
    )


@click.command("create-user")
@with_appcontext
@click.argument("username")
@click.option("--name", default="", help="显示名")
@click.option("--unit", "unit_code", default=None, help="单位代码，如 bgs")
@click.option("--role", "roles", multiple=True, default=["member"], show_default=True,
              type=click.Choice(["member", "head", "leader", "viewer", "admin"]))
@click.password_option(prompt="密码", confirmation_prompt="再次输入密码")
def create_user_command(username, name, unit_code, roles, password):
    """Create an account; the password is prompted for (`--password` exists for scripts, but a
    password on the command line is seen by `ps` and kept in the shell's history)."""
    try:
        user = org_service.create_user(username, name, password, roles, unit_code)
    except ServiceError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"已创建账号 {user.username}（{' '.join(user.roles)}）")


@click.command("trackers-sync")
@click.option("--year", type=int, default=None, help="考核年度（默认当前年度）")
@with_appcontext
def trackers_sync_command(year):
    """Recompute the deduction records the trackers derive (附件4 info, 附件5 OA) for a year.

    Writes keep them in step already and reports never store; run this daily (cron) so that a
    month that has just ended, or a document left unsigned past 48 hours, reaches the sheets'
    suggested scores without waiting for the next entry.
    """
    from .trackers.sync import sync_year

    year = year or current_app.config["CURRENT_YEAR"]
    try:
        stats = sync_year(year)
    except ServiceError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"{year}年度：OA 记录 {stats['oa'] or '无变化'}；信息报送记录 {stats['info'] or '无变化'}")


@click.command("verify-audit")
@with_appcontext
def verify_audit_command():
    """Check that no history or audit entry was changed, deleted or reordered in the database."""
    from .audit.chain import verify_chains

    result = verify_chains()
    for line in result.lines():
        click.echo(line)
    if not result.ok:
        raise SystemExit(1)


@click.command("notify")
@click.option("--year", type=int, default=None, help="考核年度（默认当前年度），用于同步 OA 与信息报送记录")
@click.option("--date", "day", default=None, help="按此日期计算到期提醒（默认今天，格式 2018-12-20）")
@with_appcontext
def notify_command(year, day):
    """Daily (cron): deadline notifications, the trackers brought in step, the e-mail digest.

    Running it twice creates and sends nothing new: each notification is made once and e-mailed once.
    """
    from datetime import date

    from .notify.digest import run
    from .timeutil import local_today

    try:
        today = date.fromisoformat(day) if day else local_today()
    except ValueError:
        raise click.ClickException(f"日期格式不对：{day}（应为 2018-12-20 这样的形式）") from None
    year = year or current_app.config["CURRENT_YEAR"]
    out = run(today, year)
    click.echo(f"到期提醒 deadline notifications：新建 {out['deadline_notifications']} 条")
    if "trackers" in out:
        stats = out["trackers"]
        click.echo(f"{year}年度 trackers：OA 记录 {stats['oa'] or '无变化'}；信息报送记录 {stats['info'] or '无变化'}")
    else:
        click.echo(f"{year}年度 trackers：未同步（{out['trackers_error']}）")
    if not out["mail_configured"]:
        click.echo("邮件 e-mail：未配置 SMTP_HOST，未发送")
    else:
        mail = out["mail"]
        click.echo(f"邮件 e-mail：发送 {mail['sent']} 封（{mail['notifications']} 条通知），"
                   f"无邮箱跳过 {mail['without_email']} 人，失败 {mail['failed']} 人")
        if mail["failed"]:
            raise SystemExit(1)


@click.command("bench-data")
@click.option("--units", type=int, default=1000, show_default=True, help="生成的单位数（另加种子数据的19个科室）")
@click.option("--years", type=int, default=10, show_default=True, help="年度数（截至当前年度）")
@click.option("--deductions", type=int, default=100_000, show_default=True, help="考核记录条数")
@click.option("--oa-signins", type=int, default=1_000_000, show_default=True, help="OA 签收条数")
@click.option("--info-items", type=int, default=200_000, show_default=True, help="信息报送条数")
@click.option("--scale", type=float, default=1.0, show_default=True, help="以上各数乘以此倍数")
@click.option("--seed", type=int, default=1, show_default=True, help="随机种子（同一种子生成同样的数据）")
@click.option("--force", is_flag=True, help="数据库已有种子以外的考核表时仍然生成")
@with_appcontext
def bench_data_command(units, years, deductions, oa_signins, info_items, scale, seed, force):
    """Fill this database with a district for benchmarks (never in production)."""
    from .benchdata import Refused, Sizes, generate

    sizes = Sizes(units, years, deductions, oa_signins, info_items).scaled(scale)
    click.echo(f"生成：单位 {sizes.units}、年度 {sizes.years}、考核记录 {sizes.deductions}、"
               f"OA 签收 {sizes.oa_signins}、信息报送 {sizes.info_items}")
    try:
        made = generate(sizes, seed=seed, force=force, say=click.echo)
    except Refused as exc:
        raise click.ClickException(str(exc)) from None
    seconds = made.pop("seconds")
    for table, rows in made.items():
        click.echo(f"  {table}: {rows}")
    click.echo(f"完成，用时 {seconds} 秒")


@click.command("worker")
@click.option("--burst", is_flag=True, help="做完队列中的任务后退出")
@with_appcontext
def worker_command(burst):
    """Run the background worker (RQ) on the queue `kaohe`: the year's workbook, the PDFs, the
    trackers' sync and the digest that pages and the API asked for. Needs REDIS_URL."""
    if not current_app.config.get("REDIS_URL"):
        raise click.ClickException("未设置 REDIS_URL：没有任务队列，后台任务由网站进程自己完成，无需启动 worker。"
                                   "使用队列时请设置 REDIS_URL（例如 redis://127.0.0.1:6379/0）后再启动。")
    from .jobs.worker import work

    click.echo(f"后台任务 worker：队列 {current_app.config.get('JOB_QUEUE', 'kaohe')}")
    work(burst=burst)


@click.command("refresh-caches")
@with_appcontext
def refresh_caches_command():
    """After a change made in the database behind the app's back (psql, a script): every app
    process, on every server, reads the scheme, the org chart and its kept pages afresh on its
    next request. The app's own writes never need it (issue 11: they move the versions
    themselves); a write nobody told it of is otherwise seen only once its process restarts (the
    scheme, the chart) or the kept page's ten seconds are over."""
    from . import dataversion
    from .org import snapshot as org_snapshot
    from .scheme import snapshot as scheme_snapshot

    session = db.session()
    scheme_snapshot.bump(session)
    org_snapshot.bump(session)
    dataversion.mark_written(session.connection())
    session.commit()
    click.echo("已刷新：各网站进程将在下一次请求时重新读取考核方案、组织架构和页面")
