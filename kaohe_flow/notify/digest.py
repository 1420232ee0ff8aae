"""The daily digest (`flask --app wsgi notify`, cron): deadline notifications for today, the
trackers brought in step, and one e-mail per person with what they have not yet read.

Every part is idempotent: a deadline notification's occasion is the record, its state and its
due date (`dedupe`), so a second run on the same day — or the next day, for the same deadline —
tells nobody again; a notification is e-mailed once (`emailed_at`).
"""
from collections import defaultdict
from datetime import date

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..org.models import User
from ..timeutil import local_display, utcnow
from ..uow import operation
from ..workflow.machine import STATE_LABELS
from . import mail, service
from .models import KIND_LABELS, Notification

LINKS = {"sheet": "/sheets/{id}", "bonus": "/bonus/{id}", "delegation": "/delegations"}


def _open_records():
    from ..bonus.models import BonusApplication
    from ..sheets.models import Sheet

    for kind, model in (("sheet", Sheet), ("bonus", BonusApplication)):
        for record in db.session.scalars(db.select(model).where(model.state != "final").order_by(model.id)).all():
            yield kind, record


@operation
def deadline_notifications(today: date) -> int:
    """`due_soon` / `overdue` to the holders of every record whose state's deadline is near or past
    (rhythm.deadlines); one commit. Answers how many were made."""
    from ..rhythm import deadlines

    batch = []
    for kind, record in _open_records():
        status = deadlines.status(record, today)
        if status not in ("due_soon", "overdue"):
            continue
        due = deadlines.due_of(record)
        label = service.label_of(kind, record)
        state = STATE_LABELS.get(record.state, record.state)
        when = "将于 {due} 到期" if status == "due_soon" else "已于 {due} 到期，现已逾期"
        for user, action, principal in service.holders(kind, record):
            text = f"{label}：{state}环节{when.format(due=due.isoformat() if due else '')}，" \
                   f"{service.TODO_TEXT.get(action, '待您办理')}"
            if principal is not None:
                text += f"（代{principal.name}）"
            batch.append((user, status, kind, record.id, text, f"{kind}:{record.id}:{record.state}:{due}"))
    made = service.tell(batch)
    try:
        db.session.commit()
    except IntegrityError:  # another run told the same occasions meanwhile: theirs stand
        db.session.rollback()
        return 0
    return len(made)


def link(note: Notification, base_url: str) -> str:
    path = LINKS.get(note.record_kind, "/notifications").format(id=note.record_id)
    return (base_url.rstrip("/") + path) if base_url else path


def compose(user: User, notes: list[Notification], base_url: str) -> tuple[str, str]:
    """(subject, plain text) of one person's digest."""
    subject = f"考核流：您有 {len(notes)} 条新通知"
    lines = [f"{user.name}，您好：", "", f"考核流有 {len(notes)} 条您尚未阅读的通知：", ""]
    for note in notes:
        lines.append(f"【{KIND_LABELS.get(note.kind, note.kind)}】{local_display(note.at)} {note.text}")
        lines.append(f"    {link(note, base_url)}")
    lines += ["", f"全部通知：{(base_url.rstrip('/') if base_url else '') + '/notifications'}",
              "", "此邮件由系统每日自动发送，请勿直接回复。"]
    return subject, "\n".join(lines) + "\n"


@operation
def _claim(ids: list[int]) -> list[int]:
    """Mark the notifications e-mailed before sending, so that two digests running at once (cron
    on two servers, an admin's job beside cron) never send one twice: each sends only the ones it
    claimed. Answers those ids."""
    stamp = utcnow()
    db.session.execute(sa.update(Notification).where(Notification.id.in_(ids), Notification.emailed_at.is_(None))
                       .values(emailed_at=stamp))
    db.session.commit()
    return list(db.session.scalars(db.select(Notification.id).where(
        Notification.id.in_(ids), Notification.emailed_at == stamp)))


@operation
def _unclaim(ids: list[int]) -> None:
    """A send failed: the claimed notifications wait for the next run."""
    db.session.execute(sa.update(Notification).where(Notification.id.in_(ids)).values(emailed_at=None))
    db.session.commit()


def send_digest(config=None) -> dict[str, int]:
    """E-mail each person their unread notifications not yet e-mailed, one message each; a
    notification read before the digest is never e-mailed. People without an e-mail address
    are skipped (their notifications wait in the list). A failed send leaves the person's
    notifications for the next run. Answers counts: sent, notifications, without_email, failed."""
    config = config or current_app.config
    stats = {"sent": 0, "notifications": 0, "without_email": 0, "failed": 0}
    if not mail.configured(config):
        return stats
    pending = db.session.scalars(db.select(Notification).where(
        Notification.emailed_at.is_(None), Notification.read_at.is_(None)).order_by(Notification.id)).all()
    by_user: dict[int, list[Notification]] = defaultdict(list)
    for note in pending:
        by_user[note.user_id].append(note)
    users = {u.id: u for u in db.session.scalars(db.select(User).where(User.id.in_(list(by_user))))}
    base_url = config.get("PUBLIC_URL") or ""
    for user_id, notes in by_user.items():
        user = users.get(user_id)
        if user is None or not user.active or not (user.email or "").strip():
            stats["without_email"] += 1
            continue
        claimed = set(_claim([n.id for n in notes]))
        notes = [n for n in notes if n.id in claimed]
        if not notes:
            continue  # another run sends these
        subject, text = compose(user, notes, base_url)
        try:
            mail.send(config, user.email.strip(), subject, text)
        except (OSError, mail.smtplib.SMTPException) as exc:
            current_app.logger.warning("digest e-mail to user %s failed: %s", user.username, exc)
            _unclaim(sorted(claimed))
            stats["failed"] += 1
            continue
        stats["sent"] += 1
        stats["notifications"] += len(notes)
    return stats


def run(today: date, year: int) -> dict:
    """The daily command: deadline notifications, trackers in step, the e-mail digest."""
    from ..errors import ServiceError
    from ..trackers.sync import sync_year

    out = {"deadline_notifications": deadline_notifications(today)}
    try:
        out["trackers"] = sync_year(year)
    except ServiceError as exc:
        out["trackers_error"] = exc.message
    out["mail"] = send_digest()
    out["mail_configured"] = mail.configured(current_app.config)
    return out
