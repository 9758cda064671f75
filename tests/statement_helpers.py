"""Builders for the monthly statements' tests: employers with approved EMPRESAS users,
workers and their libranza credits, earlier statements paid as given."""
from datetime import date
from decimal import Decimal

from portal.domain import arrears as mora
from portal.extensions import db
from portal.models import ApplicationRequest, Branch, Credit, Statement, StatementLine, Worker
from tests import factories

D = Decimal


def employer(nit="800100200", name="EMPRESA DEMO S.A.S.", branches=("001",), users=("empleador@example.com",),
             approved=True):
    entity = factories.entity(nit, name)
    for code in branches:
        db.session.add(Branch(entity_id=entity.id, code=code, name=f"SEDE {code}"))
    db.session.commit()
    for email in users:
        user = factories.user("hanna", email, entity=entity, full_name=f"Usuario {email.split('@')[0]}")
        db.session.add(ApplicationRequest(user_id=user.id, entity_id=entity.id, application="EMPRESAS",
                                          status="approved" if approved else "pending"))
    db.session.commit()
    return entity


def branch_of(entity, code="001"):
    return db.session.query(Branch).filter_by(entity_id=entity.id, code=code).one()


_numbers = iter(range(1, 10_000))


def credit(branch, balance="1000000", instalment="100000", status="active", worker_status="active",
           last_name=None):
    n = next(_numbers)
    worker = Worker(entity_id=branch.entity_id, branch_id=branch.id, id_number=f"0{n:07d}",
                    first_name="ANA", last_name=last_name or f"PEREZ {n:04d}", status=worker_status,
                    retired_on=date(2026, 1, 15) if worker_status == "retired" else None)
    db.session.add(worker)
    db.session.flush()
    c = Credit(number=f"LI-{n}", worker_id=worker.id, entity_id=branch.entity_id, branch_id=branch.id,
               principal=D("2000000"), balance=D(balance), instalment=D(instalment),
               granted_on=date(2025, 6, 1), status=status)
    db.session.add(c)
    db.session.commit()
    return c


def earlier_statement(branch, period, paid_by_credit):
    """A statement of an earlier period whose lines were paid as given (credit → paid)."""
    s = Statement(entity_id=branch.entity_id, branch_id=branch.id, period=period, due_date=mora.due_date(period))
    db.session.add(s)
    db.session.flush()
    for c, paid in paid_by_credit.items():
        db.session.add(StatementLine(statement_id=s.id, credit_id=c.id, worker_id=c.worker_id, kind="active",
                                     instalment=c.instalment, balance=c.balance, paid=D(paid)))
    db.session.commit()
    return s
