"""The «Manual de Usuario Conexión Empresas Online», built from the portal's own help pages
so it always matches the screens: one template per chapter that exists in the portal
today (templates/conexion/ayuda/<slug>.html), shown as help pages (/empresas/ayuda/…)
and rendered together into one PDF. What the screens also use — the password rules, the
lock-out, the batch layouts, the company fields — comes from the same code, not from
copies in the text."""
from dataclasses import dataclass
from datetime import date

from flask import current_app, render_template

from portal.adapters import pdf, templates_zip
from portal.domain import batch_layouts, company_data, passwords, text_files

TITLE = "Manual de Usuario Conexión Empresas Online"
PDF_NAME = "Manual_Usuario_Conexion_Empresas_Online.pdf"


@dataclass(frozen=True)
class Chapter:
    number: int
    slug: str
    title: str

    @property
    def template(self):
        return f"conexion/ayuda/{self.slug}.html"


CHAPTERS = (
    Chapter(1, "ingreso", "Ingreso y recuperación de contraseña o usuario"),
    Chapter(2, "configuracion", "Configuración"),
    Chapter(3, "seleccion-empresa-producto", "Selección de empresa y producto"),
    Chapter(4, "carga-de-lotes", "Carga de lotes"),
    Chapter(5, "autorizacion-de-lotes", "Autorización de lotes"),
)


def chapter(slug):
    return next((c for c in CHAPTERS if c.slug == slug), None)


def neighbours(current):
    """(previous chapter or None, next chapter or None)."""
    i = CHAPTERS.index(current)
    return (CHAPTERS[i - 1] if i else None), (CHAPTERS[i + 1] if i + 1 < len(CHAPTERS) else None)


def context():
    """What the chapters say that the screens also use."""
    config = current_app.config
    return {
        "manual_title": TITLE, "chapters": CHAPTERS,
        "password_rules": passwords.check(""), "password_history": passwords.HISTORY_SIZE,
        "max_failures": config["LOGIN_MAX_FAILURES"], "lock_minutes": config["LOGIN_LOCK_MINUTES"],
        "recovery_hours": config["RECOVERY_PASSWORD_HOURS"], "lapse_hours": config["SIGNATURE_LAPSE_HOURS"],
        "idle_minutes": int(config["SESSION_IDLE_TIMEOUT"].total_seconds() // 60),
        "warning_minutes": max(1, config["SESSION_WARNING_SECONDS"] // 60),
        "company_labels": company_data.LABELS, "phone_rule": company_data.PHONE_RULE,
        "max_contacts": company_data.MAX_CONTACTS,
        "layouts": list(batch_layouts.LAYOUTS.values()), "amount_formats": batch_layouts.AMOUNT_FORMATS,
        "separators": [text_files.SEPARATOR_NAMES[s] for s in text_files.SEPARATORS],
        "template_files": templates_zip.file_names(), "instructions_sheet": templates_zip.INSTRUCTIONS,
        "data_sheet": templates_zip.SHEET, "sample_error": _sample_error(),
    }


def _sample_error():
    """An error as «Lotes pendientes» reports it, written by the validation itself."""
    topup = batch_layouts.layout("topup")
    return batch_layouts.check_line(topup, ["CC", "123", "150000"], 3, date(2026, 1, 1))[1][0].message


def manual_pdf():
    """The whole manual as a PDF, built once per application (the same for everyone)."""
    cache = current_app.extensions.setdefault("conexion_manual", {})
    if "pdf" not in cache:
        html = render_template("pdf/manual_conexion.html", pdf=True, font_css=pdf.font_css(), **context())
        cache["pdf"] = pdf.from_html(html)
    return cache["pdf"]
