"""Members' opt-in alerts of a new signal (in the app, by e-mail, by Telegram private message).

When a signal is published (a SignalEvent of kind PUBLISHED, hooks.signal_event_recorded, inside the publishing
transaction), `signal_published_alert` enqueues the durable task `signal_alerts_send` in that transaction: it runs
once the signal is committed, never for a rolled-back one. The task creates the notices of the members entitled at
send time who chose the signal's market (notifications/signal_alerts.py holds the preferences and the notices), then
delivers them through the notification senders. Retried, it creates nothing twice (unique constraints).
"""

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _

from core import clock
from core.tasks import task, task_enqueue
from notifications.models import SignalAlertPreference
from notifications.references import signal_link, signal_reference
from notifications.signal_alerts import alert_deliveries_pending, alert_deliveries_send, alert_notices_create
from subscriptions.models import Subscription
from subscriptions.selectors import in_force_q
from trading_signals.models import Signal, SignalEvent
from trading_signals.results import price_text


class AlertsNotDelivered(Exception):
    """Some deliveries failed and wait for a retry: the task fails, so the queue tries it again soon (backoff)."""


def signal_published_alert(sender, *, event: SignalEvent, **kwargs) -> None:
    """Receiver of hooks.signal_event_recorded: a published signal's alerts, as a task of the same transaction."""
    if event.kind == SignalEvent.Kind.PUBLISHED:
        task_enqueue(signal_alerts_send, signal_id=event.signal_id)


def signal_alert_text(signal: Signal) -> tuple[str, str]:
    """The alert's French title and message: instrument, market, direction, entry, stop-loss, take-profits and the
    link to the signal's page. Prices as members read them (results.price_text)."""

    def price(value) -> str:
        return price_text(market=signal.market, instrument=signal.instrument, value=value)

    take_profits = sorted(signal.take_profits.all(), key=lambda tp: (tp.order, tp.pk))
    targets = " ; ".join(f"TP{tp.order} {price(tp.price)}" for tp in take_profits) or _("aucun")
    title = _("Nouveau signal : %(instrument)s (%(direction)s)") % {
        "instrument": signal.instrument,
        "direction": signal.get_direction_display().lower(),
    }
    lines = [
        _("%(market)s · %(instrument)s · %(direction)s.")
        % {
            "market": signal.get_market_display(),
            "instrument": signal.instrument,
            "direction": signal.get_direction_display(),
        },
        _("Entrée : %(entry)s. Stop-loss : %(stop)s. Take-profits : %(targets)s.")
        % {"entry": price(signal.entry_price), "stop": price(signal.stop_loss), "targets": targets},
        _("Voir le signal : %(url)s") % {"url": signal_link(signal.pk)},
    ]
    return title, "\n".join(lines)


def signal_alert_recipients(*, market: str, at) -> list[tuple[int, str]]:
    """(member id, channel) of the preferences for `market` of active, non-erased members with a subscription in force
    at `at`: the same rule as trading_signals.policies.member_sees_signal_details (subscriptions.selectors.in_force_q,
    trials included). One query."""
    in_force = Subscription.objects.filter(in_force_q(at=at), user=OuterRef("user_id"))
    return list(
        SignalAlertPreference.objects.filter(market=market, user__is_active=True, user__deleted_at__isnull=True)
        .filter(Exists(in_force))
        .order_by("user_id", "channel")
        .values_list("user_id", "channel")
    )


@transaction.atomic
def signal_alerts_create(*, signal_id: int) -> int:
    """The notices (and deliveries) of a published signal's alerts for the members entitled now; a constant number of
    queries whatever their number. Nothing for a draft or a cancelled signal. Returns the members concerned."""
    signal = Signal.objects.prefetch_related("take_profits").get(pk=signal_id)
    if not signal.is_published or signal.status == Signal.Status.CANCELLED:
        return 0
    recipients = signal_alert_recipients(market=signal.market, at=clock.now())
    if not recipients:
        return 0
    title, message = signal_alert_text(signal)
    return alert_notices_create(
        recipients=recipients, reference=signal_reference(signal.pk), title=title, message=message
    )


@task()
def signal_alerts_send(*, signal_id: int) -> None:
    """Creates the alerts of a published signal, then delivers them at once (in-app is immediate; e-mail and Telegram
    through the notification senders). A delivery that failed stays pending and the task fails, so the queue retries
    it with backoff; the daily notifications run would also pick it up."""
    signal_alerts_create(signal_id=signal_id)
    reference = signal_reference(signal_id)
    alert_deliveries_send(reference=reference)
    if alert_deliveries_pending(reference=reference):
        raise AlertsNotDelivered(f"signal {signal_id}: deliveries waiting for a retry")
