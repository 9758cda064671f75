"""Pagination arithmetic for the staff tables ("Mostrar 10 registros por página")."""
from dataclasses import dataclass

PER_PAGE_CHOICES = (10, 25, 50, 100)
DEFAULT_PER_PAGE = PER_PAGE_CHOICES[0]


def parse_positive(value, default=1):
    """A page number from a query string; anything odd becomes `default`."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return default
    return number if number > 0 else default


def parse_per_page(value):
    number = parse_positive(value, DEFAULT_PER_PAGE)
    return number if number in PER_PAGE_CHOICES else DEFAULT_PER_PAGE


@dataclass(frozen=True)
class Page:
    number: int  # 1-based, already clamped to the last page
    per_page: int
    total: int

    @property
    def pages(self):
        return max(1, -(-self.total // self.per_page))

    @property
    def offset(self):
        return (self.number - 1) * self.per_page

    @property
    def first(self):
        """Position of the first record shown (0 when there are none)."""
        return self.offset + 1 if self.total else 0

    @property
    def last(self):
        return min(self.offset + self.per_page, self.total)

    @property
    def has_prev(self):
        return self.number > 1

    @property
    def has_next(self):
        return self.number < self.pages

    @property
    def summary(self):
        """The manuals' DataTables wording."""
        return (f"Mostrando registro(s) del {self.first} al {self.last} "
                f"de un total de {self.total} registro(s)")


def page_of(total, number=1, per_page=DEFAULT_PER_PAGE):
    """The page to show: a number past the end shows the last page."""
    per_page = per_page if per_page > 0 else DEFAULT_PER_PAGE
    pages = max(1, -(-total // per_page))
    return Page(number=min(max(1, number), pages), per_page=per_page, total=total)


class Filters(dict):
    """A staff table's query string, read once: every choice (its allowed values, the
    default first), the search text «q», the page and its size; anything odd becomes the
    default. Spanish keys: they show in the address bar."""

    def __init__(self, args, **choices):
        self.defaults = {name: allowed[0] for name, allowed in choices.items()}
        self.defaults["por_pagina"] = DEFAULT_PER_PAGE
        super().__init__({name: args.get(name) if args.get(name) in allowed else allowed[0]
                          for name, allowed in choices.items()},
                         q=(args.get("q") or "").strip()[:100],
                         pagina=parse_positive(args.get("pagina")),
                         por_pagina=parse_per_page(args.get("por_pagina")))

    def link_params(self, *drop):
        """For the table's links: without `drop`, empty values or defaults."""
        return {k: v for k, v in self.items() if k not in drop and v and self.defaults.get(k) != v}
