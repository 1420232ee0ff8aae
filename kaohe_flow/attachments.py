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


EXTENSIONS = {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg"}
MAX_NAME = 120


def display_name(raw: str | None, content_type: str) -> str:
    """The original name for display and download, with the extension of what the file really
    is: path parts and control characters dropped, long names shortened before the extension."""
    name = (raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    wanted = EXTENSIONS[content_type]
    if "." + ext.lower() not in (wanted, ".jpeg" if wanted == ".jpg" else wanted):
        stem = name  # a name that lies about the type keeps its words and gets the true extension
        ext = wanted[1:]
    stem = stem.strip()[:MAX_NAME] or "附件"
    return f"{stem}.{ext}"


def content_disposition(filename: str, inline: bool = False) -> str:
    """RFC 6266: the name in UTF-8 (RFC 5987) and a readable ASCII fallback for old clients."""
    from urllib.parse import quote

    stem, _, ext = filename.rpartition(".")
    ascii_stem = "".join(ch for ch in stem if ch.isascii() and (ch.isalnum() or ch in "-_ ()")).strip()
    fallback = f"{ascii_stem or 'download'}.{ext}" if ext.isascii() else "download"
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def single_file(files, field: str = "file"):
    """The one uploaded file of a request, or a refusal when several came in the same field."""
    found = files.getlist(field)
    if len(found) > 1:
        raise Invalid("每次只能上传一个文件", "too_many_files")
    return found[0] if found else None


def read_upload(upload, user) -> Attachment:
    """A new, not yet attached Attachment from an uploaded file, or a refusal saying why."""
    if upload is None or not getattr(upload, "filename", None):
        raise Invalid("请选择要上传的文件（字段 file）", "file_required")
    limit = current_app.config["UPLOAD_LIMIT_BYTES"]
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise ServiceError(f"文件超过 {limit // (1024 * 1024)} MB 的上限", "too_large", 413)
    if not data:
        raise Invalid("文件是空的", "empty_file")
    kind = sniff(data)
    if kind is None:
        raise Invalid("只接受 PDF、PNG 或 JPEG 格式的文件（按文件内容判断）", "unsupported_type")
    return Attachment(filename=display_name(upload.filename, kind), content_type=kind, size=len(data),
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
