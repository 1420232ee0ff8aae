"""Files people upload — award certificates (附件6) and deduction evidence — checked alike:
PDF, PNG or JPEG, within the size limit and the number of files a record may carry, the
original name kept. The first bytes only say what a file claims to be; it is accepted when it
parses as that (pypdf opens the PDF and counts its pages, Pillow decodes the image) and holds
no HTML a browser could be talked into running (issue 8: PDF/HTML and PNG/HTML mixes)."""
import hashlib
import re
import warnings
from io import BytesIO

from flask import current_app
from PIL import Image
from pypdf import PdfReader

from .bonus.models import Attachment
from .errors import Invalid, NotFound, ServiceError
from .extensions import db
from .timeutil import utcnow

# What a file claims to be, by its first bytes, never by its name (issue 3).
MAGIC = ((b"%PDF-", "application/pdf"), (b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"))


def sniff(data: bytes) -> str | None:
    """The content type the first bytes claim, among those accepted."""
    return next((kind for magic, kind in MAGIC if data.startswith(magic)), None)


# Browsers sniff the beginning of a file for markup; a certificate never holds any there.
SNIFF_WINDOW = 8192
HTML_MARKERS = re.compile(rb"<(?:!doctype\s+html|html|head|body|script|iframe|svg)", re.IGNORECASE)
PIL_FORMATS = {"image/png": "PNG", "image/jpeg": "JPEG"}
MAX_FILES_PER_RECORD = 20  # default of the setting MAX_FILES_PER_RECORD

UNREADABLE = "文件无法识别为 PDF、PNG 或 JPEG 图片：只接受 PDF、PNG 或 JPEG 格式且能正常打开的文件，请重新导出或扫描后再上传"
ENCRYPTED = "文件无法识别为 PDF、PNG 或 JPEG 图片：这个 PDF 已加密，请另存（或打印）为未加密的 PDF 后再上传"


def invalid_file(message: str = UNREADABLE) -> Invalid:
    return Invalid(message, "invalid_file")


def holds_html(data: bytes) -> bool:
    """Whether the beginning of the file holds markup a browser would render as a page."""
    return HTML_MARKERS.search(data[:SNIFF_WINDOW]) is not None


def check_pdf(data: bytes):
    """Refuse a PDF pypdf cannot open, that is encrypted, or whose page tree holds no page."""
    try:
        reader = PdfReader(BytesIO(data))
        encrypted = reader.is_encrypted
        pages = 0 if encrypted else len(reader.pages)
        if pages:
            _ = reader.pages[0].mediabox  # the count is only a number: resolve a real page
    except Exception:  # noqa: BLE001  (pypdf raises many kinds for a damaged file)
        raise invalid_file() from None
    if encrypted:
        raise invalid_file(ENCRYPTED)  # reviewers could not open it, nor could we check it
    if pages < 1:
        raise invalid_file()


def check_image(data: bytes, content_type: str):
    """Refuse an image Pillow cannot decode in full as the format its first bytes claim."""
    wanted = PIL_FORMATS[content_type]
    try:
        with warnings.catch_warnings():
            # an image past Pillow's pixel limit is a decompression bomb, not a certificate
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            # formats=[wanted]: a PNG must be a PNG, a JPEG a JPEG, whatever else Pillow could read
            with Image.open(BytesIO(data), formats=[wanted]) as image:
                image.verify()  # structure and checksums
            with Image.open(BytesIO(data), formats=[wanted]) as image:
                image.load()  # every pixel: a truncated or corrupt body fails here
    except Exception:  # noqa: BLE001  (Pillow raises many kinds for a damaged file)
        raise invalid_file() from None


def checked_type(data: bytes) -> str:
    """The content type of an uploaded file once it is shown to be what it claims, or a refusal."""
    kind = sniff(data)
    if kind is None or holds_html(data):
        raise invalid_file()
    if kind == "application/pdf":
        check_pdf(data)
    else:
        check_image(data, kind)
    return kind


def check_room(attached) -> None:
    """Refuse one more file on a record that already carries as many as a record may."""
    limit = current_app.config.get("MAX_FILES_PER_RECORD", MAX_FILES_PER_RECORD)
    if len(attached) >= limit:
        raise Invalid(f"每条记录最多 {limit} 个附件，已达上限：可将多页材料合并为一个 PDF 后再上传", "too_many_files")


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


def read_upload(upload, user, attached=()) -> Attachment:
    """A new, not yet attached Attachment from an uploaded file, or a refusal saying why;
    `attached` are the files the record already carries."""
    if upload is None or not getattr(upload, "filename", None):
        raise Invalid("请选择要上传的文件（字段 file）", "file_required")
    check_room(attached)
    limit = current_app.config["UPLOAD_LIMIT_BYTES"]
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise ServiceError(f"文件超过 {limit // (1024 * 1024)} MB 的上限", "too_large", 413)
    if not data:
        raise Invalid("文件是空的", "empty_file")
    kind = checked_type(data)
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
