"""Uploaded files' bytes, in a table of their own: an upload's row (its status, progress
and heartbeat, rewritten by its job at every step) stays small. On SQLite an UPDATE
rewrites the whole row: with a 12.7 MB batch file on it, every progress commit wrote the
file again (~100 ms each here)."""
from sqlalchemy import ForeignKey, LargeBinary
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from portal.extensions import db


class StoredFile(db.Model):
    __tablename__ = "stored_files"
    id: Mapped[int] = mapped_column(primary_key=True)
    content = mapped_column(LargeBinary, nullable=False)


class WithStoredFile:
    """A model whose file (`content`: bytes or None) is a StoredFile, read only when
    asked for (file_id says whether there is one)."""

    @declared_attr
    def file_id(cls) -> Mapped[int | None]:
        return mapped_column(ForeignKey("stored_files.id"), nullable=True)

    @declared_attr
    def file(cls):
        return relationship(StoredFile)

    @property
    def content(self):
        return None if self.file is None else self.file.content

    @content.setter
    def content(self, data):
        if data is None:
            self.file = None
        elif self.file is None:
            self.file = StoredFile(content=data)
        else:
            self.file.content = data
