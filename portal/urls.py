"""url_for with a memory: a page asks for the same URLs on every request (each menu link,
the table's filters and pages), and building one with werkzeug's routing costs 6-25 µs;
a staff page builds about twenty. Within a request, a URL depends only on its endpoint,
its values and the application's mount point (SCRIPT_NAME), so the built URL is kept under
those; anything else (external URLs, a scheme, an anchor, a method, url_defaults hooks,
values that are not plain strings or integers) is built as Flask always does.
"""
from flask import Flask
from flask.globals import _cv_request

PLAIN = (str, int)  # not bool: True and 1 are equal keys but different URLs


class Portal(Flask):
    remembered_urls = 4096  # then all are forgotten and built again (search text is in some)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._urls = {}

    def url_for(self, endpoint, /, *, _anchor=None, _method=None, _scheme=None, _external=None,
                **values):
        context = _cv_request.get(None)
        if (context is None or _anchor is not None or _method is not None or _scheme is not None
                or _external or any(self.url_default_functions.values())
                or any(type(value) not in PLAIN for value in values.values())):
            return super().url_for(endpoint, _anchor=_anchor, _method=_method, _scheme=_scheme,
                                   _external=_external, **values)
        if endpoint[:1] == ".":  # relative to the request's blueprint, as Flask reads it
            blueprint = context.request.blueprint
            endpoint = f"{blueprint}{endpoint}" if blueprint is not None else endpoint[1:]
        key = (endpoint, context.request.script_root, *sorted(values.items())) if values else \
            (endpoint, context.request.script_root)
        url = self._urls.get(key)
        if url is None:
            url = super().url_for(endpoint, _external=False, **values)
            if len(self._urls) >= self.remembered_urls:
                self._urls.clear()
            self._urls[key] = url
        return url
