"""/api/docs/ works from our own origin only: Swagger UI from drf-spectacular-sidecar's static files, its start-up
script from our server (issue 12, item 13: no CDN at @latest without an integrity hash, and it works offline)."""

from html.parser import HTMLParser

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


class _Resources(HTMLParser):
    """Every URL the page loads: script sources and stylesheet/icon links."""

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and attrs.get("src"):
            self.urls.append(attrs["src"])
        if tag == "link" and attrs.get("href"):
            self.urls.append(attrs["href"])


def resources(html: str) -> list[str]:
    parser = _Resources()
    parser.feed(html)
    return parser.urls


def test_api_docs_load_swagger_ui_from_our_own_static_files():
    client = Client()

    page = client.get("/api/docs/")

    assert page.status_code == 200
    urls = resources(page.content.decode())
    assert len(urls) >= 4  # css, favicon, bundle, preset, start-up script
    external = [url for url in urls if url.startswith(("http:", "https:", "//"))]
    assert external == []
    assert any("swagger-ui-bundle.js" in url for url in urls)
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert body, url
        if url.endswith(".js") or "script" in url:
            assert "javascript" in response["Content-Type"], url


def test_api_docs_start_up_script_points_at_our_schema():
    client = Client()
    (script,) = [url for url in resources(client.get("/api/docs/").content.decode()) if "script" in url]

    body = client.get(script).content.decode()

    assert 'url: "/api/schema/"' in body
    assert "SwaggerUIBundle(" in body
