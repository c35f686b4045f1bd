"""Who sees a signal's details: the one rule, used by the API and the member pages.

Every logged-in member sees that signals exist (market, instrument, direction, status, date) and the
statistics drawn from those (counts, win rate); the trade itself (entry, stop-loss, take-profits, result,
comment) and every result total are for members with a subscription in force now, whatever the plan (decided
by time, never by the stored status alone). selectors.signal_stats applies this to the statistics.
"""

from datetime import datetime

from django.utils.translation import gettext_lazy as _

from subscriptions.models import Subscription
from subscriptions.selectors import in_force_q

LOCKED_MESSAGE = _("Abonnez-vous pour voir les détails")


def member_sees_signal_details(*, user, at: datetime | None = None) -> bool:
    if not user.is_authenticated:
        return False
    return Subscription.objects.filter(in_force_q(at=at), user=user).exists()
