"""Who may sign a batch's authorization (manual 003 §3.3; DESIGN §9 maker-checker). Pure.

A company authorizes with one signature or with two («esquema de firmas»). With two, the
first signature is recorded and the batches wait; the second must be another member with
the authorize permission. The company may also forbid whoever loaded a batch from signing
it. A first signature left waiting longer than the configured time lapses: its batches go
back to «Confirmado». The services enforce every rule here; the pages only explain them."""
from dataclasses import dataclass
from datetime import datetime, timedelta

FIRST, COMPLETE = "first", "complete"


@dataclass(frozen=True)
class Signer:
    user_id: int
    may_authorize: bool


@dataclass(frozen=True)
class Waiting:
    """A first signature on some batches, waiting for the second."""
    signer_id: int
    signed_at: datetime


@dataclass(frozen=True)
class Rules:
    scheme: int  # 1 or 2
    uploader_may_sign: bool = True
    lapse_after: timedelta = timedelta(hours=24)


def refusal(rules: Rules, signer: Signer, loaders, waiting: Waiting | None, now: datetime) -> str | None:
    """Why `signer` may not sign these batches now (Spanish), or None. `loaders`: the ids
    of the users who loaded them; `waiting`: their first signature, if any."""
    if not signer.may_authorize:
        return "Su usuario no tiene permiso para autorizar lotes de esta empresa."
    if not rules.uploader_may_sign and signer.user_id in set(loaders):
        return "La empresa no permite que quien cargó un lote lo autorice. Otro responsable debe firmarlo."
    if waiting is None:
        return None
    if rules.scheme != 2:
        return "Estos lotes ya fueron autorizados."
    if lapsed(rules, waiting, now):
        return "La primera firma de estos lotes venció; los lotes volvieron a «Confirmado». Fírmelos de nuevo."
    if waiting.signer_id == signer.user_id:
        return "Usted ya firmó estos lotes. La segunda firma debe ser de otro responsable de la empresa."
    return None


def outcome(rules: Rules, waiting: Waiting | None) -> str:
    """FIRST: the signature is recorded and the batches wait; COMPLETE: the order is made."""
    if rules.scheme == 2 and waiting is None:
        return FIRST
    return COMPLETE


def lapsed(rules: Rules, waiting: Waiting, now: datetime) -> bool:
    return now >= waiting.signed_at + rules.lapse_after


def lapses_at(rules: Rules, waiting: Waiting) -> datetime:
    return waiting.signed_at + rules.lapse_after
