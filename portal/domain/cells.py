"""Reading one spreadsheet cell, as python-calamine gives it (str, float, int, bool, date,
datetime; '' or None when empty) or as a browser form sends it: blank, an amount (es-CO
or plain), an S/N flag, a date (Excel serials too), text, and a header compared loosely.
Pure: no Flask, no database, no I/O. Generic: which column holds what, and what a value
must be, is each file's business (cartera_layout, cartera_rows); these only read a cell.
An amount or a flag comes back as (value, None) or (None, reason in Spanish), never as an
exception.
"""
import re
import unicodedata
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

YES, NO = "S", "N"

_PLAIN = re.compile(r"^-?\d+(\.\d+)?$")
NOT_NUMBER = "no es un valor numérico; escriba solo números, por ejemplo 175277 o 175.277,50"


def blank(value):
    """Nothing in the cell: None, '' or only spaces."""
    return value is None or (isinstance(value, str) and not value.strip())


def parse_amount(value):
    """A cell's amount as Decimal (as typed, not rounded), or (None, reason in Spanish).
    Accepts numbers and es-CO or plain text: 175277, 175.277, 175.277,50, 175277.5,
    $ 175.277. A float comes from the reader (python-calamine) and is converted through
    its shortest repr, which is the text the cell holds."""
    if isinstance(value, bool) or isinstance(value, (date, datetime)):
        return None, f"«{value}» {NOT_NUMBER}"
    if isinstance(value, Decimal):
        return value, None
    if isinstance(value, int):
        return Decimal(value), None
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return None, f"«{value}» {NOT_NUMBER}"
        return Decimal(repr(value)), None
    text = _plain_number(str(value))
    if not _PLAIN.match(text):
        return None, f"«{value}» {NOT_NUMBER}"
    try:
        return Decimal(text), None
    except InvalidOperation:  # pragma: no cover - the regex already filtered
        return None, f"«{value}» {NOT_NUMBER}"


def _plain_number(text):
    """Typed text as a plain number's text: no $ nor spaces, the thousands separators
    dropped and the decimal one a point (1.234,56 and 1,234.56 → 1234.56; 175.277 →
    175277). What is still not a number is left for parse_amount to refuse."""
    text = text.strip().replace("$", "").replace(" ", "").replace("\u00a0", "")
    if "," in text and "." in text:
        if text.rfind(",") > text.rfind("."):  # 1.234,56 (es-CO)
            return text.replace(".", "").replace(",", ".")
        return text.replace(",", "")  # 1,234.56
    if "," in text:
        return text.replace(",", "") if text.count(",") > 1 else text.replace(",", ".")
    if text.count(".") > 1 or (text.count(".") == 1 and len(text.rsplit(".", 1)[1]) == 3):
        return text.replace(".", "")  # 175.277 and 1.752.770: dots group thousands
    return text


def parse_flag(value):
    """'S'/'N' (any case, spaces around) → True/False, or (None, reason)."""
    text = value.strip().upper() if isinstance(value, str) else None
    if text == YES:
        return True, None
    if text == NO:
        return False, None
    if blank(value):
        return None, "está vacía; escriba S (sí se cobra la mora) o N (no se cobra)"
    return None, f"«{value}» no es válido; escriba S o N"


def as_date(value):
    """A cell's date: a date or datetime, an Excel serial number (days since 1899-12-30),
    or text as dd/mm/yyyy or yyyy-mm-dd; None when it is none of those."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:  # an Excel serial number
            return date(1899, 12, 30) + timedelta(days=int(value))
        except (OverflowError, ValueError):
            return None
    if isinstance(value, str):
        text = value.strip()
        for parse in (lambda t: datetime.strptime(t, "%d/%m/%Y").date(), date.fromisoformat):
            try:
                return parse(text)
            except ValueError:
                continue
    return None


def as_text(value):
    """A cell as text, its spaces collapsed; '' when empty, a whole float without its
    «.0» (an id typed as a number: 7200001.0 → «7200001»)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return " ".join(str(value).split())


def normalise_header(text):
    """A header as headers are compared: without regard to case, accents or repeated
    spaces («Nro  Crédito» is «NRO CREDITO»)."""
    if text is None:
        return ""
    if isinstance(text, float) and text.is_integer():
        text = int(text)
    text = unicodedata.normalize("NFKD", str(text))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(text.split()).casefold()
