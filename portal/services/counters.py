"""Named sequences (`counters` rows): the next number by a conditional UPDATE, so two
requests or two workers never take the same one."""
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.models import Counter


def take(name, first):
    """The next number of sequence `name` (`first` when it does not exist yet)."""
    for _ in range(3):
        taken = db.session.execute(update(Counter).where(Counter.name == name)
                                   .values(last=Counter.last + 1).returning(Counter.last)).scalar()
        if taken is not None:
            return taken
        try:
            with db.session.begin_nested():
                db.session.add(Counter(name=name, last=first))
            return first
        except IntegrityError:  # another request started the sequence first
            continue
    raise RuntimeError(f"no {name} number after three tries")


def raise_to(name, value):
    """The sequence goes on after `value` (numbers stored without it, e.g. demo data)."""
    moved = db.session.execute(update(Counter).where(Counter.name == name, Counter.last < value)
                               .values(last=value))
    if moved.rowcount == 0 and db.session.get(Counter, name) is None:
        db.session.add(Counter(name=name, last=value))
