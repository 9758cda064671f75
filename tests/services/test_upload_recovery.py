"""An upload whose worker died: noticed by its stale heartbeat within a minute, run again
from 0 once (however many recoveries run), never twice at the same time."""
import threading
from datetime import timedelta
from decimal import Decimal

import pytest

from portal import queue
from portal.adapters import xlsx
from portal.domain import clock
from portal.extensions import db
from portal.models import AuditEvent, CarteraUpload, CarteraUploadLine, StatementLine
from portal.services import cartera_uploads, upload_jobs
from tests import cartera_helpers as ch


@pytest.fixture
def cartera(client):
    return ch.build(sign_in_client=client)


def sent_upload(client):
    """Activos sent as downloaded (3 credits, $ 303.000,50), its job in the queue."""
    ch.upload(client, "activos", ch.download(client, "activos"))
    return db.session.query(CarteraUpload).one()


def died_half_way(upload, heartbeat_age):
    """Its worker was killed while writing lines, `heartbeat_age` seconds ago."""
    upload.status, upload.rows_total, upload.rows_done = "processing", 3, 2
    upload.heartbeat_at = clock.utcnow() - timedelta(seconds=heartbeat_age)
    db.session.add(CarteraUploadLine(upload_id=upload.id, line_id=db.session.query(StatementLine).first().id,
                                     amount=Decimal("1.00")))
    db.session.commit()


def fresh(upload):
    db.session.expire_all()
    return db.session.get(CarteraUpload, upload.id)


def actions(action):
    return db.session.query(AuditEvent).filter_by(action=action).count()


def test_an_upload_silent_for_61_seconds_runs_again_from_zero(client, cartera, frozen_clock):
    upload = sent_upload(client)
    died_half_way(upload, heartbeat_age=61)
    ch.run_jobs()  # its first job finds it taken: nothing

    assert cartera_uploads.recover_stuck() == 1

    upload = fresh(upload)
    assert (upload.status, upload.rows_total, upload.rows_done) == ("queued", 0, 0)
    assert db.session.query(CarteraUploadLine).count() == 0  # the dead run's partial lines
    assert ": en cola" in ch.status_html(client, upload)  # not "2 de 3 filas"
    ch.run_jobs()
    upload = fresh(upload)
    assert upload.status == "processed" and upload.total_amount == Decimal("303000.50")
    assert upload.rows_done == upload.rows_total == 3
    assert db.session.query(CarteraUploadLine).count() == 3
    assert actions("cartera.upload_abandoned") == 1


def test_an_upload_that_beat_5_seconds_ago_is_left_alone(client, cartera, frozen_clock):
    upload = sent_upload(client)
    died_half_way(upload, heartbeat_age=5)

    assert cartera_uploads.recover_stuck() == 0

    upload = fresh(upload)
    assert (upload.status, upload.rows_done) == ("processing", 2)
    assert db.session.query(CarteraUploadLine).count() == 1


def test_two_recoveries_at_once_requeue_it_once(app, client, cartera, monkeypatch):
    upload = sent_upload(client)
    died_half_way(upload, heartbeat_age=61)
    both_looked = threading.Barrier(2, timeout=10)
    looked = upload_jobs._waiting_since

    def look_then_wait(*args):  # both find it abandoned before either takes it
        found = looked(*args)
        both_looked.wait()
        return found

    monkeypatch.setattr(upload_jobs, "_waiting_since", look_then_wait)
    results = []

    def recovery():
        with app.app_context():
            results.append(cartera_uploads.recover_stuck())

    threads = [threading.Thread(target=recovery) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)

    assert sorted(results) == [0, 1]
    assert actions("cartera.upload_abandoned") == 1
    assert queue.get_queue().count == 2  # the first job, and one more
    ch.run_jobs()
    assert fresh(upload).status == "processed" and db.session.query(CarteraUploadLine).count() == 3


def test_a_run_given_up_for_dead_writes_nothing_more(client, cartera, frozen_clock):
    upload = sent_upload(client)
    late = upload_jobs.Run(cartera_uploads.UPLOADS, upload.id)
    assert late.claim()  # ... and then it stalls for over a minute
    frozen_clock.advance(61)
    assert cartera_uploads.recover_stuck() == 1
    ch.run_jobs()
    assert fresh(upload).status == "processed"

    with pytest.raises(upload_jobs.Abandoned):
        late.beat()
    db.session.rollback()
    assert late.fail() is None
    assert fresh(upload).status == "processed" and db.session.query(CarteraUploadLine).count() == 3


def test_a_long_run_keeps_its_heartbeat(app, client, cartera, frozen_clock, monkeypatch):
    """Reading the file and checking it take 50 s each: the beat after the reading keeps
    a recovery in between from taking the live run's upload."""
    upload = sent_upload(client)
    read, check = xlsx.read_upload, cartera_uploads.cartera_rows.check_upload

    def slow_read(*args, **kwargs):
        frozen_clock.advance(50)
        return read(*args, **kwargs)

    def recovery_meanwhile(*args, **kwargs):
        frozen_clock.advance(50)
        with app.app_context():
            assert cartera_uploads.recover_stuck() == 0
        return check(*args, **kwargs)

    monkeypatch.setattr(xlsx, "read_upload", slow_read)
    monkeypatch.setattr(cartera_uploads.cartera_rows, "check_upload", recovery_meanwhile)
    ch.run_jobs()

    upload = fresh(upload)
    assert upload.status == "processed" and upload.heartbeat_at == clock.utcnow()
    assert actions("cartera.upload_abandoned") == 0


def test_the_third_dead_run_fails_the_upload(client, cartera, frozen_clock):
    upload = sent_upload(client)
    for _ in range(3):
        died_half_way(fresh(upload), heartbeat_age=61)
        assert cartera_uploads.recover_stuck() == 1

    upload = fresh(upload)
    assert upload.status == "failed" and cartera_uploads.FAILED_MESSAGE in upload.errors_json
    assert db.session.query(CarteraUploadLine).count() == 0


def test_a_lost_job_is_queued_again_after_five_minutes(client, cartera, frozen_clock):
    upload = sent_upload(client)
    queue.get_queue().empty()  # e.g. Redis restarted without its data
    frozen_clock.advance(299)
    assert cartera_uploads.recover_stuck() == 0
    frozen_clock.advance(2)
    assert cartera_uploads.recover_stuck() == 1
    assert cartera_uploads.recover_stuck() == 0  # its wait starts again
    ch.run_jobs()
    assert fresh(upload).status == "processed"


def test_a_file_the_job_cannot_read_is_invalid(client, cartera, monkeypatch):
    """Every way out of a run goes through its heartbeat check, this one too."""
    upload = sent_upload(client)
    monkeypatch.setattr(xlsx, "read_upload", lambda *args, **kwargs: xlsx._refuse("El archivo está dañado."))
    ch.run_jobs()
    upload = fresh(upload)
    assert upload.status == "invalid" and "El archivo está dañado." in upload.errors_json
