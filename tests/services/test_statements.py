"""The monthly Estado de Cartera: statements built once per branch and period, mora from
what earlier statements left unpaid, the three files e-mailed once (and again on request)."""
import io
import json
import os
import time
from datetime import date, datetime
from decimal import Decimal

import openpyxl
import pytest
from rq import SimpleWorker
from rq.cron import CronJob

from portal import jobs, queue
from portal.adapters import mail, xlsx
from portal.domain import arrears as mora
from portal.domain import cartera_layout as layout
from portal.domain.formatting import today_bogota
from portal.extensions import db
from portal.models import ApplicationRequest, AuditEvent, OutboxMessage, Statement, StatementLine, User
from portal.services import messaging, statements
from tests import factories
from tests.statement_helpers import branch_of, credit, earlier_statement, employer

D = Decimal
TODAY = date(2026, 5, 26)
RATE = D("0.001")  # 0,1 % a day keeps the expected mora easy to read


@pytest.fixture
def app_config():
    return {"CARTERA_ARREARS_DAILY_RATE": RATE, "CARTERA_GRACE_BUSINESS_DAYS": 3}


def lines_by_credit(statement):
    db.session.expire_all()
    return {line.credit_id: line for line in
            db.session.query(StatementLine).filter_by(statement_id=statement.id)}


def emails():
    db.session.expire_all()
    return db.session.query(OutboxMessage).filter_by(channel="email").order_by(OutboxMessage.id).all()


def events(action):
    return db.session.query(AuditEvent).filter_by(action=action).order_by(AuditEvent.id).all()


def run_worker():
    SimpleWorker([queue.get_queue()], connection=queue.connection()).work(burst=True)


# --- building --------------------------------------------------------------------------------

def test_one_line_per_active_credit_with_a_balance(app):
    entity = employer(branches=("001", "002"))
    main, other = branch_of(entity), branch_of(entity, "002")
    working = credit(main, "1000000", "100000")
    retired = credit(main, "300000", "75000", worker_status="retired")
    last_instalment = credit(main, "40000.50", "100000")
    credit(main, "0", "100000")  # paid off, still marked active
    credit(main, "500000", "100000", status="paid")
    credit(other, "900000", "90000")  # another branch

    statement = statements.build_statement(main, "2026-05", TODAY)

    lines = lines_by_credit(statement)
    assert set(lines) == {working.id, retired.id, last_instalment.id}
    assert (statement.period, statement.due_date, statement.entity_id) == ("2026-05", date(2026, 5, 10), entity.id)
    assert statement.files_sent_at is None
    assert lines[working.id].kind == "active" and lines[retired.id].kind == "retired"
    assert lines[working.id].instalment == D("100000.00") and lines[working.id].balance == D("1000000.00")
    assert lines[last_instalment.id].instalment == D("40000.50")  # never more than the balance
    assert lines[retired.id].worker_id == retired.worker_id
    for line in lines.values():
        assert isinstance(line.instalment, Decimal) and isinstance(line.arrears, Decimal)
        assert (line.arrears, line.arrears_days, line.paid) == (D("0.00"), 0, D("0.00"))
    [event] = events("cartera.statement_built")
    assert json.loads(event.detail)["lines"] == 3


def test_mora_comes_from_what_earlier_statements_left_unpaid(app):
    main = branch_of(employer())
    on_time, missed, partly, twice = (credit(main) for _ in range(4))
    earlier_statement(main, "2026-03", {on_time: "100000", missed: "100000", partly: "100000", twice: "0"})
    earlier_statement(main, "2026-04", {on_time: "100000", missed: "0", partly: "60000", twice: "0"})

    lines = lines_by_credit(statements.build_statement(main, "2026-05", TODAY))

    # Due 10/04/2026 (Friday), grace to Wednesday 15/04; charged to 10/05/2026: 30 days.
    assert (lines[on_time.id].arrears, lines[on_time.id].arrears_days) == (D("0.00"), 0)
    assert (lines[missed.id].arrears, lines[missed.id].arrears_days) == (D("3000.00"), 30)  # 100.000 × 0,1 % × 30
    assert (lines[partly.id].arrears, lines[partly.id].arrears_days) == (D("1200.00"), 30)  # 40.000 × 0,1 % × 30
    # 10/03 → 10/05 is 61 days, plus the April instalment's 30: 6.100 + 3.000.
    assert (lines[twice.id].arrears, lines[twice.id].arrears_days) == (D("9100.00"), 61)
    assert lines[twice.id].instalment == D("100000.00")  # the period's instalment, mora apart


def test_mora_uses_the_configured_rate(app):
    app.config["CARTERA_ARREARS_DAILY_RATE"] = mora.daily_rate_from_annual(D("0.25"))
    main = branch_of(employer())
    missed = credit(main)
    earlier_statement(main, "2026-04", {missed: "0"})
    line = lines_by_credit(statements.build_statement(main, "2026-05", TODAY))[missed.id]
    expected = (D("100000") * D("0.0006115391") * 30).quantize(D("0.01"))
    assert line.arrears == expected == D("1834.62")


def test_mora_is_never_charged_on_more_than_the_balance(app):
    main = branch_of(employer())
    nearly_paid = credit(main, balance="50000", instalment="100000")
    earlier_statement(main, "2026-04", {nearly_paid: "0"})  # asked 100.000, only 50.000 still owed
    line = lines_by_credit(statements.build_statement(main, "2026-05", TODAY))[nearly_paid.id]
    assert line.arrears == D("1500.00")  # 50.000 × 0,1 % × 30


def test_building_twice_returns_the_same_statement_and_never_duplicates_lines(app):
    main = branch_of(employer())
    credit(main)
    credit(main)
    first = statements.build_statement(main, "2026-05", TODAY)
    credit(main)  # granted after the statement was built: next month's statement has it
    second = statements.build_statement(main, "2026-05", TODAY)
    assert second.id == first.id
    assert db.session.query(Statement).count() == 1
    assert db.session.query(StatementLine).count() == 2
    assert len(events("cartera.statement_built")) == 1


@pytest.mark.parametrize("period", ["2026-06", "2026-13", "26-05", "", None])
def test_a_period_not_begun_or_malformed_is_refused(app, period):
    main = branch_of(employer())
    with pytest.raises(ValueError):
        statements.build_statement(main, period, TODAY)
    assert db.session.query(Statement).count() == 0


# --- the monthly run and its e-mails -----------------------------------------------------------

def workbook(content):
    return openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]


def test_each_branch_statement_is_emailed_once_with_its_three_files(app):
    entity = employer(branches=("001", "002"), users=("ana@example.com", "luis@example.com"))
    main, other = branch_of(entity), branch_of(entity, "002")
    credit(main, last_name="ACTIVA UNO")
    credit(main, last_name="ACTIVA DOS")
    credit(main, worker_status="retired", last_name="RETIRADA")
    credit(other)
    pending = factories.user("hanna", "pendiente@example.com", entity=entity)  # EMPRESAS not approved
    db.session.add(ApplicationRequest(user_id=pending.id, entity_id=entity.id, application="EMPRESAS"))
    db.session.commit()

    result = statements.run_monthly("2026-05", TODAY)

    assert (result.entities, result.built, result.sent, result.emails, result.failed) == (1, 2, 2, 4, 0)
    sent = emails()
    assert sorted(m.recipient for m in sent) == ["ana@example.com", "ana@example.com",
                                                  "luis@example.com", "luis@example.com"]
    main_statement = db.session.query(Statement).filter_by(branch_id=main.id).one()
    assert main_statement.files_sent_at is not None
    message = next(m for m in sent if m.recipient == "ana@example.com" and "Sucursal 001" in m.subject)
    assert message.subject == "Estado de Cartera 2026-05 · EMPRESA DEMO S.A.S. · Sucursal 001 SEDE 001"
    assert "Fecha Pago: 10/05/2026" in message.body and "Nro Créditos: 3" in message.body
    assert "Descuento: $\xa0300.000" in message.body and "Aplica Mora y Valor a Pagar" in message.body
    names = [a.filename for a in message.attachments]
    assert names == ["cartera_2026-05_detalle.xlsx", "cartera_2026-05_activos.xlsx", "cartera_2026-05_retirados.xlsx"]
    rows = {}
    for a in message.attachments:
        assert a.content_type == xlsx.MIME
        sheet = workbook(a.content)
        headers = [c.value for c in next(sheet.iter_rows(max_row=1))]
        spec = layout.by_slug(a.filename.split("_")[-1].removesuffix(".xlsx"))
        assert headers == [c.header for c in spec.columns]
        rows[spec.kind] = sheet.max_row - 1
    assert rows == {layout.DETAIL: 3, layout.ACTIVE: 2, layout.RETIRED: 1}
    [audit_sent] = [e for e in events("cartera.statement_files_sent") if e.subject == f"statement:{main_statement.id}"]
    assert json.loads(audit_sent.detail)["to"] == ["ana@example.com", "luis@example.com"]


def test_a_second_run_sends_nothing_and_a_resend_sends_again(app):
    entity = employer()
    credit(branch_of(entity))
    statements.run_monthly("2026-05", TODAY)
    sent_at = db.session.query(Statement).one().files_sent_at

    again = statements.run_monthly("2026-05", TODAY)
    assert (again.built, again.existing, again.sent, again.already_sent, again.emails) == (0, 1, 0, 1, 0)
    assert len(emails()) == 1

    staff = factories.user("staff", "cartera", roles="cartera")
    resent = statements.run_monthly("2026-05", TODAY, entity=entity, resend=True, actor=staff)
    assert (resent.sent, resent.emails) == (1, 1)
    messages = emails()
    assert len(messages) == 2 and len(messages[1].attachments) == 3
    assert "La Caja le envía de nuevo" in messages[1].body
    assert db.session.query(Statement).one().files_sent_at >= sent_at
    last = events("cartera.statement_files_sent")[-1]
    assert (last.actor_id, json.loads(last.detail)["resend"]) == (staff.id, True)


def test_files_claimed_by_another_run_are_not_sent(app):
    """The conditional UPDATE: a statement whose files_sent_at is already set is skipped."""
    entity = employer()
    main = branch_of(entity)
    credit(main)
    statement = statements.build_statement(main, "2026-05", TODAY)
    assert statements.send_files(statement) == "sent"
    assert statements.send_files(statement) == "already_sent"
    assert len(emails()) == 1


def test_only_approved_employers_with_credits_get_statements(app):
    approved = employer()
    credit(branch_of(approved))
    waiting = employer("900111222", "OTRA S.A.S.", users=("otra@example.com",), approved=False)
    credit(branch_of(waiting))
    employer("900333444", "SIN CREDITOS S.A.S.", users=("nada@example.com",))

    result = statements.run_monthly("2026-05", TODAY)

    assert (result.entities, result.built, result.no_credits, result.sent) == (2, 1, 1, 1)
    assert [s.entity_id for s in db.session.query(Statement)] == [approved.id]
    assert [m.recipient for m in emails()] == ["empleador@example.com"]
    assert statements.run_monthly("2026-05", TODAY, entity=waiting).entities == 0
    [run] = events("cartera.statements_run")[:1]
    assert json.loads(run.detail)["sent"] == 1


def test_a_statement_without_recipients_stays_unsent_until_someone_can_receive_it(app):
    entity = employer()
    credit(branch_of(entity))
    user = db.session.query(User).filter_by(kind="hanna").one()
    user.is_active_account = False
    db.session.commit()
    result = statements.run_monthly("2026-05", TODAY)
    assert (result.built, result.no_recipients, result.sent) == (1, 1, 0)
    assert db.session.query(Statement).one().files_sent_at is None
    user.is_active_account = True
    db.session.commit()
    assert statements.run_monthly("2026-05", TODAY).sent == 1


def test_one_failing_branch_does_not_stop_the_others(app, monkeypatch):
    first = employer()
    credit(branch_of(first))
    second = employer("900111222", "OTRA S.A.S.", users=("otra@example.com",))
    credit(branch_of(second))
    real = statements.attachments_for

    def broken_for_first(statement):
        if statement.entity_id == first.id:
            raise OSError("disk full")
        return real(statement)

    monkeypatch.setattr(statements, "attachments_for", broken_for_first)
    result = statements.run_monthly("2026-05", TODAY)
    assert (result.failed, result.sent) == (1, 1)
    db.session.expire_all()
    sent = {s.entity_id: s.files_sent_at for s in db.session.query(Statement)}
    assert sent[first.id] is None and sent[second.id] is not None  # the claim was rolled back
    monkeypatch.setattr(statements, "attachments_for", real)
    assert statements.run_monthly("2026-05", TODAY).sent == 1  # a retry finishes the job


# --- the demo agrees with the job --------------------------------------------------------------

def test_demo_statements_carry_the_mora_the_job_computes(app, frozen_clock):
    from portal.demo import load_demo

    app.config["CARTERA_ARREARS_DAILY_RATE"] = mora.daily_rate_from_annual(D("0.25"))
    load_demo()
    lines = (db.session.query(StatementLine, Statement).join(Statement)
             .order_by(Statement.period, StatementLine.id).all())
    charged = 0
    for line, statement in lines:
        overdue = statements.unpaid_before([line.credit_id], statement.period).get(line.credit_id, [])
        expected = statements.line_arrears(overdue, statement.due_date, line.balance)
        assert (line.arrears_days, line.arrears) == (expected.days, expected.amount), line.credit_id
        charged += line.arrears > 0
    assert charged > 0


def test_the_job_rebuilds_a_demo_statement_exactly(app, frozen_clock):
    """Drop the newest demo statement of an employer and build it again: same lines."""
    from portal.demo import load_demo
    from portal.demo.entities import EMPLOYERS
    from portal.models import Entity

    app.config["CARTERA_ARREARS_DAILY_RATE"] = mora.daily_rate_from_annual(D("0.25"))
    load_demo()
    entity = db.session.query(Entity).filter_by(nit=EMPLOYERS[2].nit).one()
    branch = branch_of(entity)
    newest = (db.session.query(Statement).filter_by(branch_id=branch.id)
              .order_by(Statement.period.desc()).first())

    def snapshot(statement):
        return sorted((line.credit_id, line.kind, line.instalment, line.balance, line.arrears_days, line.arrears)
                      for line in db.session.query(StatementLine).filter_by(statement_id=statement.id))

    before, period = snapshot(newest), newest.period
    assert sum(row[5] > 0 for row in before) >= 3 and {row[1] for row in before} == {"active", "retired"}
    db.session.query(StatementLine).filter_by(statement_id=newest.id).delete()
    db.session.delete(newest)
    db.session.commit()

    rebuilt = statements.build_statement(branch, period, TODAY)
    assert snapshot(rebuilt) == before


# --- jobs through a real RQ worker -------------------------------------------------------------

def test_the_monthly_job_runs_in_a_real_worker_once(app, frozen_clock):
    entity = employer()
    credit(branch_of(entity))
    queue.get_queue().enqueue(jobs.build_monthly_statements)  # no period: this month in Bogotá
    queue.get_queue().enqueue(jobs.build_monthly_statements, "2026-05")  # a retry / double enqueue
    run_worker()

    [statement] = db.session.query(Statement).all()
    assert statement.period == "2026-05" and statement.files_sent_at is not None
    [message] = emails()
    assert message.status == "sent"  # the worker also delivered it (after the job's commit)
    assert len(message.attachments) == 3
    db.session.commit()


def test_a_failing_monthly_job_is_marked_failed_in_rq(app, frozen_clock, monkeypatch):
    entity = employer()
    credit(branch_of(entity))
    monkeypatch.setattr(statements, "attachments_for", lambda s: (_ for _ in ()).throw(OSError("boom")))
    job = queue.get_queue().enqueue(jobs.build_monthly_statements, "2026-05")
    run_worker()
    assert job.get_status(refresh=True) == "failed"
    assert db.session.query(Statement).one().files_sent_at is None


def test_the_cron_runs_on_the_1st_at_6_bogota_time(app):
    import worker

    saved = os.environ.get("TZ")
    try:
        worker.use_local_time(app.config["TIMEZONE"])
        cron = CronJob("default", func=jobs.build_monthly_statements, cron=app.config["CARTERA_STATEMENTS_CRON"])
        nxt = cron.next_enqueue_time
        assert (nxt.day, nxt.hour, nxt.minute) == (1, 11, 0)  # 06:00 in Bogotá is 11:00 UTC
        assert cron.func_name == "portal.jobs.build_monthly_statements"
    finally:
        if saved is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = saved
        time.tzset()


# --- e-mail attachments ---------------------------------------------------------------------

def test_smtp_mailer_attaches_the_files(app, monkeypatch):
    sent = []

    class FakeSmtp:
        def __init__(self, host, port, timeout):
            pass

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def starttls(self):
            pass

        def login(self, user, password):
            pass

        def send_message(self, message):
            sent.append(message)

    monkeypatch.setattr(mail.smtplib, "SMTP", FakeSmtp)
    app.config["SMTP_HOST"] = "smtp.example.com"
    message = messaging.send_email("ana@example.com", "Archivos", "Adjuntos",
                                   attachments=[("a.xlsx", xlsx.MIME, b"PK-xlsx"),
                                                ("b.txt", "text/plain", b"hola")])
    db.session.commit()
    assert messaging.deliver(message.id)
    [email] = sent
    files = [(p.get_filename(), p.get_content_type(), p.get_payload(decode=True)) for p in email.iter_attachments()]
    assert files == [("a.xlsx", xlsx.MIME, b"PK-xlsx"), ("b.txt", "text/plain", b"hola")]
    assert email.get_body(("plain",)).get_content().strip() == "Adjuntos"


def test_an_email_without_attachments_still_reaches_a_three_argument_mailer(app, monkeypatch):
    calls = []

    class OldMailer:
        def send(self, to, subject, body):
            calls.append((to, subject, body))

    monkeypatch.setattr(messaging, "mailer_for", lambda config: OldMailer())
    message = messaging.send_email("ana@example.com", "Asunto", "Cuerpo")
    db.session.commit()
    assert messaging.deliver(message.id)
    assert calls == [("ana@example.com", "Asunto", "Cuerpo")]


def test_the_period_is_bogota_time():
    assert statements.period_of(date(2026, 5, 1)) == "2026-05"
    from portal.domain import clock

    clock.freeze(datetime(2026, 6, 1, 4, 59))  # still 31 May, 23:59 in Bogotá
    try:
        assert statements.period_of(today_bogota()) == "2026-05"
    finally:
        clock.unfreeze()
