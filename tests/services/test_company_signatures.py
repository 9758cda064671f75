"""A company's signature scheme under four eyes (services/companies + four_eyes): it changes
only when another staff member approves, and a first signature left waiting for a second
that is no longer asked for lapses at the cron's next pass, its batches signed again."""
from decimal import Decimal

from portal.extensions import db
from portal.models import Batch
from portal.services import companies, four_eyes, orders
from tests import factories
from tests.order_helpers import access_of, confirmed_emission, signers

PW = factories.PASSWORD


def test_from_two_signatures_to_one_the_waiting_first_signature_lapses(app):
    company = factories.company()
    company.products[0].commission_per_record = Decimal("10.00")
    loader, ana, _ = signers(company, 2)
    batch = confirmed_emission(loader, company)
    assert orders.sign(ana, access_of(ana, company), [batch.id], "lote", PW).waiting is not None
    maker, checker = factories.user("staff", "maker", roles="tarjetas"), factories.user("staff", "checker",
                                                                                            roles="tarjetas")
    proposed = companies.propose_signatures(maker, company, {"signature_scheme": "1", "uploader_may_sign": "1"})
    assert proposed.ok and orders.lapse_waiting() == 0  # nothing changes before the approval
    change = companies.pending_signatures(company)
    assert not four_eyes.decide(maker, change.id, True).ok
    assert four_eyes.decide(checker, change.id, True).ok
    db.session.expire_all()
    assert company.signature_scheme == 1
    assert orders.lapse_waiting() == 1 and db.session.get(Batch, batch.id).status == "confirmed"
    done = orders.sign(ana, access_of(ana, company), [batch.id], "lote", PW)
    assert done.ok and len(done.orders) == 1  # one signature is enough now
