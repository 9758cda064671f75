"""Idempotency-Key on POST /api/v1/batches (issue #12, DESIGN §9 «API»): the first
answer replayed (flagged), the same key with another body refused, a copy while the
first runs told to wait, a server error frees the key — and on PostgreSQL 50 copies at
once make exactly one batch."""
import json
import threading

import pytest
from sqlalchemy import update

from portal.domain import api, clock
from portal.extensions import db
from portal.models import AuditEvent, Batch, Counter, IdempotentRequest
from portal.services import batches, idempotency
from tests import api_helpers
from tests.api.test_batches import body, person
from tests.cartera_helpers import run_jobs

URL = "/api/v1/batches"


def send(client, holder, payload, key="pedido-0001"):
    return client.post(URL, json=payload, headers=holder.headers(**{"Idempotency-Key": key}))


def test_the_same_request_again_is_the_first_answer_replayed(client):
    erp = api_helpers.keyed()
    payload = body(erp, [person(0)])
    first = send(client, erp, payload)
    assert first.status_code == 202 and "Idempotent-Replayed" not in first.headers
    run_jobs()  # the batch is VALIDO now; a replay still says what the first answer said
    again = send(client, erp, payload)
    assert again.status_code == 202
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.data == first.data and again.headers["Location"] == first.headers["Location"]
    assert again.json["status"]["code"] == "queued"
    assert db.session.query(Batch).count() == 1
    assert db.session.query(AuditEvent).filter_by(action="conexion.batch_received").count() == 1


def test_a_multipart_upload_sent_again_with_another_boundary_is_replayed(client):
    import io

    from tests.api.test_batches import xlsx_file

    erp = api_helpers.keyed()
    data = xlsx_file([list(person(0).values())])

    def upload():
        return client.post(f"{URL}/upload", content_type="multipart/form-data",
                           headers=erp.headers(**{"Idempotency-Key": "archivo-1"}),
                           data={"product_id": str(erp.product.id), "kind": "emission",
                                 "file": (io.BytesIO(data), "EMISION.xlsx")})

    first, again = upload(), upload()
    assert first.status_code == again.status_code == 202
    assert again.headers["Idempotent-Replayed"] == "true" and again.data == first.data


def test_the_same_key_with_another_body_is_a_422(client):
    erp = api_helpers.keyed()
    assert send(client, erp, body(erp, [person(0)])).status_code == 202
    other = send(client, erp, body(erp, [person(1)]))
    assert other.status_code == 422 and other.content_type == "application/problem+json"
    assert "otra solicitud" in other.json["detail"]
    assert db.session.query(Batch).count() == 1


def test_a_copy_while_the_first_is_in_flight_is_a_409(client):
    erp = api_helpers.keyed()
    payload = body(erp, [person(0)])
    raw = json.dumps(payload).encode()
    # The first copy's claim, committed before it runs: no status yet.
    db.session.add(IdempotentRequest(company_id=erp.company.id, key="en-curso", api_key_id=erp.key.id,
                                     fingerprint=api.fingerprint("POST", URL, "application/json", [raw])))
    db.session.commit()
    response = client.post(URL, data=raw, content_type="application/json",
                           headers=erp.headers(**{"Idempotency-Key": "en-curso"}))
    assert response.status_code == 409 and response.headers["Retry-After"] == "1"
    assert "todavía se está procesando" in response.json["detail"]
    assert db.session.query(Batch).count() == 0


def test_a_server_error_frees_the_key(client, monkeypatch):
    erp = api_helpers.keyed()
    payload = body(erp, [person(0)])
    real = batches.submit_lines
    calls = []

    def failing_once(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("la base de datos se cayó")
        return real(*args, **kwargs)

    monkeypatch.setattr(batches, "submit_lines", failing_once)
    failed = send(client, erp, payload)
    assert failed.status_code == 500 and failed.content_type == "application/problem+json"
    assert db.session.query(IdempotentRequest).count() == 0
    retried = send(client, erp, payload)
    assert retried.status_code == 202 and "Idempotent-Replayed" not in retried.headers
    assert db.session.query(Batch).count() == 1


def test_a_retried_confirmation_is_replayed_not_refused(client):
    erp = api_helpers.keyed()
    made = send(client, erp, body(erp, [person(0)])).json
    run_jobs()
    url = f"{URL}/{made['id']}/confirm"
    headers = erp.headers(**{"Idempotency-Key": "confirmar-1"})
    first = client.post(url, json={}, headers=headers)
    again = client.post(url, json={}, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert db.session.query(AuditEvent).filter_by(action="conexion.batch_confirmed").count() == 1


def _fifty_at_once(app, payload, headers):
    db.session.remove()
    answers, barrier = [], threading.Barrier(50)

    def request():
        with app.app_context():
            client = app.test_client()
            barrier.wait()
            response = client.post(URL, json=payload, headers=headers)
            answers.append((response.status_code, response.headers.get("Idempotent-Replayed"), response.data))
            db.session.remove()

    threads = [threading.Thread(target=request) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(answers) == 50
    return answers


def test_fifty_concurrent_requests_with_one_key_make_one_batch(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("concurrent writers: PostgreSQL (TEST_DATABASE_URL)")
    erp = api_helpers.keyed()
    answers = _fifty_at_once(app, body(erp, [person(0)]), erp.headers(**{"Idempotency-Key": "cincuenta"}))
    assert {status for status, _, _ in answers} <= {202, 409}
    accepted = [(replayed, data) for status, replayed, data in answers if status == 202]
    assert len({data for _, data in accepted}) == 1  # every 202 is the same answer
    assert sum(1 for replayed, _ in accepted if replayed is None) == 1  # and only one ran
    assert db.session.query(Batch).count() == 1
    assert db.session.query(AuditEvent).filter_by(action="conexion.batch_received").count() == 1


def test_fifty_concurrent_copies_without_a_key_are_still_one_batch(app):
    """«Enviar» twice, a retry without a key: the same bytes within 10 minutes are the
    same batch, also when the copies arrive at the same instant."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("concurrent writers: PostgreSQL (TEST_DATABASE_URL)")
    erp = api_helpers.keyed()
    answers = _fifty_at_once(app, body(erp, [person(0)]), erp.headers())
    assert {status for status, _, _ in answers} == {202}
    assert db.session.query(Batch).count() == 1
    assert db.session.query(AuditEvent).filter_by(action="conexion.batch_received").count() == 1


def test_a_404_inside_an_idempotent_request_is_a_problem_kept_and_replayed(client):
    erp = api_helpers.keyed()
    other = api_helpers.keyed("otro", nit="800197268")
    payload = body(other, [person(0)])
    first = send(client, erp, payload)
    assert first.status_code == 404 and first.content_type == "application/problem+json"
    again = send(client, erp, payload)
    assert again.status_code == 404 and again.headers["Idempotent-Replayed"] == "true"
    assert again.data == first.data


def test_answers_older_than_a_day_are_forgotten_and_the_key_is_free_again(client, frozen_clock):
    from datetime import timedelta

    from portal.jobs import forget_idempotent_requests

    erp = api_helpers.keyed()
    assert send(client, erp, body(erp, [person(0)]), key="diario").status_code == 202
    frozen_clock.freeze(frozen_clock.utcnow() + timedelta(hours=24, minutes=1))
    assert forget_idempotent_requests() == 1
    assert db.session.query(IdempotentRequest).count() == 0
    again = send(client, erp, body(erp, [person(1)]), key="diario")  # another request, the same key: new
    assert again.status_code == 202 and "Idempotent-Replayed" not in again.headers


def test_a_copy_that_claims_the_key_meanwhile_stops_this_one_at_its_first_write(client, monkeypatch):
    """The claim is written just before the request's first write: a copy that committed
    its claim meanwhile (another connection) makes this one stop there, changing nothing."""
    erp = api_helpers.keyed()
    payload = body(erp, [person(0)])
    fingerprint = api.fingerprint("POST", URL, "application/json", [json.dumps(payload).encode()])
    real = batches.submit_lines

    def copy_claims_first(*args, **kwargs):
        with db.engine.begin() as other:
            other.execute(IdempotentRequest.__table__.insert().values(
                company_id=erp.company.id, key="a-la-vez", api_key_id=erp.key.id, fingerprint=fingerprint,
                created_at=clock.utcnow()))
        return real(*args, **kwargs)

    monkeypatch.setattr(batches, "submit_lines", copy_claims_first)
    response = client.post(URL, data=json.dumps(payload), content_type="application/json",
                           headers=erp.headers(**{"Idempotency-Key": "a-la-vez"}))
    assert response.status_code == 409 and "todavía se está procesando" in response.json["detail"]
    assert db.session.query(Batch).count() == 0
    assert db.session.query(IdempotentRequest).one().status_code is None  # the copy's claim, untouched


def _claims(erp, key):
    return db.session.query(IdempotentRequest).filter_by(company_id=erp.company.id, key=key).count()


def test_a_claim_rolled_back_with_its_savepoint_is_written_again_at_the_next_write(client):
    erp = api_helpers.keyed()
    claim = idempotency.begin(erp.company.id, erp.key.id, "punto", "huella")
    assert claim.outcome == idempotency.NEW and _claims(erp, "punto") == 0  # nothing written on the way in
    try:
        with db.session.begin_nested():
            db.session.add(Counter(name="prueba-a", last=1))
            db.session.flush()  # the first write: the claim goes in first, inside the savepoint
            raise LookupError
    except LookupError:
        pass
    db.session.add(Counter(name="prueba-b", last=1))
    db.session.commit()
    with db.session.begin_nested():  # released into the committed transaction: not written twice
        db.session.add(Counter(name="prueba-c", last=1))
    db.session.commit()
    idempotency.settle()
    assert _claims(erp, "punto") == 1
    assert {c.name for c in db.session.query(Counter).filter(Counter.name.like("prueba-%"))} == {"prueba-b", "prueba-c"}


def test_a_claim_rolled_back_with_the_request_is_gone_and_a_read_claims_nothing(client):
    erp = api_helpers.keyed()
    idempotency.begin(erp.company.id, erp.key.id, "vuelta", "huella")
    db.session.query(Counter).all()  # reads do not claim
    db.session.execute(update(Counter).where(Counter.name == "nadie").values(last=2))
    db.session.rollback()
    assert _claims(erp, "vuelta") == 0
    db.session.execute(update(Counter).where(Counter.name == "nadie").values(last=3))
    db.session.commit()
    idempotency.settle()
    db.session.add(Counter(name="despues", last=1))  # settled: the audit's writes claim nothing
    db.session.commit()
    assert _claims(erp, "vuelta") == 1
