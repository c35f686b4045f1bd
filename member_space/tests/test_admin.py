"""The member's admin page: registered by the top app, with the rows the apps below hold about the member."""

import ast
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib import admin
from django.urls import reverse

from accounts.models import User
from channels_sync.models import ChannelAction, ChannelMembership, Platform
from member_space.admin import MemberAdmin
from payments.tests.factories import PaymentFactory
from subscriptions.tests.factories import SubscriptionFactory

pytestmark = pytest.mark.django_db


def test_member_page_shows_that_members_payments_subscriptions_and_channel_rows_to_read_only(admin_client, member):
    PaymentFactory(user=member, reference="REF-MINE")
    PaymentFactory(reference="REF-OTHER")  # another member's
    SubscriptionFactory(user=member)
    ChannelMembership.objects.create(user=member, platform=Platform.TELEGRAM, last_error="bot bloqué")
    ChannelAction.objects.create(
        user=member, platform=Platform.TELEGRAM, action=ChannelAction.Action.CHECK, outcome="ok", remote_id="4242"
    )

    response = admin_client.get(reverse("admin:accounts_user_change", args=[member.pk]))

    assert response.status_code == 200
    assert isinstance(admin.site.get_model_admin(User), MemberAdmin)
    body = response.content.decode()
    assert "REF-MINE" in body and "REF-OTHER" not in body and "bot bloqué" in body and "4242" in body
    for inline in response.context["inline_admin_formsets"]:
        assert not inline.has_add_permission and not inline.formset.can_delete
        assert set(inline.readonly_fields) == set(inline.opts.fields)


def _imported_apps(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
    return names & {app.split(".")[0] for app in settings.INSTALLED_APPS}


@pytest.mark.parametrize(
    ("module", "allowed"),
    [
        ("accounts/admin.py", {"accounts", "core"}),
        ("core/admin.py", set()),
        ("subscriptions/admin_inlines.py", {"subscriptions", "core"}),
        ("payments/admin_inlines.py", {"payments", "core"}),
        ("channels_sync/admin_inlines.py", {"channels_sync", "core"}),
    ],
)
def test_admin_modules_import_no_app_above_their_own(module, allowed):
    assert _imported_apps(Path(settings.BASE_DIR) / module) <= allowed | {"django"}
