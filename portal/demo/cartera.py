"""Estado de Cartera: employers' workers, their libranza credits and the statements of
the last three periods (one per branch and period, with a line per credit)."""
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from flask import current_app

from portal.demo import names
from portal.demo.common import due_date, last_periods, money, months_before, period_start, rng
from portal.demo.entities import EMPLOYERS
from portal.domain import arrears as mora
from portal.extensions import db
from portal.models import Branch, Credit, Statement, StatementLine, Worker

MONTHLY_RATE = Decimal("0.011")  # flat interest built into the instalment
# Mora as the monthly job computes it (portal/services/statements.py): each instalment an
# earlier period left unpaid is charged from its due date to this period's due date, with
# the grace and daily rate of CARTERA_ARREARS_DAILY_RATE / CARTERA_GRACE_BUSINESS_DAYS.
DEFAULT_DAILY_RATE = mora.daily_rate_from_annual(mora.DEFAULT_EFFECTIVE_ANNUAL_RATE)
FIRST_CREDIT_NUMBER = 1001
BRANCH_WEIGHTS = {1: (1,), 2: (6, 4), 3: (5, 3, 2)}


@dataclass
class CreditPlan:
    number: str
    concept: str
    principal: Decimal
    instalment: Decimal
    instalments_total: int
    granted_on: date
    paid: list  # per period, oldest first; the newest period is unpaid
    balances: list  # balance shown on each period's line (before that period's payment)
    arrears_days: list
    arrears: list


@dataclass
class WorkerPlan:
    entity_nit: str
    branch_code: str
    id_number: str
    first_name: str
    last_name: str
    status: str
    retired_on: date | None
    credits: list = field(default_factory=list)


def _arrears(instalment, paid, balances, periods, daily_rate, grace_days):
    """(days, mora) of each period's line, from what the periods before it left unpaid."""
    days, amounts = [], []
    for i, period in enumerate(periods):
        overdue = [(due_date(periods[j]), instalment - paid[j]) for j in range(i)]
        late = mora.overdue_arrears(overdue, daily_rate, due_date(period), grace_days, limit=balances[i])
        days.append(late.days)
        amounts.append(late.amount)
    return days, amounts


def _credit(r, number, periods, daily_rate=DEFAULT_DAILY_RATE,
            grace_days=mora.DEFAULT_GRACE_BUSINESS_DAYS):
    total = r.choice((12, 18, 24, 36))
    principal = money(r.randint(12, 160) * 50_000)
    instalment = money((principal * (1 + MONTHLY_RATE * total) / total).quantize(Decimal("1"), ROUND_HALF_UP))
    already_paid = r.randint(1, total - 4)  # so the balance stays above zero
    missed = [r.random() < 0.05, r.random() < 0.05, True]
    granted_day = r.randint(1, 28)
    paid = [money(0) if miss else instalment for miss in missed]
    paid[-1] = money(0)
    balances = [instalment * (total - already_paid)]
    for amount in paid[:-1]:
        balances.append(balances[-1] - amount)
    arrears_days, arrears = _arrears(instalment, paid, balances, periods, daily_rate, grace_days)
    first = period_start(periods[0])
    return CreditPlan(
        number=f"LI-{number}",
        concept="CREDITO POR LIBRANZAS" if r.random() < 0.85 else "CREDITO SOCIAL",
        principal=principal, instalment=instalment, instalments_total=total,
        granted_on=months_before(first, already_paid + 1).replace(day=granted_day),
        paid=paid, balances=balances, arrears_days=arrears_days, arrears=arrears,
    )


def plan(today, daily_rate=DEFAULT_DAILY_RATE, grace_days=mora.DEFAULT_GRACE_BUSINESS_DAYS):
    """Every worker and credit, the same on every run (dates move with today's month);
    mora with this daily rate and grace (the app's settings when loading)."""
    r, periods = rng("cartera"), last_periods(today)
    workers, number = [], FIRST_CREDIT_NUMBER
    for spec in EMPLOYERS:
        codes = [code for code, _, _ in spec.branches]
        taken = set()
        for _ in range(spec.workers):
            first, last, sex = names.person(r)
            id_number = names.cedula(r, sex, taken)
            branch = r.choices(codes, weights=BRANCH_WEIGHTS[len(codes)])[0]
            retired = r.random() < 0.12
            retired_on = (months_before(period_start(periods[0]), r.randint(1, 6)).replace(day=r.randint(1, 28))
                          if retired else None)
            worker = WorkerPlan(spec.nit, branch, id_number, first, last,
                                "retired" if retired else "active", retired_on)
            for _ in range(2 if r.random() < 0.1 else 1):
                worker.credits.append(_credit(r, number, periods, daily_rate, grace_days))
                number += 1
            workers.append(worker)
    return workers, periods


def load(stats, entities, today):
    """Workers, credits, statements and their lines, each created once (one step each)."""
    config = current_app.config
    workers, periods = plan(today, Decimal(str(config["CARTERA_ARREARS_DAILY_RATE"])),
                            int(config["CARTERA_GRACE_BUSINESS_DAYS"]))
    branch_ids = {(b.entity_id, b.code): b.id for b in db.session.query(Branch)}

    def place(w):
        entity_id = entities[w.entity_nit].id
        return entity_id, branch_ids[(entity_id, w.branch_code)]

    worker_ids = _load_workers(stats, workers, place)
    credit_ids = _load_credits(stats, workers, place, worker_ids)
    statement_ids = _load_statements(stats, entities, branch_ids, periods)
    _load_lines(stats, workers, place, periods, worker_ids, credit_ids, statement_ids)
    db.session.commit()


def _load_workers(stats, workers, place):
    existing = {(row.entity_id, row.id_number): row.id
                for row in db.session.query(Worker.id, Worker.entity_id, Worker.id_number)}
    new_workers = {}
    for w in workers:
        entity_id, branch_id = place(w)
        if (entity_id, w.id_number) not in existing:
            new_workers[(entity_id, w.id_number)] = Worker(
                entity_id=entity_id, branch_id=branch_id, id_type="CC", id_number=w.id_number,
                first_name=w.first_name, last_name=w.last_name, status=w.status,
                retired_on=w.retired_on)
    db.session.add_all(new_workers.values())
    db.session.flush()
    existing.update({key: row.id for key, row in new_workers.items()})
    stats.created("workers", len(new_workers))
    return existing


def _load_credits(stats, workers, place, worker_ids):
    credit_ids = dict(db.session.query(Credit.number, Credit.id))
    new_credits = {}
    for w in workers:
        entity_id, branch_id = place(w)
        for c in w.credits:
            if c.number not in credit_ids:
                new_credits[c.number] = Credit(
                    number=c.number, worker_id=worker_ids[(entity_id, w.id_number)],
                    entity_id=entity_id, branch_id=branch_id, concept=c.concept,
                    principal=c.principal, balance=c.balances[-1], instalment=c.instalment,
                    instalments_total=c.instalments_total, granted_on=c.granted_on,
                    status="active")
    db.session.add_all(new_credits.values())
    db.session.flush()
    credit_ids.update({number: row.id for number, row in new_credits.items()})
    stats.created("credits", len(new_credits))
    return credit_ids


def _load_statements(stats, entities, branch_ids, periods):
    statement_ids = {(s.entity_id, s.branch_id, s.period): s.id for s in db.session.query(Statement)}
    new_statements = {}
    keys = [(entities[spec.nit].id, branch_ids[(entities[spec.nit].id, code)], period)
            for spec in EMPLOYERS for code, _, _ in spec.branches for period in periods]
    for key in keys:
        if key not in statement_ids:
            new_statements[key] = Statement(entity_id=key[0], branch_id=key[1], period=key[2],
                                            due_date=due_date(key[2]))
    db.session.add_all(new_statements.values())
    db.session.flush()
    statement_ids.update({key: row.id for key, row in new_statements.items()})
    stats.created("statements", len(new_statements))
    return statement_ids


def _load_lines(stats, workers, place, periods, worker_ids, credit_ids, statement_ids):
    lines_done = set(db.session.query(StatementLine.statement_id, StatementLine.credit_id))
    new_lines = []
    for w in workers:
        entity_id, branch_id = place(w)
        for c in w.credits:
            for i, period in enumerate(periods):
                statement_id = statement_ids[(entity_id, branch_id, period)]
                if (statement_id, credit_ids[c.number]) in lines_done:
                    continue
                new_lines.append(StatementLine(
                    statement_id=statement_id, credit_id=credit_ids[c.number],
                    worker_id=worker_ids[(entity_id, w.id_number)], kind=w.status,
                    instalment=c.instalment, balance=c.balances[i], arrears_days=c.arrears_days[i],
                    arrears=c.arrears[i], paid=c.paid[i]))
    db.session.add_all(new_lines)
    stats.created("statement_lines", len(new_lines))
