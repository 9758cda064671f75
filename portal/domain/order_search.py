"""«Criterio de búsqueda» of Consultas › Órdenes de servicio (manual 003 §4.1): «5 días»,
«10 días», Fecha inicial, Fecha final (DD/MM/AAAA), Estado. Pure: the query string in,
the dates, the status and the Spanish messages of what is wrong out.

«5 días» is the last five calendar days in Bogotá, today included (inicial = today − 4)."""
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from portal.domain import orders as o
from portal.domain.formatting import BOGOTA

QUICK_RANGES = ("5", "10")  # «5 días», «10 días»
FIELDS = {"fecha_inicial": "Fecha inicial", "fecha_final": "Fecha final"}
STATUSES = tuple(o.ORDER.statuses)


@dataclass(frozen=True)
class Criteria:
    """What «Buscar» asked: the dates as typed (shown again), the parsed ones, the status
    («» all) and the messages by field; with any message nothing is searched by date."""
    texts: dict
    start: date | None = None
    end: date | None = None
    status: str = ""
    errors: dict = field(default_factory=dict)

    @property
    def params(self):
        """For the table's links: the dates as typed and the status, without empties."""
        values = dict(self.texts, estado=self.status)
        return {k: v for k, v in values.items() if v}


def parse_day(text, label):
    """(date, None) or (None, a message naming the field) for DD/MM/AAAA."""
    try:
        return datetime.strptime(text, "%d/%m/%Y").date(), None
    except ValueError:
        return None, f"{label}: «{text}» no es una fecha válida; escriba DD/MM/AAAA, por ejemplo 09/08/2023."


def parse(args, today):
    """The criteria of a query string (`today`: Bogotá's date for the quick ranges)."""
    status = args.get("estado") or ""
    status = status if status in STATUSES else ""
    days = args.get("dias") or ""
    if days in QUICK_RANGES:
        start = today - timedelta(days=int(days) - 1)
        texts = {"fecha_inicial": f"{start:%d/%m/%Y}", "fecha_final": f"{today:%d/%m/%Y}"}
        return Criteria(texts, start, today, status)
    texts = {name: (args.get(name) or "").strip()[:20] for name in FIELDS}
    parsed, errors = {}, {}
    for name, label in FIELDS.items():
        if texts[name]:
            parsed[name], problem = parse_day(texts[name], label)
            if problem:
                errors[name] = problem
    start, end = parsed.get("fecha_inicial"), parsed.get("fecha_final")
    if start and end and start > end:
        errors["fecha_inicial"] = "Fecha inicial: debe ser anterior o igual a la Fecha final."
    if errors:
        return Criteria(texts, status=status, errors=errors)
    return Criteria(texts, start, end, status)


def utc_bounds(start, end):
    """The stored (naive UTC) instants of Bogotá's days [start, end]: (from, before),
    either None when that side is open."""
    def midnight(day):
        return datetime.combine(day, time(), BOGOTA).astimezone(UTC).replace(tzinfo=None)

    after_end = end + timedelta(days=1) if end and end < date.max else None  # 31/12/9999: open, not an overflow
    return (midnight(start) if start else None), (midnight(after_end) if after_end else None)
