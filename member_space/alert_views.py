"""The profile's section "Alertes de nouveaux signaux": the member's market x channel choices (notifications/
signal_alerts.py holds the rule; the same choices as GET/PUT /api/auth/user/signal-alerts/)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import User
from notifications.signal_alerts import alert_channels_for, signal_alert_choices_for, signal_alert_preferences_set

SECTION = "#alertes"


def signal_alerts_form_context(*, user: User) -> dict:
    """What the section shows: one row per market, one box per channel (checked when chosen, disabled when the
    channel is not offered to the member), and why a channel is not offered."""
    chosen = set(signal_alert_choices_for(user=user))
    channels = alert_channels_for(user=user)
    return {
        "rows": [
            {
                "market": market,
                "label": label,
                "boxes": [
                    {
                        "value": f"{market}:{channel.value}",
                        "label": channel.label,
                        "checked": (market, channel.value) in chosen and channel.offered,
                        "offered": channel.offered,
                    }
                    for channel in channels
                ],
            }
            for market, label in User.Market.choices
        ],
        "unavailable": [channel for channel in channels if not channel.offered],
    }


@require_POST
@login_required
def profile_signal_alerts(request):
    choices = []
    for value in request.POST.getlist("alerts"):
        market, _sep, channel = value.partition(":")
        choices.append((market, channel))
    try:
        signal_alert_preferences_set(user=request.user, choices=choices)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Alertes de nouveaux signaux enregistrées."))
    return redirect(reverse("member_space:profile") + SECTION)
