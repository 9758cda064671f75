"""The life of an uploaded file checked by a job (Estado de Cartera's Activos/Retirados
today, Conexión Empresas' batches next).

    queued → processing → processed | invalid | duplicate | failed
    processing → queued            its worker died: the recovery runs it again
    duplicate → processed | cancelled   the user confirms the same data, or gives up
    processed → superseded         a newer file of the same period and kind replaced it
"""
from portal.domain.states import Machine

QUEUED, PROCESSING, PROCESSED, INVALID = "queued", "processing", "processed", "invalid"
DUPLICATE, FAILED, SUPERSEDED, CANCELLED = "duplicate", "failed", "superseded", "cancelled"

UPLOAD = Machine("upload", {
    QUEUED: (PROCESSING,),
    PROCESSING: (PROCESSED, INVALID, DUPLICATE, FAILED, QUEUED),
    DUPLICATE: (PROCESSED, CANCELLED),
    PROCESSED: (SUPERSEDED,),
    INVALID: (), FAILED: (), SUPERSEDED: (), CANCELLED: (),
}, labels={
    QUEUED: "En cola", PROCESSING: "Procesando", PROCESSED: "Procesado", INVALID: "Con errores",
    DUPLICATE: "Por confirmar", FAILED: "Falló", SUPERSEDED: "Reemplazado", CANCELLED: "Cancelado",
})

WORKING = (QUEUED, PROCESSING)  # the job has it: progress is shown, the page polls
WITH_ERRORS = (INVALID, FAILED)
