"""A Conexión Empresas batch (manual 003 ch. 3.2–3.3, DESIGN §4): its states and number.

    queued → processing → valid | invalid | failed      the job checks every line
    processing → queued                                  its worker died: run again
    valid | invalid → confirmed                          «Confirmar» with the password
                                                         (of an invalid one, only its valid lines)
    queued … confirmed → deleted                         «Eliminar», before authorization
    confirmed → signed → authorized                      two signatures: the first one waits
    signed → confirmed                                   (lapsed after the configured time)
    confirmed → authorized → in_process → processed      signatures, order paid, the processor
    authorized → annulled                                its service order annulled

The first part is an upload's (portal.domain.uploads): the same job pipeline runs it."""
from datetime import date

from portal.domain import uploads as u
from portal.domain.states import Machine

QUEUED, PROCESSING, FAILED = u.QUEUED, u.PROCESSING, u.FAILED
VALID, INVALID, CONFIRMED, DELETED = "valid", "invalid", "confirmed", "deleted"
SIGNED, AUTHORIZED, IN_PROCESS, PROCESSED, ANNULLED = "signed", "authorized", "in_process", "processed", "annulled"

BATCH = Machine("batch", {
    QUEUED: (PROCESSING, DELETED),
    PROCESSING: (VALID, INVALID, FAILED, QUEUED),
    VALID: (CONFIRMED, DELETED),
    INVALID: (CONFIRMED, DELETED),
    FAILED: (DELETED,),
    CONFIRMED: (SIGNED, AUTHORIZED, DELETED),
    SIGNED: (AUTHORIZED, CONFIRMED),
    AUTHORIZED: (IN_PROCESS, ANNULLED),
    IN_PROCESS: (PROCESSED,),
    PROCESSED: (), DELETED: (), ANNULLED: (),
}, labels={  # as «Lotes pendientes» and the manual show them
    QUEUED: "EN VALIDACIÓN", PROCESSING: "EN VALIDACIÓN", VALID: "VALIDO", INVALID: "CON ERRORES",
    FAILED: "FALLÓ LA VALIDACIÓN", CONFIRMED: "CONFIRMADO", DELETED: "ELIMINADO",
    SIGNED: "Firmado (falta una firma)", AUTHORIZED: "Autorizado",
    IN_PROCESS: "En Proceso", PROCESSED: "Procesado", ANNULLED: "Anulado",
})

PENDING = (QUEUED, PROCESSING, VALID, INVALID, FAILED)  # «Lotes pendientes»: not yet confirmed
WORKING = u.WORKING
AWAITING_SIGNATURE = (CONFIRMED, SIGNED)  # «Autorización» lists these

# A line once its order's batch is processed (manual 003 §4.2 «Registros del lote»).
LINE_PROCESSED, LINE_REJECTED = "processed", "rejected"
LINE_OUTCOMES = {LINE_PROCESSED: "Procesado", LINE_REJECTED: "Rechazado"}


def number(day: date, sequence: int) -> str:
    """The manual's batch number: 23080900 is the first batch of 09/08/2023 (YYMMDD and a
    two-digit daily sequence; a hundredth batch in one day takes three digits)."""
    return f"{day:%y%m%d}{sequence:02d}"
