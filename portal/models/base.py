"""Column helpers shared by every model."""
from sqlalchemy import DateTime, Numeric

from portal.domain.clock import utcnow

# Money: Decimal in Python, NUMERIC(14, 2) in the database, never float.
Money = Numeric(14, 2, asdecimal=True)
# Times are naive UTC on every database; templates show them in America/Bogota.
UtcDateTime = DateTime(timezone=False)

__all__ = ["Money", "UtcDateTime", "utcnow"]
