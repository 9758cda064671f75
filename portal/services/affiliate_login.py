"""Affiliates' login (manual 001): cédula → 6-digit SMS code valid 109 s.

An unknown cédula gets the same screens (decoy masked number, same countdown) and the
same lock after 5 wrong codes, so the page never tells whether someone is affiliated.
"""
import math
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError

from portal import metrics
from portal.domain import lockout, otp
from portal.domain.clock import utcnow
from portal.extensions import db
from portal.models import Affiliate, LoginGuard, OtpChallenge
from portal.services import audit, messaging, sessions

CEDULA_RE = re.compile(r"^[0-9]{5,10}$")  # ASCII only: \d also matches other scripts' digits
MAX_SENDS = 5  # per challenge: the first SMS and up to 4 "Reenviar"
MAX_SENDS_PER_HOUR = 10  # per cédula, however they were asked for (SMS cost, harassment)


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
    return guard(f"cedula:{cedula}")


def guard(subject):
    """The failure counter of a code's subject (also «Actualizar mis datos»' new mobile)."""
    row = db.session.query(LoginGuard).filter_by(subject=subject).first()
    if row is None:
        try:
            with db.session.begin_nested():
                row = LoginGuard(subject=subject, failures=0)
                db.session.add(row)
        except IntegrityError:  # a parallel first request created it
            row = db.session.query(LoginGuard).filter_by(subject=subject).one()
    return row


def count_failure(guard, now):
    """One more wrong code, counted in the database (UPDATE ... failures + 1), so
    parallel guesses cannot overwrite each other's count and get past the lock."""
    cfg = current_app.config
    db.session.execute(update(LoginGuard).where(LoginGuard.id == guard.id)
                       .values(failures=LoginGuard.failures + 1))
    db.session.refresh(guard)
    outcome = lockout.register_failure(guard.failures - 1, now, cfg["LOGIN_MAX_FAILURES"],
                                       cfg["LOGIN_LOCK_MINUTES"])
    guard.failures = outcome.failures
    if outcome.locked:
        guard.locked_until = outcome.locked_until
    return outcome


def _sends_last_hour(cedula, now):
    total = (db.session.query(func.coalesce(func.sum(OtpChallenge.sends), 0))
             .filter(OtpChallenge.cedula == cedula,
                     OtpChallenge.created_at >= now - timedelta(hours=1))
             .scalar())
    return int(total or 0)


def hourly_cap():
    return current_app.config.get("OTP_MAX_SENDS_PER_HOUR", MAX_SENDS_PER_HOUR)


def ttl():
    return current_app.config["OTP_TTL_SECONDS"]


def _send(challenge, affiliate):
    now = utcnow()
    challenge.sent_at = now
    if affiliate is None:
        challenge.code_hash, challenge.expires_at = None, otp.expires_at(now, ttl())
        audit.record("otp.requested_unknown", subject=f"cedula:{challenge.cedula}")
        return
    code, challenge.code_hash, challenge.expires_at = issue_code(challenge.public_id, now)
    messaging.send_sms(
        affiliate.mobile,
        f"Cajacopi Pagos Express: su código de acceso es {code}. "
        f"Vence en {ttl()} segundos. No lo comparta con nadie.",
    )
    audit.record("otp.sent", affiliate, subject=f"cedula:{challenge.cedula}", send=challenge.sends)


def request_code(cedula):
    now = utcnow()
    guard = _guard(cedula)
    if lockout.is_locked(guard.locked_until, now):
        db.session.commit()
        return CodeResult("locked", minutes=lockout.minutes_left(guard.locked_until, now))
    # Known or not, a cédula gets at most so many codes an hour.
    if _sends_last_hour(cedula, now) >= hourly_cap():
        audit.record("otp.send_limit", subject=f"cedula:{cedula}")
        db.session.commit()
        return CodeResult("too_many_sends")
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
    refusal = resend_refusal(_guard(challenge.cedula), challenge.consumed_at is None,
                             challenge.sends, _sends_last_hour(challenge.cedula, now), now)
    if refusal is not None:
        db.session.commit()
        refusal.challenge = challenge
        return refusal
    challenge.sends += 1
    affiliate = db.session.get(Affiliate, challenge.affiliate_id) if challenge.affiliate_id else None
    _send(challenge, affiliate)
    db.session.commit()
    return CodeResult("sent", challenge)


def verify_code(challenge, code):
    now = utcnow()
    guard_row = _guard(challenge.cedula)
    verdict = judge(guard_row, challenge.public_id, challenge.code_hash, challenge.expires_at,
                    challenge.consumed_at is None, code, now)
    if verdict.status != "ok":
        return _refused(challenge, verdict, now)
    # Claim the code in the database: of two requests racing with it, only one wins.
    claimed = db.session.execute(
        update(OtpChallenge)
        .where(OtpChallenge.id == challenge.id, OtpChallenge.consumed_at.is_(None))
        .values(consumed_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        db.session.rollback()
        return CodeResult("expired", challenge)
    challenge.consumed_at = now
    guard_row.failures, guard_row.locked_until = 0, None
    affiliate = db.session.get(Affiliate, challenge.affiliate_id)
    sessions.start(affiliate)
    audit.record("login.success", affiliate, subject=f"cedula:{challenge.cedula}")
    db.session.commit()
    return CodeResult("ok", challenge, affiliate)


def _refused(challenge, verdict, now):
    if verdict.status == "expired":
        return CodeResult("expired", challenge)
    subject = f"cedula:{challenge.cedula}"
    if verdict.failed:
        audit.record("otp.failed", subject=subject)
        metrics.count_on_commit(metrics.LOGINS_FAILED, "affiliate")
    if verdict.locked_until is not None:  # this wrong code locked it: the code is gone
        challenge.consumed_at = now
        audit.record("otp.locked", subject=subject, until=verdict.locked_until.isoformat())
        metrics.count_on_commit(metrics.ACCOUNTS_LOCKED, "affiliate")
    db.session.commit()
    return CodeResult(verdict.status, challenge, minutes=verdict.minutes)


# --- the code rules, shared with «Actualizar mis datos» (a new mobile's code) -------------

@dataclass
class Verdict:
    status: str  # ok | invalid | expired | locked
    minutes: int = 0  # locked: how long still
    failed: bool = False  # a wrong code was counted
    locked_until: object = None  # set when this wrong code locked the subject


def issue_code(challenge_id, now):
    """A new code for `challenge_id`: (the code to send, its keyed hash, when it expires)."""
    code = otp.new_code()
    return code, otp.code_hash(current_app.config["SECRET_KEY"], challenge_id, code), \
        otp.expires_at(now, ttl())


def judge(guard_row, challenge_id, stored_hash, expiry, is_open, code, now):
    """A typed code against the stored one: the lock first, then expiry, then the code;
    a wrong code counts towards the lock of `guard_row` (its subject)."""
    if lockout.is_locked(guard_row.locked_until, now):
        return Verdict("locked", lockout.minutes_left(guard_row.locked_until, now))
    if not is_open or otp.is_expired(expiry, now):
        return Verdict("expired")
    if otp.code_matches(current_app.config["SECRET_KEY"], challenge_id, (code or "").strip(),
                        stored_hash):
        return Verdict("ok")
    outcome = count_failure(guard_row, now)
    if outcome.locked:
        return Verdict("locked", lockout.minutes_left(outcome.locked_until, now), True,
                       outcome.locked_until)
    return Verdict("invalid", failed=True)


def resend_refusal(guard_row, is_open, sends, sends_last_hour, now):
    """Why «Reenviar código» sends nothing (a CodeResult), or None when it may send."""
    if lockout.is_locked(guard_row.locked_until, now):
        return CodeResult("locked", minutes=lockout.minutes_left(guard_row.locked_until, now))
    if not is_open:
        return CodeResult("expired")
    if sends >= MAX_SENDS or sends_last_hour >= hourly_cap():
        return CodeResult("too_many_sends")
    return None


def seconds_left(challenge):
    """Whole seconds shown on screen, rounded up: a code sent a few milliseconds ago
    still reads "109 seg" (as in the manual), and 0 only once it has expired."""
    remaining = (challenge.expires_at - utcnow()).total_seconds()
    return max(0, math.ceil(remaining))
