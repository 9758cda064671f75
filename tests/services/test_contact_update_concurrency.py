"""Affiliates' data updates under concurrency (both databases; PostgreSQL in CI): eight
decisions at the same instant decide once and tell the affiliate once; six submits at
once leave one open request."""
from portal.domain.clock import utcnow
from portal.extensions import db
from portal.models import Affiliate, AuditEvent, ContactUpdateRequest, OutboxMessage, User
from portal.services import contact_updates
from tests import factories
from tests.services.test_batch_concurrency import race


def test_eight_decisions_at_the_same_instant_decide_once(app):
    affiliate = factories.affiliate(mobile="3001234434")
    staff_id = factories.user("staff", "milena", roles="pagos").id
    req = ContactUpdateRequest(affiliate_id=affiliate.id, status="pending", old_mobile="3001234434",
                               old_email=affiliate.email, new_mobile="3109876567", code_sends=1,
                               submitted_at=utcnow())
    db.session.add(req)
    db.session.commit()
    request_id, affiliate_id = req.id, affiliate.id
    db.session.remove()
    turns = iter(range(8))

    def decide():
        staff = db.session.get(User, staff_id)
        if next(turns) % 2:
            return contact_updates.reject(staff, request_id, "No corresponde al afiliado.").status
        return contact_updates.approve(staff, request_id).status

    results = race(app, decide, 8)
    decided = [r for r in results if r in ("approved", "rejected")]
    assert len(decided) == 1 and results.count("already_decided") == 7
    assert db.session.get(ContactUpdateRequest, request_id).status == decided[0]
    mobile = db.session.get(Affiliate, affiliate_id).mobile
    assert mobile == ("3109876567" if decided[0] == "approved" else "3001234434")
    assert db.session.query(AuditEvent).filter(AuditEvent.action.in_(
        ("contact_update.approved", "contact_update.rejected"))).count() == 1
    assert db.session.query(OutboxMessage).count() == 3  # SMS to old and new mobile, one e-mail


def test_six_submits_at_once_leave_one_open_request(app):
    affiliate_id = factories.affiliate().id
    db.session.remove()
    addresses = iter(f"Calle {n} # 10-20" for n in range(6))

    def submit():
        affiliate = db.session.get(Affiliate, affiliate_id)
        return contact_updates.submit(affiliate, {"mobile": affiliate.mobile, "email": affiliate.email,
                                                  "address": next(addresses)}).status

    results = race(app, submit, 6)
    assert set(results) <= {"pending", "busy"} and "pending" in results
    statuses = [r.status for r in db.session.query(ContactUpdateRequest)]
    assert statuses.count("pending") == 1 and set(statuses) <= {"pending", "replaced"}
