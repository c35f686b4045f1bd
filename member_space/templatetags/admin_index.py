"""The admin index's work (templates/admin/index.html): `{% payments_to_review %}`, the pending payments with their
buttons, and `{% platforms_not_configured as names %}`, the channel platforms this server does not drive."""

from django import template
from django.contrib import admin
from django.urls import reverse

from channels_sync.clients import platform_configured
from channels_sync.models import Platform
from payments.admin import PaymentAdmin
from payments.admin import time_ago as time_ago_text
from payments.models import Payment

register = template.Library()


@register.inclusion_tag("admin/payments_to_review.html", takes_context=True)
def payments_to_review(context) -> dict:
    """The panel for staff who may see payments; its buttons for those who may change them (the views check it
    again). Two queries, whatever the number of pending payments."""
    request = context["request"]
    payment_admin = admin.site.get_model_admin(Payment)
    assert isinstance(payment_admin, PaymentAdmin)  # member_space.admin's subclass
    if not payment_admin.has_view_permission(request):
        return {"visible": False}
    return {
        "visible": True,
        "overview": payment_admin.pending_overview(request),
        "can_decide": payment_admin.has_change_permission(request),
        "changelist_url": reverse("admin:payments_payment_changelist") + "?status__exact=pending",
        "here": request.get_full_path(),
        "csrf_token": context.get("csrf_token"),
    }


@register.filter
def time_ago(moment) -> str:
    """ "il y a 3 h" (payments.admin.time_ago)."""
    return time_ago_text(moment)


@register.simple_tag
def platforms_not_configured() -> list[str]:
    """The platforms whose bot settings this server lacks: nobody is invited to them nor removed from them."""
    return [str(Platform(platform).label) for platform in Platform.values if not platform_configured(platform)]
