"""Batches under concurrency (both databases; PostgreSQL in CI): numbers taken at the
same instant never repeat, and two «Confirmar» at once confirm once."""
import io
import threading

import openpyxl

from portal.domain import batch_layouts as bl
from portal.extensions import db
from portal.models import AuditEvent, Batch, User
from portal.services import batches, conexion
from tests import factories


def race(app, work, n):
    """Run `work()` in n threads released together, each in its own app context."""
    results, barrier = [], threading.Barrier(n)

    def run():
        with app.app_context():
            barrier.wait()
            results.append(work())
            db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def test_numbers_taken_at_the_same_instant_never_repeat(app):
    db.session.remove()

    def take():
        number = batches._next_number()
        db.session.commit()
        return number

    numbers = race(app, take, 12)
    assert len(numbers) == 12 and len(set(numbers)) == 12
    assert sorted(int(n[6:]) for n in numbers) == list(range(12))


def test_two_confirmations_at_once_confirm_once(app):
    user = factories.user("corporate", "jhomez")
    company = factories.company()
    factories.member(user, company, can_upload=True)
    book = openpyxl.Workbook()
    book.active.append(bl.layout("emission").headers)
    book.active.append(["CC", "1045678434", "PÉREZ", "", "MARÍA", "", "15/03/1985", "", "3001234567", "Calle 1",
                        "BARRANQUILLA", "", "1000"])
    out = io.BytesIO()
    book.save(out)
    access = conexion.access(user, company.id, company.products[0].id)
    batch_id = batches.submit(user, access, "emission", "E.xlsx", out.getvalue()).id
    assert batches.process(batch_id) == "valid"
    user_id = user.id
    db.session.remove()

    def confirm():
        return batches.confirm(db.session.get(User, user_id), db.session.get(Batch, batch_id), factories.PASSWORD).ok

    assert sorted(race(app, confirm, 6)) == [False] * 5 + [True]
    assert db.session.get(Batch, batch_id).status == "confirmed"
    assert db.session.query(AuditEvent).filter_by(action="conexion.batch_confirmed").count() == 1
