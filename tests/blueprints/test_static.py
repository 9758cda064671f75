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
