"""HTML → PDF with xhtml2pdf, offline (no remote resources are fetched).

Fonts: DejaVu Sans is embedded when the system has it (Debian's fonts-dejavu-core, or
PDF_FONT_DIR), so accents, «», · and ✓ print as on screen; without it the PDF falls back
to the built-in Helvetica (accents fine, ✓ missing). Local reads are confined to the
font's directory; nothing is fetched from the network.

xhtml2pdf (with reportlab, html5lib and pypdf) is imported at the first PDF, not with the
app: it adds ~44 MB to every web and RQ worker, most of which never make one."""
import io
import os
from pathlib import Path

MIME = "application/pdf"
FONT_DIR = Path(os.environ.get("PDF_FONT_DIR", "/usr/share/fonts/truetype/dejavu"))
FONT_FAMILY = "PortalSans"
_FACES = (("DejaVuSans.ttf", "normal"), ("DejaVuSans-Bold.ttf", "bold"))


class PdfError(RuntimeError):
    """xhtml2pdf reported errors: the document is not to be served."""


def font_css(font_dir=FONT_DIR):
    """@font-face rules for FONT_FAMILY, or '' when the font files are missing."""
    faces = [(font_dir / name, weight) for name, weight in _FACES]
    if not all(path.is_file() for path, _ in faces):
        return ""
    return "\n".join(f"@font-face {{ font-family: {FONT_FAMILY}; src: url('{path.as_posix()}'); "
                     f"font-weight: {weight}; }}" for path, weight in faces)


def from_html(html, font_dir=FONT_DIR) -> bytes:
    from xhtml2pdf import pisa
    from xhtml2pdf.files import ResourceAccessPolicy

    out = io.BytesIO()
    policy = ResourceAccessPolicy(allow_remote=False, base_dir=Path(font_dir), max_render_seconds=60)
    status = pisa.CreatePDF(html, dest=out, encoding="utf-8", resource_policy=policy)
    if status.err:
        raise PdfError(f"xhtml2pdf: {status.err} error(s)")
    return out.getvalue()
