"""An upload's file in stored_files: read back whole, a megabyte at a time."""
import pytest

from portal.extensions import db
from portal.models import StoredFile
from portal.services import upload_jobs


@pytest.mark.parametrize("data", [b"", b"PK\x03\x04", bytes(range(256)) * 40], ids=["empty", "small", "chunks"])
def test_file_bytes_gives_the_file_back_whole(app, monkeypatch, data):
    monkeypatch.setattr(upload_jobs, "FILE_CHUNK", 1000)  # 10,240 bytes: 11 reads
    stored = StoredFile(content=data)
    db.session.add(stored)
    db.session.commit()
    assert upload_jobs.file_bytes(stored.id) == data


def test_file_bytes_of_no_file_is_none(app):
    assert upload_jobs.file_bytes(None) is None
