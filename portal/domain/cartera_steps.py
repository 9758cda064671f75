"""Estado de Cartera follows the manual's steps: download the files, upload and process
them, generate the volante and pay it, then check the Cuadre. The page opens the step
the employer is on; the others stay one tap away."""
from dataclasses import dataclass

DOWNLOAD, UPLOAD, PAY, CHECK = 1, 2, 3, 4
# (number, the step's title, its short name in the steps bar)
STEPS = ((DOWNLOAD, "Descargar los archivos", "Descargar"), (UPLOAD, "Cargar y procesar", "Cargar y procesar"),
         (PAY, "Generar el volante de pago y pagar", "Volante y pago"),
         (CHECK, "Documentos procesados y cuadre", "Cuadre"))


@dataclass(frozen=True)
class Progress:
    downloaded: bool = False  # a file of this period was downloaded (audited)
    uploading: bool = False  # an upload being checked, with errors, or waiting for an answer
    to_pay: bool = False  # processed files not yet paid, or a volante open or with the bank
    paid: bool = False  # the period's last volante was paid


def current_step(progress: Progress) -> int:
    if progress.to_pay:
        return PAY
    if progress.uploading:
        return UPLOAD
    if progress.paid:
        return CHECK
    return UPLOAD if progress.downloaded else DOWNLOAD
