"""core.schema's hook documents the standard error answers of every operation, without overriding a view's own."""

import pytest
from drf_spectacular.generators import SchemaGenerator

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def paths():
    return SchemaGenerator().get_schema(request=None, public=True)["paths"]


def _ref(response):
    return response["content"]["application/json"]["schema"]["$ref"]


def test_authenticated_operations_document_401(paths):
    assert _ref(paths["/api/auth/user/profile/"]["get"]["responses"]["401"]) == "#/components/schemas/Error"
    assert "401" not in paths["/api/plans/"]["get"]["responses"]


def test_bodies_document_400_413_415(paths):
    responses = paths["/api/auth/user/profile/"]["patch"]["responses"]

    assert _ref(responses["400"]) == "#/components/schemas/ValidationError"
    assert responses["400"]["description"] == "Champ invalide"  # the view's own description is kept
    assert {"413", "415"} <= set(responses)


def test_path_parameters_and_pages_document_404(paths):
    assert "404" in paths["/api/auth/user/notifications/{id}/read/"]["post"]["responses"]
    assert "404" in paths["/api/auth/user/payments/"]["get"]["responses"]
    assert "400" not in paths["/api/auth/user/payments/"]["get"]["responses"]  # only page parameters
    assert "400" in paths["/api/auth/user/signals/"]["get"]["responses"]  # filters are validated


def test_throttled_operations_document_429_and_token_refresh_401(paths):
    assert "429" in paths["/api/auth/password-reset/confirm/"]["post"]["responses"]
    assert "429" not in paths["/api/auth/user/profile/"]["get"]["responses"]
    assert "401" in paths["/api/auth/token/refresh/"]["post"]["responses"]


def test_a_views_own_error_answer_is_kept(paths):
    responses = paths["/api/auth/login/"]["post"]["responses"]

    assert _ref(responses["401"]) == "#/components/schemas/AccountsMessage"
    assert _ref(paths["/api/telegram/webhook/"]["post"]["responses"]["400"]) == "#/components/schemas/Detail"


def test_redirect_only_operations_get_no_400(paths):
    assert set(paths["/api/auth/discord/callback/"]["get"]["responses"]) == {"302"}
