"""Members' opt-in alerts of new signals: their preferences (market x channel) and the notices they get.

notifications sits below trading_signals: it knows a signal only by its reference ("signal:<id>") and the text the
signals app wrote. trading_signals/alerts.py decides who is entitled and what the alert says, then calls
`alert_notices_create` and `alert_deliveries_send`. A preference row is the member's consent for its channel (the
e-mail of an alert ignores `email_reminders`, which is about the subscription reminders).
"""

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from core import clock
from notifications.models import NotificationDelivery, NotificationType, SignalAlertPreference, UserNotification
from notifications.senders import SENDERS
from notifications.services import DeliveryReport, deliveries_send_pending

Channel = NotificationDelivery.Channel
# --- Channels a member may choose -------------------------------------------------------------------------------

# A channel that needs something of the member (Telegram: a linked account) registers a check from an app that knows
# it (trading_signals/apps.py): it returns why the channel is not offered to this member ("" when it is).
ChannelCheck = Callable[[User], str]
_CHANNEL_CHECKS: dict[str, ChannelCheck] = {}


def alert_channel_check_register(*, channel: str, check: ChannelCheck) -> None:
    _CHANNEL_CHECKS[channel] = check


@dataclass(frozen=True)
class AlertChannel:
    value: str
    label: str
    offered: bool
    reason: str  # French, why it is not offered ("" when it is)


def alert_channels_for(*, user: User) -> list[AlertChannel]:
    """The channels of the alerts, each offered to this member or not (and why): one this server has no sender for
    (Telegram without a bot) is not offered, nor one whose registered check refuses it (Telegram not linked)."""
    channels = []
    for value, label in Channel.choices:
        if value not in SENDERS:
            reason = _("%(channel)s n'est pas disponible sur ce service.") % {"channel": label}
        else:
            check = _CHANNEL_CHECKS.get(value)
            reason = check(user) if check else ""
        channels.append(AlertChannel(value=value, label=str(label), offered=not reason, reason=reason))
    return channels


# --- Preferences ------------------------------------------------------------------------------------------------


def signal_alert_choices_for(*, user: User) -> list[tuple[str, str]]:
    """The member's (market, channel) choices, sorted."""
    return list(
        SignalAlertPreference.objects.filter(user=user).order_by("market", "channel").values_list("market", "channel")
    )


@transaction.atomic
def signal_alert_preferences_set(*, user: User, choices: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Replaces the member's choices by `choices` ((market, channel) pairs; duplicates are one). A channel not offered
    to the member (alert_channels_for) is refused with a French ValidationError and nothing changes. Returns the
    choices now saved."""
    wanted = set(choices)
    markets = set(User.Market.values)
    channels = {c.value: c for c in alert_channels_for(user=user)}
    for market, channel in sorted(wanted):
        if market not in markets:
            raise ValidationError(_("Marché inconnu : %(market)s.") % {"market": market})
        if channel not in channels:
            raise ValidationError(_("Canal inconnu : %(channel)s.") % {"channel": channel})
        if not channels[channel].offered:
            raise ValidationError(channels[channel].reason)
    # One writer per member at a time: two saves at once end with one of the two lists, never a mix.
    User.objects.select_for_update().only("pk").get(pk=user.pk)
    saved = {(p.market, p.channel): p.pk for p in SignalAlertPreference.objects.filter(user=user)}
    stale = [pk for choice, pk in saved.items() if choice not in wanted]
    if stale:
        SignalAlertPreference.objects.filter(pk__in=stale).delete()
    SignalAlertPreference.objects.bulk_create(
        [SignalAlertPreference(user=user, market=m, channel=c) for m, c in sorted(wanted - saved.keys())],
        ignore_conflicts=True,
    )
    return sorted(wanted)


# --- Notices ----------------------------------------------------------------------------------------------------


@transaction.atomic
def alert_notices_create(*, recipients: Iterable[tuple[int, str]], reference: str, title: str, message: str) -> int:
    """One new-signal notice per member of `recipients` ((member id, channel) pairs) and one delivery per channel the
    member chose and this server has a sender for. Idempotent: the unique (reference, type, member) and (notice,
    channel) constraints make a second call (a retried task) create nothing. Four queries whatever the number of
    members. Returns the number of members concerned.

    The in-app delivery is the notice itself, recorded sent at once; a member who did not choose in-app gets the
    notice out of their list (dismissed: it records what was sent, and counts no unread), their other deliveries
    start pending for `alert_deliveries_send`."""
    chosen: dict[int, set[str]] = defaultdict(set)
    for user_id, channel in recipients:
        if channel in SENDERS:
            chosen[user_id].add(channel)
    if not chosen:
        return 0
    now = clock.now()
    notification_type = NotificationType.SIGNAL_PUBLISHED
    UserNotification.objects.bulk_create(
        [
            UserNotification(
                user_id=user_id,
                reference=reference,
                notification_type=notification_type,
                title=title,
                message=message,
                status=UserNotification.Status.SENT
                if Channel.IN_APP in channels
                else UserNotification.Status.DISMISSED,
                scheduled_for=now,
                sent_at=now if Channel.IN_APP in channels else None,
            )
            for user_id, channels in chosen.items()
        ],
        ignore_conflicts=True,
    )
    notices = UserNotification.objects.filter(reference=reference, notification_type=notification_type)
    deliveries = []
    for notice_id, user_id in notices.values_list("pk", "user_id"):
        for channel in chosen.get(user_id, ()):
            in_app = channel == Channel.IN_APP
            deliveries.append(
                NotificationDelivery(
                    notification_id=notice_id,
                    channel=channel,
                    status=NotificationDelivery.Status.SENT if in_app else NotificationDelivery.Status.PENDING,
                    attempts=1 if in_app else 0,
                    sent_at=now if in_app else None,
                )
            )
    NotificationDelivery.objects.bulk_create(deliveries, ignore_conflicts=True)
    return len(chosen)


def alert_deliveries_send(*, reference: str) -> DeliveryReport:
    """Sends the pending deliveries of the notices about `reference` now, through the delivery loop (claims, leases,
    retries: notifications/services.py), instead of waiting for the daily run."""
    return deliveries_send_pending(reference=reference)


def alert_deliveries_pending(*, reference: str) -> bool:
    """Deliveries of these notices still to be tried (a failure the loop will retry)."""
    return NotificationDelivery.objects.filter(
        notification__reference=reference, status=NotificationDelivery.Status.PENDING
    ).exists()
