from django.apps import AppConfig
from django.utils.translation import gettext as _


class TradingSignalsConfig(AppConfig):
    name = "trading_signals"
    verbose_name = "Signaux de trading"

    def ready(self):
        from notifications.models import NotificationDelivery
        from notifications.signal_alerts import alert_channel_check_register
        from trading_signals.alerts import signal_published_alert
        from trading_signals.hooks import signal_event_recorded

        # Members' opt-in alerts of a new signal (trading_signals/alerts.py): a durable task enqueued in the
        # publishing transaction.
        signal_event_recorded.connect(signal_published_alert, dispatch_uid="trading_signals.alerts")
        # Alerts by Telegram private message reach only a linked account.
        alert_channel_check_register(channel=NotificationDelivery.Channel.TELEGRAM, check=_telegram_linked)


def _telegram_linked(user) -> str:
    from channels_sync.models import AccountLink, Platform

    if AccountLink.objects.filter(user=user, platform=Platform.TELEGRAM).exists():
        return ""
    return _(
        "Reliez d'abord votre compte Telegram (Mon profil, Telegram et Discord) pour recevoir les alertes en "
        "message privé."
    )
