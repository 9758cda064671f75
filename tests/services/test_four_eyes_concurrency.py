"""Four eyes under concurrency (both databases; PostgreSQL in CI): eight decisions on one
change at the same instant decide it once and apply it once; six proposals for the same
membership at once leave one pending change."""
from portal.extensions import db
from portal.models import AuditEvent, ChangeRequest, Membership, User
from portal.services import corporate_users, four_eyes
from tests import factories
from tests.services.test_batch_concurrency import race


def member():
    user = factories.user("corporate", "jhomez")
    factories.member(user, factories.company(), can_upload=True, can_consult=True)
    return user, db.session.query(Membership).one()


def test_eight_decisions_at_the_same_instant_decide_once(app):
    user, membership = member()
    proposer = factories.user("staff", "ana", roles="tarjetas")
    deciders = [factories.user("staff", f"staff{n}", roles="tarjetas").id for n in range(8)]
    outcome = corporate_users.propose_permissions(proposer, user, membership.id, ["upload", "consult", "authorize"])
    assert outcome.ok
    change_id, membership_id = db.session.query(ChangeRequest.id).scalar(), membership.id
    db.session.remove()
    turns = iter(range(8))

    def decide():
        turn = next(turns)
        staff = db.session.get(User, deciders[turn])
        return four_eyes.decide(staff, change_id, turn % 2 == 0, "No corresponde.").status

    results = race(app, decide, 8)
    assert results.count("ok") == 1 and results.count("decided") == 7
    change = db.session.get(ChangeRequest, change_id)
    assert db.session.get(Membership, membership_id).can_authorize == (change.status == "approved")
    assert db.session.query(AuditEvent).filter(AuditEvent.action.in_(
        ("staff.change_approved", "staff.change_rejected"))).count() == 1


def test_six_proposals_at_once_leave_one_pending_change(app):
    user, membership = member()
    staff_ids = [factories.user("staff", f"staff{n}", roles="tarjetas").id for n in range(6)]
    user_id, membership_id = user.id, membership.id
    db.session.remove()
    turns = iter(range(6))

    def propose():
        staff = db.session.get(User, staff_ids[next(turns)])
        return corporate_users.propose_permissions(staff, db.session.get(User, user_id), membership_id,
                                                   ["consult"]).ok

    results = race(app, propose, 6)
    assert results.count(True) == 1
    assert db.session.query(ChangeRequest).filter_by(status="pending").count() == 1
