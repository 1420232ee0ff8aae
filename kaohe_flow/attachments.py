"""Files people upload — award certificates (附件6) and deduction evidence — checked alike:
PDF, PNG or JPEG by their first bytes, within the size limit, the original name kept."""
import hashlib

from flask import current_app

from .bonus.models import Attachment
from .errors import Invalid, NotFound, ServiceError
from .extensions import db
from .timeutil import utcnow

# Recognised by their first bytes, never by their names (issue 3).
MAGIC = ((b"%PDF-", "application/pdf"), (b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"))


def sniff(data: bytes) -> str | None:
    """The content type the bytes really are, among those accepted."""
    return next((kind for magic, kind in MAGIC if data.startswith(magic)), None)


def display_name(raw: str | None) -> str:
    """The original name for display and download; path parts and control characters dropped."""
    name = (raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    return name[:200] or "附件"


def read_upload(upload, user) -> Attachment:
    """A new, not yet attached Attachment from an uploaded file, or a refusal saying why."""
    if upload is None or not getattr(upload, "filename", None):
        raise Invalid("请选择要上传的文件（字段 file）", "file_required")
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise ServiceError(f"文件超过 {limit // (1024 * 1024)} MB 的上限", "too_large", 413)
    if not data:
        raise Invalid("文件是空的", "empty_file")
    kind = sniff(data)
    if kind is None:
        raise Invalid("只接受 PDF、PNG 或 JPEG 格式的文件（按文件内容判断）", "unsupported_type")
    return Attachment(filename=display_name(upload.filename), content_type=kind, size=len(data),
                      sha256=hashlib.sha256(data).hexdigest(), data=data, uploaded_by_id=user.id,
                      uploaded_at=utcnow())


def get_visible(user, attachment_id: int) -> Attachment:
    """A file, for those who may see the application or the record it belongs to."""
    from .bonus import queries as bonus_queries
    from .ledger import queries as ledger_queries

    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None:
        raise NotFound("没有找到这个附件")
    if attachment.application_id is not None:
        bonus_queries.get_visible(user, attachment.application_id)
    else:
        ledger_queries.get_visible(user, attachment.record_id)
    return attachment
