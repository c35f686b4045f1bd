"""{% signal_alerts_form %}: the profile's section of new-signal alerts, with its own data, so the profile view
stays as it is (member_space/alert_views.py)."""

from django import template

from member_space.alert_views import signal_alerts_form_context

register = template.Library()


@register.inclusion_tag("member_space/_signal_alerts.html", takes_context=True)
def signal_alerts_form(context) -> dict:
    request = context["request"]
    form = signal_alerts_form_context(user=request.user)
    return {"request": request, "csrf_token": context.get("csrf_token"), **form}
