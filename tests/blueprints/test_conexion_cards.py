"""Servicios › Consulta de tarjetas (manual 003 §5.1): the search, the password modals of
each operation, another company's card, the permission, CSRF and the password."""
import re
from decimal import Decimal

import pytest

from portal.extensions import db
from portal.models import CardOperation, LedgerAccount, LedgerEntry
from tests import card_helpers as h
from tests import factories
from tests.conftest import menu_entries, post

HTMX = {"HX-Request": "true"}
KEY_RE = re.compile(r'name="clave" value="([^"]+)"')


@pytest.fixture
def jahc(auth):
    user, access, company = h.setup("1000.00")
    card = h.card(access, balance="40.00", batch_number="260500000001")
    auth.as_user(user)
    return access, company, card


def url(company, tail=""):
    return f"/empresas/{company.id}/productos/{company.products[0].id}/servicios/tarjetas{tail}"


def test_the_search_needs_a_criterion_and_shows_masked_cards(client, jahc):
    access, company, card = jahc
    first = client.get(url(company)).get_data(as_text=True)
    for label in ("Consulta de tarjetas", "Criterios de Búsqueda", "Número de orden de servicio",
                  "Documento de identidad", "Número de lote", "Número de tarjeta", "Buscar"):
        assert label in first, label
    assert "Servicios › Consulta de tarjetas" in menu_entries(first)
    assert f'id="card-{card.id}"' not in first  # nothing listed before «Buscar»
    empty = client.get(url(company, "?buscar=1"))
    assert empty.status_code == 422 and "al menos un criterio" in empty.get_data(as_text=True)
    bad = client.get(url(company, "?tarjeta=12"))
    assert bad.status_code == 422 and "últimos 4 dígitos" in bad.get_data(as_text=True)
    found = client.get(url(company, "?buscar=1&lote=260500000001")).get_data(as_text=True)
    row = found[found.index(f'id="card-{card.id}"'):]
    row = row[:row.index("</tr>")]
    for text in ("450714******1234", "450714****1234", "1045678434", "MARIA PEREZ", "Afiliada", "Consultar saldo",
                 "Abonar a tarjeta", "Cargo a tarjeta", "Bloquear", "Reposición"):
        assert text in row, text
    assert "Mostrando registro(s) del 1 al 1" in found
    assert "No se encontraron tarjetas" in client.get(url(company, "?documento=999")).get_data(as_text=True)
    partial = client.get(url(company, "?documento=1045678434"), headers=HTMX).get_data(as_text=True)
    assert "<html" not in partial and "450714******1234" in partial


def test_an_abono_through_the_modal_happens_once(client, jahc):
    access, company, card = jahc
    target = url(company, f"/{card.id}/abonar")
    modal = client.get(target, headers=HTMX).get_data(as_text=True)
    for label in ("Abonar a tarjeta", "Monto a abonar", "Contraseña", "Aceptar", "Cancelar", "<dialog",
                  "450714******1234", "$\xa055,00"):
        assert label in modal, label
    key = KEY_RE.search(modal).group(1)
    bad = post(client, target, {"clave": key, "monto": "0", "password": factories.PASSWORD}, page=url(company),
               headers=HTMX)
    assert bad.status_code == 422 and "mayor que cero" in bad.get_data(as_text=True)
    form = {"clave": key, "monto": "100.000", "password": factories.PASSWORD}
    assert "Saldo insuficiente en la cuenta maestra" in post(client, target, form, page=url(company)).get_data(
        as_text=True)  # 100.055 > 1.000: refused whole, and that form is decided
    fresh = KEY_RE.search(client.get(target).get_data(as_text=True)).group(1)
    form = {"clave": fresh, "monto": "100", "password": factories.PASSWORD}
    done = post(client, target, form, page=url(company), headers=HTMX)
    body = done.get_data(as_text=True)
    assert done.status_code == 200 and done.headers["HX-Trigger"] == "tarjetas-changed"
    assert "Transacción exitosa." in body and "Datos de la transacción" in body and "$\xa0140,00" in body
    again = post(client, target, form, page=url(company), headers=HTMX).get_data(as_text=True)
    assert "ya se había realizado" in again
    assert h.card_balance(card) == Decimal("140.00") and h.master_balance(access) == Decimal("845.00")
    assert db.session.query(CardOperation).filter_by(status="done").count() == 1


def test_csrf_and_a_wrong_password(client, jahc):
    access, company, card = jahc
    target = url(company, f"/{card.id}/saldo")
    key = KEY_RE.search(client.get(target).get_data(as_text=True)).group(1)
    assert client.post(target, data={"clave": key, "password": factories.PASSWORD}).status_code == 400
    wrong = post(client, target, {"clave": key, "password": "otra"}, page=url(company), headers=HTMX)
    assert wrong.status_code == 422 and "La contraseña no es correcta." in wrong.get_data(as_text=True)
    assert db.session.query(CardOperation).count() == 0 and h.master_balance(access) == Decimal("1000.00")
    shown = post(client, target, {"clave": key, "password": factories.PASSWORD}, page=url(company)).get_data(
        as_text=True)
    assert "Saldo disponible de la tarjeta 450714******1234: $\xa040,00" in shown
    assert h.master_balance(access) == Decimal("940.00")


def test_block_with_a_reason_then_the_options_change(client, jahc):
    access, company, card = jahc
    target = url(company, f"/{card.id}/bloquear")
    key = KEY_RE.search(client.get(target).get_data(as_text=True)).group(1)
    assert post(client, target, {"clave": key, "password": factories.PASSWORD}, page=url(company)).status_code == 422
    done = post(client, target, {"clave": key, "motivo": "perdida", "password": factories.PASSWORD},
                page=url(company)).get_data(as_text=True)
    assert "quedó bloqueada por pérdida" in done
    listing = client.get(url(company, "?tarjeta=1234")).get_data(as_text=True)
    row = listing[listing.index(f'id="card-{card.id}"'):]
    row = row[:row.index("</tr>")]
    assert "Bloqueada (Pérdida)" in row and "Desbloquear" in row and "Abonar a tarjeta" not in row


def test_several_cards_in_one_abono(client, jahc):
    access, company, card = jahc
    other = h.card(access, "5678", holder="222")
    target = url(company, "/abono-multiple")
    modal = client.get(f"{target}?tarjeta={card.id}&tarjeta={other.id}").get_data(as_text=True)
    assert "2 tarjetas" in modal and "450714******5678" in modal
    key = KEY_RE.search(modal).group(1)
    done = post(client, target, {"clave": key, "monto": "10", "password": factories.PASSWORD,
                                 "tarjeta": [str(card.id), str(other.id)]}, page=url(company))
    assert done.status_code == 200 and done.get_data(as_text=True).count("Exitosa") == 2
    none = client.get(target, headers=HTMX)
    assert none.status_code == 204 and none.headers["HX-Redirect"] == url(company)
    assert "Seleccione entre 1 y 100 tarjetas" in client.get(url(company)).get_data(as_text=True)
    assert h.master_balance(access) == Decimal("870.00")


def test_another_companys_card_is_not_found(client, jahc, auth):
    access, company, card = jahc
    stranger_user, stranger, _ = h.setup("0", username="otro", nit="800123456")
    foreign = h.card(stranger, "7777")
    assert client.get(url(company, f"/{foreign.id}/saldo")).status_code == 404
    assert client.get(url(company, f"/{card.id}/transferir")).status_code == 404  # no such operation
    assert client.get(url(company, f"/abono-multiple?tarjeta={card.id}&tarjeta={foreign.id}")).status_code == 404
    refused = post(client, url(company, f"/{foreign.id}/abonar"), {"clave": "x", "monto": "1",
                                                                   "password": factories.PASSWORD}, page=url(company))
    assert refused.status_code == 404 and db.session.query(CardOperation).count() == 0


def test_without_master_account_it_is_forbidden_and_not_in_the_menu(client, auth):
    user, access, company = h.setup("0", can_master_account=False)
    card = h.card(access)
    auth.as_user(user)
    assert client.get(url(company)).status_code == 403
    assert client.get(url(company, f"/{card.id}/saldo")).status_code == 403
    page = client.get(f"/empresas/{company.id}/productos/{company.products[0].id}/")
    product = page.get_data(as_text=True)
    assert page.status_code == 200 and "Órdenes de servicio" in product
    assert "Consulta de tarjetas" not in product


def test_wrong_passwords_lock_the_user_out_to_the_corporate_login(client, jahc):
    access, company, card = jahc
    target = url(company, f"/{card.id}/saldo")
    key = KEY_RE.search(client.get(target).get_data(as_text=True)).group(1)
    answers = [post(client, target, {"clave": key, "password": "otra"}, page=url(company)) for _ in range(4)]
    assert [a.status_code for a in answers] == [422] * 4
    last = post(client, target, {"clave": key, "password": "otra"}, page=url(company))
    assert last.status_code in (302, 303) and last.headers["Location"].endswith("/empresas/ingresar")
    assert db.session.query(CardOperation).count() == 0 and h.master_balance(access) == Decimal("1000.00")


def test_a_replacement_through_the_modal(client, jahc):
    access, company, card = jahc
    target = url(company, f"/{card.id}/reposicion")
    modal = client.get(target).get_data(as_text=True)
    assert "Reposición de tarjeta" in modal and "Costo de reposición" in modal
    done = post(client, target, {"clave": KEY_RE.search(modal).group(1), "password": factories.PASSWORD},
                page=url(company)).get_data(as_text=True)
    assert "fue repuesta por la 450714******" in done and "saldo trasladado: $\xa040,00" in done
    db.session.expire_all()
    listing = client.get(url(company, "?documento=1045678434")).get_data(as_text=True)
    assert listing.count('id="card-') == 2 and "Bloqueada (Reposición)" in listing


def test_an_abono_with_a_description_shows_it_in_the_cuenta_maestra_report(client, jahc):
    """Manual 004 «Transferencia maestra: Ingresa el monto y la descripción»: the modal's
    optional «Descripción» names the money's legs; the commission keeps its own text."""
    access, company, card = jahc
    access.membership.can_consult = True  # Reportes
    db.session.commit()
    other = h.card(access, "5678", holder="222")
    target = url(company, "/abono-multiple")
    modal = client.get(f"{target}?tarjeta={card.id}&tarjeta={other.id}").get_data(as_text=True)
    assert 'name="descripcion"' in modal and 'maxlength="60"' in modal and "Descripción" in modal
    form = {"clave": KEY_RE.search(modal).group(1), "monto": "10", "password": factories.PASSWORD,
            "tarjeta": [str(card.id), str(other.id)]}
    too_long = post(client, target, dict(form, descripcion="x" * 61), page=url(company))
    assert too_long.status_code == 422 and "Descripción: máximo 60 caracteres." in too_long.get_data(as_text=True)
    assert db.session.query(CardOperation).count() == 0
    done = post(client, target, dict(form, descripcion="  Auxilio   de alimentación\tmarzo "), page=url(company))
    assert done.status_code == 200 and "Descripción: Auxilio de alimentación marzo" in done.get_data(as_text=True)
    single = url(company, f"/{card.id}/abonar")
    plain = {"clave": KEY_RE.search(client.get(single).get_data(as_text=True)).group(1), "monto": "5",
             "password": factories.PASSWORD}
    assert post(client, single, plain, page=url(company)).status_code == 200  # no description: the usual text
    report = client.get(f"/empresas/{company.id}/productos/{company.products[0].id}/reportes/cuenta-maestra")
    cells = [row.split('data-label="Descripción">')[1].split("<")[0]
             for row in report.get_data(as_text=True).split('<tr id="entry-')[1:]]
    assert cells.count("Auxilio de alimentación marzo") == 2
    assert cells.count("Comisión abono a tarjeta 450714******1234") == 2
    assert "Abono a tarjeta 450714******1234" in cells
    card_legs = db.session.query(LedgerEntry).join(LedgerAccount).filter(LedgerAccount.card_id == other.id).all()
    assert [leg.description for leg in card_legs] == ["Auxilio de alimentación marzo"]
    assert h.master_balance(access) == Decimal("1000.00") - 2 * Decimal("65.00") - Decimal("60.00")
