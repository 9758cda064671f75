"""The demo employer's volante (EL-n), made the way an employer makes one: the newest
period's Activos file processed as downloaded (every instalment, arrears where due),
then "Generar volante de pago". A slip is valid for 4 hours: each load keeps one open."""
from portal.demo.common import last_periods
from portal.demo.entities import MULTI_BRANCH_EMPLOYER
from portal.domain.clock import utcnow
from portal.extensions import db
from portal.models import Branch, CarteraUpload, Entity, Statement, User
from portal.services import cartera_slips, cartera_uploads

DEMO_EMPLOYER_USER = "empleador.demo@example.com"


def load(stats, today):
    entity = db.session.query(Entity).filter_by(nit=MULTI_BRANCH_EMPLOYER.nit).one()
    branch = db.session.query(Branch).filter_by(entity_id=entity.id).order_by(Branch.code).first()
    user = db.session.query(User).filter_by(username=DEMO_EMPLOYER_USER).one()
    statement = db.session.query(Statement).filter_by(branch_id=branch.id, period=last_periods(today)[-1]).first()
    if statement is None:
        return
    cartera_slips.expire_stale(statement)
    if cartera_slips.open_slip(statement) is not None or cartera_uploads.payment_in_flight(statement) is not None:
        db.session.commit()
        return
    if "active" not in cartera_slips.pending_uploads(statement):
        upload = CarteraUpload(statement_id=statement.id, kind="active", source="browser",
                               filename="Edición en el portal", uploaded_by_id=user.id, created_at=utcnow())
        db.session.add(upload)
        db.session.commit()
        cartera_uploads.process(upload.id)  # in-line: the demo must not wait for a worker
        stats.created("cartera_uploads")
    if cartera_slips.amount_to_pay(statement) > 0:
        cartera_slips.generate(user, statement)
        stats.created("payment_slips")
