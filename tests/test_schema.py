"""The OpenAPI schema of the whole project is valid and warning-free, and its pages answer."""

from io import StringIO

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_spectacular_validates_without_warnings(tmp_path):
    out = StringIO()

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"), stdout=out)

    schema = (tmp_path / "schema.yml").read_text()
    assert "openapi: 3" in schema
    for path in ("/api/auth/login/", "/api/auth/user/profile/", "/api/auth/user/payment-eligibility/"):
        assert f"{path}:" in schema


def test_schema_endpoint_serves_the_openapi_document(api_client):
    response = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    assert "/api/auth/register/" in document["paths"]
    assert "/api/auth/token/refresh/" in document["paths"]


def test_docs_page_answers(client):
    response = client.get("/api/docs/")

    assert response.status_code == 200
    assert b"swagger" in response.content.lower()
