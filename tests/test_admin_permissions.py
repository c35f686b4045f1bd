"""Admin permissions: staff with only "view" permissions read, and nothing they do in the admin writes.

Every admin action that writes declares the permission it needs (Django's `@admin.action(permissions=...)`), and
the custom buttons check the same permission. Tested through the admin's own pages with real Permission rows.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import cast

import pytest
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Permission
from django.db import models
from django.urls import reverse

from accounts.models import User
from accounts.tests.factories import UserFactory
from channels_sync.models import ChannelMembership, Platform
from channels_sync.sync import channel_sync
from channels_sync.tests.factories import link_telegram, membership, subscribe
from core import clock
from formations.models import Course
from formations.tests.factories import CourseFactory
from notifications.models import NotificationDelivery, UserNotification
from notifications.tests.factories import NotificationDeliveryFactory
from payments.models import Payment
from payments.tests.factories import PaymentFactory
from publishing.models import SignalPost
from trading_signals.models import Signal, SignalEvent
from trading_signals.tests.factories import SignalFactory

pytestmark = pytest.mark.django_db

# Every ModelAdmin the project's admin site serves, ours and the libraries' (auth, simplejwt's blacklist).
REGISTERED = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)
REGISTERED_IDS = [model._meta.label for model, _ in REGISTERED]


def grant(user, *perms: str) -> None:
    """Gives `user` real permissions, named "app_label.codename"."""
    for perm in perms:
        app_label, codename = perm.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


def changelist(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def run_action(client, model, action: str, pks: list[int], **extra):
    return client.post(changelist(model), {"action": action, ACTION_CHECKBOX_NAME: pks, **extra}, follow=True)


@pytest.fixture
def staff():
    return UserFactory(is_staff=True)


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


# -- every action of every admin ------------------------------------------------------------------


@pytest.mark.parametrize(("model", "model_admin"), REGISTERED, ids=REGISTERED_IDS)
def test_every_admin_action_declares_a_writing_permission(rf, model, model_admin):
    # A superuser is offered every action; an action without permissions would be offered to anyone.
    request = rf.get(changelist(model))
    request.user = UserFactory(is_staff=True, is_superuser=True)

    for name, (func, _name, _description) in model_admin.get_actions(request).items():
        required = set(getattr(func, "allowed_permissions", ()))
        # Django runs an action when the user has ANY of its permissions: "view" among them lets readers run it.
        assert required, f"{model._meta.label}: action {name} declares no permission"
        assert "view" not in required, f"{model._meta.label}: action {name} can be run with the view permission"


@pytest.mark.parametrize(("model", "model_admin"), REGISTERED, ids=REGISTERED_IDS)
def test_view_only_staff_is_offered_no_action_on_any_admin_list(staff_client, staff, model, model_admin):
    grant(staff, f"{model._meta.app_label}.view_{model._meta.model_name}")

    response = staff_client.get(changelist(model))

    assert response.status_code == 200
    assert response.context["action_form"] is None
    assert 'name="action"' not in response.content.decode()


# -- the actions that write, refused to view-only staff and run with the writing permission ----------


@dataclass(frozen=True)
class WritingAction:
    model: type[models.Model]
    action: str
    make: Callable  # creates one row the action changes
    state: Callable  # reads back, from the database, what the action changes
    writing_perm: str
    extra: dict = field(default_factory=dict)

    @property
    def view_perm(self) -> str:
        return f"{self.model._meta.app_label}.view_{self.model._meta.model_name}"


def _failed_delivery():
    return NotificationDeliveryFactory(status=NotificationDelivery.Status.FAILED, attempts=5)


def _signal_post(state: str) -> SignalPost:
    signal = cast(Signal, SignalFactory())
    event = SignalEvent.objects.create(signal=signal, kind=SignalEvent.Kind.PUBLISHED)
    return SignalPost.objects.create(signal=signal, event=event, platform=Platform.TELEGRAM, chat_id="-1", state=state)


WRITING_ACTIONS = {
    "course-publish": WritingAction(
        Course,
        "publish",
        lambda: CourseFactory(is_published=False),
        lambda course: Course.objects.get(pk=course.pk).is_published,
        "formations.change_course",
    ),
    "course-unpublish": WritingAction(
        Course,
        "unpublish",
        lambda: CourseFactory(is_published=True),
        lambda course: Course.objects.get(pk=course.pk).is_published,
        "formations.change_course",
    ),
    "signal-publish": WritingAction(
        Signal,
        "publish",
        lambda: SignalFactory(is_published=False),
        lambda signal: Signal.objects.get(pk=signal.pk).is_published,
        "trading_signals.change_signal",
    ),
    "delivery-retry": WritingAction(
        NotificationDelivery,
        "retry_failed",
        _failed_delivery,
        lambda delivery: NotificationDelivery.objects.get(pk=delivery.pk).status,
        "notifications.change_notificationdelivery",
    ),
    # Listed by notification, but what it rewrites are the deliveries: it takes their change permission.
    "notification-retry-deliveries": WritingAction(
        UserNotification,
        "retry_failed_deliveries",
        lambda: _failed_delivery().notification,
        lambda notification: list(notification.deliveries.values_list("status", flat=True)),
        "notifications.change_notificationdelivery",
    ),
    "payment-confirm": WritingAction(
        Payment,
        "confirm_selected",
        PaymentFactory,
        lambda payment: Payment.objects.get(pk=payment.pk).status,
        "payments.change_payment",
    ),
    "payment-reject": WritingAction(
        Payment,
        "reject_selected",
        PaymentFactory,
        lambda payment: Payment.objects.get(pk=payment.pk).status,
        "payments.change_payment",
        extra={"apply": "1", "reason": "Référence inconnue"},
    ),
    "signal-post-retry": WritingAction(
        SignalPost,
        "retry_now",
        lambda: _signal_post(SignalPost.State.FAILED),
        lambda post: SignalPost.objects.get(pk=post.pk).state,
        "publishing.change_signalpost",
    ),
    "signal-post-republish": WritingAction(
        SignalPost,
        "republish",
        lambda: _signal_post(SignalPost.State.UNCERTAIN),
        lambda post: SignalPost.objects.get(pk=post.pk).state,
        "publishing.change_signalpost",
    ),
    # A member's erasure asked by e-mail (accounts.privacy.member_erase), past its confirmation page.
    "member-erase": WritingAction(
        User,
        "erase_selected",
        UserFactory,
        lambda user: User.objects.get(pk=user.pk).deleted_at,
        "accounts.change_user",
        extra={"apply": "1"},
    ),
}


@pytest.mark.parametrize("case", WRITING_ACTIONS.values(), ids=WRITING_ACTIONS.keys())
def test_view_only_staff_cannot_run_a_writing_action_and_change_permission_can(staff_client, staff, case):
    row = case.make()
    before = case.state(row)
    grant(staff, case.view_perm)

    refused = run_action(staff_client, case.model, case.action, [row.pk], **case.extra)

    assert refused.status_code == 200
    assert case.state(row) == before

    grant(staff, case.writing_perm)
    run_action(staff_client, case.model, case.action, [row.pk], **case.extra)

    assert case.state(row) != before


# -- channel access: "Retirer l'accès maintenant" bans on Telegram --------------------------------------


@pytest.fixture
def synced_telegram_member(fake_telegram, member):
    subscribe(member)
    link_telegram(member, 4242)
    channel_sync(platform=Platform.TELEGRAM)
    fake_telegram.reset_requests()
    return member


def test_view_only_staff_cannot_remove_telegram_access(staff_client, staff, fake_telegram, synced_telegram_member):
    row = membership(synced_telegram_member, Platform.TELEGRAM)
    grant(staff, "channels_sync.view_channelmembership")

    run_action(staff_client, ChannelMembership, "remove_now", [row.pk])

    assert fake_telegram.calls() == []
    assert membership(synced_telegram_member, Platform.TELEGRAM).state == row.state


def test_staff_with_change_permission_removes_telegram_access(
    staff_client, staff, fake_telegram, synced_telegram_member
):
    row = membership(synced_telegram_member, Platform.TELEGRAM)
    grant(staff, "channels_sync.view_channelmembership", "channels_sync.change_channelmembership")

    run_action(staff_client, ChannelMembership, "remove_now", [row.pk])

    assert [call.body["user_id"] for call in fake_telegram.calls("banChatMember")] == [4242]
    assert membership(synced_telegram_member, Platform.TELEGRAM).state == ChannelMembership.State.REMOVED


def test_view_only_staff_cannot_resync_and_change_permission_can(staff_client, staff, fake_telegram, member):
    subscribe(member)
    link_telegram(member, 4242)
    row = membership(member, Platform.TELEGRAM)
    ChannelMembership.objects.filter(pk=row.pk).update(attempts=3, next_attempt_at=clock.now() + timedelta(hours=1))
    grant(staff, "channels_sync.view_channelmembership")

    run_action(staff_client, ChannelMembership, "resync_now", [row.pk])

    assert fake_telegram.calls() == []
    assert membership(member, Platform.TELEGRAM).state == ChannelMembership.State.LINKED

    grant(staff, "channels_sync.change_channelmembership")
    run_action(staff_client, ChannelMembership, "resync_now", [row.pk])

    assert membership(member, Platform.TELEGRAM).state == ChannelMembership.State.INVITED


def test_every_writing_action_is_tried_here_with_a_view_only_account(rf):
    request = rf.get("/admin/")
    request.user = UserFactory(is_staff=True, is_superuser=True)
    offered = {
        (model, name)
        for model, model_admin in REGISTERED
        for name in model_admin.get_actions(request)
        if name != "delete_selected"  # Django's own, which requires the delete permission
    }

    tried = {(case.model, case.action) for case in WRITING_ACTIONS.values()} | {
        (ChannelMembership, "remove_now"),
        (ChannelMembership, "resync_now"),
        # Reads, reserved to the change permission: analytics/tests/test_admin.py tries them view-only.
        (User, "members_export_csv"),
        (Payment, "payments_export_csv"),
        # Only leads to its form, which answers 403 without the change permission: publishing/tests/test_admin.py.
        (SignalPost, "mark_sent"),
    }

    assert offered == tried


# -- list_editable and the payment buttons ----------------------------------------------------------


def test_view_only_staff_cannot_publish_through_the_editable_list(staff_client, staff):
    course = CourseFactory(is_published=False, order=1)
    grant(staff, "formations.view_course")
    data = {
        "_save": "Enregistrer",
        "form-TOTAL_FORMS": "1",
        "form-INITIAL_FORMS": "1",
        "form-0-id": str(course.pk),
        "form-0-order": "1",
        "form-0-is_published": "on",
    }

    staff_client.post(changelist(Course), data)

    assert Course.objects.get(pk=course.pk).is_published is False

    grant(staff, "formations.change_course")
    staff_client.post(changelist(Course), data)

    assert Course.objects.get(pk=course.pk).is_published is True


def test_view_only_staff_sees_no_payment_buttons_and_they_answer_403(staff_client, staff):
    payment = PaymentFactory()
    grant(staff, "payments.view_payment")
    confirm_url = reverse("admin:payments_payment_confirm", args=[payment.pk])
    reject_url = reverse("admin:payments_payment_reject", args=[payment.pk])

    page = staff_client.get(reverse("admin:payments_payment_change", args=[payment.pk]))

    assert page.status_code == 200
    assert confirm_url not in page.content.decode()
    assert reject_url not in page.content.decode()
    assert staff_client.post(confirm_url).status_code == 403
    assert staff_client.get(reject_url).status_code == 403
    assert staff_client.post(reject_url, {"reason": "Paiement non reçu"}).status_code == 403
    assert Payment.objects.get(pk=payment.pk).status == Payment.Status.PENDING


def test_staff_with_change_permission_sees_and_uses_the_payment_buttons(staff_client, staff):
    payment = PaymentFactory()
    grant(staff, "payments.view_payment", "payments.change_payment")
    confirm_url = reverse("admin:payments_payment_confirm", args=[payment.pk])

    page = staff_client.get(reverse("admin:payments_payment_change", args=[payment.pk]))

    assert confirm_url in page.content.decode()
    assert staff_client.post(confirm_url).status_code == 302
    assert Payment.objects.get(pk=payment.pk).status == Payment.Status.CONFIRMED
