"""Estado de Cartera: employers settle their workers' libranza credits each period."""
from flask import Blueprint
from werkzeug.routing import BaseConverter

from portal.domain import cartera_layout as layout


class FileKind(BaseConverter):
    """A cartera file in a URL: the Spanish word users see and bookmark (detalle, activos,
    retirados: Layout.slug); a view receives, and url_for takes, the file's kind (DETAIL,
    ACTIVE, RETIRED). Any other word is a 404."""

    regex = "(?:" + "|".join(spec.slug for spec in layout.LAYOUTS.values()) + ")"

    def to_python(self, value):
        return layout.by_slug(value).kind

    def to_url(self, value):
        return layout.layout(value).slug


bp = Blueprint("cartera", __name__)
bp.record_once(lambda state: state.app.url_map.converters.setdefault("file_kind", FileKind))

from portal.blueprints.cartera import routes  # noqa: E402,F401
