"""Password hashing (Argon2id) and changes with the reuse rule."""
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from portal.domain import passwords as policy
from portal.domain.clock import utcnow
from portal.extensions import db
from portal.models import PasswordHistory

_hasher = PasswordHasher()
# Compared against when the account does not exist, so timing does not tell.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def hash_password(plain):
    return _hasher.hash(plain)


def verify(stored_hash, plain):
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, plain or "")
    except (VerificationError, InvalidHashError):
        return False


def burn_time(plain):
    verify(_DUMMY_HASH, plain)


def recent_hashes(user):
    rows = (
        db.session.query(PasswordHistory.password_hash)
        .filter_by(user_id=user.id)
        .order_by(PasswordHistory.id.desc())
        .limit(policy.HISTORY_SIZE)
        .all()
    )
    return [row[0] for row in rows]


def was_used_recently(user, plain):
    hashes = recent_hashes(user) or [user.password_hash]
    return any(verify(h, plain) for h in hashes)


def set_password(user, plain, must_change=False):
    """Store a new password and remember it; keeps only the last HISTORY_SIZE."""
    user.password_hash = hash_password(plain)
    user.password_changed_at = utcnow()
    user.must_change_password = must_change
    db.session.add(PasswordHistory(user_id=user.id, password_hash=user.password_hash))
    db.session.flush()
    keep = [
        row.id
        for row in db.session.query(PasswordHistory.id)
        .filter_by(user_id=user.id)
        .order_by(PasswordHistory.id.desc())
        .limit(policy.HISTORY_SIZE)
    ]
    db.session.query(PasswordHistory).filter(
        PasswordHistory.user_id == user.id, PasswordHistory.id.not_in(keep)
    ).delete(synchronize_session=False)
