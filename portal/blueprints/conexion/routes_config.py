"""Conexión Empresas › Configuración (manual 003, ch. 2): Usuario, Empresas, Descargas; and
the help pages the «Manual de Usuario Conexión Empresas Online» is printed from.

Empresas: every member sees the company's data; only a member with `admin_company`
edits it (else 403, audited); another company, or another company's contact, is a 404
(audited). Each edit works without JavaScript (a page per state, POST → 303) and, with
htmx, in place (the section's partial comes back; 422 with the messages)."""
import hashlib
import io

from flask import abort, flash, g, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from portal.adapters import pdf, templates_zip
from portal.authz import require
from portal.blueprints.conexion import bp
from portal.blueprints.conexion.access import with_product
from portal.domain import company_data
from portal.services import conexion, conexion_config, help_manual
from portal.web import render

PAGE = "conexion/configuracion/empresa.html"
COMPANY_PARTIAL = "conexion/configuracion/_empresa_datos.html"
CONTACTS_PARTIAL = "conexion/configuracion/_contactos.html"

bp.add_app_template_filter(company_data.formatted_phone, "telefono")


# --- Usuario ----------------------------------------------------------------------------

@bp.get("/configuracion/")
@require("corporate")
def config_home():
    return redirect(url_for("conexion.config_user"))


@bp.get("/configuracion/usuario")
@require("corporate")
def config_user():
    """Nombre, apellido, cargo, área, correo; «Cambio de contraseña» is auth.change_password,
    shown in this layout for corporate users."""
    return render_template("conexion/configuracion/usuario.html", profile=conexion_config.profile(current_user))


# --- Empresas ---------------------------------------------------------------------------

@bp.get("/configuracion/empresas/")
@require("corporate")
def config_companies():
    """The company chosen in the selector (?empresa=), else the user's first."""
    companies = conexion.companies_for(current_user)
    chosen = request.args.get("empresa", type=int) or (companies[0].id if companies else None)
    if chosen is None:
        return render_template(PAGE, companies=[])
    return redirect(url_for("conexion.config_company", company_id=chosen), 303)


@bp.get("/configuracion/empresas/<int:company_id>")
@with_product()
def config_company(company_id):
    return _company_page()


@bp.get("/configuracion/empresas/<int:company_id>/editar")
@with_product("admin_company")
def config_company_edit(company_id):
    return _company_page(COMPANY_PARTIAL, editing="company")


@bp.post("/configuracion/empresas/<int:company_id>/editar")
@with_product("admin_company")
def config_company_save(company_id):
    saved = conexion_config.update_company(current_user, g.access.company, request.form)
    return _after(saved, COMPANY_PARTIAL, "company", editing="company")


@bp.get("/configuracion/empresas/<int:company_id>/contactos/nuevo")
@with_product("admin_company")
def config_contact_new(company_id):
    return _company_page(CONTACTS_PARTIAL, editing="new")


@bp.post("/configuracion/empresas/<int:company_id>/contactos/nuevo")
@with_product("admin_company")
def config_contact_add(company_id):
    saved = conexion_config.add_contact(current_user, g.access.company, request.form)
    return _after(saved, CONTACTS_PARTIAL, "contacts", editing="new")


@bp.get("/configuracion/empresas/<int:company_id>/contactos/<int:contact_id>/editar")
@with_product("admin_company")
def config_contact_edit(company_id, contact_id):
    return _company_page(CONTACTS_PARTIAL, editing=_contact(contact_id).id)


@bp.post("/configuracion/empresas/<int:company_id>/contactos/<int:contact_id>/editar")
@with_product("admin_company")
def config_contact_save(company_id, contact_id):
    saved = conexion_config.update_contact(current_user, g.access.company, _contact(contact_id), request.form)
    return _after(saved, CONTACTS_PARTIAL, "contacts", editing=contact_id)


@bp.post("/configuracion/empresas/<int:company_id>/contactos/<int:contact_id>/eliminar")
@with_product("admin_company")
def config_contact_remove(company_id, contact_id):
    saved = conexion_config.remove_contact(current_user, g.access.company, _contact(contact_id))
    return _after(saved, CONTACTS_PARTIAL, "contacts")


def _contact(contact_id):
    """The company's contact, else 404 (audited like another company's URL)."""
    contact = conexion_config.contact_of(g.access.company, contact_id)
    if contact is None:
        conexion.refuse(current_user, "not_found", request.path)
        abort(404)
    return contact


def _company_page(partial=None, **state):
    """«Configuración de la empresa» (or, for htmx, one of its sections) in a given state:
    editing = "company" | "new" | a contact id; saved = a refused save's messages."""
    return render(PAGE, partial=partial, access=g.access, companies=conexion.companies_for(current_user),
                  may_edit=g.access.may("admin_company"), contacts=g.access.company.contacts,
                  labels=company_data.LABELS, **state)


def _after(saved, partial, section, **editing):
    """Saved: back to the page (303, the message flashed) or, for htmx, the section with
    the message. Refused: the form again with the messages, 422."""
    if not saved.ok:
        return _company_page(partial, saved=saved, **editing), 422
    if not request.htmx:
        flash(saved.message, "success")
        return redirect(url_for("conexion.config_company", company_id=g.access.company.id), 303)
    return _company_page(partial, notice=saved.message, notice_for=section)


# --- Descargas --------------------------------------------------------------------------

@bp.get("/configuracion/descargas")
@require("corporate")
def config_downloads():
    """«Manuales» and «Archivos de gestión» (manual 003, 2.4)."""
    return render_template("conexion/configuracion/descargas.html", manual_title=help_manual.TITLE,
                           template_files=templates_zip.file_names())


@bp.get("/configuracion/descargas/manual-conexion-empresas.pdf")
@require("corporate")
def download_manual():
    conexion_config.record_download(current_user, help_manual.PDF_NAME)
    return _download(help_manual.manual_pdf(), help_manual.PDF_NAME, pdf.MIME)


@bp.get("/configuracion/descargas/archivos-lotes-operativos.zip")
@require("corporate")
def download_batch_templates():
    conexion_config.record_download(current_user, templates_zip.ZIP_NAME)
    return _download(templates_zip.batch_templates_zip(), templates_zip.ZIP_NAME, templates_zip.ZIP_MIME)


def _download(data, name, mimetype):
    """Built in memory; ranges and If-None-Match answered (a slow line can resume)."""
    return send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=name,
                     etag=hashlib.sha256(data).hexdigest()[:32], conditional=True)


# --- Ayuda ------------------------------------------------------------------------------

@bp.get("/ayuda/")
@require("corporate")
def help_index():
    return render_template("conexion/ayuda.html", chapter=None, **help_manual.context())


@bp.get("/ayuda/<slug>")
@require("corporate")
def help_chapter(slug):
    chapter = help_manual.chapter(slug)
    if chapter is None:
        abort(404)
    previous, following = help_manual.neighbours(chapter)
    return render_template("conexion/ayuda.html", chapter=chapter, previous=previous, following=following,
                           **help_manual.context())
