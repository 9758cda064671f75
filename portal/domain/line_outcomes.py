"""What becomes of a paid order's batch line (manual 003 §4.2 «Registros del lote»:
Procesado or Rechazado with its reason), decided from what the card processor read.
Pure: no Flask, no database (services/card_processor.py reads and carries out).

    emission     a person who already holds an active card of the product: Rechazado
    topup        exactly one card of the person in the product: Procesado; none or several:
                 Rechazado
    affiliation  the masked number names exactly one unaffiliated card of the company's
                 product, and the person holds no other: Procesado"""
NO_CARD = "La persona no tiene tarjeta de este producto"
SEVERAL_CARDS = "La persona tiene varias tarjetas activas de este producto"
HAS_CARD = "La persona ya tiene una tarjeta activa de este producto"
NOT_FOUND = "No existe una tarjeta innominada con ese número en esta empresa y producto"
SAME_MASK = "Hay varias tarjetas con ese número enmascarado; comuníquese con la Caja"
AFFILIATED = "La tarjeta ya está afiliada a una persona"
BLOCKED = "La tarjeta está bloqueada"


def emission_refusal(person_has_card: bool) -> str | None:
    return HAS_CARD if person_has_card else None


def topup_refusal(cards_held: int) -> str | None:
    if cards_held == 1:
        return None
    return SEVERAL_CARDS if cards_held else NO_CARD


def affiliation_refusal(statuses: list, person_has_card: bool) -> str | None:
    """`statuses`: those of the cards the masked number names in the company's product."""
    if not statuses:
        return NOT_FOUND
    if len(statuses) > 1:
        return SAME_MASK
    if statuses[0] != "unaffiliated":
        return AFFILIATED if statuses[0] == "affiliated" else BLOCKED
    return HAS_CARD if person_has_card else None
