"""«Actualizar mis datos» (manual 001's note): an affiliate's request to change mobile,
e-mail or address; a new mobile confirmed by a code sent to it (the login's code rules,
services/affiliate_login); the staff's decision, once, audited, told on the old and the
new channels. The affiliate's data change only on approval: until then the login code
still goes to the mobile on file."""
import math
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager

from portal.domain import contact_updates as rules
from portal.domain import lockout, otp, paging
from portal.domain.clock import utcnow
from portal.domain.order_search import utc_bounds
from portal.extensions import db
from portal.models import Affiliate, ContactUpdateRequest
from portal.services import affiliate_login as codes
from portal.services import audit, messaging, tables

Request = ContactUpdateRequest
STATUS_FILTERS = (rules.PENDING, rules.APPROVED, rules.REJECTED, rules.REPLACED, "all")
HOURLY_LIMIT = ("Ya enviamos varios códigos a celulares nuevos en la última hora. Por seguridad "
                "espere un momento antes de pedir otro.")
BUSY = "Ya tiene una solicitud abierta que se acaba de crear; revise su estado en esta página."


@dataclass
class Outcome:
    status: str  # sent | pending | invalid | locked | too_many_sends | busy | ok | expired …
    request: Request | None = None
    errors: dict = field(default_factory=dict)
    minutes: int = 0


def contact_of(affiliate):
    return rules.Contact(affiliate.mobile, affiliate.email, affiliate.address)


def latest(affiliate):
    """The affiliate's latest request (its state is shown on «Actualizar mis datos»)."""
    return db.session.scalars(select(Request).where(Request.affiliate_id == affiliate.id)
                              .order_by(Request.id.desc()).limit(1)).first()


def awaiting_code(affiliate):
    request = latest(affiliate)
    return request if request is not None and request.status == rules.AWAITING_CODE else None


# --- the affiliate -----------------------------------------------------------------------

def _subject(affiliate):
    return f"contact-mobile:{affiliate.id}"


def _challenge_id(request):
    return f"contact-update:{request.id}"


def _sends_last_hour(affiliate, now):
    return int(db.session.scalar(
        select(func.coalesce(func.sum(Request.code_sends), 0))
        .where(Request.affiliate_id == affiliate.id, Request.created_at >= now - timedelta(hours=1))) or 0)


def _send_code(request, affiliate, now):
    code, request.code_hash, request.code_expires_at = codes.issue_code(_challenge_id(request), now)
    request.code_sends += 1
    messaging.send_sms(request.new_mobile,
                       f"Cajacopi Pagos Express: su código para confirmar este celular es {code}. "
                       f"Vence en {codes.ttl()} segundos. Si usted no lo pidió, ignore este mensaje.")
    audit.record("contact_update.code_sent", affiliate, subject=f"contact_update:{request.id}",
                 send=request.code_sends)


def _code_refusal(affiliate, now):
    """Why no code can go to a new mobile now (the lock of wrong codes, the hourly cap)."""
    guard = codes.guard(_subject(affiliate))
    if lockout.is_locked(guard.locked_until, now):
        return Outcome("locked", minutes=lockout.minutes_left(guard.locked_until, now))
    if _sends_last_hour(affiliate, now) >= codes.hourly_cap():
        return Outcome("too_many_sends", errors={"form": HOURLY_LIMIT})
    return None


def submit(affiliate, typed):
    """A new request (it replaces the open one, if any): waiting for the new mobile's code,
    or for staff when the mobile does not change."""
    found = rules.check(contact_of(affiliate), typed)
    if not found.ok:
        return Outcome("invalid", errors=found.errors)
    now = utcnow()
    with_mobile = "mobile" in found.changes
    refusal = _code_refusal(affiliate, now) if with_mobile else None
    if refusal is not None:
        db.session.commit()
        return refusal
    replaced = db.session.execute(
        update(Request).where(Request.affiliate_id == affiliate.id, Request.status.in_(rules.OPEN))
        .values(status=rules.REPLACED).execution_options(synchronize_session=False)).rowcount
    request = Request(affiliate_id=affiliate.id, status=rules.AWAITING_CODE if with_mobile else rules.PENDING,
                      old_mobile=affiliate.mobile, old_email=affiliate.email, old_address=affiliate.address,
                      submitted_at=None if with_mobile else now, code_sends=0,
                      **{f"new_{name}": value for name, value in found.changes.items()})
    try:
        with db.session.begin_nested():  # two submits at once: the unique index keeps one
            db.session.add(request)
    except IntegrityError:
        db.session.rollback()
        return Outcome("busy", errors={"form": BUSY})
    audit.record("contact_update.requested", affiliate, subject=f"contact_update:{request.id}",
                 fields=list(found.changes), replaced=bool(replaced))
    if with_mobile:
        _send_code(request, affiliate, now)
    db.session.commit()
    return Outcome("sent" if with_mobile else "pending", request)


def resend(affiliate, request):
    now = utcnow()
    refusal = codes.resend_refusal(codes.guard(_subject(affiliate)), _code_is_open(request),
                                   request.code_sends, _sends_last_hour(affiliate, now), now)
    if refusal is not None:
        db.session.commit()
        return Outcome(refusal.status, request, minutes=refusal.minutes)
    _send_code(request, affiliate, now)
    db.session.commit()
    return Outcome("sent", request)


def _code_is_open(request):
    return request.status == rules.AWAITING_CODE and request.code_hash is not None


def verify(affiliate, request, code):
    """The new mobile's code: right → the request goes to staff (once, even if sent twice)."""
    now = utcnow()
    guard = codes.guard(_subject(affiliate))
    verdict = codes.judge(guard, _challenge_id(request), request.code_hash,
                          request.code_expires_at or now, _code_is_open(request), code, now)
    if verdict.status != "ok":
        return _refused(affiliate, request, verdict)
    claimed = db.session.execute(
        update(Request).where(Request.id == request.id, Request.status == rules.AWAITING_CODE)
        .values(status=rules.PENDING, submitted_at=now, code_hash=None)
        .execution_options(synchronize_session=False)).rowcount
    if claimed != 1:
        db.session.rollback()
        return Outcome("expired", request)
    guard.failures, guard.locked_until = 0, None
    audit.record("contact_update.mobile_confirmed", affiliate, subject=f"contact_update:{request.id}")
    db.session.commit()
    db.session.refresh(request)
    return Outcome("pending", request)


def _refused(affiliate, request, verdict):
    subject = f"contact_update:{request.id}"
    if verdict.failed:
        audit.record("contact_update.code_failed", affiliate, subject=subject)
    if verdict.locked_until is not None:  # this wrong code locked it: the code is gone
        request.code_hash = None
        audit.record("contact_update.code_locked", affiliate, subject=subject,
                     until=verdict.locked_until.isoformat())
    db.session.commit()
    return Outcome(verdict.status, request, minutes=verdict.minutes)


def seconds_left(request):
    if request.code_expires_at is None:
        return 0
    return max(0, math.ceil((request.code_expires_at - utcnow()).total_seconds()))


def masked_new_mobile(request):
    return otp.masked_mobile(otp.last_digits(request.new_mobile or ""))


# --- the staff's queue -------------------------------------------------------------------

def listing(status, start, end, cedula, number=1, per_page=paging.DEFAULT_PER_PAGE):
    """Requests sent to staff (those still waiting for their code are not), filtered and
    paged: waiting ones oldest first, decided ones newest first."""
    query = (select(Request).join(Affiliate, Request.affiliate_id == Affiliate.id)
             .options(contains_eager(Request.affiliate)).where(Request.submitted_at.is_not(None)))
    if status != "all":
        query = query.where(Request.status == status)
    since, before = utc_bounds(start, end)
    if since:
        query = query.where(Request.submitted_at >= since)
    if before:
        query = query.where(Request.submitted_at < before)
    if cedula:
        query = query.where(Affiliate.cedula.startswith(cedula, autoescape=True))
    order = Request.submitted_at.asc() if status == rules.PENDING else Request.submitted_at.desc()
    return tables.paged(query, number, per_page, order, Request.id)


@dataclass
class Decision:
    status: str  # approved | rejected | already_decided | invalid | not_found
    request: Request | None = None
    message: str = ""

    @property
    def ok(self):
        return self.status in rules.DECIDED


def find(request_id):
    request = db.session.get(Request, request_id)
    return request if request is not None and request.submitted_at is not None else None


def approve(staff_user, request_id):
    return _decide(staff_user, request_id, rules.APPROVED, None)


def reject(staff_user, request_id, raw_reason):
    request = find(request_id)
    if request is None:
        return Decision("not_found")
    reason, error = rules.check_reason(raw_reason)
    if error:
        return Decision("invalid", request, error)
    return _decide(staff_user, request_id, rules.REJECTED, reason)


def _decide(staff_user, request_id, new_status, reason):
    """Approve or reject a pending request exactly once (UPDATE … WHERE status = 'pending')."""
    request = find(request_id)
    if request is None:
        return Decision("not_found")
    changed = db.session.execute(
        update(Request).where(Request.id == request.id, Request.status == rules.PENDING)
        .values(status=new_status, decided_by_id=staff_user.id, decided_at=utcnow(), reason=reason)
        .execution_options(synchronize_session=False)).rowcount
    subject = f"contact_update:{request.id}"
    if changed != 1:
        db.session.rollback()
        db.session.refresh(request)
        audit.record("contact_update.decision_refused", staff_user, subject=subject,
                     wanted=new_status, current=request.status)
        db.session.commit()
        return Decision("already_decided", request,
                        f"Esta solicitud ya está «{rules.STATUS_LABELS[request.status]}»; no se cambió nada.")
    db.session.refresh(request)
    if new_status == rules.APPROVED:
        for name in request.changed:
            setattr(request.affiliate, name, request.new(name))
    audit.record(f"contact_update.{new_status}", staff_user, subject=subject,
                 cedula=request.affiliate.cedula, fields=request.changed, reason=reason)
    _notify(request)
    db.session.commit()
    verb = "aprobada" if new_status == rules.APPROVED else "rechazada"
    return Decision(new_status, request, f"Solicitud de {request.affiliate.display_name} {verb}.")


# --- telling the affiliate: the old and the new channels ---------------------------------

def _distinct(*values):
    return list(dict.fromkeys(v for v in values if v))


def _what(request):
    shown = {"mobile": f"celular terminado {masked_new_mobile(request)}",
             "email": f"correo {rules.masked_email(request.new_email)}", "address": "dirección"}
    return ", ".join(shown[name] for name in request.changed)


def _notify(request):
    what = _what(request)
    if request.status == rules.APPROVED:
        sms = (f"Cajacopi Pagos Express: la Caja aprobó el cambio de sus datos ({what}). "
               "Si usted no lo pidió, comuníquese con su asesor.")
        subject = "Pagos Express: sus datos fueron actualizados"
        body = (f"La Caja aprobó su solicitud de actualización de datos ({what}). Desde ahora "
                "los códigos de acceso a Pagos Express llegan al celular registrado.")
    else:
        sms = (f"Cajacopi Pagos Express: la Caja rechazó el cambio de sus datos ({what}). "
               f"Motivo: {request.reason[:120]}. Sus datos siguen iguales.")
        subject = "Pagos Express: su solicitud de actualización de datos fue rechazada"
        body = (f"La Caja rechazó su solicitud de actualización de datos ({what}).\n\n"
                f"Motivo: {request.reason}\n\nSus datos registrados siguen iguales. Puede enviar "
                "una nueva solicitud en «Actualizar mis datos».")
    body = (f"Hola {request.affiliate.display_name}:\n\n{body}\n\nSi usted no hizo esta solicitud, "
            "comuníquese con su asesor o escriba a kathien.castro@cajacopi.com.")
    for mobile in _distinct(request.old_mobile, request.new_mobile):
        messaging.send_sms(mobile, sms)
    for email in _distinct(request.old_email, request.new_email):
        messaging.send_email(email, subject, body)
