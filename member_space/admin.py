"""The admin pages that read several apps, registered by the top app because it may import them all: the member's
page (accounts.admin.UserAdmin with the rows the apps below hold about them) and the payment's page
(payments.admin.PaymentAdmin with the member beside the payment, and what a confirmation did to their channel
access). The apps below define their pages without importing any higher app."""

import time
from collections import Counter

from django.contrib import admin
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.admin import UserAdmin
from accounts.models import User
from analytics.exports import members_export_csv, payments_export_csv
from channels_sync.admin_inlines import ChannelActionInline, ChannelMembershipInline
from channels_sync.models import AccountLink, Platform
from channels_sync.selectors import AccessOutcome, access_outcomes_for_users, channel_status_for
from core import clock
from core.plurals import fr_count
from payments.admin import PaymentAdmin
from payments.admin_inlines import PaymentInline
from payments.models import Payment
from payments.selectors import payments_for_member
from subscriptions.admin_inlines import SubscriptionInline
from subscriptions.models import Subscription
from subscriptions.selectors import coverage_end, in_force_q


@admin.register(User)
class MemberAdmin(UserAdmin):
    inlines = [PaymentInline, SubscriptionInline, ChannelMembershipInline, ChannelActionInline]
    actions = [*(UserAdmin.actions or ()), members_export_csv]


# How many of the member's other payments the payment's page lists (the member's page has them all).
PREVIOUS_PAYMENTS_SHOWN = 10


def payment_member_panel(*, payment: Payment) -> dict:
    """What the admin deciding on `payment` wants to know of its member: contact, channel accounts and access,
    other payments, and how long they are already covered."""
    user = payment.user
    links = {link.platform: link for link in AccountLink.objects.filter(user=user)}
    statuses = channel_status_for(user)
    now = clock.now()
    current = (
        Subscription.objects.filter(in_force_q(at=now), user=user).select_related("plan").order_by("-ends_at").first()
    )
    return {
        "user": user,
        "member_url": reverse("admin:accounts_user_change", args=[user.pk]),
        "platforms": [
            {
                "label": Platform(platform).label,
                "link": links.get(platform),
                "declared": user.telegram_username if platform == Platform.TELEGRAM else user.discord_username,
                **statuses[platform],
            }
            for platform in Platform.values
        ],
        "previous_payments": list(payments_for_member(user=user).exclude(pk=payment.pk)[:PREVIOUS_PAYMENTS_SHOWN]),
        "current_subscription": current,
        "coverage_end": coverage_end(user=user, at=now),
    }


class MemberPaymentAdmin(PaymentAdmin):
    """The payment's admin with its member beside it, and a confirmation that says what became of their access."""

    change_form_template = "admin/member_space/payment_change_form.html"
    # payments' class spells its actions as a tuple of two names, which mypy takes as this attribute's type.
    actions = [*(PaymentAdmin.actions or ()), payments_export_csv]  # type: ignore[assignment]
    # After a confirmation commits, the task worker syncs the member's access within a second or two: the message
    # waits that long (polling their ChannelMembership rows) to say what happened rather than "sera fait".
    access_wait_seconds = 3.0
    access_poll_seconds = 0.25

    def payment_page_context(self, request, payment: Payment) -> dict:
        return {**super().payment_page_context(request, payment), "member": payment_member_panel(payment=payment)}

    def access_outcomes_after_wait(self, user_ids: list[int]) -> dict[int, dict[str, AccessOutcome]]:
        """Each member's access outcomes once every platform is settled, or as they stand after the wait."""
        deadline = time.monotonic() + self.access_wait_seconds
        outcomes = access_outcomes_for_users(user_ids)
        while True:
            waiting = [uid for uid, per in outcomes.items() if not all(o.settled for o in per.values())]
            if not waiting or time.monotonic() >= deadline:
                return outcomes
            time.sleep(self.access_poll_seconds)
            outcomes.update(access_outcomes_for_users(waiting))

    def confirmation_follow_up(self, request, payments: list[Payment]) -> str:
        user_ids = sorted({payment.user_id for payment in payments})
        if not user_ids:
            return ""
        outcomes = self.access_outcomes_after_wait(user_ids)
        if len(user_ids) == 1:
            [per_platform] = outcomes.values()
            said = [outcome.message for outcome in per_platform.values()]
        else:  # one summary for a list action: each outcome with how many members it concerns
            counts = Counter(outcome.message for per in outcomes.values() for outcome in per.values())
            said = [f"{message} ({fr_count(n, 'membre', 'membres')})" for message, n in counts.items()]
        return _("Accès aux canaux — %(outcomes)s.") % {"outcomes": " ; ".join(said)}


admin.site.unregister(Payment)
admin.site.register(Payment, MemberPaymentAdmin)
