"""Confirmed batches, signers and orders for the Autorización and service-order tests."""
import io

import openpyxl

from portal.domain import batch_layouts as bl
from portal.extensions import db
from portal.models import Batch
from portal.services import batches, conexion
from tests import factories


def emission_file(people):
    """An emission .xlsx: people = [(cédula, amount, city)]."""
    book = openpyxl.Workbook()
    book.active.append(bl.layout("emission").headers)
    for cedula, amount, city in people:
        book.active.append(["CC", cedula, "PÉREZ", "", "MARÍA", "", "15/03/1985", "", "3001234567", "Calle 1",
                            city, "", amount])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def confirmed_emission(user, company, people=(("1045678434", "1000", "BARRANQUILLA"),), product=None):
    """A batch loaded, checked (by the job's own function) and confirmed by `user`."""
    product = product or company.products[0]
    access = conexion.access(user, company.id, product.id)
    batch = batches.submit(user, access, "emission", f"E{len(people)}.xlsx", emission_file(people))
    assert batches.process(batch.id) == "valid"
    batch = db.session.get(Batch, batch.id)
    assert batches.confirm(user, batch, factories.PASSWORD, same_content_ok=True).ok
    return batch


def signers(company, scheme=2, uploader_may_sign=True):
    """(loader, ana, beto): three members; ana and beto may authorize."""
    company.signature_scheme, company.uploader_may_sign = scheme, uploader_may_sign
    loader = factories.user("corporate", "carga")
    factories.member(loader, company, can_upload=True, can_authorize=True)
    ana = factories.user("corporate", "ana")
    factories.member(ana, company, can_upload=True, can_authorize=True)
    beto = factories.user("corporate", "beto")
    factories.member(beto, company, can_upload=True, can_authorize=True)
    db.session.commit()
    return loader, ana, beto


def access_of(user, company, product=None):
    return conexion.access(user, company.id, (product or company.products[0]).id)
