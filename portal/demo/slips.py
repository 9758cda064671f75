"""Payment slips (volantes EL-n) for the demo employer, so PAGAR LIBRANZA EMPRESAS has
something to pay before Estado de Cartera generates them itself. A slip is valid for
4 hours: each load keeps one open, unexpired slip for the newest period."""
from datetime import timedelta

from sqlalchemy import func

from portal.demo.common import last_periods
from portal.demo.entities import MULTI_BRANCH_EMPLOYER
from portal.domain.clock import utcnow
from portal.extensions import db
from portal.models import Branch, Entity, PaymentSlip, Statement, StatementLine

VALID_FOR = timedelta(hours=4)


def _next_number():
    numbers = [int(n.split("-")[1]) for (n,) in db.session.query(PaymentSlip.number)
               if n.startswith("EL-") and n.split("-")[1].isdigit()]
    return f"EL-{max(numbers, default=0) + 1}"


def _period_total(branch, period):
    return (db.session.query(func.coalesce(func.sum(StatementLine.instalment), 0))
            .join(Statement).filter(Statement.branch_id == branch.id, Statement.period == period)
            .scalar())


def load(stats, today):
    entity = db.session.query(Entity).filter_by(nit=MULTI_BRANCH_EMPLOYER.nit).one()
    branch = db.session.query(Branch).filter_by(entity_id=entity.id).order_by(Branch.code).first()
    period = last_periods(today)[-1]
    now = utcnow()
    slips = db.session.query(PaymentSlip).filter_by(entity_id=entity.id, period=period)
    for slip in slips.filter(PaymentSlip.status == "open", PaymentSlip.expires_at <= now):
        slip.status = "expired"
    if slips.filter(PaymentSlip.status == "open").first() is None:
        amount = _period_total(branch, period)
        if amount > 0:
            db.session.add(PaymentSlip(number=_next_number(), entity_id=entity.id, branch_id=branch.id,
                                       period=period, amount=amount, created_at=now,
                                       expires_at=now + VALID_FOR))
            stats.created("payment_slips")
    db.session.commit()
