"""Static files and the favicon: small, cached long, and free of session work."""
import re

ICON_LINK = re.compile(r'<link rel="icon" href="([^"]+)"')


def test_pages_link_a_small_favicon(client):
    page = client.get("/").get_data(as_text=True)
    href = ICON_LINK.search(page).group(1)
    icon = client.get(href)
    assert icon.status_code == 200
    assert icon.mimetype == "image/svg+xml"
    assert len(icon.data) < 600


def test_favicon_ico_is_there_for_browsers_that_ask(client):
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200
    assert icon.mimetype in ("image/x-icon", "image/vnd.microsoft.icon")
    assert len(icon.data) < 600
    assert icon.cache_control.max_age >= 7 * 24 * 3600


ASSET = re.compile(r'<(?:link|script)[^>]+(?:href|src)="(/static/[^"]+)"')
LONG_CACHE = "public, max-age=31536000, immutable"


def test_every_asset_of_a_page_has_a_versioned_url_cached_for_a_year(client):
    urls = ASSET.findall(client.get("/").get_data(as_text=True))
    assert {url.split("?")[0] for url in urls} >= {
        "/static/app.css", "/static/app.js", "/static/vendor/htmx.min.js", "/static/favicon.svg"}
    for url in urls:
        assert re.search(r"\?v=[0-9a-f]{8,}$", url), url
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == LONG_CACHE, url


def test_an_unversioned_or_stale_url_is_revalidated(client):
    for url in ("/static/app.css", "/static/app.css?v=0000000000"):
        response = client.get(url)
        assert response.status_code == 200
        assert "immutable" not in response.headers["Cache-Control"]
        assert "no-cache" in response.headers["Cache-Control"]
    assert client.get("/static/no-such-file.css").status_code == 404
    assert client.get("/static/../portal/config.py").status_code == 404


def test_assets_are_sent_compressed_and_decode_to_the_file(app, client):
    import gzip
    from pathlib import Path

    import brotli

    url = next(u for u in ASSET.findall(client.get("/").get_data(as_text=True)) if "app.css" in u)
    original = (Path(app.static_folder) / "app.css").read_bytes()
    for encoding, decode in (("br", brotli.decompress), ("gzip", gzip.decompress)):
        response = client.get(url, headers={"Accept-Encoding": encoding})
        assert response.headers["Content-Encoding"] == encoding
        assert decode(response.data) == original
    assert client.get(url, headers={"Accept-Encoding": "identity"}).data == original


def _statements_during(app, action, *args):
    from sqlalchemy import event

    from portal.extensions import db

    seen = []
    listener = lambda *args: seen.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        response = action(*args)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    return response, seen


def test_static_files_do_no_session_work_for_a_signed_in_user(app, auth):
    
    client = auth.new_client("staff", "admin", roles="admin")
    page = client.get("/personal/")
    assert "X-Session-Seconds" in page.headers  # the page itself does session work
    for url in [*ASSET.findall(page.get_data(as_text=True)), "/favicon.ico"]:
        response, statements = _statements_during(app, client.get, url)
        assert response.status_code == 200, url
        assert statements == [], url
        assert "Set-Cookie" not in response.headers, url
        assert "X-Session-Seconds" not in response.headers, url
        assert "cookie" not in response.headers.get("Vary", "").lower(), url
        assert "Content-Security-Policy" not in response.headers, url


def _luminance(rgb):
    def channel(c):
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast(a, b):
    lighter, darker = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def test_the_active_menu_link_has_a_contrast_of_at_least_4_5(app):
    """White text on the menu's highlight, an rgba() laid over the brand colour (WCAG AA)."""
    from pathlib import Path

    css = (Path(app.static_folder) / "app.css").read_text()
    brand = re.search(r"--brand:#([0-9a-f]{6})", css).group(1)
    base = [int(brand[i:i + 2], 16) for i in (0, 2, 4)]
    rule = re.search(r"\.menu a\[aria-current=page\][^{]*\{background:rgba\(([^)]+)\)", css).group(1)
    *overlay, alpha = (float(x) for x in rule.split(","))
    shown = [alpha * o + (1 - alpha) * b for o, b in zip(overlay, base, strict=True)]
    assert _contrast((255, 255, 255), shown) >= 4.5
