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
    """Create an account; the password is prompted for, never taken from the command line."""
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
