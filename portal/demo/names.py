"""Colombian (Caribbean coast) names and cédulas for generated people."""

FEMALE = (
    "MARÍA JOSÉ", "ANA MILENA", "YURANIS", "LUZ MARINA", "KATHERINE", "DAYANA", "LEIDY JOHANA",
    "CARMEN ROSA", "SANDRA PATRICIA", "ANDREA CAROLINA", "MARYURIS", "DIANA MARCELA",
    "ISABEL CRISTINA", "YOLANDA", "NATALIA", "PAOLA ANDREA", "ROSA ELENA", "LILIANA", "VANESSA",
    "ZORAIDA", "ESTEFANÍA", "MILENA",
)
MALE = (
    "JOSÉ LUIS", "CARLOS ANDRÉS", "LUIS FERNANDO", "JHON JAIRO", "ALBERTO", "RAFAEL ENRIQUE",
    "JORGE ELIÉCER", "EDUARDO", "ANDRÉS FELIPE", "JUAN CARLOS", "WILSON", "OSCAR DAVID", "FABIÁN",
    "HERNÁN", "ALEXANDER", "YEISON", "ÁLVARO JOSÉ", "DAIRO", "ELKIN", "RICARDO", "JAIDER",
)
SURNAMES = (
    "ACOSTA", "ARIZA", "BARRIOS", "CANTILLO", "CHARRIS", "DE LA HOZ", "ESCORCIA", "FONTALVO",
    "GÓMEZ", "GUTIÉRREZ", "HERRERA", "JIMÉNEZ", "LLANOS", "MARTÍNEZ", "MERCADO", "MOLINA",
    "NAVARRO", "OROZCO", "OSPINO", "PADILLA", "PALMA", "PÉREZ", "POLO", "RADA", "RODRÍGUEZ",
    "SARMIENTO", "SUÁREZ", "TORRES", "VILLA", "VISBAL", "CASSIANI", "MEZA",
)

# Cédula ranges by era of issue; newer ones have 10 digits starting with 10xx / 11xx.
_WOMEN = ((22_400_000, 22_999_999), (32_600_000, 32_899_999), (55_200_000, 55_309_999))
_MEN = ((72_100_000, 72_349_999), (8_700_000, 8_799_999), (3_750_000, 3_799_999))
_YOUNG = ((1_042_000_000, 1_052_999_999), (1_140_800_000, 1_143_999_999))


def person(rng):
    """(first names, last names, 'F'|'M')."""
    sex = rng.choice("FM")
    first = rng.choice(FEMALE if sex == "F" else MALE)
    first_surname = rng.choice(SURNAMES)
    second_surname = rng.choice([s for s in SURNAMES if s != first_surname])
    return first, f"{first_surname} {second_surname}", sex


def cedula(rng, sex, taken, zero_padded_share=0.08):
    """A new cédula as text; some come zero-padded to 10 digits, as payroll exports
    often write them (which is why id numbers are never stored as numbers)."""
    while True:
        ranges = _YOUNG if rng.random() < 0.4 else (_WOMEN if sex == "F" else _MEN)
        low, high = rng.choice(ranges)
        number = str(rng.randint(low, high))
        if len(number) < 10 and rng.random() < zero_padded_share:
            number = number.zfill(10)
        if number not in taken:
            taken.add(number)
            return number
