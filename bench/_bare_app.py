"""The floor for bench/throughput: a bare Flask + Jinja app serving a ~6 KB page, run
under the same gunicorn as the portal (gunicorn --chdir bench _bare_app:app)."""
from flask import Flask, render_template_string

app = Flask(__name__)

PAGE = """<!doctype html>
<html lang="es-CO"><head><meta charset="utf-8"><title>{{ title }}</title></head>
<body><main><h1>{{ title }}</h1>
<table>{% for row in rows %}<tr><td>{{ row.number }}</td><td>{{ row.name }}</td>
<td>{{ row.amount }}</td><td>{{ row.status }}</td></tr>{% endfor %}</table>
</main></body></html>"""
ROWS = [{"number": f"LI-{n:04d}", "name": f"Afiliado de prueba número {n}",
         "amount": f"$ {n * 17527:,}".replace(",", "."), "status": "Pendiente"} for n in range(60)]


@app.get("/")
def page():
    return render_template_string(PAGE, title="Página de referencia", rows=ROWS)
