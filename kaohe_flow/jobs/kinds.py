"""What each kind of job does, who may ask for it, and what data its file is built from.

A kind's `run(params, user, progress)` answers an `Outcome`: a file (the year's workbook, a zip
of every sheet's 附件3 PDF) or a result (the trackers' sync, the digest's counts). It reads and
writes through the services the pages and the CLI use, so a job makes the same file, or the
same change, as the request or the command it stands in for."""
import json
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from io import BytesIO

import sqlalchemy as sa

from ..extensions import db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ZIP = "application/zip"

Progress = Callable[[int, int, str], None]


@dataclass
class Outcome:
    data: bytes | None = None
    filename: str | None = None
    content_type: str | None = None
    result: dict | None = None
    message: str = "已完成"


@dataclass(frozen=True)
class Kind:
    name: str
    label: str  # what a person asked for, in Chinese
    run: Callable[[dict, object, Progress], Outcome]
    admin_only: bool = False
    # The file shows what its reader may see (the export's rule): one per reader.
    per_reader: bool = False
    # The fingerprint of the data the file is built from; a finished file is handed out again
    # while it is unchanged. None: every request does the work again (it writes).
    basis: Callable[[int], str] | None = None


def year_basis(year: int) -> str:
    """The year's sheets (rows, signatures and target scores all bump their sheet's version and
    updated_at), bonus applications (the 特别附加分) and deduction records (the rows' suggested
    scores): how many, the sum of their versions and the last change. Any write to any of them
    changes the sum of versions, so an equal fingerprint means nothing the file shows changed."""
    from ..bonus.models import BonusApplication
    from ..ledger.models import DeductionRecord
    from ..sheets.models import Sheet

    parts = []
    for model in (Sheet, BonusApplication, DeductionRecord):
        count, versions, last = db.session.execute(
            sa.select(sa.func.count(model.id), sa.func.coalesce(sa.func.sum(model.version), 0),
                      sa.func.max(model.updated_at)).where(model.year == year)).one()
        parts.append(f"{count}/{versions}/{last.isoformat() if last is not None else '-'}")
    return ";".join(parts)[:200]


def _year_workbook(params: dict, user, progress: Progress) -> Outcome:
    from ..reports.xlsx_stream import year_workbook_streamed

    year = params["year"]
    data = year_workbook_streamed(user, year, progress)
    return Outcome(data, f"{year}年局目标管理考核.xlsx", XLSX, message="年度汇总表已生成")


_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


def _sheet_pdfs(params: dict, user, progress: Progress) -> Outcome:
    from ..reports.pdf import render_pdf
    from ..sheets import queries

    year = params["year"]
    scheme = queries.scheme_for(year)
    found = queries.list_visible(user, year)
    out = BytesIO()
    names: set[str] = set()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for n, (sheet, sheet_facts) in enumerate(found, start=1):
            v = queries.view(user, sheet, scheme, sheet_facts)
            name = _UNSAFE.sub("_", f"{year}年{sheet.unit_name}考核计分表")
            unique, k = name, 1
            while unique in names:
                k += 1
                unique = f"{name}({k})"
            names.add(unique)
            archive.writestr(f"{unique}.pdf", render_pdf("print/sheet.html", v=v))
            db.session.expire(sheet, ["rows", "signatures"])  # one unit's rows in memory at a time
            progress(n, len(found), sheet.unit_name)
    return Outcome(out.getvalue(), f"{year}年考核计分表（PDF）.zip", ZIP,
                   message=f"已生成 {len(found)} 张考核表的PDF")


def _tracker_sync(params: dict, user, progress: Progress) -> Outcome:
    from ..trackers.sync import sync_year

    stats = sync_year(params["year"], user)
    progress(1, 1, "")
    return Outcome(result=_plain(stats),
                   message=f"OA 考核记录{_changes(stats.get('oa'))}；信息报送考核记录{_changes(stats.get('info'))}")


_CHANGE_WORDS = {"added": "新增", "changed": "修改", "removed": "撤销"}


def _changes(stats: dict | None) -> str:
    said = [f"{_CHANGE_WORDS.get(k, k)} {v} 条" for k, v in (stats or {}).items() if v]
    return "：" + "，".join(said) if said else "无变化"


def _notify_digest(params: dict, user, progress: Progress) -> Outcome:
    from ..notify.digest import run
    from ..timeutil import local_today

    out = run(local_today(), params["year"])
    progress(1, 1, "")
    mail = out.get("mail") or {}
    sent = f"发送邮件 {mail.get('sent', 0)} 封" if out.get("mail_configured") else "未配置邮件服务器，未发送邮件"
    return Outcome(result=_plain(out),
                   message=f"到期提醒 {out.get('deadline_notifications', 0)} 条；{sent}")


def _plain(value) -> dict:
    """What a JSON column can hold (numbers, text, lists, maps)."""
    return json.loads(json.dumps(value, ensure_ascii=False, default=str))


KINDS = {
    "year_workbook": Kind("year_workbook", "年度汇总表（Excel）", _year_workbook, per_reader=True, basis=year_basis),
    "sheet_pdfs": Kind("sheet_pdfs", "全部考核表PDF", _sheet_pdfs, per_reader=True, basis=year_basis),
    "tracker_sync": Kind("tracker_sync", "同步OA与信息报送考核记录", _tracker_sync, admin_only=True),
    "notify_digest": Kind("notify_digest", "到期提醒与通知邮件", _notify_digest, admin_only=True),
}
