"""services/card_operations.py: each operation on a card moves its money (and its
commission) once per form key, all or nothing; the ledger stays balanced."""
from decimal import Decimal

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import AuditEvent, Card, CardOperation, LedgerEntry, OutboxMessage
from portal.services import card_operations as ops
from portal.services import ledger
from tests import card_helpers as h
from tests import factories

D = Decimal


def run(user, access, kind, cards, key="k-1", password=factories.PASSWORD, **kw):
    return ops.operate(user, access, key, password, kind, cards, **kw)


def fees():
    return ledger.balance(ledger.program_account("fees"))


def test_a_balance_query_shows_the_balance_and_charges_its_fee(app):
    user, access, _ = h.setup("1000.00")
    card = h.card(access, balance="250.00")
    outcome = run(user, access, "balance", [card])
    assert outcome.ok and outcome.operations[0].amount == D("250.00")
    assert "250,00" in outcome.operations[0].message
    assert h.master_balance(access) == D("940.00") and fees() == D("60.00")
    assert h.card_balance(card) == D("250.00")
    txn = outcome.operations[0].ledger_txn
    assert db.session.scalar(select(func.count()).where(LedgerEntry.txn_id == txn)) == 2
    assert ledger.differences() == []


def test_a_balance_query_the_master_cannot_pay_is_refused_whole(app):
    user, access, _ = h.setup("59.99")
    card = h.card(access, balance="10.00")
    outcome = run(user, access, "balance", [card])
    assert not outcome.ok and "Saldo insuficiente en la cuenta maestra" in outcome.operations[0].message
    assert outcome.operations[0].amount is None  # the balance is not shown unpaid
    assert h.master_balance(access) == D("59.99") and fees() == D("0.00")


def test_an_abono_moves_amount_and_fee_in_one_transaction(app):
    user, access, _ = h.setup("1000.00")
    card = h.card(access)
    outcome = run(user, access, "credit", [card], amount=D("100.00"))
    assert outcome.ok
    op = outcome.operations[0]
    legs = db.session.scalars(select(LedgerEntry.amount).where(LedgerEntry.txn_id == op.ledger_txn)).all()
    assert sorted(legs) == [D("-100.00"), D("-55.00"), D("55.00"), D("100.00")]
    assert h.master_balance(access) == D("845.00") and h.card_balance(card) == D("100.00") and fees() == D("55.00")
    assert ledger.differences() == []
    assert db.session.query(AuditEvent).filter_by(action="conexion.card_credit").count() == 1


def test_an_abono_the_master_cannot_cover_with_its_fee_is_refused(app):
    user, access, _ = h.setup("154.99")
    card = h.card(access)
    outcome = run(user, access, "credit", [card], amount=D("100.00"))
    assert not outcome.ok
    assert outcome.operations[0].message.startswith("Saldo insuficiente en la cuenta maestra")
    assert "155,00" in outcome.operations[0].message
    assert h.master_balance(access) == D("154.99") and h.card_balance(card) == D("0.00") and fees() == D("0.00")
    assert outcome.operations[0].status == "refused" and outcome.operations[0].ledger_txn is None


def test_an_abono_over_the_maximum_card_balance_or_to_a_blocked_card_is_refused(app):
    user, access, _ = h.setup("1000.00")
    access.product.max_card_balance = D("150.00")
    db.session.commit()
    card = h.card(access, balance="100.00")
    over = run(user, access, "credit", [card], key="a", amount=D("50.01"))
    assert not over.ok and "saldo máximo" in over.operations[0].message
    assert run(user, access, "credit", [card], key="b", amount=D("50.00")).ok
    blocked = h.card(access, last4="9999", status="blocked")
    refused = run(user, access, "credit", [blocked], key="c", amount=D("1.00"))
    assert not refused.ok and "bloqueada" in refused.operations[0].message
    assert h.master_balance(access) == D("895.00")


def test_a_cargo_moves_card_to_master_less_its_fee_and_needs_the_card_balance(app):
    user, access, _ = h.setup("0.00")
    card = h.card(access, balance="300.00")
    outcome = run(user, access, "debit", [card], amount=D("200.00"))
    assert outcome.ok
    assert h.card_balance(card) == D("100.00") and h.master_balance(access) == D("145.00") and fees() == D("55.00")
    short = run(user, access, "debit", [card], key="k-2", amount=D("100.01"))
    assert not short.ok and "Saldo insuficiente en la tarjeta" in short.operations[0].message
    assert h.card_balance(card) == D("100.00")
    assert ledger.differences() == []


def test_the_same_form_key_twice_moves_money_once(app):
    user, access, _ = h.setup("1000.00")
    card = h.card(access)
    first = run(user, access, "credit", [card], amount=D("100.00"))
    again = run(user, access, "credit", [card], amount=D("100.00"))
    assert first.ok and again.ok and again.again and not first.again
    assert again.operations[0].id == first.operations[0].id
    assert h.card_balance(card) == D("100.00") and h.master_balance(access) == D("845.00")
    assert db.session.query(CardOperation).count() == 1
    assert db.session.query(CardOperation).one().key != "k-1"  # stored hashed


def test_a_wrong_password_moves_nothing_and_records_nothing(app):
    user, access, _ = h.setup("1000.00")
    card = h.card(access)
    outcome = run(user, access, "credit", [card], password="mala", amount=D("10.00"))
    assert not outcome.decided and outcome.message == "La contraseña no es correcta."
    assert db.session.query(CardOperation).count() == 0 and h.master_balance(access) == D("1000.00")


def test_several_cards_are_loaded_all_or_nothing(app):
    user, access, _ = h.setup("1000.00")
    access.product.max_card_balance = D("500.00")
    db.session.commit()
    a, b, c = h.card(access, "1111"), h.card(access, "2222", balance="450.00"), h.card(access, "3333")
    refused = run(user, access, "credit", [a, b, c], key="multi-1", amount=D("100.00"))
    assert not refused.ok and len(refused.operations) == 3
    by_card = {op.card_id: op.message for op in refused.operations}
    assert "saldo máximo" in by_card[b.id] and "se rechazó completa" in by_card[a.id]
    assert [h.card_balance(x) for x in (a, b, c)] == [D("0.00"), D("450.00"), D("0.00")]
    assert h.master_balance(access) == D("1000.00") and fees() == D("0.00")
    done = run(user, access, "credit", [a, c], key="multi-2", amount=D("100.00"))
    assert done.ok and len({op.ledger_txn for op in done.operations}) == 2
    assert h.master_balance(access) == D("690.00") and fees() == D("110.00")  # one commission per card
    assert ledger.differences() == []


def test_several_cards_the_master_cannot_pay_all_of_are_refused_all(app):
    user, access, _ = h.setup("300.00")
    a, b = h.card(access, "1111"), h.card(access, "2222")
    outcome = run(user, access, "credit", [a, b], amount=D("100.00"))  # 310 needed
    assert not outcome.ok and h.card_balance(a) == D("0.00") and h.master_balance(access) == D("300.00")


def test_block_and_unblock(app):
    user, access, _ = h.setup()
    card = h.card(access)
    assert not run(user, access, "block", [card], key="x", reason="otro").ok
    assert run(user, access, "block", [card], key="b1", reason="robo").ok
    assert (card.status, card.blocked_reason) == ("blocked", "robo")
    assert not run(user, access, "block", [card], key="b2", reason="robo").ok
    assert run(user, access, "unblock", [card], key="u1").ok
    assert (card.status, card.blocked_reason) == ("affiliated", None)


def test_a_replacement_moves_the_balance_blocks_the_old_card_and_tells_the_holder(app):
    user, access, _ = h.setup("1000.00")
    access.product.replacement_cost = D("12000.00")
    access.product.card_validity_months = 24
    db.session.commit()
    old = h.card(access, balance="321.50", email="maria@example.com")
    poor = run(user, access, "replacement", [old], key="r0")
    assert not poor.ok and "cuenta maestra" in poor.operations[0].message and old.status == "affiliated"
    assert db.session.query(Card).count() == 1
    h.fund(access, "20000.00")
    db.session.commit()
    outcome = run(user, access, "replacement", [old], key="r1")
    assert outcome.ok
    new = db.session.get(Card, old.replaced_by_id)
    assert (old.status, old.blocked_reason) == ("blocked", "reposicion")
    assert (new.holder_id_number, new.holder_name, new.status) == (old.holder_id_number, old.holder_name, "affiliated")
    assert new.pan_first6 == "450714" and len(new.pan_last4) == 4 and len(new.expires) == 7
    assert h.card_balance(new) == D("321.50") and h.card_balance(old) == D("0.00")
    assert h.master_balance(access) == D("9000.00") and fees() == D("12000.00")
    mail = db.session.query(OutboxMessage).filter_by(recipient="maria@example.com").one()
    assert new.masked_pan in mail.body and "321,50" in mail.body
    assert not run(user, access, "replacement", [old], key="r2").ok  # replaced once
    assert not run(user, access, "unblock", [old], key="r3").ok
    assert ledger.differences() == []


def test_a_replacement_without_a_holders_email_sends_nothing(app):
    user, access, _ = h.setup("1000.00")
    old = h.card(access, batch_number="260500000001")
    assert run(user, access, "replacement", [old]).ok
    assert db.session.query(OutboxMessage).count() == 0


def test_search_by_each_criterion(app):
    from portal.domain import card_operations as co

    user, access, _ = h.setup()
    a = h.card(access, "1111", holder="111", batch_number="260500000001")
    b = h.card(access, "2222", holder="222")

    def found(**args):
        return [card.id for card in ops.search(access, co.parse_criteria(args), 1, 10)[0]]

    assert found(documento="222") == [b.id]
    assert found(tarjeta="1111") == [a.id] and found(tarjeta="450714******2222") == [b.id]
    assert found(tarjeta="450715******2222") == []
    assert found(lote="260500000001") == [a.id]
    assert found(lote="260500000001", documento="222") == []
    narrowed = co.parse_criteria({"tarjeta": "450714******1111"})
    assert [c.id for c in ops.search(access, narrowed, 1, 10, q="maria")[0]] == [a.id]
    assert ops.search(access, narrowed, 1, 10, q="pedro")[0] == []
