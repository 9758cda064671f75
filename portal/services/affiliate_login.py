"""Affiliates' login (manual 001): cédula → 6-digit SMS code valid 109 s.

An unknown cédula gets the same screens (decoy masked number, same countdown) and the
same lock after 5 wrong codes, so the page never tells whether someone is affiliated.
"""
import re
import secrets
from dataclasses import dataclass

from flask import current_app

from portal.domain import lockout, otp
from portal.domain.clock import utcnow
from portal.extensions import db
from portal.models import Affiliate, LoginGuard, OtpChallenge
from portal.services import audit, messaging, sessions

CEDULA_RE = re.compile(r"^\d{5,10}$")
MAX_SENDS = 5


@dataclass
class CodeResult:
    status: str  # sent | ok | invalid | expired | locked | too_many_sends
    challenge: OtpChallenge | None = None
    affiliate: Affiliate | None = None
    minutes: int = 0


def normalize_cedula(raw):
    return re.sub(r"[\s.]", "", raw or "")


def cedula_is_valid(cedula):
    return bool(CEDULA_RE.match(cedula))


def _guard(cedula):
    subject = f"cedula:{cedula}"
    guard = db.session.query(LoginGuard).filter_by(subject=subject).first()
    if guard is None:
        guard = LoginGuard(subject=subject, failures=0)
        db.session.add(guard)
        db.session.flush()
    return guard


def _ttl():
    return current_app.config["OTP_TTL_SECONDS"]


def _send(challenge, affiliate):
    now = utcnow()
    challenge.sent_at = now
    challenge.expires_at = otp.expires_at(now, _ttl())
    if affiliate is None:
        challenge.code_hash = None
        audit.record("otp.requested_unknown", subject=f"cedula:{challenge.cedula}")
        return
    code = otp.new_code()
    challenge.code_hash = otp.code_hash(current_app.config["SECRET_KEY"], challenge.public_id, code)
    messaging.send_sms(
        affiliate.mobile,
        f"Cajacopi Pagos Express: su código de acceso es {code}. "
        f"Vence en {_ttl()} segundos. No lo comparta con nadie.",
    )
    audit.record("otp.sent", affiliate, subject=f"cedula:{challenge.cedula}", send=challenge.sends)


def request_code(cedula):
    now = utcnow()
    guard = _guard(cedula)
    if lockout.is_locked(guard.locked_until, now):
        db.session.commit()
        return CodeResult("locked", minutes=lockout.minutes_left(guard.locked_until, now))
    # A new request supersedes every earlier open code for this cédula.
    db.session.query(OtpChallenge).filter(
        OtpChallenge.cedula == cedula, OtpChallenge.consumed_at.is_(None)
    ).update({"consumed_at": now}, synchronize_session=False)
    affiliate = db.session.query(Affiliate).filter_by(cedula=cedula).first()
    secret = current_app.config["SECRET_KEY"]
    digits = otp.last_digits(affiliate.mobile) if affiliate else otp.decoy_last_digits(secret, cedula)
    challenge = OtpChallenge(public_id=secrets.token_urlsafe(24), cedula=cedula,
                             affiliate_id=affiliate.id if affiliate else None,
                             mobile_last_digits=digits, expires_at=now, sends=1)
    db.session.add(challenge)
    db.session.flush()
    _send(challenge, affiliate)
    db.session.commit()
    return CodeResult("sent", challenge)


def open_challenge(public_id):
    if not public_id:
        return None
    return db.session.query(OtpChallenge).filter_by(public_id=public_id).first()


def resend(challenge):
    """'Reenviar': a new code and a new 109 s; the failure count is not reset."""
    now = utcnow()
    guard = _guard(challenge.cedula)
    if lockout.is_locked(guard.locked_until, now):
        db.session.commit()
        return CodeResult("locked", challenge, minutes=lockout.minutes_left(guard.locked_until, now))
    if challenge.consumed_at is not None:
        return CodeResult("expired", challenge)
    if challenge.sends >= MAX_SENDS:
        return CodeResult("too_many_sends", challenge)
    challenge.sends += 1
    affiliate = db.session.get(Affiliate, challenge.affiliate_id) if challenge.affiliate_id else None
    _send(challenge, affiliate)
    db.session.commit()
    return CodeResult("sent", challenge)


def verify_code(challenge, code):
    now = utcnow()
    guard = _guard(challenge.cedula)
    if lockout.is_locked(guard.locked_until, now):
        db.session.commit()
        return CodeResult("locked", challenge, minutes=lockout.minutes_left(guard.locked_until, now))
    if challenge.consumed_at is not None or otp.is_expired(challenge.expires_at, now):
        return CodeResult("expired", challenge)
    code = (code or "").strip()
    if not otp.code_matches(current_app.config["SECRET_KEY"], challenge.public_id, code,
                            challenge.code_hash):
        outcome = lockout.register_failure(guard.failures, now,
                                           current_app.config["LOGIN_MAX_FAILURES"],
                                           current_app.config["LOGIN_LOCK_MINUTES"])
        guard.failures = outcome.failures
        audit.record("otp.failed", subject=f"cedula:{challenge.cedula}")
        if outcome.locked:
            guard.locked_until = outcome.locked_until
            challenge.consumed_at = now
            audit.record("otp.locked", subject=f"cedula:{challenge.cedula}",
                         until=outcome.locked_until.isoformat())
            db.session.commit()
            return CodeResult("locked", challenge,
                              minutes=lockout.minutes_left(outcome.locked_until, now))
        db.session.commit()
        return CodeResult("invalid", challenge)
    challenge.consumed_at = now
    guard.failures, guard.locked_until = 0, None
    affiliate = db.session.get(Affiliate, challenge.affiliate_id)
    sessions.start(affiliate)
    audit.record("login.success", affiliate, subject=f"cedula:{challenge.cedula}")
    db.session.commit()
    return CodeResult("ok", challenge, affiliate)


def seconds_left(challenge):
    return otp.seconds_left(challenge.expires_at, utcnow())
