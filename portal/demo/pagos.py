"""Pagos Express: affiliates (cédula + SMS code), their credits and kindergarten slips."""
from dataclasses import dataclass

from portal.demo.common import get_or_add, last_periods, money
from portal.demo.entities import EMPLOYERS
from portal.domain.clock import utcnow
from portal.extensions import db
from portal.models import Affiliate, AffiliateCredit, ContactUpdateRequest, KindergartenSlip


@dataclass(frozen=True)
class AffiliateSpec:
    cedula: str
    first_name: str
    last_name: str
    mobile: str
    email: str
    employer: str
    credits: tuple = ()  # (number, concept, debt, paid, instalment)
    note: str = ""
    address: str = "Calle 30 # 20-15, Barranquilla"

    @property
    def full_name(self):
        return f"{self.first_name} {self.last_name}"


AFFILIATES = (
    # Manual 001: "CREDITO POR LIBRANZAS LI-38, Deuda $1,752,770, Cuota $175,277", phone ****434.
    AffiliateSpec("72145338", "LUIS ALBERTO", "PÉREZ MOLINA", "3004561434", "luis.perez.demo@example.com",
                  EMPLOYERS[0].name,
                  (("LI-38", "CREDITO POR LIBRANZAS", "1752770", "0", "175277"),),
                  note="crédito LI-38; jardín: niño 1100223344"),
    AffiliateSpec("32765123", "MARÍA FERNANDA", "GÓMEZ ARIZA", "3017894521", "maria.gomez.demo@example.com",
                  EMPLOYERS[1].name,
                  (("LI-112", "CREDITO POR LIBRANZAS", "3200000", "1280000", "160000"),
                   ("LI-145", "CREDITO EDUCATIVO", "1450000", "290000", "145000")),
                  note="2 créditos; jardín: niño 1100556677; una solicitud de datos en revisión"),
    AffiliateSpec("1043876519", "JOSÉ DE JESÚS", "ARRIETA CANTILLO", "3156782290",
                  "jose.arrieta.demo@example.com", EMPLOYERS[2].name,
                  (("LI-201", "CREDITO POR LIBRANZAS", "980000", "245000", "122500"),),
                  note="1 crédito"),
)

# Child "123456" has no slips on purpose: the manual's "Ups! No se encontró nada." example.
CHILD_WITHOUT_SLIPS = "123456"
CHILD_WITH_MATRICULATION = "1100223344"
CHILD_WITH_FEES = "1100556677"


def _slips(today):
    """(number, child_id, student, guardian cédula, concept, period, amount, status)."""
    older, previous, last = last_periods(today)
    slips = [("VM-2021-0457", CHILD_WITH_MATRICULATION, "SARA SOFÍA PÉREZ OROZCO", "72145338",
              "VOLANTES DE MATRICULA", "2021", "482213", "open"),
             (f"VM-{today.year}-0513", CHILD_WITH_FEES, "SANTIAGO GÓMEZ ARIZA", "32765123",
              "VOLANTES DE MATRICULA", str(today.year), "495000", "paid")]
    for period, status in ((older, "paid"), (previous, "open"), (last, "open")):
        slips.append((f"PJ-{period.replace('-', '')}-6677", CHILD_WITH_FEES, "SANTIAGO GÓMEZ ARIZA",
                      "32765123", "PENSION MENSUAL JARDIN", period, "198500", status))
    return slips


def load(stats, today):
    affiliates = {}
    for spec in AFFILIATES:
        affiliate = get_or_add(stats, Affiliate, {"cedula": spec.cedula}, first_name=spec.first_name,
                               last_name=spec.last_name, mobile=spec.mobile, email=spec.email,
                               employer_name=spec.employer, address=spec.address)
        affiliates[spec.cedula] = affiliate
        for number, concept, debt, paid, instalment in spec.credits:
            get_or_add(stats, AffiliateCredit, {"number": number}, affiliate_id=affiliate.id,
                       concept=concept, debt=money(debt), paid=money(paid),
                       balance=money(debt) - money(paid), instalment=money(instalment))
    for number, child, student, guardian, concept, period, amount, status in _slips(today):
        get_or_add(stats, KindergartenSlip, {"number": number}, child_id=child, student_name=student,
                   guardian_id=affiliates[guardian].id, concept=concept, period=period,
                   amount=money(amount), status=status)
    _pending_data_update(stats, affiliates["32765123"])
    db.session.commit()
    return affiliates


def _pending_data_update(stats, affiliate):
    """Staff › Datos de afiliados: one request waiting (a new e-mail and address; a new
    mobile would have been confirmed with a code first). Added once: not again once decided."""
    get_or_add(stats, ContactUpdateRequest, {"affiliate_id": affiliate.id}, status="pending",
               old_mobile=affiliate.mobile, old_email=affiliate.email, old_address=affiliate.address,
               new_email="mafe.gomez.demo@example.com", new_address="Carrera 54 # 72-80, Barranquilla",
               code_sends=0, submitted_at=utcnow())
